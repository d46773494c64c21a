# Customer tiering: `make build` runs the pipeline on DuckDB; `make test` runs every test.
# Both create the virtual environment and install the pinned dependencies when needed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)
export TIERING_DUCKDB_PATH ?= $(CURDIR)/tiering.duckdb
# Colour codes only on a terminal: a cron or CI log stays plain text (dbt_project.yml turns them off).
export DBT_USE_COLORS ?= $(shell [ -t 2 ] && echo true || echo false)

# Your own data: make build TRANSACTIONS=path/to/transactions.csv [CUSTOMERS=path/to/customers.csv]
TRANSACTIONS ?=
CUSTOMERS ?=
# Files in an encoding DuckDB cannot read (gb18030, gbk, ...) are converted to UTF-8 first.
ENCODING ?=
CONVERTED_DIR := target/inputs
# Extra dbt vars, without braces: make build VARS='as_of_date: 2026-06-30, rfm_window_days: 180'
VARS ?=
# Extra arguments of `dbt build`, e.g. the nightly schedule's BUILD_ARGS='--exclude resource_type:unit_test'
BUILD_ARGS ?=
DEMO_DIR := data/demo
DEMO_ARGS ?= --customers 20000 --transactions 200000 --seed 42

comma := ,
# The file dbt reads: the given one, or its UTF-8 copy when ENCODING is set.
input_file = $(if $(strip $(ENCODING)),$(CONVERTED_DIR)/$(notdir $(basename $(1))).utf8.csv,$(strip $(1)))
to_utf8 = $(if $(and $(strip $(ENCODING)),$(strip $(1))),$(BIN)/python -m customer_tiering.inputs to-utf8 --encoding "$(ENCODING)" "$(strip $(1))" "$(call input_file,$(1))")
INPUT_VARS := $(if $(strip $(TRANSACTIONS)),transactions_path: '$(call input_file,$(TRANSACTIONS))')$(if $(strip $(CUSTOMERS)),$(comma) customers_path: '$(call input_file,$(CUSTOMERS))')
DBT_VARS := {$(INPUT_VARS)$(if $(and $(strip $(INPUT_VARS)),$(strip $(VARS))),$(comma) )$(strip $(VARS))}

# make nightly: the same inputs and vars as make build; the marts are published to the serving file
# (BI tools open it read-only) only when every test passed. ALLOW_STALE=1 publishes stale data too.
export TIERING_SERVING_PATH ?= $(CURDIR)/serving/tiering.duckdb
ALLOW_STALE ?=
NIGHTLY_ARGS ?=

# make export [EXPORT_DIR=target/export] [CONTACTS=path/to/customers.csv [ENCODING=gb18030]]: one CSV
# and one Parquet call list per strategy, from the build database; CONTACTS adds name, email, phone;
# and every mart as Parquet in EXPORT_DIR/marts (for BI tools without a DuckDB connector).
EXPORT_DIR ?= target/export
CONTACTS ?=

# make report [REPORT_LANG=zh|en] [REPORT=target/report/index.html]: a self-contained HTML page of
# the marts of the build database (charts as inline SVG; opens without network).
REPORT_LANG ?= zh
REPORT ?= target/report/index.html

# make bench SIZES=1000000,10000000,100000000 (transaction counts); not part of make test.
# BENCH_ARGS: more options of customer_tiering.bench, e.g. '--repeats 3 --postgres-max 0'.
SIZES ?= 1000000,10000000
BENCH_DIR ?= /tmp/bench-tiering
BENCH_ARGS ?=

# The Spark stage of make test: its own environment (pyspark, some 630 MB) and Java on the PATH.
# Without Java, or when pyspark cannot be installed, it is skipped with a message, except under
# CI=true, where it is mandatory.
SPARK_VENV := .venv-spark

.PHONY: help venv demo-data build nightly export report test lint fix test-python venv-spark test-spark docs bench bench-clv clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(BIN)/.installed ## Create the virtual environment with the pinned dependencies

$(DEMO_DIR)/transactions.csv: | $(BIN)/.installed
	$(BIN)/python -m customer_tiering.generate --out $(DEMO_DIR) $(DEMO_ARGS)

demo-data: $(DEMO_DIR)/transactions.csv ## Generate the demo data (if missing)

build: venv $(if $(strip $(TRANSACTIONS)),,demo-data) ## Run the pipeline on DuckDB (demo data unless TRANSACTIONS=...)
	$(call to_utf8,$(TRANSACTIONS))
	$(call to_utf8,$(CUSTOMERS))
	$(BIN)/dbt build --vars "$(DBT_VARS)" $(BUILD_ARGS)
	$(BIN)/python -m customer_tiering.report --duckdb "$(TIERING_DUCKDB_PATH)"

