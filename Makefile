# The commands people run. Each creates .venv and installs the project when missing.
#   make demo    set up everything and run the main job (embedded PostgreSQL, demo data, dbt build, docs)
#   make test    the whole test suite: lint, dbt parse, pytest (which builds a fresh warehouse)
#   make up / make down    start / stop the embedded PostgreSQL server
#   make bench EVENTS=N    the benchmark; appends results to BENCHMARKS.md
#   make publish           publish dashboards to Metabase (needs METABASE_URL and credentials)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EVENTS ?= 200000
SEED ?= 42

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install up down demo build docs test lint bench publish metabase-double clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

up: install
	$(BIN)/experiment-analytics db up

down: install
	$(BIN)/experiment-analytics db down

demo: up
	$(BIN)/experiment-analytics sources create
	$(BIN)/experiment-analytics demo generate --events $(EVENTS) --seed $(SEED) --replace
	$(BIN)/dbt build --full-refresh
	$(BIN)/dbt docs generate
	@echo
	@echo "Warehouse built. Next: '$(BIN)/dbt docs serve', or publish with 'make publish'."

build: up
	$(BIN)/dbt build

docs: up
	$(BIN)/dbt docs generate

lint: install
	$(BIN)/ruff check src scripts tests/python
	$(BIN)/ruff format --check src scripts tests/python
	$(BIN)/dbt parse --quiet
	$(BIN)/sqlfluff lint models tests analyses macros/statistics

test: lint
	$(BIN)/pytest

bench: up
	$(BIN)/experiment-analytics bench --events $(EVENTS)

publish: install
	$(BIN)/python scripts/publish_metabase.py

metabase-double: install
	$(BIN)/python -m experiment_analytics.metabase_double

clean: down
	rm -rf .pg target logs
