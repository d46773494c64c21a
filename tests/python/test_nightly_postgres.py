"""`make nightly` on PostgreSQL: the marts are published to the schema `serving` by a schema swap,
and the read-only BI role reads that schema and nothing else."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa
from psycopg2 import errors, sql

from bi_clients import documented_columns, reflected_columns
from conftest import ON_POSTGRES
from customer_tiering.generate import GeneratedFiles
from customer_tiering.publish import FAULT_VARIABLE
from engines import PostgresEngine, personal_values
from nightly_run import (
    ALLOW_STALE,
    LIGHT,
    NOT_PUBLISHED,
    POSTGRES_CORE_MARTS,
    PUBLISHED,
    Nightly,
    last_line,
)

pytestmark = ON_POSTGRES

BI_ROLE = "tiering_bi"
# What the BI role must not read: the inputs (with the customer file's personal data), staging,
# intermediate, and the build's own marts.
PRIVATE_TABLES = (
    "raw.raw_customers",
    "raw.raw_transactions",
    "staging.stg_customers",
    "staging.stg_transactions",
    "intermediate.int_customer_metrics",
    "marts.customer_tiers",
)


def _fetch(dsn: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
        connection.autocommit = True
        cursor.execute(query, params)
        return cursor.fetchall()


def _bi_dsn(engine: PostgresEngine) -> str:
    return engine.server.dsn.replace(f"user={engine.server.user}", f"user={BI_ROLE}")


@pytest.fixture(scope="module")
def pg_nightly(
    postgres_engine: PostgresEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Nightly]:
    """A published nightly run on the session's PostgreSQL build (same vars, so its marts stay
    those of the build), with a BI role."""
    dsn = postgres_engine.server.dsn
    if not _fetch(dsn, "select 1 from pg_roles where rolname = %s", [BI_ROLE]):
        with closing(psycopg2.connect(dsn)) as connection, connection.cursor() as cursor:
            connection.autocommit = True
            cursor.execute(sql.SQL("create role {} login").format(sql.Identifier(BI_ROLE)))
    nightly = Nightly(
        tmp_path_factory.mktemp("pg-nightly"),
        {},
        LIGHT,
        {**postgres_engine.server.env(), "TIERING_PG_BI_ROLE": BI_ROLE},
    )
    run = nightly.run(*ALLOW_STALE)
    assert run.returncode == PUBLISHED, run.stdout[-3000:]
    yield nightly


def _serving_tables(dsn: str) -> dict[str, int]:
    return dict(
        _fetch(
            dsn,
            "select relname, oid::int from pg_class where relnamespace = 'serving'::regnamespace"
            " and relkind = 'r'",
        )
    )


def _rows(dsn: str, relation: str) -> list[tuple[Any, ...]]:
    return sorted(_fetch(dsn, f"select * from {relation}"), key=repr)


def test_postgres_publishes_the_built_marts_to_the_serving_schema(
    pg_nightly: Nightly, postgres_engine: PostgresEngine
) -> None:
    dsn = postgres_engine.server.dsn
    assert sorted(_serving_tables(dsn)) == sorted([*POSTGRES_CORE_MARTS, "published_run"])
    for mart in POSTGRES_CORE_MARTS:
        assert _rows(dsn, f"serving.{mart}") == _rows(dsn, f"marts.{mart}"), mart
    ((run_id, as_of_date),) = _fetch(dsn, "select run_id, as_of_date from serving.published_run")
    record = pg_nightly.records()[-1]
    assert (run_id, str(as_of_date)) == (record["run_id"], record["as_of_date"])
    assert _fetch(dsn, "select obj_description('serving.customer_tiers'::regclass)")[0][0]


def test_the_bi_role_reads_the_serving_schema_and_nothing_else(
    pg_nightly: Nightly, postgres_engine: PostgresEngine
) -> None:
    dsn = _bi_dsn(postgres_engine)
    assert _fetch(dsn, "select count(*) from serving.customer_tiers")[0][0] > 0
    for relation in PRIVATE_TABLES:
        with pytest.raises(errors.InsufficientPrivilege):
            _fetch(dsn, f"select * from {relation} limit 1")
    for statement in (
        "delete from serving.customer_tiers",
        "insert into serving.published_run select * from serving.published_run",
        "create table serving.mine (x int)",
        "drop table serving.published_run",
    ):
        with pytest.raises((errors.InsufficientPrivilege, errors.DependentObjectsStillExist)):
            _fetch(dsn, statement)
    readable = _fetch(
        postgres_engine.server.dsn,
        "select table_schema, table_name from information_schema.tables"
        " where table_schema not in ('pg_catalog', 'information_schema')"
        " and has_table_privilege(%s, quote_ident(table_schema) || '.' || quote_ident(table_name),"
        " 'select')",
        [BI_ROLE],
    )
    assert {schema for schema, _ in readable} == {"serving"}
    writable = _fetch(
        postgres_engine.server.dsn,
        "select table_name from information_schema.tables"
        " where table_schema not in ('pg_catalog', 'information_schema')"
        " and has_table_privilege(%s, quote_ident(table_schema) || '.' || quote_ident(table_name),"
        " 'insert, update, delete, truncate')",
        [BI_ROLE],
    )
    assert writable == []


def test_a_bi_tool_reads_the_documented_columns_as_the_bi_role(
    pg_nightly: Nightly, postgres_engine: PostgresEngine
) -> None:
    """What Superset, Metabase or Power BI see through the read-only role (SQLAlchemy over
    psycopg2): every serving mart with the names, types and descriptions its YAML documents."""
    manifest = pg_nightly.folder / "target" / "manifest.json"
    dsn = _bi_dsn(postgres_engine)
    engine = sa.create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(dsn))
    try:
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names(schema="serving")) == {
            *POSTGRES_CORE_MARTS,
            "published_run",
        }
        for mart in POSTGRES_CORE_MARTS:
            documented = documented_columns(manifest, mart)
            assert reflected_columns(engine, "serving", mart) == documented, mart
            assert inspector.get_table_comment(mart, schema="serving")["text"], mart
    finally:
        engine.dispose()


def test_postgres_serving_holds_no_personal_data(
    pg_nightly: Nightly, postgres_engine: PostgresEngine, fixture_files: GeneratedFiles
) -> None:
    """Every text value the BI role can read, against the customer file's names, emails, phone
    numbers and email hashes."""
    assert fixture_files.customers_path is not None
    personal = personal_values(fixture_files.customers_path)
    dsn = _bi_dsn(postgres_engine)
    found = [
        f"{table}: {value}"
        for table in _serving_tables(postgres_engine.server.dsn)
        for row in _fetch(dsn, f"select * from serving.{table}")
        for value in row
        if isinstance(value, str) and value.strip().lower() in personal
    ]
    assert not found, found[:5]


def test_postgres_a_failed_run_leaves_the_serving_schema(
    pg_nightly: Nightly, postgres_engine: PostgresEngine
) -> None:
    dsn = postgres_engine.server.dsn
    before = _serving_tables(dsn), _rows(dsn, "serving.published_run")
    run = pg_nightly.run(*ALLOW_STALE, as_of_date="2026-02-30")
    assert run.returncode == NOT_PUBLISHED
    assert "Invalid var as_of_date=" in last_line(run)
    assert (_serving_tables(dsn), _rows(dsn, "serving.published_run")) == before


def test_postgres_a_killed_run_leaves_the_serving_schema_and_readers_never_block_the_next(
    pg_nightly: Nightly, postgres_engine: PostgresEngine
) -> None:
    """A run killed between two table copies (one transaction, never committed) leaves the
    serving schema. Then a reader queries in a loop while the next run publishes, and another
    holds a transaction open on the serving tables all along (as a slow BI query does): the run
    neither fails nor waits for it, drops the killed run's half-made copy, and each statement
    reads one publication whole."""
    before = (
        _serving_tables(postgres_engine.server.dsn),
        _rows(postgres_engine.server.dsn, "serving.published_run"),
    )
    killed = pg_nightly.run(*ALLOW_STALE, env={FAULT_VARIABLE: "kill-while-publishing"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-3000:]
    assert (
        _serving_tables(postgres_engine.server.dsn),
        _rows(postgres_engine.server.dsn, "serving.published_run"),
    ) == before
    dsn = _bi_dsn(postgres_engine)
    query = (
        "select (select count(distinct as_of_date) from (select as_of_date from"
        " serving.customer_tiers union all select as_of_date from serving.pyramid_summary) as d),"
        " (select run_id from serving.published_run)"
    )
    seen: list[tuple[Any, ...]] = []
    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with closing(psycopg2.connect(dsn)) as connection:
            connection.autocommit = True
            while not stop.is_set():
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(query)
                        seen.append(cursor.fetchone() or ())
                except psycopg2.Error as error:
                    failures.append(str(error))
                time.sleep(0.02)

    reader = threading.Thread(target=read)
    with closing(psycopg2.connect(dsn)) as holder, holder.cursor() as held:
        held.execute(query)
        (before,) = held.fetchall()
        reader.start()
        try:
            run = pg_nightly.run(*ALLOW_STALE)
        finally:
            stop.set()
            reader.join()
        held.execute(query)
        ((count, run_id),) = held.fetchall()
        # Read committed: its next statement reads the new publication, whole.
        assert count == 1 and run_id != before[1]
    assert run.returncode == PUBLISHED, run.stdout[-3000:]
    assert "is still read by a session; the next run drops it" in run.stdout
    assert not failures, failures[:3]
    assert seen and all(count == 1 for count, _ in seen)
    records = pg_nightly.records()
    assert {run_id for _, run_id in seen} <= {
        record["run_id"] for record in records if record["outcome"] == "published"
    }
    assert _fetch(dsn, "select run_id from serving.published_run") == [(records[-1]["run_id"],)]
    half_made = "select nspname from pg_namespace where nspname = 'serving_next'"
    assert _fetch(postgres_engine.server.dsn, half_made) == []
