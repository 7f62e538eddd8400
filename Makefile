# The two commands a newcomer needs: `make run` and `make test`.
# Both create .venv when it is missing, install prepersona into it (building the Cython core),
# and rebuild the core when a .pyx/.pxd file changed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.prepersona-installed
CORE_SOURCES := $(wildcard sim/core/*.pyx sim/core/*.pxd sim/core/*.pxi)
CORE_STAMP := $(VENV)/.prepersona-core-built

.PHONY: run test test-slow bench validate install clean help

help:
	@echo "make run        the default sweep: every strategy x 3 seeds, one simulated year; prints where the report is"
	@echo "make test       the whole fast test suite"
	@echo "make test-slow  the slow statistical and end-to-end tests"
	@echo "make bench      the benchmark table (reference workload, engine and NumPy twin)"
	@echo "make validate   the published stylized facts against the model: prints the table, writes docs/validation.md"
	@echo "make clean      remove build products (keeps .venv)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Build requirements go into the venv first so the package builds without an isolated
# build environment (one download, and `build_ext --inplace` works afterwards).
$(STAMP): $(PY) pyproject.toml setup.py
	$(PIP) install --quiet "setuptools>=70" "Cython>=3.0" "numpy>=2.0"
	$(PIP) install --quiet --no-build-isolation -e ".[dev]"
	touch $(STAMP) $(CORE_STAMP)

$(CORE_STAMP): $(STAMP) $(CORE_SOURCES)
	$(PY) setup.py --quiet build_ext --inplace
	touch $(CORE_STAMP)

install: $(CORE_STAMP)

run: install
	$(VENV)/bin/prepersona experiment=strategy_frontier

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

bench: install
	$(PY) -m benchmarks.run

validate: install
	$(VENV)/bin/prepersona-validate --out docs/validation.md

clean:
	rm -rf build sim/core/*.c sim/core/*.so sim/core/*.html *.egg-info
