# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast typecheck lint schemas templates benchmark clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/interchange demo --dir demo-workspace

# Both cores, one worker per test file (a file's fixtures, e.g. its Spark session, start once).
PARALLEL ?= -n 2 --dist loadfile

# Nothing may depend on the day it runs: the tests that read days and periods (marked `dates`)
# run a second time as on another day, a leap day in another year (on SQLite: the clock is the
# same on both databases, and the first pass has run them on PostgreSQL), on a machine set to a time
# zone on the far side of the date line, as "today" is the municipality's day (Europe/Vilnius), not the
# machine's.
MOVED_TODAY ?= 2028-02-29
MOVED_TZ ?= Pacific/Pago_Pago

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks flows
	$(BIN)/mypy
	$(BIN)/interchange schemas export --check
	$(BIN)/pytest $(PARALLEL)
	TZ=$(MOVED_TZ) INTERCHANGE_TODAY=$(MOVED_TODAY) $(BIN)/pytest $(PARALLEL) -m "dates and not postgres" -p no:cacheprovider

# The tiers that need neither Prefect, PostgreSQL, Spark nor a browser: a few minutes, for the edit-test loop.
FAST := not slow and not postgres and not spark and not browser

test-fast: $(STAMP)
	$(BIN)/pytest $(PARALLEL) -m "$(FAST)" -p no:cacheprovider

typecheck: $(STAMP)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks flows

schemas: $(STAMP)
	$(BIN)/interchange schemas export
	$(BIN)/interchange templates export

# `make benchmark BENCHMARK_BACKEND=both` also times the ingest on the PostgreSQL at 127.0.0.1:5432.
BENCHMARK_BACKEND ?= sqlite
# The national year end to end (issue 18, target 4): NATIONAL_SCALE=0.1 takes a tenth of it,
# NATIONAL_BACKEND=postgres runs it on the PostgreSQL at 127.0.0.1:5432 (docs/scale-out.md).
NATIONAL_SCALE ?= 1
NATIONAL_BACKEND ?= sqlite

benchmark: $(STAMP)
	$(BIN)/python benchmarks/pseudonymise_throughput.py
	$(BIN)/python benchmarks/ingest_throughput.py --backend $(BENCHMARK_BACKEND)
	$(BIN)/python benchmarks/linkage_febrl.py
	$(BIN)/python benchmarks/indicators_national.py
	$(BIN)/python benchmarks/disclosure.py
	$(BIN)/python benchmarks/disclosure_national.py
	$(BIN)/python benchmarks/publish_throughput.py --backend $(BENCHMARK_BACKEND)
	$(BIN)/python benchmarks/inbox_stalling_writer.py
	$(BIN)/python benchmarks/web_pages.py
	$(BIN)/python benchmarks/national_pipeline.py --scale $(NATIONAL_SCALE) --backend $(NATIONAL_BACKEND)

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .ruff_cache
