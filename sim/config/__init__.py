"""Configuration: the schema of every option, validation, the preflight check, the reference.

Only :mod:`sim.app` and this package know Hydra/OmegaConf; everything below works on the
plain dataclasses of :mod:`sim.config.schema`.
"""
