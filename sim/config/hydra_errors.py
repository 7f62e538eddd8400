"""Hydra's and OmegaConf's errors, said in one line that names the key, the value and what is
allowed.

Hydra reports a bad config in several lines, often naming a schema class instead of a key, and
sometimes with advice that does not apply (such as "append with +").  :func:`one_line`
recognises the errors a user can cause and rewrites each in the project's form; anything it
does not recognise is condensed to one line as it is.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any

from sim.config.schema import Config
from sim.config.schema_paths import dataclass_of, list_item_dataclass, schema_fields


def unreadable(parser, lines: list[str]) -> str | None:
    """The refusal of the first line the override grammar cannot read, or None."""
    for line in lines:
        try:
            parser.parse_overrides([line])
        except Exception:
            key = line.split("=", 1)[0] if "=" in line else "KEY"
            return (
                f"{line} is not allowed: not an override the command line can read (key=value); a value with "
                f"spaces, '=', brackets or other symbols goes in quotes: {key}='...'"
            )
    return None


_NOISE = re.compile(r"^\s*(full_key|object_type|reference_type|Set the environment variable).*$")


def one_line(exc: BaseException, overrides: list[str]) -> str:
    """A Hydra or OmegaConf error message, condensed to one line."""
    msgs = []
    e: BaseException | None = exc
    while e is not None:
        text = str(e).strip()
        if text and text not in msgs:
            msgs.append(text)
        e = e.__cause__
    lines = []
    for text in msgs:
        for line in text.splitlines():
            line = line.strip()
            if line and not _NOISE.match(line) and line not in lines:
                lines.append(line)
    msg = re.sub(r"\s+", " ", " ".join(lines))
    msg = msg.split(" Config search path:")[0]
    duplicate = re.search(r'found duplicate key (.+?) in "([^"]+)", line (\d+)', msg)
    if duplicate:  # YAML keeps the last of two equal keys; OmegaConf refuses the file
        key, source, line = duplicate.groups()
        return f"{source}, line {line}: {key} is not allowed a second time in the same mapping; give each key once"
    missing = re.search(r"Could not find '([\w/]+)/([^']+)'(?: Available options in '[^']+': (.*))?", msg)
    if missing:
        group, option, options = missing.groups()
        allowed = ", ".join((options or "").split()) or "none"
        return f"{group}={option} is not allowed: no such option; available options: {allowed}"
    unknown = re.search(r"Could not override '([^']+)'\. .* Key '([^']+)' is not in struct", msg)
    if unknown:
        key, name = unknown.groups()
        value = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == key), "")
        parent = key.rsplit(".", 1)[0]
        return f"{key}={value} is not allowed: {name!r} is not a key of {parent}"
    ambiguous = re.search(r"Ambiguous value for argument '([^']+)'", msg)
    if ambiguous:  # a sweep of values in a single run
        line = ambiguous.group(1)
        return (
            f"{line} is not allowed in a single run: a sweep over these values needs -m (prepersona -m {line}); "
            "a list is written [a,b], a text with commas in quotes"
        )
    needs_sweep = re.search(r"Sweep parameters '([^']+)' requires --multirun", msg)
    if needs_sweep:
        line = needs_sweep.group(1)
        key, value = line.split("=", 1)
        if key.startswith("hydra.sweeper.params."):  # a dimension written as a Hydra setting
            dimension = key.removeprefix("hydra.sweeper.params.")
            return (
                f"{line} is not allowed: a sweep's dimension goes on the command line as {dimension}={value} "
                "(with -m, or in an experiment that sweeps), or into an experiment's hydra.sweeper.params"
            )
        return f"{line} is not allowed in a single run: a sweep needs -m (prepersona -m {line})"
    full = re.search(r"full_key: (\S+)", " ".join(msgs))  # a line the noise filter drops
    bad_value = re.search(r"In '([^']+)': ValidationError raised while composing config: (Value '([^']*)' .*)", msg)
    if bad_value and full:  # a config file sets a value of the wrong type
        source, reason, value = bad_value.groups()
        return f"{source}.yaml: {full.group(1)}={value!r} is not allowed: {reason}"
    no_default = re.search(r"In '([^']+)': Could not load '([\w/]+)/([^']+)'", msg)
    if no_default:  # a defaults list names an option that does not exist
        source, group, option = no_default.groups()
        listed = options_of(group, search_path_dirs(overrides))
        return f"{source}.yaml: defaults entry {group}/{option} is not allowed: no such option{listed}"
    in_file = re.search(
        r"In '([^']+)': ConfigKeyError raised while composing config: Key '([^']+)' not in '(\w+)'", msg
    )
    if in_file:  # a config file sets a key its schema does not have
        source, name, cls = in_file.groups()
        full_key = full.group(1) if full else name
        parent = full_key.rsplit(".", 1)[0] if "." in full_key else ""
        return f"{source}.yaml: {full_key} is not allowed: {_unknown_inner_key(parent, name, cls)}"
    inside = re.search(r"Could not override '([^']+)'\. .*? Key '([^']+)' not in '(\w+)'", msg)
    if inside:  # a key inside a list or dict value; Hydra's advice (append with +) would not help
        key, name, cls = inside.groups()
        value = next((o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].lstrip("+") == key), "")
        return f"{key}={value} is not allowed: {_unknown_inner_key(key, name, cls)}"
    shape = re.search(r"Error merging override (\S+?)=(.*?) Cannot merge (?:DictConfig|ListConfig) with", msg)
    if shape:  # a list where a mapping belongs, or the other way round (Hydra's wording is the same)
        key, value = shape.groups()
        if value.lstrip().startswith("["):
            return f"{key}={value} is not allowed: a mapping {{key: value, ...}}, not a list"
        return f"{key}={value} is not allowed: a list [a, b, ...], not a mapping"
    for ov in overrides:  # the override as written: its value may hold spaces
        marker = f"Error merging override {ov} "
        if marker in msg and "=" in ov:
            key, value = ov.split("=", 1)
            reason = msg.split(marker, 1)[1]
            if re.search(r"Invalid type assigned: dict is not a subclass of \w+", reason):
                reason = (
                    "a new named entry cannot be added from the command line; add it in a config file "
                    "(e.g. a campaign plan in configs/campaign/) and override its keys here"
                )
            return f"{key.lstrip('+')}={value} is not allowed: {reason}"
    merging = re.search(r"Error merging override (\S+?)=(\S*) (.*)", msg)
    if merging:
        key, value, reason = merging.groups()
        return f"{key}={value} is not allowed: {reason}"
    return msg


def options_of(group: str, extra_dirs: list[Path] | None = ()) -> str:
    """``"; available options: a, b"`` for a config group: the package's and those of
    ``extra_dirs`` (the ``file://`` directories of a search path); ``""`` where Hydra is not set
    up, or where ``extra_dirs`` is None (a search path whose options cannot be listed), since a
    list that leaves options out would mislead."""
    if extra_dirs is None:
        return ""
    try:
        options = group_options(group, extra_dirs)
    except Exception:  # no Hydra context here: the message goes without the list
        return ""
    return f"; available options: {', '.join(options)}" if options else ""


def group_options(group: str, extra_dirs: list[Path] = ()) -> list[str]:
    """The options of a config group, sorted: the package's (Hydra must be initialized) and the
    ``*.yaml`` files of ``group/`` in each of ``extra_dirs`` (a search path's directories)."""
    from hydra.core.global_hydra import GlobalHydra

    options = set(GlobalHydra.instance().config_loader().get_group_options(group))
    for directory in extra_dirs:
        options.update(p.stem for p in (directory / group).glob("*.yaml"))
    return sorted(options)


def search_path_dirs(overrides: list[str]) -> list[Path] | None:
    """The directories of the ``file://`` entries of ``hydra.searchpath`` on the command line
    (``[]`` without one); None when an entry is not a directory on disk (``pkg://...``) or the
    line cannot be read."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.safety.imports import search_path_dir

    dirs: list[Path] = []
    for line in overrides:
        if not line.lstrip("+").startswith("hydra.searchpath="):
            continue
        try:
            entries = OverridesParser.create().parse_overrides([line])[0].value()
        except Exception:
            return None
        for entry in entries if isinstance(entries, list) else [entries]:
            directory = search_path_dir(str(entry))
            if directory is None:
                return None
            dirs.append(directory)
    return dirs


@functools.cache
def _schema_homes(dc: type) -> tuple[str, ...]:
    """Where the schema holds dataclass ``dc``: ``"campaign.limits.email"``, ``"an entry of
    uncertainty.priors"`` (a list of them), every place it occurs."""
    homes: list[str] = []

    def walk(node: type, path: str) -> None:
        for name in schema_fields(node):
            here = f"{path}.{name}" if path else name
            item, child = list_item_dataclass(node, name), dataclass_of(node, name)
            if item is dc:
                homes.append(f"an entry of {here}")
            if child is dc:
                homes.append(here)
            for sub in (item, child):
                if sub is not None and sub is not node:
                    walk(sub, here)

    walk(Config, "")
    return tuple(homes)


def _unknown_inner_key(key: str, name: str, cls: str) -> str:
    """Why ``name`` inside the value or at the path ``key`` is refused, where Hydra names the
    schema class ``cls`` it is not a field of: where that is, in the config's terms (the path
    when its schema is that class, an entry of it when it is a list of them), and its fields."""
    from sim.config import schema
    from sim.sweep import search_config

    dc = getattr(schema, cls, None) or getattr(search_config, cls, None)
    if not (isinstance(dc, type) and dataclasses.is_dataclass(dc)):
        return f"{name!r} is not a key of {cls}"
    if dc is search_config.SearchSweeperConf:  # a setting of the search sweeper
        return f"{name!r} is not a key of hydra.sweeper; allowed keys: {', '.join(schema_fields(dc))}"
    node: Any = Config
    parts = key.split(".") if key else []
    for part in parts[:-1]:
        node = dataclass_of(node, part) if node is not None and not part.isdigit() else node
    last = parts[-1] if parts else ""
    if not parts:
        homes = _schema_homes(dc)
        where = "the top level" if dc is Config else (homes[0] if len(homes) == 1 else cls)
    elif node is not None and list_item_dataclass(node, last) is dc:
        where = f"an entry of {key}"
    elif node is not None and dataclass_of(node, last) is dc:
        where = key
    else:
        where = f"{cls} (inside {key})"
    return f"{name!r} is not a key of {where}; allowed keys: {', '.join(schema_fields(dc))}"
