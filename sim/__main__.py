"""``python -m sim`` is the ``prepersona`` command."""

from sim.app import main

if __name__ == "__main__":
    main()
