"""Session fixtures: a dirty generated data set, and the pipeline built on it on each engine.

The PostgreSQL server sorts text with an ICU en-US collation (as real clusters do, unlike C) and
plans every query in parallel, so that collation-dependent tie-breaks and functions that are not
parallel-safe fail here rather than on a user's server."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from customer_tiering.generate import GeneratedFiles, GeneratorParams, generate
from customer_tiering.postgres import (
    PostgresUnavailableError,
    forced_parallel_settings,
    pg_major_version,
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


# Rows whose results depend on how text is ordered: customers tied on value whose ids sort
# differently in byte order and in en-US (ICU), and duplicate transaction ids tied on date and
# amount, told apart only by such customer ids.
COLLATION_PROBE_ROWS = (
    "PROBE-1,c-2,2026-05-01,77.00,,,,,",
    "PROBE-2,C_3,2026-05-01,77.00,,,,,",
    "PROBE-3,c1,2026-05-01,77.00,,,,,",
    "PROBE-4,C1,2026-05-01,77.00,,,,,",
    "PROBE-5,b,2026-05-01,77.00,,,,,",
    "PROBE-DUP,c1,2026-05-02,12.00,,,,,",
    "PROBE-DUP,C1,2026-05-02,12.00,,,,,",
    "PROBE-DUP,C_3,2026-05-02,12.00,,,,,",
)


# Rows of the rules the generator does not write: amounts out of range, a refund status with a
# positive amount, text after a date, a date with a time and a zone (columns as in the generated
# file, status last). Both engines must give each its reason (test_engines_agree).
RULE_PROBE_ROWS = (
    "PROBE-GARBAGE,C0001,2026-05-02 garbage,10.00,,,,,",
    "PROBE-ZONED,C0001,2026-05-02T23:10:00+08:00,10.00,,,,,",
    "PROBE-HUGE,C0001,2026-05-02,12345678901234567890,,,,,",
    "PROBE-TINY,C0001,2026-05-02,0.0000004,,,,,",
    "PROBE-REFUND,C0001,2026-05-02,25.00,,,,,Refunded",
    "PROBE-RETURN,C0001,2026-05-02,-25.00,,,,,returned",
)


ON_POSTGRES = pytest.mark.xdist_group("postgres")


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@contextmanager
def _shared_folder(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[tuple[Path, bool]]:
    """A folder shared by the session's xdist workers (each has its own base temp folder, in one
    parent), held under a lock: the first worker makes its content, the others wait and reuse it.
    Yields the folder and whether its content was already made."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    made = folder / ".made"
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder, made.exists()
        made.touch()


@pytest.fixture(scope="session")
def fixture_files(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    """Generated transactions and customers with dirty rows of every reject kind, and the
    collation and rule probe rows; generated once per session, at one path for every worker."""
    with _shared_folder(tmp_path_factory, "fixture-data") as (folder, made):
        record = folder / "files.pickle"
        if made:
            return pickle.loads(record.read_bytes())
        files = generate(folder, FIXTURE_PARAMS)
        with files.transactions_path.open("a", encoding="utf-8") as out:
            out.writelines(f"{row}\n" for row in (*COLLATION_PROBE_ROWS, *RULE_PROBE_ROWS))
        record.write_bytes(pickle.dumps(files))
        return files


@pytest.fixture(scope="session")
def duckdb_engine(
    tmp_path_factory: pytest.TempPathFactory, fixture_files: GeneratedFiles
) -> DuckDBEngine:
    """The pipeline built with `dbt build` (data and unit tests included) on DuckDB: once per
    session, copied to each worker (so that a test running dbt on it touches only its copy)."""
    inputs = (fixture_files.transactions_path, fixture_files.customers_path)
    with _shared_folder(tmp_path_factory, "duckdb") as (folder, made):
        if not made:
            build(DuckDBEngine(folder, *inputs))
    work_dir = tmp_path_factory.mktemp("duckdb")
    shutil.copytree(folder, work_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
    return DuckDBEngine(work_dir, *inputs)


@pytest.fixture(scope="session")
def postgres_engine(
    tmp_path_factory: pytest.TempPathFactory, fixture_files: GeneratedFiles
) -> Iterator[PostgresEngine]:
    """The same pipeline on a throwaway PostgreSQL server (mandatory when CI=true). Tests that use
    it carry the mark ON_POSTGRES, so that xdist runs them in one worker and one server starts."""
    work_dir = tmp_path_factory.mktemp("postgres")
    try:
        server = start_server(
            work_dir / "server", settings=forced_parallel_settings(pg_major_version())
        )
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
