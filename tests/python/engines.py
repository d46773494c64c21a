"""The two engines the suite builds on, behind one small interface: build, read a mart."""

from __future__ import annotations

import csv
import hmac
import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb
import psycopg2

from customer_tiering.dbt_runner import PROJECT_DIR, DbtRun, run_dbt
from customer_tiering.postgres import HASH_KEY_VARIABLE, PgServer, load_csv_tables, with_hash_key

# The marts of the history (tag history): incremental, by period end.
HISTORY_MARTS = (
    "customer_tier_history",
    "tier_migrations",
    "customer_flows",
    "tier_kpis",
    "tier_backtest",
)
# The marts of the fitted value models: dbt Python models, built on DuckDB only.
FITTED_MARTS = (
    "clv_model_parameters",
    "customer_value_predictions",
    "cluster_k_selection",
    "cluster_profiles",
    "customer_clusters",
)
# The marts of every engine.
MARTS = (
    "customer_tiers",
    "tier_strategies",
    "pyramid_summary",
    "segment_evaluation",
    "customer_value",
    *HISTORY_MARTS,
)
# The marts of a DuckDB build.
DUCKDB_MARTS = (*MARTS, *FITTED_MARTS)
MART_KEYS = {
    "customer_tiers": "customer_id",
    "customer_tier_history": "as_of_date, customer_id",
    "tier_migrations": "scheme, to_as_of_date, from_segment, to_segment",
    "customer_flows": "as_of_date",
    "tier_kpis": "as_of_date, scheme, segment",
    "tier_backtest": "as_of_date, scheme, segment",
    "tier_strategies": "strategy_key",
    "pyramid_summary": "pyramid_tier",
    "segment_evaluation": "scheme, segment",
    "customer_value": "customer_id",
    "clv_model_parameters": "model_name, parameter",
    "customer_value_predictions": "customer_id",
    "cluster_k_selection": "k",
    "cluster_profiles": "cluster",
    "customer_clusters": "customer_id",
}
# The text columns among those keys, ordered in byte order on every engine.
TEXT_KEYS = {
    "customer_id",
    "strategy_key",
    "pyramid_tier",
    "scheme",
    "segment",
    "from_segment",
    "to_segment",
    "model_name",
    "parameter",
}
# The columns of the marts that say when a row was computed (they differ between runs).
RUN_COLUMNS = ("computed_at", "source_computed_at", "state_version", "fitted_at")
# Every test build tiers within customer type and region as well (var tier_within), so that the
# group columns are built and compared on every engine; a build may pass tier_within=[].
TEST_TIER_WITHIN = ("customer_type", "region")
# The secret of the keyed email hash in every test build (README, "Personal data").
TEST_HASH_KEY = "test hash key, with a space"
Row = dict[str, Any]
LOG = logging.getLogger("tiering.tests")
# `dbt build` without the unit tests, for tests about data, inputs and errors: the unit tests
# run in the session builds and the var matrix, and add seconds to every other build.
BUILD_WITHOUT_UNIT_TESTS = ("build", "--exclude", "resource_type:unit_test")
# Seeds and models, no tests: for tests that compare tables (the full suite runs the tests).
MODELS_ONLY = ("build", "--exclude", "resource_type:test", "resource_type:unit_test")


def file_input_vars(transactions_path: Path, customers_path: Path | None) -> dict[str, Any]:
    """The vars that name the input files (DuckDB and Spark read files)."""
    found = {"transactions_path": str(transactions_path)}
    if customers_path is not None:
        found["customers_path"] = str(customers_path)
    return found


class Engine(Protocol):
    """Where dbt builds and where the marts are read back."""

    name: str
    work_dir: Path
    # Appended to a text column to order it by bytes, as DuckDB does (PostgreSQL: collate "C").
    byte_order: str
    # The dbt executable of another environment (Spark's), or None for this one's.
    dbt: str | None

    def env(self) -> dict[str, str]: ...

    def input_vars(self) -> dict[str, Any]: ...

    def fetch(self, sql: str) -> list[Row]: ...