nightly: venv $(if $(strip $(TRANSACTIONS)),,demo-data) ## Build and test, then publish the marts to the serving database (exit 0 = published)
	$(call to_utf8,$(TRANSACTIONS))
	$(call to_utf8,$(CUSTOMERS))
	$(BIN)/python -m customer_tiering.nightly --vars "$(DBT_VARS)" $(if $(strip $(ALLOW_STALE)),--allow-stale) $(NIGHTLY_ARGS) -- $(BUILD_ARGS)

export: venv ## Write one CSV and one Parquet list per strategy to EXPORT_DIR (CONTACTS=... adds personal data)
	$(BIN)/python -m customer_tiering.export --duckdb "$(TIERING_DUCKDB_PATH)" --out "$(EXPORT_DIR)" $(if $(strip $(CONTACTS)),--contacts "$(strip $(CONTACTS))" $(if $(strip $(ENCODING)),--contacts-encoding "$(strip $(ENCODING))"))
	$(BIN)/python -m customer_tiering.marts_parquet --duckdb "$(TIERING_DUCKDB_PATH)" --out "$(EXPORT_DIR)/marts"

report: venv ## Render the HTML report from the built marts (REPORT_LANG=zh|en)
	$(BIN)/python -m customer_tiering.html_report --duckdb "$(TIERING_DUCKDB_PATH)" --lang $(REPORT_LANG) --out "$(REPORT)"

test: venv lint test-python test-spark ## Run every test: lint, then dbt builds and pytest on DuckDB, PostgreSQL and Spark

lint: venv ## sqlfluff (dbt templater, one process per core) and ruff
	$(BIN)/sqlfluff lint --processes 0 models tests/singular analyses
	$(BIN)/ruff check customer_tiering tests/python
	$(BIN)/ruff format --check customer_tiering tests/python

fix: venv ## Fix what sqlfluff and ruff can fix
	$(BIN)/sqlfluff fix models tests/singular analyses
	$(BIN)/ruff check --fix customer_tiering tests/python
	$(BIN)/ruff format customer_tiering tests/python

test-python: venv ## pytest: dbt builds on fixtures, independent checks, engines compared
	$(BIN)/python -m pytest tests/python

$(SPARK_VENV)/bin/.installed: requirements-spark.txt
	$(PYTHON) -m venv $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.txt
	touch $@

venv-spark: $(SPARK_VENV)/bin/.installed ## Create the Spark environment (.venv-spark: dbt-spark, pyspark)

test-spark: venv ## The Spark stage: every model and data test on local Spark, marts compared with DuckDB
	@if [ "$${CI:-}" != true ] && ! command -v java >/dev/null; then \
		echo "Spark stage skipped: no Java runtime (java) on the PATH; install OpenJDK 17 to run it."; \
	elif [ "$${CI:-}" != true ] && ! $(MAKE) --no-print-directory $(SPARK_VENV)/bin/.installed; then \
		echo "Spark stage skipped: pyspark could not be installed into $(SPARK_VENV) (see above)."; \
	else \
		$(MAKE) --no-print-directory $(SPARK_VENV)/bin/.installed && \
		TIERING_SPARK_DBT=$(CURDIR)/$(SPARK_VENV)/bin/dbt $(BIN)/python -m pytest tests/python -m spark -n 0; \
	fi

docs: venv demo-data ## Generate the dbt docs site (target/)
	$(BIN)/dbt docs generate

bench: venv ## Benchmark dbt build/run against the raw-SQL floor and pandas (SIZES=1000000,10000000)
	$(BIN)/python -m customer_tiering.bench --sizes $(SIZES) --work-dir $(BENCH_DIR) $(BENCH_ARGS)

# make bench-clv [CLV_DUCKDB=path]: the value models' fit against lifetimes, pymc-marketing and
# clvkit on the BTYD summary of a built database (default: this project's, after make build).
CLV_DUCKDB ?= $(TIERING_DUCKDB_PATH)
PEERS_VENV := .venv-peers

$(PEERS_VENV)/bin/.installed: requirements-peers.txt
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-peers.txt
	touch $@

bench-clv: venv $(PEERS_VENV)/bin/.installed ## Benchmark the CLV fit against the CLV libraries (CLV_DUCKDB=built database)
	$(BIN)/python -m customer_tiering.bench_clv --duckdb "$(CLV_DUCKDB)" --peers-python $(PEERS_VENV)/bin/python

clean: ## Remove generated files (keeps the virtual environment)
	rm -rf target logs data serving tiering.duckdb
