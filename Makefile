# Gigawatt: one entry point for setting up, running, testing and benchmarking.
# `make run` and `make test` work from a fresh clone: they create .venv with the
# Python that .python-version selects (pyenv), install the project, then act.

PY_SYS ?= python
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint typecheck pytest bench browser lock clean

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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