@dataclass
class DuckDBEngine:
    """A DuckDB file; inputs are read from files named by vars."""

    work_dir: Path
    transactions_path: Path
    customers_path: Path | None
    name: str = "duckdb"
    byte_order: str = ""
    dbt: str | None = None
    hash_key: str = TEST_HASH_KEY
    database: Path = field(init=False)

    def __post_init__(self) -> None:
        self.database = self.work_dir / "tiering.duckdb"

    def env(self) -> dict[str, str]:
        return {
            "TIERING_TARGET": "duckdb",
            "TIERING_DUCKDB_PATH": str(self.database),
            HASH_KEY_VARIABLE: self.hash_key,
        }

    def input_vars(self) -> dict[str, Any]:
        return file_input_vars(self.transactions_path, self.customers_path)

    def fetch(self, sql: str) -> list[Row]:
        with duckdb.connect(str(self.database), read_only=True) as connection:
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class PostgresEngine:
    """A throwaway PostgreSQL server; inputs are text tables in the raw schema."""

    work_dir: Path
    server: PgServer
    name: str = "postgres"
    byte_order: str = ' collate "C"'
    dbt: str | None = None

    def env(self) -> dict[str, str]:
        return with_hash_key(
            {"TIERING_TARGET": "postgres", **self.server.env(), HASH_KEY_VARIABLE: TEST_HASH_KEY}
        )

    def input_vars(self) -> dict[str, Any]:
        return {}

    def load_inputs(self, files: Mapping[str, Path]) -> dict[str, int]:
        return load_csv_tables(self.server, "raw", files)

    def fetch(self, sql: str) -> list[Row]:
        with psycopg2.connect(self.server.dsn) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class SparkEngine:
    """Local Spark (dbt-spark's session method) run by the dbt of the Spark environment; inputs are
    read from files named by vars. The tables are Parquet files in the warehouse folder, which
    DuckDB reads back (the test environment has no pyspark)."""

    work_dir: Path
    transactions_path: Path
    customers_path: Path | None
    dbt: str | None
    name: str = "spark"
    byte_order: str = ""
    # The output and success of the build (the spark_engine fixture's).
    output: str = ""
    ok: bool = False

    def env(self) -> dict[str, str]:
        return {
            "TIERING_TARGET": "spark",
            "TIERING_SPARK_DIR": str(self.work_dir / "spark"),
            HASH_KEY_VARIABLE: TEST_HASH_KEY,
        }

    def input_vars(self) -> dict[str, Any]:
        return file_input_vars(self.transactions_path, self.customers_path)

    def fetch(self, sql: str) -> list[Row]:
        warehouse = self.work_dir / "spark" / "warehouse"
        with duckdb.connect() as connection:
            for schema in warehouse.glob("*.db"):
                connection.execute(f'create schema "{schema.stem}"')
                for table in schema.iterdir():
                    connection.execute(
                        f'create view "{schema.stem}"."{table.name}" as select * from'
                        f" read_parquet('{table}/*.parquet')"
                    )
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def same_value(left: Any, right: Any) -> bool:
    """Equal, floats within 1e-12 (engines sum in different orders), decimals by value."""
    if isinstance(left, float) or isinstance(right, float):
        return left is not None and right is not None and math.isclose(left, right, abs_tol=1e-12)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return left is not None and right is not None and Decimal(left) == Decimal(right)
    return left == right


def differences(left: list[Row], right: list[Row]) -> list[str]:
    """Every value in which two lists of rows (of the same columns, in the same order) differ."""
    if len(left) != len(right):
        return [f"{len(left)} rows != {len(right)} rows"]
    found = []
    for left_row, right_row in zip(left, right, strict=True):
        assert left_row.keys() == right_row.keys()
        found += [
            f"{column}: {left_row[column]!r} != {right_row[column]!r}"
            for column in left_row
            if not same_value(left_row[column], right_row[column])
        ]
    return found


