"""Where a default comes from: the five kinds of ``source=`` of a parameter.

Every parameter declared with :func:`sim.config.params.param` names the source of its
default, in one of five forms:

- **published**: a published figure with its citation, e.g. "email open rate 21-23%
  (Mailchimp benchmarks)" (any text that starts with none of the words below);
- **calibrated**: ``"calibrated: ..."``, set so that a stated outcome of a run lands on a
  stated published figure;
- **assumption**: ``"assumption: ..."``, no published figure exists; the reasoning in a few
  words.  Its range to consider is in :data:`sim.config.priors.PRIORS`;
- **lever**: ``"lever: ..."``, a decision the firm makes (strategy, campaign plan, assortment,
  the quality of its data), not a fact about customers;
- **setting**: ``"setting: ..."``, a technical choice (seed, threads, names, sizes, output),
  not a fact of the model.

*Model parameters*, the keys under :data:`MODEL_GROUPS`, are facts about customers, the
catalog, the firm's data and the value of a customer: their sources are published,
calibrated or assumption, except the keys of :data:`MODEL_LEVERS_AND_SETTINGS`.
"""

from __future__ import annotations

import re

__all__ = ["KINDS", "MODEL_GROUPS", "MODEL_LEVERS_AND_SETTINGS", "source_kind", "is_model_parameter"]

KINDS = ("published", "calibrated", "assumption", "lever", "setting")

MODEL_GROUPS = ("customer", "population", "catalog", "firm", "value")

# Keys of the model groups that are nonetheless levers or settings.
MODEL_LEVERS_AND_SETTINGS = frozenset(
    {
        # Names and sizes: what a run is called and how many customers and items it simulates.
        "population.name",
        "population.size",
        "population.segments[].name",
        "catalog.name",
        "catalog.items",
        "catalog.features",  # the size of the taste space
        "catalog.categories[].name",
        "catalog.categories[].item_names",  # readable names for the report's stories
        "customer.name",
        # What a calibration found: each fitted parameter's range consistent with the firm's figures.
        *(f"{section}.fitted[].{k}" for section in ("population", "customer") for k in ("key", "low", "high", "scale")),
        # The unit in which fatigue is counted: one email adds 1.
        "customer.fatigue.cost.email",
        # What the firm sells and at what price: its assortment, a decision.
        "catalog.categories[].kind",
        "catalog.categories[].sensitivity",
        "catalog.categories[].share",
        "catalog.categories[].price_median",
        "catalog.categories[].price_sigma",
        "catalog.categories[].margin_rate",
        # The firm's data assets: what it buys and how well it infers.
        "firm.inference_accuracy",
        "firm.offsite_coverage",
        "firm.offsite_accuracy",
        "firm.editorial_picks",
        # How customer equity is computed: horizon, sample and reference plan of the tail.
        "value.tail_days",
        "value.sample_share",
        "value.sample_min",
        "value.tail_strategy",
        "value.tail_email_cadence",
    }
)

_TAGGED = re.compile(r"(calibrated|assumption|lever|setting)\b")


def source_kind(source: str) -> str:
    """The kind of a ``source=`` text: one of :data:`KINDS`, or "" when it is empty.

    >>> source_kind("calibrated: 0.25% unsubscribes per send (Mailchimp)")
    'calibrated'
    >>> source_kind("Tucker 2014: about twice the clicks")
    'published'
    """
    if not source.strip():
        return ""
    tagged = _TAGGED.match(source)
    return tagged.group(1) if tagged else "published"


def is_model_parameter(key: str) -> bool:
    """Whether a dotted key (``population.segments[].trust_mean``) is a model parameter."""
    return key.split(".", 1)[0] in MODEL_GROUPS
