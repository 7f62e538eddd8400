"""``python -m sim`` is the ``prepersona`` command."""

# ``python -m`` puts the working directory first on the import path; a stray module there
# (a ``numpy.py``, a ``hydra_plugins/`` folder) must not shadow a real one (sim.safety.imports).
from sim.safety.imports import secure_import_path

secure_import_path()

from sim.app import main  # noqa: E402  (after the import path is made safe)

if __name__ == "__main__":
    main()
