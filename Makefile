# The commands people run. Each creates .venv and installs the project when missing.
#   make demo    set up everything and run the main job (embedded PostgreSQL, roles, demo data,
#                dbt build, docs); TARGET=spark: the same demo data built on a local Spark and
#                published to the Metabase stand-in
#   make test    the whole test suite: lint, dbt parse, pytest (which builds a fresh warehouse)
#   make up / make down / make status    start / stop / locate the embedded PostgreSQL server
#   make roles   create the builder (dbt) and reader (Metabase) roles and grants (idempotent)
#   make build / make docs / make docs-serve    dbt build, dbt docs generate, dbt docs serve
#   make metabase-double    the local Metabase stand-in, with the warehouse registered
#   make publish            publish to Metabase (METABASE_URL; unset: the local stand-in)
#   make refresh            what a scheduler runs: dbt build, freshness checks, publish
#   make bench EVENTS=N     the benchmark; appends results to BENCHMARKS.md
#   make preview            every dashboard, alert and schedule as HTML + PNG (target/preview)
#   make evaluate DBT_PROJECT_EVALUATOR=path/to/dbt-project-evaluator
#                           dbt-project-evaluator's findings on this project (not a dependency)
#
# Targets that run dbt first evaluate `experiment-analytics db env`: the running embedded
# server's PGPORT and password file (PGPASSFILE), DBT_PROFILES_DIR and PATH. PG* variables you
# set yourself are kept (README "Point it at your own warehouse").

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EVENTS ?= 200000
SEED ?= 42
# make test: pytest-xdist workers, one per core of the 2-core CI machine (tests/python/conftest.py)
PYTEST_WORKERS ?= 2
DB_ENV = eval "$$($(BIN)/experiment-analytics db env)" &&

export DBT_PROFILES_DIR := $(CURDIR)/profiles
# The local Spark's tables and catalogue (profiles.yml, target spark; README "Running on Apache Spark").
export EXPERIMENT_ANALYTICS_SPARK_DIR ?= $(CURDIR)/.spark
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install up down status roles demo build docs docs-serve test lint bench publish \
	refresh metabase-double preview browser clean evaluate

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "Installing into $(VENV): dbt, PostgreSQL 18 and the test tools (the first time takes minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	set -o pipefail; $(BIN)/python -m pip install -e '.[test]' 2>&1 | tee $(VENV)/install.log \
		| grep --line-buffered -E '^(Collecting|Installing|Successfully)' \
		|| { tail -n 30 $(VENV)/install.log; exit 1; }
	touch $@

up: install
	$(BIN)/experiment-analytics db up

down: install
	$(BIN)/experiment-analytics db down

status: install
	$(BIN)/experiment-analytics db status

roles: up
	$(BIN)/experiment-analytics roles create

ifeq ($(TARGET),spark)
# make demo TARGET=spark (README "Running on Apache Spark"): the demo data generated in the
# embedded PostgreSQL, loaded into the local Spark (.spark/), the project built there with dbt,
# the card SQL compiled for Spark and published to the Metabase stand-in through a database of
# engine sparksql (one process holds Spark's catalogue at a time, so each step runs after the
# previous one ends). `dbt build` there runs every seed, model, data test and unit test of the
# project, as on PostgreSQL (SPARK_BUILD_FLAGS: extra dbt flags, none by default).
# SPARK_NOT_PUBLISHED: dashboards, Metabase models or alerts left out of the publish by name (the
# publisher's --exclude); none since the Variant Performance cards run on Spark (README "Running
# on Apache Spark").
SPARK_BUILD_FLAGS ?=
SPARK_NOT_PUBLISHED ?=
MB_DOUBLE_PORT ?= 3000
# PUBLISH_DEMO_FLAGS=--no-serve: stop after publishing instead of serving the stand-in
PUBLISH_DEMO_FLAGS ?=
demo: up
	$(BIN)/experiment-analytics roles create
	$(BIN)/experiment-analytics sources create
	$(BIN)/experiment-analytics demo generate --events $(EVENTS) --seed $(SEED) --replace
	$(DB_ENV) experiment-analytics spark load-demo
	$(DB_ENV) dbt build --target spark $(SPARK_BUILD_FLAGS)
	$(DB_ENV) dbt compile --target spark --select resource_type:analysis --quiet
	$(DB_ENV) experiment-analytics spark publish-demo --port $(MB_DOUBLE_PORT) $(PUBLISH_DEMO_FLAGS) \
		$(addprefix --exclude ,$(SPARK_NOT_PUBLISHED))
