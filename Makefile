# The two commands a newcomer needs: `make run` and `make test`; `make lint` before a commit.
# Both create .venv when it is missing, install prepersona into it (building the Cython core),
# and rebuild the core when a .pyx/.pxd file changed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.prepersona-installed
# The customer core, and the reference workload's kernels that `make bench` times.
CORE_SOURCES := $(wildcard sim/core/*.pyx sim/core/*.pxd sim/core/*.pxi benchmarks/refv1/*.pyx)
CORE_STAMP := $(VENV)/.prepersona-core-built

# Compiled sources that `make lint` checks with cython-lint.
CYTHON_LINT_PATHS := sim/core benchmarks/refv1

.PHONY: run test test-slow test-all lint bench validate install clean help

help:
	@echo "make run        the default sweep: every strategy x 3 seeds, one simulated year; prints where the report is"
	@echo "make test       the whole fast test suite"
	@echo "make test-slow  the slow tests: sweeps through the command line, a wheel install"
	@echo "make test-all   the fast and the slow tests together (what CI runs)"
	@echo "make lint       ruff (check and format) on Python, cython-lint on the compiled sources"
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

# The editable install above compiles the core too. Make decides what to rebuild before it
# runs any recipe, so the core's stamp is checked by a second make once the install is done:
# a fresh clone then compiles the core once, not twice.
$(CORE_STAMP): $(CORE_SOURCES)
	$(PY) setup.py --quiet build_ext --inplace
	touch $(CORE_STAMP)

install: $(STAMP)
	@$(MAKE) --no-print-directory --question $(CORE_STAMP) || $(MAKE) --no-print-directory $(CORE_STAMP)

run: install
	$(VENV)/bin/prepersona experiment=strategy_frontier

# The tests are spread over the cores (pytest-xdist); every test is independent of the others.
test: install
	$(PY) -m pytest -q -n auto

test-slow: install
	$(PY) -m pytest -q -n auto -m slow

# Fast and slow together, in one pool of workers: what CI runs.
test-all: install
	$(PY) -m pytest -q -n auto -m "not benchmark"

# Every check runs, even after one fails, so that one invocation lists every finding.
lint: $(STAMP)
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/cython-lint $(CYTHON_LINT_PATHS) || status=1; \
	exit $$status

bench: install
	$(PY) -m benchmarks.run

validate: install
	$(VENV)/bin/prepersona-validate --out docs/validation.md

clean:
	rm -rf build sim/core/*.c sim/core/*.so sim/core/*.html benchmarks/refv1/*.c benchmarks/refv1/*.so *.egg-info
