"""``python -m sim.report DIR`` is the ``prepersona-report`` command."""

from sim.report.cli import main

if __name__ == "__main__":
    main()
