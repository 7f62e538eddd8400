"""What a calibration writes: the config options, and the fit report.

Into ``DIR``: ``population/NAME.yaml`` and ``customer/NAME.yaml`` (config group options, used
with ``hydra.searchpath=[file://DIR] population=NAME customer=NAME``; each carries the ranges of
its fitted parameters consistent with the targets, ``fitted:``, which plausible worlds draw them
from), ``NAME-fit.json`` and ``NAME-fit.html``.  The files are written only when none of them
exists, or when they are the files of an earlier calibration (its ``NAME-fit.json`` says so):
a calibration never overwrites a file it did not write.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import re
from html import escape
from pathlib import Path

import yaml

from sim.calibration.fit import NEAR_BEST, UNREACHED_Z, Fit
from sim.calibration.spec import CalibrationError, CalibrationSpec
from sim.errors import ConfigError
from sim.safety.outputs import check_writable_dir, write_text_atomic
from sim.words import counted

__all__ = ["output_paths", "check_outputs", "write_outputs", "fitted_entries", "WRITER"]

WRITER = "prepersona-calibrate"
"""The mark in ``NAME-fit.json`` that says the files were written by a calibration."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def output_paths(out: Path, name: str) -> dict[str, Path]:
    return {
        "population": out / "population" / f"{name}.yaml",
        "customer": out / "customer" / f"{name}.yaml",
        "json": out / f"{name}-fit.json",
        "html": out / f"{name}-fit.html",
    }


def check_outputs(out: Path, name: str) -> None:
    """Refuse, before anything runs, a name that is not a plain option name or files a
    calibration would overwrite without having written them."""
    if not _NAME.fullmatch(name):
        raise CalibrationError(
            f"--name={name!r} is not allowed: a letter, then letters, digits, _ or - (at most 64), "
            "as a config option's name"
        )
    for group in ("population", "customer"):
        if (out / group).is_file():
            raise CalibrationError(
                f"--out={str(out)!r} is not allowed: {out / group} is a file, where the calibration writes its "
                f"{group} option ({group}/{name}.yaml); give another directory"
            )
    try:  # the directory can be written (or created), and so can the two it holds
        for directory in (out, out / "population", out / "customer"):
            check_writable_dir("--out", str(directory))
    except ConfigError as exc:
        raise CalibrationError(str(exc)) from None
    paths = output_paths(out, name)
    existing = [p for p in paths.values() if p.exists()]
    if not existing:
        return
    try:
        ours = json.loads(paths["json"].read_text()).get("written_by") == WRITER
    except (OSError, ValueError, AttributeError):
        ours = False
    if not ours:
        raise CalibrationError(
            f"--out={out}: {existing[0]} exists and was not written by a calibration; "
            "choose another --name or --out (nothing was changed)"
        )


def write_outputs(out: Path, name: str, spec: CalibrationSpec, result: Fit, config, settings: dict) -> dict[str, Path]:
    """Write the four files (see the module docstring); ``config`` is the composed config of
    the fitted parameters (its population and customer sections are written out whole)."""
    paths = output_paths(out, name)
    fitted = fitted_entries(spec, result)
    population = {**dataclasses.asdict(config.population), "name": name, "fitted": _of(fitted, "population")}
    customer = {**dataclasses.asdict(config.customer), "name": name, "fitted": _of(fitted, "customer")}
    header = f"# Calibrated by {WRITER} ({name}-fit.html): {', '.join(spec.targets)}.\n"
    write_text_atomic(paths["population"], header + yaml.safe_dump(_plain(population), sort_keys=False))
    write_text_atomic(paths["customer"], header + yaml.safe_dump(_plain(customer), sort_keys=False))
    report = _report_dict(name, spec, result, settings)
    write_text_atomic(paths["json"], json.dumps(report, indent=2, allow_nan=False) + "\n")
    write_text_atomic(paths["html"], _html(report))
    return paths


