"""Decisions under uncertainty: plausible worlds and the robust ranking of settings across them.

- :mod:`~sim.uncertainty.priors`: an experiment's ``uncertainty.priors`` (or the default priors
  of every assumption) as checked distributions over the parameters' allowed ranges;
- :mod:`~sim.uncertainty.design`: the worlds, a scrambled Sobol or Latin hypercube design
  mapped through the priors, reproducible from ``uncertainty.seed``;
- :mod:`~sim.uncertainty.worlds`: one world's values applied to a run's config, and the sweep
  dimension ``uncertainty.world=range(K)`` that runs every setting in every world;
- :mod:`~sim.uncertainty.robust`: per setting, how often it is best, its expected regret, its
  worst case and 10th percentile across worlds;
- :mod:`~sim.uncertainty.drivers`: which uncertain parameters decide between the leading
  settings, and where the ranking flips, in words.

Nothing here imports Hydra or OmegaConf: it works on the plain dataclasses of
:mod:`sim.config.schema` and on NumPy arrays.
"""
