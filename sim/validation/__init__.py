"""The validation suite: published stylized facts about personalization, email, push, ads,
privacy and trust, each checked against runs of the model.

``make validate`` / ``prepersona-validate`` / ``python -m sim.validation`` run it and print the
table; the modules, each with one job:

* :mod:`sim.validation.spec`: what a fact is (settings, figure, threshold);
* :mod:`sim.validation.settings`: every configuration the suite runs;
* :mod:`sim.validation.measures`: the numbers read off a run's ``metrics.json``;
* :mod:`sim.validation.facts`: the facts, their citations and thresholds;
* :mod:`sim.validation.runner`: runs the settings on paired seeds;
* :mod:`sim.validation.evaluate`: the figure per seed, its interval, passed or missed;
* :mod:`sim.validation.table`: the terminal table and ``docs/validation.md``;
* :mod:`sim.validation.cli`: the command.
"""

from sim.validation.facts import FACTS

__all__ = ["FACTS"]
