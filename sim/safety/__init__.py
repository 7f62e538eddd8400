"""Safety: a config never runs code it was not meant to, a command never overwrites what it did
not write, and a result on disk always matches the config and code that produced it.

Each module has one job:

* :mod:`sim.safety.hydra_keys` — which Hydra settings a config file or the command line may
  set (an allow-list), and the values that may not reach results (environment variables);
* :mod:`sim.safety.imports` — the import path holds only what the user asked for; a behavior
  module named by a config is checked by its source before it is imported;
* :mod:`sim.safety.outputs` — run and sweep directories: the manifest that says what produced
  them, and the one-line refusals to write where data would be lost;
* :mod:`sim.safety.fingerprint` — the code fingerprint of a run (package version, build and
  sources, and every user module it loaded);
* :mod:`sim.safety.memory` — the peak memory a config needs, against what the machine has;
* :mod:`sim.safety.finite` — every number written is finite;
* :mod:`sim.safety.failures` — one line for a failure the user meets (a full disk, Ctrl-C).

Every refusal is a :class:`sim.config.preflight.PreflightError` (or a
:class:`sim.errors.ConfigError`): one line naming the key, the value and what is allowed,
before any simulation starts.
"""
