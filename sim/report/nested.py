"""Reading a run's config, a nested dict as parsed from ``.hydra/config.yaml``, by dotted key."""

from __future__ import annotations

__all__ = ["get_dotted"]


def get_dotted(d: dict, dotted: str):
    """The value at ``dotted`` (``"campaign.scheduled.newsletter.cadence"``) in the nested dict
    ``d``; None when a part of the path is missing or not a dict."""
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d
