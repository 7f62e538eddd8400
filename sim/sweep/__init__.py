"""Sweeps: resuming an interrupted sweep, its progress display and what it does at the end.

* :mod:`sim.sweep.resume` — a run whose directory already holds the results of the same
  config is skipped; any other is simulated (again);
* :mod:`sim.sweep.progress` — runs done out of the total and the time left, shown while a
  sweep runs;
* :mod:`sim.sweep.callback` — the Hydra callback that starts the display and, at the end,
  writes the sweep's report;
* :mod:`sim.sweep.search` — the search sweeper (``hydra/sweeper=search``): an Optuna study
  over ranges of values, with its settings (:mod:`~sim.sweep.search_settings`), search space
  (:mod:`~sim.sweep.search_space`), config (:mod:`~sim.sweep.search_config`) and result files
  (:mod:`~sim.sweep.search_results`).  Its study is a file in the sweep directory, so it too
  keeps no state between invocations but what that directory holds;
* :mod:`sim.sweep.compose` — each combination of config groups composed once per process,
  not once per job (Hydra's own composition, kept and copied).

Nothing here keeps results between the jobs of a sweep (the compositions ``compose`` keeps
are what Hydra would compose, for one command): every job decides from its own directory,
and the sweep's parent process watches the sweep directory, so a sweep behaves the same under
any Hydra launcher (local processes, Ray, SLURM).
"""
