"""The parameter reference, generated from the schema: ``python -m sim.config.parameter_table``.

Every parameter declared with :func:`sim.config.params.param` is listed with its key, default,
unit, valid range, the range to consider (its prior, :mod:`sim.config.priors`), meaning, the
kind of its source (:mod:`sim.config.sources`) and the source itself.  ``docs/parameters.md``
is this output; a test keeps the two identical.
"""

from __future__ import annotations

import dataclasses
import sys
import typing

from sim.config.params import MISSING, range_of
from sim.config.priors import PRIORS
from sim.config.schema import Config
from sim.config.sources import KINDS, source_kind
from sim.timing import DURATION_HELP, QUIET_HELP

__all__ = ["parameter_rows", "render_markdown"]

_SECTIONS = {
    "": "Run",
    "population": "population: who the customers are (`configs/population/`)",
    "catalog": "catalog: what the firm sells (`configs/catalog/`)",
    "customer": "customer: how customers react (`configs/customer/`)",
    "strategy": "strategy: what the firm shows, on which data (`configs/strategy/`)",
    "campaign": "campaign: when the firm reaches out (`configs/campaign/`)",
    "output": "output: what a run writes",
    "value": "value: what the customers a run leaves are worth (customer equity)",
    "experiment": "experiment: what an experiment file asks (`experiments/`)",
    "report": "report: how the workshop report shows the results (never changes them)",
}


def parameter_rows(schema: type = Config, prefix: str = "") -> list[dict[str, str]]:
    """One dict per leaf parameter: key, default, unit, allowed, consider, meaning, kind, source.

    A list or a dict of entries also gets a row of its own (``population.segments[]``,
    ``campaign.scheduled.NAME``), followed by the rows of an entry's parameters.
    """
    rows = []
    hints = typing.get_type_hints(schema)
    instance = schema()
    for f in dataclasses.fields(schema):
        key = f"{prefix}{f.name}"
        t = hints[f.name]
        if dataclasses.is_dataclass(t):
            sub = getattr(instance, f.name)
            for row in parameter_rows(type(sub), key + "."):
                # Nested defaults may differ from the nested class's own (e.g. fatigue costs).
                if "[]" not in row["key"] and ".NAME" not in row["key"]:
                    row["default"] = _show(_get(sub, row["key"][len(key) + 1 :]))
                rows.append(row)
            continue
        if typing.get_origin(t) in (list, list) and dataclasses.is_dataclass(typing.get_args(t)[0]):
            item = typing.get_args(t)[0]
            rows.append(
                {
                    "key": f"{key}[]",
                    "default": "see the option's YAML file",
                    "unit": "",
                    "allowed": "a list",
                    "consider": "",
                    "meaning": f"list of {item.__name__} entries",
                    "kind": "",
                    "source": "",
                }
            )
            rows.extend(parameter_rows(item, f"{key}[]."))
            continue
        if typing.get_origin(t) in (dict, dict) and dataclasses.is_dataclass(typing.get_args(t)[1]):
            item = typing.get_args(t)[1]
            rows.append(
                {
                    "key": f"{key}.NAME",
                    "default": "see the option's YAML file",
                    "unit": "",
                    "allowed": "named entries",
                    "consider": "",
                    "meaning": f"{f.metadata.get('doc', '')}: {item.__name__} entries by name",
                    "kind": source_kind(f.metadata.get("source", "")),
                    "source": f.metadata.get("source", ""),
                }
            )
            rows.extend(parameter_rows(item, f"{key}.NAME."))
            continue
        rng = range_of(f)
        meta = f.metadata
        allowed = rng.describe() if rng else ""
        if meta.get("unit") == "duration":
            allowed = DURATION_HELP
        elif f.name == "quiet_hours":
            allowed = QUIET_HELP
        rows.append(
            {
                "key": key,
                "default": _show(getattr(instance, f.name)),
                "unit": meta.get("unit", ""),
                "allowed": allowed,
                "consider": PRIORS[key].describe() if key in PRIORS else "",
                "meaning": meta.get("doc", ""),
                "kind": source_kind(meta.get("source", "")),
                "source": meta.get("source", ""),
            }
        )
    return rows


def _get(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _show(value) -> str:
    if value == MISSING:
        return "(required)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def render_markdown() -> str:
    """The whole reference as Markdown."""
    rows = parameter_rows()
    kinds = [r["kind"] for r in rows if not r["key"].endswith(("[]", ".NAME"))]  # parameters, not lists
    counts = ", ".join(f"{kinds.count(kind)} {kind}" for kind in KINDS)
    out = [
        "# Parameter reference",
        "",
        "Generated from `sim/config/schema.py` by `python -m sim.config.parameter_table`; do not edit by hand.",
        "Every key can be overridden on the command line (`prepersona customer.trust.gain=0.02`).",
        "A value outside *allowed* stops the run before it starts, with a one-line error.",
        "Defaults are the schema's; a shipped option file (e.g. `configs/catalog/retail.yaml`) may set",
        "other values, shown by `prepersona --cfg job`.",
        "",
        "The *kind* column says where a default comes from (filter on it, e.g. `grep '| assumption |'`):",
        "",
        "- **published**: a published figure, with its citation in *source*;",
        "- **calibrated**: set so that a stated outcome of a run lands on a stated published figure;",
        "- **assumption**: no published figure exists; *source* gives the reasoning;",
        "- **lever**: a decision the firm makes (strategy, campaign plan, assortment, its data), not a fact",
        "  about customers;",
        "- **setting**: a technical choice (seed, threads, names, sizes, output), not a fact of the model.",
        "",
        "The customer, population, catalog, firm and value groups hold the model's facts: each of their",
        "parameters is published, calibrated or an assumption, except names, sizes, the unit of fatigue,",
        "the firm's assortment and data, and how customer equity is computed (`sim/config/sources.py`",
        "lists them).",
        "*consider* is the range a user should consider for a parameter that is an assumption or",
        'calibrated, or whose published source gives a range; "(log)" marks a range to be read on a',
        "log scale.  These ranges are the priors that uncertainty analysis samples",
        "(`sim/config/priors.py`): each lies within *allowed* and contains the default.",
        "",
        f"{len(kinds)} parameters: {counts}; {len(PRIORS)} with a range to consider.",
        "",
    ]
    for section, title in _SECTIONS.items():
        in_section = [r for r in rows if (r["key"].split(".")[0] == section) or (section == "" and "." not in r["key"])]
        if not in_section:
            continue
        out += [
            f"## {title}",
            "",
            "| key | default | unit | allowed | consider | meaning | kind | source of default |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in in_section:
            out.append(
                f"| `{r['key']}` | {r['default']} | {r['unit']} | {r['allowed']} | {r['consider']} | {r['meaning']} "
                f"| {r['kind']} | {r['source']} |"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
