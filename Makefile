# Two entry points for a newcomer: `make run` (install + refresh + report) and
# `make test` (install + lint + type check + tests). Both install into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run install install-test test lint typecheck pytest bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[postgres]'

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

## Refresh the bundled ketamine claims against PubMed, then write the report.
## Exit code 3 from refresh (finished, but a query failed or something was not retrieved) still
## writes the report, which shows those claims as "Search failed"; any other failure (1: NCBI
## unreachable, 2: bad claims file) stops here with a non-zero exit and no report.
run: install
	$(BIN)/evidence refresh queries/ketamine-chronic-pain.toml || [ $$? -eq 3 ]
	$(BIN)/evidence report

lint:
	$(BIN)/ruff check evidence tests benchmarks fuzz
	$(BIN)/ruff format --check evidence tests benchmarks fuzz

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Install, then lint, type check and run every test.
test: install-test lint typecheck pytest

## Retrieval benchmark against a loopback server enforcing 3 requests/s (about a minute):
## evidence vs Bio.Entrez; prints a table, writes benchmarks/results/retrieval.json.
bench: install-test
	$(BIN)/python benchmarks/bench_retrieval.py

## Coverage-guided fuzzing (atheris) of the claims loader and the efetch parser,
## FUZZ_SECONDS each (default 60); crashes are kept in tests/fuzz_regressions/.
fuzz: install-test
	$(BIN)/python -m pip install --quiet atheris
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} PY=$(BIN)/python bash fuzz/run.sh

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