def without_clusters(rows: list[Row]) -> list[Row]:
    """The rows of every engine: those of the K-means clusters come from dbt Python models,
    which DuckDB alone runs."""
    return [row for row in rows if row.get("scheme") != "cluster"]


def keyed_email_hash(email: str | None) -> str | None:
    """What stg_customers keeps of an email with the test key: the HMAC-SHA256 of its trimmed,
    lower-cased text (SQL trim: spaces only), or None for no email."""
    text = (email or "").strip(" ").lower()
    return hmac.new(TEST_HASH_KEY.encode(), text.encode(), "sha256").hexdigest() if text else None


def personal_values(customers_path: Path) -> set[str]:
    """The customer file's names, emails and phone numbers, trimmed and lower-cased, with the
    emails' keyed hashes: what no table a BI tool can open may hold."""
    with customers_path.open(encoding="utf-8") as infile:
        customers = list(csv.DictReader(infile))
    values = {
        value.strip().lower()
        for row in customers
        for key in ("name", "email", "phone")
        if (value := row.get(key)) and value.strip()
    }
    return values | {digest for row in customers if (digest := keyed_email_hash(row.get("email")))}


def build(
    engine: Engine,
    *args: str,
    check: bool = True,
    project_dir: Path = PROJECT_DIR,
    **dbt_vars: Any,
) -> DbtRun:
    """`dbt build` (or the given command) on `engine` with its inputs and extra vars."""
    command = list(args) or ["build"]
    all_vars = {"tier_within": list(TEST_TIER_WITHIN), **engine.input_vars(), **dbt_vars}
    started = time.monotonic()
    run = run_dbt(
        [
            *command,
            "--vars",
            json.dumps(all_vars, default=str),
            "--target-path",
            str(engine.work_dir / "target"),
            "--log-path",
            str(engine.work_dir / "logs"),
        ],
        env=engine.env(),
        check=check,
        project_dir=project_dir,
        preloaded=True,
        executable=engine.dbt,
    )
    LOG.info(
        "dbt %s on %s %s: exit %d in %.1f s",
        " ".join(command),
        engine.name,
        json.dumps(dbt_vars, default=str) if dbt_vars else "(input vars only)",
        run.returncode,
        time.monotonic() - started,
    )
    return run


def fetch_mart(engine: Engine, mart: str) -> list[Row]:
    """Every row of a mart, ordered by its key, without the columns of an incremental mart that
    say when its rows were computed."""
    keys = ", ".join(
        f"{key}{engine.byte_order}" if key in TEXT_KEYS else key
        for key in MART_KEYS[mart].split(", ")
    )
    rows = engine.fetch(f"select * from marts.{mart} order by {keys}")
    return [{name: value for name, value in row.items() if name not in RUN_COLUMNS} for row in rows]


def first_difference(left: list[Row], right: list[Row]) -> str:
    """Where two lists of rows first differ ('' when they are equal): a short message, where
    pytest's own diff of two long lists would take minutes to compute."""
    if left == right:
        return ""
    for index, (left_row, right_row) in enumerate(zip(left, right, strict=False)):
        if left_row != right_row:
            columns = [name for name in left_row if left_row.get(name) != right_row.get(name)]
            return (
                f"row {index} differs in {columns}: {[left_row.get(name) for name in columns]}"
                f" != {[right_row.get(name) for name in columns]}"
            )
    return f"{len(left)} rows != {len(right)} rows"


def run_results(engine: Engine) -> list[Row]:
    """The results of the last dbt command on `engine` (target/run_results.json)."""
    path = engine.work_dir / "target" / "run_results.json"
    return json.loads(path.read_text(encoding="utf-8"))["results"]


def not_passed(results: list[Row]) -> dict[str, str]:
    """The results that neither succeeded, passed nor warned, by unique id (an exposure is not run:
    dbt reports it as 'no-op')."""
    return {
        row["unique_id"]: row["status"]
        for row in results
        if row["status"] not in ("success", "pass", "warn")
        and not (row["unique_id"].startswith("exposure.") and row["status"] == "no-op")
    }
