"""On PostgreSQL too, bad configuration stops the run with a clear message, marts untouched."""

from __future__ import annotations

import psycopg2

from conftest import ON_POSTGRES
from engines import MARTS, PostgresEngine, Row, build, fetch_mart

pytestmark = ON_POSTGRES


def _snapshot(engine: PostgresEngine) -> dict[str, list[Row]]:
    return {mart: fetch_mart(engine, mart) for mart in MARTS}


def _execute(engine: PostgresEngine, sql: str) -> None:
    with psycopg2.connect(engine.server.dsn) as connection, connection.cursor() as cursor:
        cursor.execute(sql)


def test_missing_required_column_names_the_column_and_the_table(
    postgres_engine: PostgresEngine,
) -> None:
    _execute(
        postgres_engine,
        "drop schema if exists raw_without_amount cascade;"
        " create schema raw_without_amount;"
        " create table raw_without_amount.raw_transactions as"
        " select transaction_id, customer_id, transaction_date, cost from raw.raw_transactions",
    )
    before = _snapshot(postgres_engine)
    run = build(postgres_engine, check=False, raw_schema="raw_without_amount")
    assert not run.ok
    assert "Missing required column 'amount' in" in run.output
    assert "raw_without_amount" in run.output
    assert "START sql" not in run.output
    assert _snapshot(postgres_engine) == before


def test_bad_var_stops_the_run(postgres_engine: PostgresEngine) -> None:
    before = _snapshot(postgres_engine)
    run = build(postgres_engine, check=False, pyramid_cut_points=[0.2, 0.05, 0.01])
    assert not run.ok
    assert "Invalid var pyramid_cut_points=[0.2, 0.05, 0.01]" in run.output
    assert _snapshot(postgres_engine) == before


def test_missing_input_table_says_where_it_was_looked_for(postgres_engine: PostgresEngine) -> None:
    run = build(postgres_engine, check=False, raw_schema="no_such_schema")
    assert not run.ok
    assert "No input table no_such_schema.raw_transactions" in run.output
