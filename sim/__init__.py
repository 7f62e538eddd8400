"""prepersona: try personalization strategies on a synthetic population before launch.

The public API (imported lazily, so ``import sim`` is cheap and has no side effects):

* :func:`compose_config` — a validated config from override strings, as on the command line;
* :class:`Scenario` — everything built from one config; ``Scenario(cfg).run()`` returns a
  :class:`RunResult` (metrics, daily series, segments, journeys);
* :class:`Behavior`, :func:`check_behavior` — adding a customer behavior.

The reference workload that the benchmarks time is not part of the package: it lives in
``benchmarks/refv1/`` of a source checkout.
"""

from __future__ import annotations

import importlib

__all__ = ["compose_config", "Scenario", "RunResult", "Behavior", "check_behavior", "__version__"]

__version__ = "0.1.0"

_WHERE = {
    "compose_config": "sim.config.preflight",
    "Scenario": "sim.scenario",
    "RunResult": "sim.scenario",
    "Behavior": "sim.behavior",
    "check_behavior": "sim.testing",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
