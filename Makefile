# pggate developer tasks. `make demo` and `make test` are the README's quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-dev

.PHONY: demo test test-fast lint bench docs new-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: run the staged pipeline on examples/saas against an embedded PostgreSQL
demo: $(STAMP)
	$(BIN)/pggate demo

## test: lint the layering, then the whole suite against a real PostgreSQL
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/pytest

## test-fast: skip the tests marked slow
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

## docs: regenerate docs/checks.md from the finding catalogue
docs: $(STAMP)
	$(BIN)/python -m pggate.checks.catalog > docs/checks.md

## new-check: scaffold a check, e.g. make new-check ID=RLS020 GATE=rls NAME=policy_without_role
new-check: $(STAMP)
	$(BIN)/python -m pggate.checks.new_check $(ID) $(GATE) $(or $(NAME),new_check)

## bench: every benchmark, one summary table
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pggate build src/*.egg-info
