"""The report's first section: the experiment's question, and a one-paragraph answer with numbers.

The answer names the setting that wins on the ranking metric (value, else margin), on revenue and
on trust at the end, each by its paired difference against the baseline with the 95% interval,
and says whether the seeds were enough: a difference is clear when its paired interval excludes
zero; otherwise it gives the seeds a follow-up sweep needs for 80% power
(:mod:`sim.report.planning`). Without a baseline it names the highest means, with their
intervals across seeds, and says that nothing is paired.

The paragraph is built as a list of :class:`Part` s (text, or a setting's name to be set in
bold), so the page template decides the markup.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sim.report.fmt import fmt_interval, fmt_lift, fmt_seeds_needed, fmt_value
from sim.report.planning import MAX_SEEDS, POWER
from sim.report.tables import KEY_METRICS, MONEY, SettingSummary, Summary

__all__ = ["Part", "Answer", "answer", "question_of", "TRUST"]

TRUST = "trust_mean_end"
"""The trust metric the answer names."""


@dataclass(frozen=True)
class Part:
    """A piece of the answer: plain text, or (``strong``) a setting's name."""

    text: str
    strong: bool = False


@dataclass(frozen=True)
class Answer:
    """The question (``asked``: from the experiment, or a stand-in) and its answer."""

    question: str
    asked: bool
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        """The answer as plain text."""
        return "".join(p.text for p in self.parts)


def question_of(summary: Summary) -> tuple[str, bool]:
    """``experiment.question`` of the runs and True; or a stand-in question and False."""
    found = sorted({str(q) for r in summary.sweep.runs if (q := (r.config.get("experiment") or {}).get("question"))})
    if found:
        return found[0], True
    return f"Which setting wins on {_name(summary.rank_metric)} against trust?", False


def answer(summary: Summary) -> Answer:
    """The question and the paragraph that answers it (see the module docstring)."""
    question, asked = question_of(summary)
    parts: list[Part] = []
    compared = [s for s in summary.settings if s.diff]
    if compared:
        _paired(summary, compared, parts)
    else:
        _unpaired(summary, parts)
    return Answer(question, asked, tuple(parts))


# ---------------------------------------------------------------------------------- with a baseline
def _paired(summary: Summary, compared: list[SettingSummary], parts: list[Part]) -> None:
    cur = summary.currency
    bases = sorted({s.baseline for s in compared})
    worlds = any(r.world is not None for r in summary.sweep.runs)
    same = "in the same plausible worlds on the same seeds" if worlds else "on the same seeds"
    if len(bases) == 1:
        parts += [Part("Against "), Part(bases[0], True), Part(f", the baseline, run by run {same}: ")]
    else:
        parts.append(Part(f"Each setting against {summary.baseline.name} at its other settings, run by run {same}: "))
    headlines: list[tuple[str, SettingSummary, str]] = []
    first = True
    for metric, verb in ((summary.rank_metric, "adds"), ("revenue", "earns"), (TRUST, "keeps")):
        if metric not in summary.metrics or (metric == "revenue" and summary.rank_metric == "revenue"):
            continue
        have = [s for s in compared if metric in s.diff and not math.isnan(s.diff[metric].mean)]
        if not have:
            continue
        best = max(have, key=lambda s: (s.diff[metric].mean, s.label))
        what = _name(metric)
        lead = "" if first else f"; on {what}, "
        if best.diff[metric].mean > 0:
            claim = f" {verb} the most {what}: " if first else f" {verb} the most: "
            parts += [Part(lead), Part(best.label, True), Part(claim)]
        elif all(s.diff[metric].mean == 0 and s.diff[metric].sd == 0 for s in have):
            same = f"every setting matches the baseline on {what}" if first else "every setting matches the baseline"
            parts.append(Part(lead + same + ": difference "))
        else:
            nobody = f"no setting beats the baseline on {what}" if first else "no setting beats the baseline"
            parts += [Part(lead + nobody + "; the closest is "), Part(best.label, True), Part(" at ")]
        parts.append(Part(_difference(best, metric, cur)))
        headlines.append((what, best, metric))
        first = False
    parts.append(Part(". "))
    sentence = _seeds_sentence(compared, headlines)
    if worlds:  # the replicates are (world, seed) pairs, and their spread includes the priors'
        sentence = re.sub(r"\b(\d+) seeds?\b", lambda m: f"{m.group(1)} world-and-seed pairs", sentence, count=1)
        sentence = sentence.replace("the seeds were", "they were")
    parts.append(Part(sentence))