def _of(entries: list[dict], section: str) -> list[dict]:
    """The entries whose key lies in ``section`` (each option carries its own parameters)."""
    return [e for e in entries if e["key"].startswith(section + ".")]


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _finite(x: float) -> float | None:
    return x if x == x and abs(x) != float("inf") else None


def _report_dict(name: str, spec: CalibrationSpec, result: Fit, settings: dict) -> dict:
    return {
        "written_by": WRITER,
        "name": name,
        "written": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "plan": spec.plan,
        "settings": settings,
        "fit_loss": _finite(result.loss),
        "default_loss": _finite(result.default_loss),
        "trials": result.trials,
        "parameters": {
            k: {
                "value": v,
                "default": result.defaults.get(k),
                "low": spec.free[k].low,
                "high": spec.free[k].high,
                "scale": spec.free[k].scale,
                "consistent_low": result.ranges[k][0] if k in result.ranges else None,
                "consistent_high": result.ranges[k][1] if k in result.ranges else None,
            }
            for k, v in result.params.items()
        },
        "fitted": fitted_entries(spec, result),
        "targets": {
            c.key: {
                "observed": c.target.value,
                "sd": c.target.sd,
                "simulated": _finite(c.mean),
                "low": _finite(c.low),
                "high": _finite(c.high),
                "z": _finite(c.z),
                "reached": abs(c.z) <= UNREACHED_Z,
            }
            for c in result.checked
        },
        "warnings": result.warnings,
        "use": f"hydra.searchpath=[file://{settings['out']}] population={name} customer={name}",
    }


def fitted_entries(spec: CalibrationSpec, result: Fit) -> list[dict]:
    """The ``fitted`` entries the written options carry (:class:`sim.config.schema.FittedRange`):
    each fitted parameter with its range consistent with the targets, on the scale its bounds
    were searched on.  A sweep over plausible worlds draws the parameter from that range
    instead of the model's generic prior.  A parameter whose range is a single value is left
    out: no other trial came that close to the best, which says nothing of how far its value
    could move (more trials would)."""
    out = []
    for key, (lo, hi) in result.ranges.items():
        low, high = _outward(lo, hi)
        # Rounded outward, but never past the bounds searched (inside the parameter's range).
        low, high = max(low, spec.free[key].low), min(high, spec.free[key].high)
        if low < high:
            out.append({"key": key, "low": low, "high": high, "scale": spec.free[key].scale})
    return out


def _outward(lo: float, hi: float, digits: int = 4) -> tuple[float, float]:
    """``lo`` and ``hi`` to ``digits`` significant digits of the larger, rounded outward (a
    prior that holds the whole range); a single value (``lo == hi``) is returned as it is."""
    if lo == hi:
        return lo, hi
    scale = 10 ** (math.floor(math.log10(max(abs(lo), abs(hi)))) - digits + 1)
    # round(., 6) first: 0.0289 / 1e-5 is 2889.9999999999995 in floating point, not 2890.
    low, high = math.floor(round(lo / scale, 6)) * scale, math.ceil(round(hi / scale, 6)) * scale
    return float(f"{low:.{digits + 2}g}"), float(f"{high:.{digits + 2}g}")


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.4g}"


def _target_row(key: str, t: dict) -> str:
    z = "—" if t["z"] is None else f"{t['z']:+.2f}"
    reached = "yes" if t["reached"] else "<b>no</b>"
    return (
        f"<tr><td><code>{escape(key)}</code></td><td>{_fmt(t['observed'])} ± {_fmt(t['sd'])}</td>"
        f"<td>{_fmt(t['simulated'])}</td><td>[{_fmt(t['low'])}, {_fmt(t['high'])}]</td>"
        f"<td>{z}</td><td>{reached}</td></tr>"
    )


