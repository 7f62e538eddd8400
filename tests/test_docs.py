"""The README is a user guide that documents every output a run writes; its links hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.codes import OUTBOUND_NAMES
from sim.metrics import METRICS
from sim.recorder import CHANNEL_COUNTERS, DAILY_COLUMNS

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
DOCS = {p.name: p.read_text() for p in (ROOT / "docs").glob("*.md")}


def headings(markdown: str, level: int) -> list[str]:
    """The headings of one level, outside fenced code blocks (where '#' starts a comment)."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#" * level + " "):
            out.append(line[level + 1 :].strip())
    return out


def anchor(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading: lower case, punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


@pytest.mark.parametrize("key", sorted(METRICS))
def test_every_metric_is_documented_with_its_meaning(key):
    assert f"| `{key}` | {METRICS[key]} |" in README


@pytest.mark.parametrize("column", sorted(DAILY_COLUMNS))
def test_every_daily_column_is_documented_with_its_meaning(column):
    channel, _, counter = column.partition("_")
    if channel in OUTBOUND_NAMES and counter in CHANNEL_COUNTERS:
        # One row per counter stands for the three channels' columns.
        assert f"| `{{email,push,ads}}_{counter}` | {CHANNEL_COUNTERS[counter]} |" in README
    else:
        assert f"| `{column}` | {DAILY_COLUMNS[column]} |" in README


def test_readme_starts_with_the_two_commands():
    head = README[:600]
    assert "make run" in head and "make test" in head


def test_the_public_namespace_resolves():
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None


def test_the_customer_model_table_lists_every_equation_in_order():
    # One row per equation (or a row naming several that form one), in the order of
    # sim/core/_model.pxd: the README's model table cannot drift from the code.
    import re

    from sim.core import load_compiled

    section = README.split("## The customer model\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = [name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])]
    assert named == list(load_compiled("_equations").EQUATIONS)


def test_the_customer_model_table_names_only_config_keys_that_exist():
    # Each config key the table's last column names resolves in the customer schema.
    import dataclasses

    from sim.config.schema import CustomerConfig

    section = README.split("## The customer model\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    keys = [key for row in rows for key in re.findall(r"`([\w.*]+)`", row.rstrip(" |").rsplit(" | ", 1)[1])]
    assert len(keys) > 20
    for key in keys:
        node = CustomerConfig()
        for part in key.split("."):
            if part.endswith("*"):  # every field (or every field starting with the prefix)
                names = [f.name for f in dataclasses.fields(node)]
                assert any(name.startswith(part[:-1]) for name in names), key
                break
            assert hasattr(node, part), key
            node = getattr(node, part)


def test_the_contents_list_every_section_in_order():
    contents = README.split("## Contents\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\d+\. \[(.+)\]\(#([\w-]+)\)$", contents, flags=re.M)
    sections = headings(README, 2)
    assert [title for title, _ in listed] == sections[sections.index("Contents") + 1 :]
    assert [link for _, link in listed] == [anchor(title) for title, _ in listed]


@pytest.mark.parametrize("name, text", [("README.md", README)] + [(f"docs/{n}", t) for n, t in sorted(DOCS.items())])
def test_every_link_inside_the_docs_leads_somewhere(name, text):
    targets = {anchor(h) for level in (1, 2, 3) for h in headings(text, level)}
    base = (ROOT / name).parent
    for link in re.findall(r"\]\(([^)\s]+)\)", text):
        if link.startswith("http"):
            continue
        path, _, fragment = link.partition("#")
        if path:
            assert (base / path).exists(), f"{name}: {link} leads to no file"
        else:
            assert fragment in targets, f"{name}: {link} leads to no heading"


def test_performance_and_development_notes_live_in_docs():
    # The README is a user guide: the speed history and the notes for developers have their
    # own pages, which it links to.
    assert "docs/performance.md" in README and "docs/development.md" in README
    assert {"Today's figures", "How to measure", "Lessons that still hold"} <= set(headings(DOCS["performance.md"], 2))
    assert "Tried and dropped" not in README and "Code map" not in headings(README, 2)
    assert {"Code map", "Tests", "Commits"} <= set(headings(DOCS["development.md"], 2))
