# Two entry points for a newcomer: `make run` (install + refresh + report) and
# `make test` (install + lint + type check + tests). Both install into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run demo install install-test test lint typecheck pytest bench bench-mirror fuzz clean

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

## Offline: build a small PubMed mirror from the bundled sample (mirror-sample/, NLM's format),
## run the ketamine claims against it and write the report; nothing is fetched from NCBI.
## Everything goes to demo/ (its own database), so the ledger in data/ is left alone.
DEMO ?= demo
demo: install
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/evidence --db $(DEMO)/evidence.db mirror load mirror-sample/baseline mirror-sample/updatefiles
	$(BIN)/evidence --db $(DEMO)/evidence.db mirror load-mesh mirror-sample/desc-sample.xml
	$(BIN)/evidence --db $(DEMO)/evidence.db mirror info
	$(BIN)/evidence --db $(DEMO)/evidence.db refresh --source mirror queries/ketamine-chronic-pain.toml || [ $$? -eq 3 ]
	$(BIN)/evidence --db $(DEMO)/evidence.db report --out $(DEMO)/report

lint:
	$(BIN)/ruff check evidence tests benchmarks fuzz mirror-sample
	$(BIN)/ruff format --check evidence tests benchmarks fuzz mirror-sample

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Install, then lint, type check and run every test.
test: install-test lint typecheck pytest

## Every benchmark section (python -m benchmarks: parsing, storing, refresh, reports, retrieval,
## desk): prints Markdown tables, writes docs/benchmarks.md and benchmarks/results/*.json.
## BENCH_ARGS="--only parse --quick" for a part or small sizes. The bench extra adds peers
## compared with (pubmed_parser); if it cannot be installed their rows are skipped, with the reason.
bench: install-test
	$(BIN)/python -m pip install --quiet -e '.[test,bench]' || echo "bench extra not installed: its peers are skipped" >&2
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

## Mirror benchmark: import rate, index size and query latency from 100k to 1M records
## (the shared corpus repeated with new PMIDs, in a temp folder); MIRROR_SIZES to change.
bench-mirror: install-test
	$(BIN)/python benchmarks/bench_mirror.py $${MIRROR_SIZES:+--sizes $$MIRROR_SIZES}

## Coverage-guided fuzzing (atheris) of the claims loader and the efetch parser,
## FUZZ_SECONDS each (default 60); crashes are kept in tests/fuzz_regressions/.
fuzz: install-test
	$(BIN)/python -m pip install --quiet atheris
	FUZZ_SECONDS=$${FUZZ_SECONDS:-60} PY=$(BIN)/python bash fuzz/run.sh

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