else
demo: up
	$(BIN)/experiment-analytics roles create
	$(BIN)/experiment-analytics sources create
	$(BIN)/experiment-analytics demo generate --events $(EVENTS) --seed $(SEED) --replace
	$(DB_ENV) dbt build --full-refresh
	$(DB_ENV) dbt docs generate
	@echo
	@echo "Warehouse built. Next, in any shell: 'make status', 'make docs-serve' (docs and lineage),"
	@echo "'make metabase-double' and then, in another shell, 'make publish'; or run dbt yourself"
	@echo "after: eval \"\$$($(BIN)/experiment-analytics db env)\""
endif

build: roles
	$(DB_ENV) dbt build

docs: roles
	$(DB_ENV) dbt docs generate

docs-serve: up
	$(DB_ENV) dbt docs serve

lint: install
	$(BIN)/ruff check src scripts tests/python
	$(BIN)/ruff format --check src scripts tests/python
	$(BIN)/dbt parse --quiet
	$(BIN)/sqlfluff lint --processes 0 models tests analyses macros/statistics

test: lint browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder

# make bench [TARGET=spark] [APPEND_EVENTS=N]: TARGET=spark measures a local Spark beside
# PostgreSQL, on the same data set in the same run; APPEND_EVENTS fixes the appended day's size
# (default: the data set's own daily rate) (README "Benchmark")
bench: install
	$(BIN)/experiment-analytics bench --events $(EVENTS) $(if $(filter spark,$(TARGET)),--target spark) \
		$(if $(APPEND_EVENTS),--append-events $(APPEND_EVENTS))

# Without METABASE_URL, publish to the local stand-in (`make metabase-double`, its default key).
ifeq ($(METABASE_URL),)
publish refresh: export METABASE_URL := http://127.0.0.1:3000
publish refresh: export METABASE_API_KEY := mb_double_test_key
endif
publish: install
	@echo "Publishing to $$METABASE_URL"
	$(DB_ENV) experiment-analytics publish

# dbt build, dbt source freshness + the last complete build, publish (README "Running it on a
# schedule").
refresh: roles
	$(DB_ENV) experiment-analytics refresh

# Also regenerates the README's dashboard pictures (docs/images/dashboards/).
preview: up browser
	$(DB_ENV) experiment-analytics preview --pictures-dir docs/images/dashboards

# Debian's headless chromium + chromium-driver (the preview's PNGs, the browser tests).
browser:
	sh scripts/install_chromium.sh

# dbt-project-evaluator is a dbt package and the package hub is unreachable, so it is never a
# dependency of this project: you give the runner of your own offline copy (a script that, run
# from a dbt project's root, unpacks the package into dbt_packages/, builds its models and
# prints the findings, and removes the package again), and it runs against the warehouse of
# `make up` or your PG* settings. README "Model hygiene" lists the findings that stay, and why.
evaluate: install
	@test -n "$(DBT_PROJECT_EVALUATOR)" || { echo "make evaluate needs the dbt-project-evaluator runner: make evaluate DBT_PROJECT_EVALUATOR=path/to/dbt-project-evaluator (README \"Model hygiene\")" >&2; exit 2; }
	@test -x "$(DBT_PROJECT_EVALUATOR)" -a ! -d "$(DBT_PROJECT_EVALUATOR)" || { echo "make evaluate: DBT_PROJECT_EVALUATOR=$(DBT_PROJECT_EVALUATOR) is not an executable file (give the runner script of your dbt-project-evaluator copy)" >&2; exit 2; }
	$(DB_ENV) "$(abspath $(DBT_PROJECT_EVALUATOR))"

metabase-double: up
	$(DB_ENV) experiment-analytics metabase-double

clean: down
	rm -rf .pg target logs