def _difference(s: SettingSummary, metric: str, currency: str) -> str:
    """ "+12,345 EUR (+4.1%), 95% interval [+10,000 EUR to +14,690 EUR]"."""
    d = s.diff[metric]
    text = fmt_value(d.mean, metric, signed=True, currency=currency)
    if metric in MONEY and s.lift.get(metric) is not None and not math.isnan(s.lift[metric].mean):
        text += f" ({fmt_lift(s.lift[metric]).split(' ±')[0]})"
    if metric == TRUST:
        text += " mean trust at the end"
    if math.isnan(d.low):
        return text + f", no interval ({d.n} seed{'s' if d.n != 1 else ''})"
    return text + f", 95% interval {fmt_interval(d, metric, signed=True, currency=currency)}"


def _seeds_sentence(compared: list[SettingSummary], headlines: list[tuple[str, SettingSummary, str]]) -> str:
    """Whether the seeds were enough for the differences the answer names, and if not, how many would be."""
    seeds = sorted({d.n for s in compared for d in s.diff.values()})
    n = seeds[0] if seeds else 0
    ran = f"{n} seed{'s' if n != 1 else ''}" if len(seeds) <= 1 else f"{seeds[0]} to {seeds[-1]} seeds"
    if n < 2:
        return (
            f"With {ran} there is no interval, so the seeds were not enough to tell any difference from noise: "
            "run at least two (the planning table sizes the next sweep)."
        )
    clear = [what for what, s, m in headlines if s.diff[m].excludes_zero]
    none = [what for what, s, m in headlines if not s.diff[m].excludes_zero and math.isinf(s.needed.get(m, 0.0))]
    unclear = [(w, s, m) for w, s, m in headlines if not s.diff[m].excludes_zero and w not in none]
    if not unclear and not none:
        return f"With {ran} the seeds were enough: each difference named here has an interval that excludes zero."
    said = []
    if clear:
        said.append(f"the {_join(clear)} difference{'s are' if len(clear) > 1 else ' is'} clear")
    if unclear:
        plans = []
        for what, s, m in unclear:
            need = s.needed.get(m, math.nan)
            if need > MAX_SEEDS:
                plan = f"{fmt_seeds_needed(need)} seeds would be needed, so small is it next to its noise"
            elif math.isnan(need):
                plan = "there is no estimate of the seeds it needs"
            else:
                plan = f"about {fmt_seeds_needed(need)} seeds would show it with {100 * POWER:.0f}% power"
            plans.append(f"{what}: {plan}" if len(unclear) > 1 else plan)
        whats = _join([w for w, _, _ in unclear])
        said.append(
            f"the {whats} difference is not clear (its interval includes zero): {plans[0]}"
            if len(unclear) == 1
            else f"the {whats} differences are not clear (their intervals include zero); {'; '.join(plans)}"
        )
    if none:
        said.append(f"the runs gave no {_join(none, 'or')} difference at all")
    if clear:
        return f"With {ran}, {said[0]}, but {'; '.join(said[1:])}."
    return f"With {ran} the seeds were not enough: {'; '.join(said)}."


def _join(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


# ---------------------------------------------------------------------------------- without one
def _unpaired(summary: Summary, parts: list[Part]) -> None:
    cur = summary.currency
    reason = (
        f"no setting is the baseline “{summary.baseline.name}”"
        if summary.baseline.source == "default"
        else "no setting has a baseline to pair with"
    )
    parts.append(Part(f"There is no baseline ({reason}), so nothing is compared run by run. Highest means: "))
    first = True
    for metric in dict.fromkeys((summary.rank_metric, "revenue", TRUST)):
        if metric not in summary.metrics:
            continue
        have = [s for s in summary.settings if not math.isnan(s.mean[metric].mean)]
        if not have:
            continue
        best = max(have, key=lambda s: (s.mean[metric].mean, s.label))
        iv = best.mean[metric]
        interval = (
            f"95% interval {fmt_interval(iv, metric, currency=cur)}"
            if not math.isnan(iv.low)
            else f"no interval ({iv.n} seed{'s' if iv.n != 1 else ''})"
        )
        parts += [
            Part(("" if first else "; ") + f"{_name(metric)}, "),
            Part(best.label, True),
            Part(f" ({fmt_value(iv.mean, metric, currency=cur)}, {interval})"),
        ]
        first = False
    parts.append(
        Part(
            ". Name a baseline (prepersona-report --baseline, or experiment.baseline in the experiment file) "
            "to compare the settings seed by seed."
        )
    )


def _name(metric: str) -> str:
    return {TRUST: "trust"}.get(metric, KEY_METRICS.get(metric, metric))
