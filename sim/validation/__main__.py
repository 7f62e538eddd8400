"""``python -m sim.validation``: the same as ``prepersona-validate``."""

from sim.validation.cli import main

main()