def _change(value: float, default: float | None) -> str:
    """The fitted value against the default: ``×1.8``, ``×0.45``, or ``+1.2`` where either is not
    positive (a bias on a logit scale)."""
    if default is None:
        return "—"
    if value > 0 and default > 0:
        return f"×{value / default:.2g}"
    return f"{value - default:+.3g}"


def _span(p: dict, low: str, high: str) -> str:
    """``0.0123 to 0.0161``, one value when both ends are equal, — when unknown."""
    if p.get(low) is None:
        return "—"
    return f"{p[low]:.4g}" if p[low] == p[high] else f"{p[low]:.4g} to {p[high]:.4g}"


def _html(r: dict) -> str:
    rows = "".join(_target_row(k, t) for k, t in r["targets"].items())
    params = "".join(
        f"<tr><td><code>{escape(k)}</code></td><td>{p['value']:.4g}</td><td>{_fmt(p['default'])}</td>"
        f"<td>{_change(p['value'], p['default'])}</td><td>{_span(p, 'consistent_low', 'consistent_high')}</td>"
        f"<td>{p['low']:g} to {p['high']:g}{' (log)' if p['scale'] == 'log' else ''}</td></tr>"
        for k, p in r["parameters"].items()
    )
    fitted = {e["key"] for e in r.get("fitted") or []}
    worlds = (
        "<p>The options carry the ranges consistent with your figures (<code>fitted:</code>). In a sweep over "
        "plausible worlds with them, these parameters are drawn from those ranges, not from the model's generic "
        "priors: by the default priors, and by a prior on one of them that gives no bounds of its own "
        "(as <code>experiment=robust_frontier</code> declares them).</p>"
        if fitted
        else ""
    )
    unknown = [k for k in r["parameters"] if k not in fitted]
    if unknown:
        worlds += (
            f"<p>No range for {', '.join(f'<code>{escape(k)}</code>' for k in unknown)}: no other trial came within "
            f"{NEAR_BEST:g} of the best loss (more trials give {'its' if len(unknown) == 1 else 'their'} range), so "
            f"plausible worlds draw {'it' if len(unknown) == 1 else 'them'} from the model's generic "
            f"{'prior' if len(unknown) == 1 else 'priors'} when asked to.</p>"
        )
    at_defaults = (
        f", against {_fmt(r['default_loss'])} at the model's defaults" if r.get("default_loss") is not None else ""
    )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in r["warnings"]) or "<li>none</li>"
    s = r["settings"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Calibration {escape(r["name"])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}}
th{{background:#f3f6f9}}.warn li{{color:#8a4b00}}</style></head><body>
<h1>Calibration “{escape(r["name"])}”</h1>
<p>Plan: <code>{escape(" ".join(r["plan"]) or "(defaults)")}</code>. Fitted on {counted(s["fit_seeds"], "seed")} of
{s["size"]:,} customers over {counted(r["trials"], "trial")} (loss {_fmt(r["fit_loss"])}{at_defaults}: the sum of
squared z-scores); checked on {counted(s["check_seeds"], "fresh seed")} of {s["check_size"]:,} customers.
Written {escape(r["written"])}.</p>
<h2>Targets, checked on fresh seeds</h2>
<table><tr><th>figure</th><th>observed ± sd</th><th>simulated</th><th>95% interval</th><th>z</th><th>reached
(|z| ≤ {UNREACHED_Z:g})</th></tr>{rows}</table>
<h2>Fitted parameters</h2>
<p>Where your customers differ from the model as shipped: each parameter's fitted value against its
default (where the search started, within the bounds searched). Consistent with the targets: the values
of the trials whose loss came within {NEAR_BEST:g} of the best, which the targets cannot tell apart.</p>
<table><tr><th>parameter</th><th>fitted</th><th>default</th><th>change</th><th>consistent with the targets</th>
<th>searched</th></tr>{params}</table>
<h2>Warnings</h2><ul class="warn">{warnings}</ul>
<h2>Use it</h2><pre>prepersona {escape(r["use"])}</pre>
{worlds}
</body></html>
"""
