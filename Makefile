# One task runner for the README, developers and CI.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test check lint typecheck bench browser serve clean

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements/constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## The demo: generate the retailer, load it through the real ingest paths, serve the app.
demo: install
	$(BIN)/cxm demo

serve: install
	$(BIN)/cxm serve

## The test suite: lint, types, then every test on DuckDB and PostgreSQL and in Chromium.
test: install check
	$(BIN)/pytest

check: lint typecheck

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

## Benchmarks: figures are written to BENCHMARKS.md with the machine they ran on.
bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
