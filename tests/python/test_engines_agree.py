"""PostgreSQL and DuckDB publish the same marts from the same input."""

from __future__ import annotations

import pytest

from conftest import ON_POSTGRES
from engines import (
    HISTORY_MARTS,
    MARTS,
    DuckDBEngine,
    PostgresEngine,
    build,
    differences,
    fetch_mart,
    without_clusters,
)

pytestmark = ON_POSTGRES


@pytest.mark.parametrize("mart", MARTS)
def test_postgres_and_duckdb_publish_the_same_mart(
    duckdb_engine: DuckDBEngine, postgres_engine: PostgresEngine, mart: str
) -> None:
    duckdb_rows = without_clusters(fetch_mart(duckdb_engine, mart))
    found = differences(duckdb_rows, fetch_mart(postgres_engine, mart))
    assert not found, f"{len(found)} differences, e.g. {found[:10]}"


def test_postgres_rejects_the_same_rows(
    duckdb_engine: DuckDBEngine, postgres_engine: PostgresEngine
) -> None:
    sql = (
        "select raw_row_number, reject_reason, transaction_id"
        " from staging.stg_transactions_rejected order by raw_row_number"
    )
    assert duckdb_engine.fetch(sql) == postgres_engine.fetch(sql)


def test_ties_are_broken_in_byte_order_on_every_collation(
    duckdb_engine: DuckDBEngine, postgres_engine: PostgresEngine
) -> None:
    """The probe rows (conftest): copies of one transaction id tied on date and amount keep the
    customer first in byte order ('C1' < 'C_3' < 'c1'; en-US would say 'c1' < 'C1')."""
    sql = "select customer_id from staging.stg_transactions where transaction_id = 'PROBE-DUP'"
    for engine in (duckdb_engine, postgres_engine):
        assert engine.fetch(sql) == [{"customer_id": "C1"}], engine.name


def test_postgres_updates_the_customer_metrics_on_a_rerun(postgres_engine: PostgresEngine) -> None:
    """A rerun on unchanged input takes the update path of int_customer_metrics (every CTE of it
    runs, with nothing to add) and leaves every customer as it was."""
    sql = (
        "select * from intermediate.int_customer_metrics"
        f" order by customer_id{postgres_engine.byte_order}"
    )
    before = postgres_engine.fetch(sql)
    run = build(postgres_engine, "run", "--select", "int_customer_metrics")
    assert "int_customer_metrics: updating the customers computed at" in run.output
    after = postgres_engine.fetch(sql)
    assert [row["state_version"] for row in after] != [row["state_version"] for row in before]
    assert (
        differences(
            [{**row, "state_version": None} for row in after],
            [{**row, "state_version": None} for row in before],
        )
        == []
    )


def test_postgres_updates_the_history_on_a_rerun(postgres_engine: PostgresEngine) -> None:
    """A rerun of the history on unchanged input takes its update path (the as-of date's period
    end computed again into the contracted incremental marts) and leaves every row as it was."""
    before = {mart: fetch_mart(postgres_engine, mart) for mart in HISTORY_MARTS}
    run = build(postgres_engine, "run", "--select", "tag:history")
    assert "customer_tier_history: computing 1 of " in run.output
    for mart in HISTORY_MARTS:
        found = differences(fetch_mart(postgres_engine, mart), before[mart])
        assert not found, f"{mart}: {len(found)} differences, e.g. {found[:5]}"
