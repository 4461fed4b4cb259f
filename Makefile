# Gigawatt: one entry point for setting up, running, testing and benchmarking.
# `make run` and `make test` work from a fresh clone: they create .venv with the
# Python that .python-version selects (pyenv), install the project, then act.

PY_SYS ?= python
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest bench browser lock lowest clean

$(STAMP): pyproject.toml constraints.txt
	@$(PY_SYS) -c 'import sys; assert sys.version_info >= (3, 12), "Python >= 3.12 needed (pyenv: see .python-version)"'
	$(PY_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -c constraints.txt
	@touch $(STAMP)

setup: $(STAMP)

## The main job: run the baseline scenario into a fresh folder under runs/.
run: setup
	$(VENV)/bin/gigawatt run

## Debian's chromium for the end-to-end browser tests (Playwright drives it).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup browser
	$(VENV)/bin/pytest -n 2 --dist loadgroup

## Everything CI runs: lint, types, the whole test suite.
test: lint typecheck pytest

## Speed lives here, never in pass/fail tests.
bench: setup
	$(PY) -m benchmarks

## Re-resolve constraints.txt to the newest releases pyproject.toml allows (then `make test`).
LOCK_VENV := .lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PY_SYS) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[test]'
	{ grep '^#' constraints.txt; $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV)

## The lower bounds of pyproject.toml hold: the suite on the oldest release of each direct
## dependency that installs from a wheel (uv's lowest-direct resolution; solara-assets, which
## ships none, from source). Not part of `make test`: about 5 minutes to install, 6 to run.
LOWEST_VENV := .lowest-venv
lowest:
	rm -rf $(LOWEST_VENV)
	$(PY_SYS) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet uv
	$(LOWEST_VENV)/bin/uv pip install --quiet --python $(LOWEST_VENV)/bin/python \
	  --resolution lowest-direct --only-binary :all: --no-binary solara-assets -e '.[test]'
	$(LOWEST_VENV)/bin/python -m pytest -n 2 --dist loadgroup -q -p no:cacheprovider \
	  --deselect tests/test_constraints.py
	rm -rf $(LOWEST_VENV)

clean:
	rm -rf $(VENV) $(LOWEST_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
