"""Session fixtures: a dirty generated data set, and the pipeline built on it on each engine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from customer_tiering.generate import GeneratedFiles, GeneratorParams, generate
from customer_tiering.postgres import (
    PostgresUnavailableError,
    start_server,
    stop_server,
)
from engines import DuckDBEngine, PostgresEngine, build

FIXTURE_PARAMS = GeneratorParams(
    customers=3_000,
    transactions=30_000,
    seed=20_261_129,
    end_date=date(2026, 6, 30),
    years=3,
    dirty_share=0.03,
)


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    """Generated transactions and customers with dirty rows of every reject kind."""
    return generate(tmp_path_factory.mktemp("fixture-data"), FIXTURE_PARAMS)


@pytest.fixture(scope="session")
def duckdb_engine(
    tmp_path_factory: pytest.TempPathFactory, fixture_files: GeneratedFiles
) -> DuckDBEngine:
    """The pipeline built once with `dbt build` (data and unit tests included) on DuckDB."""
    engine = DuckDBEngine(
        tmp_path_factory.mktemp("duckdb"),
        fixture_files.transactions_path,
        fixture_files.customers_path,
    )
    build(engine)
    return engine


@pytest.fixture(scope="session")
def postgres_engine(
    tmp_path_factory: pytest.TempPathFactory, fixture_files: GeneratedFiles
) -> Iterator[PostgresEngine]:
    """The same pipeline on a throwaway PostgreSQL server (mandatory when CI=true)."""
    work_dir = tmp_path_factory.mktemp("postgres")
    try:
        server = start_server(work_dir / "server")
    except PostgresUnavailableError as error:
        if _postgres_required():
            raise
        pytest.skip(f"PostgreSQL tests skipped: no server could be had ({error})")
    try:
        engine = PostgresEngine(work_dir, server)
        engine.load_inputs(
            {
                "raw_transactions": fixture_files.transactions_path,
                "raw_customers": fixture_files.customers_path,
            }
        )
        build(engine)
        yield engine
    finally:
        stop_server(server)


@pytest.fixture
def duckdb_copy(duckdb_engine: DuckDBEngine, tmp_path: Path) -> DuckDBEngine:
    """A private copy of the built DuckDB file, for tests that run dbt again."""
    engine = DuckDBEngine(tmp_path, duckdb_engine.transactions_path, duckdb_engine.customers_path)
    shutil.copy(duckdb_engine.database, engine.database)
    return engine
