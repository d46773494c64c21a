"""Apache Spark (local pyspark, dbt-spark's session method) publishes the marts DuckDB publishes.

The Spark stage of `make test` (make test-spark) runs this module alone, with the dbt of the Spark
environment (.venv-spark) in TIERING_SPARK_DBT; the main stage deselects it (mark `spark`). The
input is the suite's dirty fixture; Spark builds every model and runs every data test once (the
unit tests pin the rules on DuckDB and PostgreSQL), and DuckDB builds the models once to compare.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from customer_tiering.generate import GeneratedFiles
from engines import (
    DUCKDB_MARTS,
    MARTS,
    MODELS_ONLY,
    DuckDBEngine,
    SparkEngine,
    build,
    differences,
    fetch_mart,
    not_passed,
    run_results,
    without_clusters,
)

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

SPARK_DBT_VARIABLE = "TIERING_SPARK_DBT"
# What Spark does not build, by configuration (README, "Engines").
NOT_ON_SPARK = ("customer_tiers_snapshot", *(set(DUCKDB_MARTS) - set(MARTS)))


def _spark_dbt() -> str:
    """The dbt of the Spark environment; without it (or without Java) the module is skipped, and
    under CI=true it fails."""
    dbt = os.environ.get(SPARK_DBT_VARIABLE, "")
    missing = []
    if not dbt or not Path(dbt).exists():
        missing.append(f"{SPARK_DBT_VARIABLE} does not name a dbt with dbt-spark (make test-spark)")
    if shutil.which("java") is None:
        missing.append("no Java runtime (java) on the PATH")
    if missing and os.environ.get("CI", "").lower() == "true":
        pytest.fail("The Spark stage is mandatory under CI=true: " + "; ".join(missing))
    if missing:
        pytest.skip("Spark tests skipped: " + "; ".join(missing))
    return dbt


@pytest.fixture(scope="module")
def spark_engine(
    tmp_path_factory: pytest.TempPathFactory, fixture_files: GeneratedFiles
) -> SparkEngine:
    """Every model and data test of the project built on Spark, once."""
    engine = SparkEngine(
        tmp_path_factory.mktemp("spark"),
        fixture_files.transactions_path,
        fixture_files.customers_path,
        _spark_dbt(),
    )
    run = build(engine, "build", "--exclude", "resource_type:unit_test", check=False)
    engine.output = run.output
    engine.ok = run.ok
    return engine


@pytest.fixture(scope="module")
def duckdb_models(
    tmp_path_factory: pytest.TempPathFactory, fixture_files: GeneratedFiles
) -> DuckDBEngine:
    """The models on DuckDB from the same input (their tests run in the main stage)."""
    engine = DuckDBEngine(
        tmp_path_factory.mktemp("duckdb"),
        fixture_files.transactions_path,
        fixture_files.customers_path,
    )
    build(engine, *MODELS_ONLY)
    return engine


def test_spark_builds_every_model_and_passes_every_data_test(spark_engine: SparkEngine) -> None:
    assert spark_engine.ok, spark_engine.output[-3000:]
    results = run_results(spark_engine)
    assert not not_passed(results), spark_engine.output[-3000:]
    built = {
        row["unique_id"].split(".")[-1] for row in results if row["unique_id"].startswith("model.")
    }
    assert set(MARTS) <= built
    tests = [row for row in results if row["unique_id"].startswith("test.")]
    assert len(tests) > 150


def test_what_spark_cannot_run_is_disabled_with_a_message(spark_engine: SparkEngine) -> None:
    ran = {row["unique_id"].split(".")[-1] for row in run_results(spark_engine)}
    assert not ran & set(NOT_ON_SPARK)
    for message in (
        "On spark: snapshots need a table format that updates rows",
        "On spark: the fitted value models and the K-means clusters are dbt Python models",
        "On spark: Parquet tables cannot delete rows",
    ):
        assert message in spark_engine.output


@pytest.mark.parametrize("mart", MARTS)
def test_spark_and_duckdb_publish_the_same_mart(
    spark_engine: SparkEngine, duckdb_models: DuckDBEngine, mart: str
) -> None:
    found = differences(
        without_clusters(fetch_mart(duckdb_models, mart)), fetch_mart(spark_engine, mart)
    )
    assert not found, f"{len(found)} differences, e.g. {found[:10]}"


@pytest.mark.parametrize(
    "sql",
    [
        "select source_file, raw_row_number, row_reject_reason, transaction_id"
        " from staging.base_transaction_rows where row_reject_reason is not null"
        " order by raw_row_number",
        "select source_file, raw_row_number, line_key, copy_number"
        " from staging.base_transaction_copies where copy_number > 1 order by raw_row_number",
        "select * from staging.base_transaction_reject_counts order by reject_reason nulls first",
    ],
    ids=["rejected_rows", "duplicate_copies", "reject_counts"],
)
def test_spark_rejects_the_same_rows(
    spark_engine: SparkEngine, duckdb_models: DuckDBEngine, sql: str
) -> None:
    """The rows each rule rejects, by their file and line (the staging tables; its views are
    not files DuckDB can read back)."""
    assert spark_engine.fetch(sql) == duckdb_models.fetch(sql)


def test_spark_builds_without_a_customer_file(
    tmp_path: Path, fixture_files: GeneratedFiles
) -> None:
    """Without customers_path the customer input is an empty table (made through the adapter:
    Spark's catalog has no information_schema), and the customer models build on it."""
    engine = SparkEngine(tmp_path, fixture_files.transactions_path, None, _spark_dbt())
    run = build(engine, "run", "--select", "+stg_customers", check=False)
    assert run.ok, run.output[-3000:]
    assert not not_passed(run_results(engine))
    built = {
        row["unique_id"]
        for row in run_results(engine)
        if not row["unique_id"].startswith("operation.")  # the project's hooks
    }
    assert built == {
        "model.tiering.base_tiering__raw_customers",
        "model.tiering.stg_customers",
    }
