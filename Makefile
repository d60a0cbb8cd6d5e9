# Signage: `make run` serves the demo, `make test` runs the whole check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast lint venv bench clean

$(STAMP): pyproject.toml players/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e ./players
	@touch $(STAMP)

venv: $(STAMP)

## Serve the control server with one worker on http://127.0.0.1:8000 (Ctrl-C stops both).
run: venv
	$(BIN)/signage run

## Static checks: ruff, formatting, layer contracts, strict typing.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/mypy --strict players/signage_player

## The edit loop: lint plus every test that needs neither PostgreSQL nor a browser.
test-fast: lint
	$(BIN)/pytest -q -m "not postgres and not browser and not slow"

## The whole check, as CI runs it: starts PostgreSQL, installs Chromium when missing.
test: lint
	bash scripts/test-all.sh

bench: venv
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/render.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
