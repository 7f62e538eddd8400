"""What a search sweep leaves in its directory, and the summary it prints at the end.

* ``trials.csv`` and ``trials.parquet``: one row per trial: its number and state, the searched
  values, the mean of every objective and constrained metric over the seeds, whether it is
  feasible and on the Pareto front, its seeds and run directories;
* ``pareto.csv``: the feasible trials no other feasible trial beats on every objective;
* ``best.json``: the best feasible trial for each objective;
* ``importance.csv``: how much of each objective's variation each lever explains
  (:func:`optuna.importance.get_param_importances` with PED-ANOVA: deterministic, and it
  needs no machine-learning library);
* ``strategies/strategy/<name>.yaml``: the settings of each trial of the front as a strategy
  file, run by name with ``prepersona hydra.searchpath=[file://<sweep dir>/strategies]
  strategy=<name>``;
* ``search.txt``: the summary printed at the end;
* ``search.json``: the search's settings and the strategy files' names, for the report.

Everything is computed from the study and the runs' files, so the same study gives the same
files.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import yaml

__all__ = ["trial_table", "pareto_numbers", "write_search_results", "STRATEGY_DIR"]

STRATEGY_DIR = "strategies"


def trial_table(study, search):
    """The trials as a DataFrame (see the module note)."""
    import pandas as pd

    from sim.sweep.search_space import override_line

    settings = search.settings
    front = set(pareto_numbers(study, settings))
    rows = []
    for t in study.get_trials(deepcopy=False):
        means = t.user_attrs.get("means", {})
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        for key, dim in search.dims.items():
            value = t.params.get(key)
            row[key] = None if value is None else override_line(dim, value).split("=", 1)[1]
        for metric in search.metrics_used():
            row[metric] = means.get(metric, math.nan)
        row["feasible"] = _feasible(t)
        row["pareto"] = t.number in front
        row["seeds"] = " ".join(str(s) for s in t.user_attrs.get("seeds", settings.seeds))
        row["dirs"] = " ".join(t.user_attrs.get("dirs", []))
        rows.append(row)
    return pd.DataFrame(rows)


def _feasible(trial) -> bool:
    return trial.state.name == "COMPLETE" and all(v <= 0 for v in trial.user_attrs.get("constraints", []))


def pareto_numbers(study, settings) -> list[int]:
    """The numbers of the feasible complete trials that no other feasible one dominates."""
    trials = [t for t in study.get_trials(deepcopy=False) if _feasible(t)]
    signs = [1.0 if d == "maximize" else -1.0 for d in settings.directions]

    def score(t):
        return [s * v for s, v in zip(signs, t.values)]

    front = []
    for t in trials:
        a = score(t)
        dominated = any(
            all(x >= y for x, y in zip(score(u), a)) and any(x > y for x, y in zip(score(u), a))
            for u in trials
            if u is not t
        )
        if not dominated:
            front.append(t.number)
    return sorted(front)


def _best(study, settings) -> dict[str, int]:
    """The best feasible trial's number for each objective (ties: the earliest trial)."""
    trials = [t for t in study.get_trials(deepcopy=False) if _feasible(t)]
    best = {}
    for i, (metric, direction) in enumerate(settings.objectives.items()):
        if trials:
            pick = max if direction == "maximize" else min
            best[metric] = pick(
                trials, key=lambda t: (t.values[i], -t.number) if pick is max else (t.values[i], t.number)
            ).number
    return best


def _importance(study, settings) -> list[dict]:
    """Each lever's share of each objective's variation (empty when too few trials vary)."""
    import optuna

    rows = []
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(complete) < 2:
        return rows
    for i, metric in enumerate(settings.objectives):
        # PED-ANOVA explains what makes the target low (and warns so): a maximized objective is negated.
        sign = -1.0 if settings.directions[i] == "maximize" else 1.0
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                shares = optuna.importance.get_param_importances(
                    study,
                    evaluator=optuna.importance.PedAnovaImportanceEvaluator(),
                    target=lambda t, i=i, sign=sign: sign * t.values[i],
                )
        except (RuntimeError, ValueError, ZeroDivisionError):  # too few trials, or no lever varies
            continue
        rows += [{"objective": metric, "lever": k, "importance": float(v)} for k, v in shares.items()]
    return rows


