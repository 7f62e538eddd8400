"""Configuration: the schema of every option, validation, the preflight check, the parameter table.

Only :mod:`sim.app`, :mod:`sim.sweep` and this package know Hydra/OmegaConf; everything below
works on the plain dataclasses of :mod:`sim.config.schema`.  The modules the library imports
(:mod:`~sim.config.schema`, :mod:`~sim.config.params`, :mod:`~sim.config.plain`,
:mod:`~sim.config.validate`) import neither (``tests/test_layers.py`` checks it).
"""