def _strategy_files(search, table, sweep_dir: Path) -> dict[str, str]:
    """Write the front's settings as strategy files; returns their names by trial number."""
    roots = {"strategy", "campaign"} | {k.split(".")[0] for k in search.dims}
    out_dir = sweep_dir / STRATEGY_DIR / "strategy"
    names: dict[str, str] = {}
    for _, row in table[table["pareto"]].iterrows():
        first = row["dirs"].split()[0] if row["dirs"] else None
        cfg_file = sweep_dir / str(first) / ".hydra" / "config.yaml" if first else None
        if cfg_file is None or not cfg_file.is_file():
            continue
        config = yaml.safe_load(cfg_file.read_text(encoding="utf-8"))
        name = f"{config['strategy']['name']}_trial{int(row['trial'])}"
        node = {k: config[k] for k in sorted(roots) if k in config and k not in ("seed", "hydra")}
        # The strategy keeps its name: its random stream is named after it, so a run of this
        # file with a trial's seed gives that trial's run to the bit.
        searched = ", ".join(f"{k}={row[k]}" for k in search.dims)
        text = (
            "# @package _global_\n"
            f"# Trial {int(row['trial'])} of the search in {sweep_dir}: {searched}\n"
            f"# Its strategy and campaign plan in full (a campaign=... on the command line is replaced by this plan);\n"
            f"# the strategy keeps its name {config['strategy']['name']}, so seed {search.settings.seeds[0]} "
            f"reproduces run {first} of the search.\n" + yaml.safe_dump(node, sort_keys=False)
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / f"{name}.yaml").write_text(text, encoding="utf-8")
        names[str(int(row["trial"]))] = name
    return names


def _short(text: Any) -> str:
    """A searched value for the summary: a long float to 4 significant digits (the files keep it whole)."""
    try:
        x = float(text)
    except (TypeError, ValueError):
        return str(text)
    return f"{x:.4g}" if "." in str(text) else str(text)


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "nan"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def write_search_results(study, search) -> str:
    """Write the result files of a finished search into its sweep directory; returns the summary."""
    sweep_dir = search.sweep_dir
    settings = search.settings
    table = trial_table(study, search)
    table.to_csv(sweep_dir / "trials.csv", index=False)
    table.to_parquet(sweep_dir / "trials.parquet", index=False)
    front = table[table["pareto"]]
    front.to_csv(sweep_dir / "pareto.csv", index=False)
    best = _best(study, settings)
    by_number = {int(r["trial"]): r for _, r in table.iterrows()}

    def levers(n: int) -> str:
        return " ".join(f"{k}={_short(by_number[n][k])}" for k in search.dims)

    (sweep_dir / "best.json").write_text(
        json.dumps(
            {
                m: {"trial": n, "levers": {k: by_number[n][k] for k in search.dims}, "value": by_number[n][m]}
                for m, n in best.items()
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    importance = _importance(study, settings)
    import pandas as pd

    pd.DataFrame(importance, columns=["objective", "lever", "importance"]).to_csv(
        sweep_dir / "importance.csv", index=False
    )
    names = _strategy_files(search, table, sweep_dir)
    # What the report's section on the search reads back (sim.report.search).
    info = {
        "objectives": settings.objectives,
        "constraints": [str(c) for c in settings.constraints],
        "seeds": list(settings.seeds),
        "n_trials": settings.n_trials,
        "sampler": settings.sampler_name,
        "levers": list(search.dims),
        "strategies": names,
    }
    (sweep_dir / "search.json").write_text(json.dumps(info, indent=2), encoding="utf-8")

    states = table["state"].value_counts().to_dict()
    done = sum(n for s, n in states.items() if s in ("COMPLETE", "FAIL", "PRUNED"))
    goals = ", ".join(f"{m} ({d[:3]})" for m, d in settings.objectives.items())
    lines = [
        f"search: {done} of {settings.n_trials} trials finished ({states.get('COMPLETE', 0)} complete, "
        f"{states.get('FAIL', 0)} failed) in {sweep_dir}; sampler {settings.sampler_name}, "
        f"seeds {' '.join(map(str, settings.seeds))}, objectives {goals}"
        + (f", constraints {'; '.join(map(str, settings.constraints))}" if settings.constraints else "")
    ]
    lines.append(f"search: Pareto front ({len(front)} feasible trials no other beats on every objective):")
    for _, r in front.iterrows():
        outcome = "  ".join(f"{m} {_fmt(r[m])}" for m in settings.objectives)
        lines.append(f"  trial {int(r['trial'])}: {outcome} | {levers(int(r['trial']))}")
    for m, n in best.items():
        lines.append(f"search: best {m}: trial {n}, {_fmt(by_number[n][m])} | {levers(n)}")
    for m in settings.objectives:
        shares = [f"{r['lever']} {r['importance']:.2f}" for r in importance if r["objective"] == m]
        if shares:
            lines.append(f"search: importance for {m}: {', '.join(shares)}")
    names = list(names.values())
    if names:
        lines.append(
            f"search: the front as strategies: prepersona hydra.searchpath=[file://{sweep_dir / STRATEGY_DIR}] "
            f"strategy={names[0]} (also {', '.join(names[1:])})"
            if len(names) > 1
            else f"search: the front as a strategy: prepersona hydra.searchpath=[file://{sweep_dir / STRATEGY_DIR}] "
            f"strategy={names[0]}"
        )
    lines.append("search: trials.csv, trials.parquet, pareto.csv, best.json, importance.csv in the sweep directory")
    text = "\n".join(lines)
    (sweep_dir / "search.txt").write_text(text + "\n", encoding="utf-8")
    return text
