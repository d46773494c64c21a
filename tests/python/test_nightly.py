"""`make nightly` as production runs it (DuckDB): write, audit, publish.

The serving file changes only when a run built and tested everything; readers querying it in a
loop never get an error or a mix of two runs; a second run exits with one line; faults at every
step (SIGKILL while loading, building, testing or publishing, a write error, a failing test, a bad
var, a malformed input, stale data) leave the serving file exactly as it was, and the next clean
run publishes with no manual cleanup."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from bi_clients import documented_columns, reflected_columns
from customer_tiering.generate import GeneratedFiles
from customer_tiering.publish import FAULT_VARIABLE
from engines import DUCKDB_MARTS, MART_KEYS, RUN_COLUMNS, personal_values
from nightly_run import (
    ALLOW_STALE,
    CORE_MARTS,
    LIGHT,
    LOCKED,
    NOT_PUBLISHED,
    PUBLISHED,
    Nightly,
    last_line,
)

MAY = "2026-05-31"


def _state(serving: Path) -> tuple[str, float, int]:
    """The serving file's bytes (hash), modification time and inode: untouched = all equal."""
    stat = serving.stat()
    return hashlib.sha256(serving.read_bytes()).hexdigest(), stat.st_mtime, stat.st_ino


def _tables(serving: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the serving file, sorted."""
    with duckdb.connect(str(serving), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "select schema_name || '.' || table_name from duckdb_tables() order by 1"
            ).fetchall()
        ]
        return {
            name: connection.execute(f"select * from {name} order by all").fetchall()
            for name in names
        }


def _marts_without_run_columns(
    database: Path, marts: Sequence[str] = DUCKDB_MARTS
) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        found = {}
        for mart in marts:
            columns = [
                row[0]
                for row in connection.execute(
                    "select column_name from duckdb_columns() where schema_name = 'marts'"
                    " and table_name = ? order by column_index",
                    [mart],
                ).fetchall()
                if row[0] not in RUN_COLUMNS
            ]
            found[mart] = connection.execute(
                f"select {', '.join(columns)} from marts.{mart} order by {MART_KEYS[mart]}"
            ).fetchall()
        return found


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, fixture_files: GeneratedFiles) -> Nightly:
    """One nightly run on the fixture data, published; tests work on copies."""
    assert fixture_files.customers_path is not None
    nightly = Nightly(
        tmp_path_factory.mktemp("nightly"),
        {
            "transactions_path": str(fixture_files.transactions_path),
            "customers_path": str(fixture_files.customers_path),
        },
    )
    run = nightly.run(*ALLOW_STALE)
    assert run.returncode == PUBLISHED, run.stdout[-3000:]
    return nightly


@pytest.fixture
def nightly(published: Nightly, tmp_path: Path) -> Nightly:
    return published.copy_to(tmp_path / "nightly")


@pytest.fixture
def light_nightly(published: Nightly, tmp_path: Path) -> Nightly:
    """A copy whose runs leave out the history (faster), so publish the core marts only."""
    return published.copy_to(tmp_path / "nightly", LIGHT)


def test_publishes_the_tested_marts_and_nothing_else(published: Nightly) -> None:
    tables = _tables(published.serving)
    assert sorted(tables) == sorted(
        [f"marts.{mart}" for mart in DUCKDB_MARTS] + ["marts.published_run"]
    )
    assert _marts_without_run_columns(published.serving) == _marts_without_run_columns(
        published.build
    )
    assert published.serving.stat().st_mode & 0o222 == 0, "the serving file is read-only"
    (record,) = published.records()
    assert record["outcome"] == "published"
    (published_run,) = tables["marts.published_run"]
    assert published_run[0] == record["run_id"]
    assert str(published_run[1]) == record["as_of_date"] == "2026-06-30"
    assert record["rows_read"] == record["clean_rows"] + record["rejected_rows"]
    assert record["rejected_rows"] == sum(record["rejected_by_reason"].values()) > 0
    with duckdb.connect(str(published.serving), read_only=True) as connection:
        tiered = connection.execute(
            "select pyramid_tier, count(*) from marts.customer_tiers"
            " where pyramid_tier is not null group by all"
        ).fetchall()
    assert {tier: count for tier, count in tiered} == {
        tier: count for tier, count in record["customers_per_tier"].items() if count
    }
    assert record["freshness"] == "error", "the fixture is stale; --allow-stale published it"
    assert set(record["published_tables"]) == set(DUCKDB_MARTS)


def test_a_bi_tool_reads_the_documented_columns_through_sqlalchemy(published: Nightly) -> None:
    """Superset's way into DuckDB (SQLAlchemy and duckdb_engine, README "Connecting a BI tool"):
    read-only, every mart with the names, types and descriptions its YAML documents."""
    manifest = published.folder / "target" / "manifest.json"
    engine = sa.create_engine(f"duckdb:///{published.serving}", connect_args={"read_only": True})
    try:
        assert set(sa.inspect(engine).get_table_names(schema="marts")) >= set(DUCKDB_MARTS)
        for mart in DUCKDB_MARTS:
            documented = documented_columns(manifest, mart)
            assert reflected_columns(engine, "marts", mart) == documented, mart
        with engine.connect() as connection:
            count = connection.execute(sa.text("select count(*) from marts.customer_tiers"))
            assert count.scalar_one() > 0
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                connection.execute(sa.text("delete from marts.customer_tiers"))
    finally:
        engine.dispose()


def test_no_personal_data_reaches_the_serving_file(
    published: Nightly, fixture_files: GeneratedFiles
) -> None:
    """Every value of every column of every table there, against the customer file's names,
    emails and phone numbers, and the emails' keyed hashes."""
    assert fixture_files.customers_path is not None
    personal = personal_values(fixture_files.customers_path)
    assert len(personal) > 1500
    with duckdb.connect(str(published.build), read_only=True) as connection:
        staged = {
            row[0]
            for row in connection.execute(
                "select email_hash from staging.stg_customers where email_hash is not null"
            ).fetchall()
        }
    assert staged <= personal and len(staged) > 500, "the build keeps the keyed hashes"
    found = {
        f"{table}: {value}"
        for table, rows in _tables(published.serving).items()
        for row in rows
        for value in row
        if isinstance(value, str) and value.strip().lower() in personal
    }
    assert not found, sorted(found)[:5]


def test_a_rerun_is_idempotent_and_old_data_publishes_within_the_error_age(
    nightly: Nightly,
) -> None:
    """A rerun publishes the same marts; without --allow-stale, because the vars allow the data's
    age."""
    before = _marts_without_run_columns(nightly.serving)
    run = nightly.run(freshness_warn_days=100_000, freshness_error_days=100_000)
    assert run.returncode == PUBLISHED, run.stdout[-3000:]
    assert _marts_without_run_columns(nightly.serving) == before
    assert [record["outcome"] for record in nightly.records()] == ["published", "published"]
    assert nightly.records()[-1]["freshness"] == "pass"


@pytest.mark.parametrize(
    ("dbt_vars", "options", "reason"),
    [
        pytest.param(
            {"reject_share_error": 0.001, "reject_share_warn": 0.001},
            ALLOW_STALE,
            "dbt build failed: 1 node failed: reject_share_is_at_most_reject_share_error",
            id="failing-data-test",
        ),
        pytest.param(
            {"as_of_date": "2026-13-01"},
            ALLOW_STALE,
            "Invalid var as_of_date=",
            id="bad-var",
        ),
        pytest.param(
            {},
            (),
            "stale data: the latest transaction is of 2026-06-30",
            id="stale-data",
        ),
    ],
)
def test_a_failed_run_publishes_nothing(
    nightly: Nightly, dbt_vars: dict[str, Any], options: Sequence[str], reason: str
) -> None:
    before = _state(nightly.serving)
    run = nightly.run(*options, **dbt_vars)
    assert run.returncode == NOT_PUBLISHED, run.stdout[-3000:]
    last = last_line(run)
    assert last.startswith("Not published (not_published): ") and reason in last, last
    assert "Traceback" not in run.stdout + run.stderr
    assert _state(nightly.serving) == before
    assert nightly.records()[-1]["outcome"] == "not_published"


def test_a_malformed_input_publishes_nothing(nightly: Nightly, tmp_path: Path) -> None:
    malformed = tmp_path / "transactions.csv"
    malformed.write_text("id;customer;date;amount\nT1;C1;2026-06-01;10\n", encoding="utf-8")
    before = _state(nightly.serving)
    run = nightly.run(*ALLOW_STALE, transactions_path=str(malformed))
    assert run.returncode == NOT_PUBLISHED
    assert "Missing required columns 'customer_id', 'transaction_date'" in last_line(run)
    assert _state(nightly.serving) == before


def _kill_when(process: subprocess.Popen[str], marker: str) -> str:
    """SIGKILL the run (and its dbt) as soon as its output shows `marker`."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait()
    return "".join(seen)


@pytest.fixture(scope="session")
def published_may(published: Nightly, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The marts a clean run publishes after `published` with the as-of date 2026-05-31."""
    nightly = published.copy_to(tmp_path_factory.mktemp("nightly-may"), LIGHT)
    run = nightly.run(*ALLOW_STALE, as_of_date=MAY)
    assert run.returncode == PUBLISHED, run.stdout[-3000:]
    assert nightly.records()[-1]["published_tables"] == sorted(CORE_MARTS)
    assert sorted(_tables(nightly.serving)) == sorted(
        [f"marts.{mart}" for mart in CORE_MARTS] + ["marts.published_run"]
    ), "a run that leaves out the history publishes the marts it built, nothing older"
    return _marts_without_run_columns(nightly.serving, CORE_MARTS)


@pytest.mark.parametrize(
    ("marker", "fault"),
    [
        pytest.param("START hook: tiering.on-run-start.1", None, id="kill-while-loading"),
        pytest.param(
            "START sql incremental model staging.base_transaction_rows",
            None,
            id="kill-while-building",
        ),
        pytest.param("START test ", None, id="kill-while-testing"),
        pytest.param("nightly: publishing", "kill-while-publishing", id="kill-while-publishing"),
        pytest.param("nightly: publishing", "write-error", id="write-error"),
    ],
)
def test_a_fault_leaves_the_serving_file_and_the_next_run_publishes(
    light_nightly: Nightly, published_may: dict[str, Any], marker: str, fault: str | None
) -> None:
    """SIGKILL of the run and its dbt when its output shows `marker`, or a fault injected while
    publishing; then a clean run publishes the marts of a run that met no fault."""
    nightly = light_nightly
    before = _state(nightly.serving)
    process = nightly.start(*ALLOW_STALE, env={FAULT_VARIABLE: fault or ""}, as_of_date=MAY)
    output = _kill_when(process, marker) if fault is None else _output(process)
    assert marker in output, output[-2000:]
    if fault == "write-error":
        assert process.returncode == NOT_PUBLISHED, output[-2000:]
        assert "publishing failed: [Errno 28] No space left on device" in output.splitlines()[-1]
    else:
        assert process.returncode == -signal.SIGKILL, output[-2000:]
    assert _state(nightly.serving) == before

    run = nightly.run(*ALLOW_STALE, as_of_date=MAY)
    assert run.returncode == PUBLISHED, run.stdout[-3000:]
    assert _marts_without_run_columns(nightly.serving, CORE_MARTS) == published_may
    assert not list(nightly.serving.parent.glob("*.next*")), "no leftover of the fault"


def _output(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate()
    return output


def test_readers_never_fail_nor_see_two_runs_and_a_second_run_waits_or_exits(
    light_nightly: Nightly,
) -> None:
    """A reader opens the serving file read-only and queries every mart's as-of date, in a loop,
    while two runs publish two as-of dates. A run started while the first runs exits with one
    line (exit 3); with --wait it publishes after the first."""
    nightly = light_nightly
    seen: list[tuple[Any, ...]] = []
    errors: list[str] = []
    stop = threading.Event()
    as_of_dates = " union all ".join(
        f"select distinct as_of_date from marts.{mart}"
        for mart in ("customer_tiers", "pyramid_summary", "tier_strategies", "segment_evaluation")
    )
    query = (
        f"select (select count(distinct as_of_date) from ({as_of_dates})),"
        f" (select max(as_of_date) from ({as_of_dates})),"
        " (select as_of_date from marts.published_run)"
    )

    def read() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(nightly.serving), read_only=True) as connection:
                    seen.append(connection.execute(query).fetchone() or ())
            except duckdb.Error as error:
                errors.append(str(error))
            time.sleep(0.02)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        first = nightly.start(*ALLOW_STALE, as_of_date=MAY)
        assert first.stdout is not None
        for line in first.stdout:
            if "nightly: building and testing" in line:
                break
        rest: list[str] = []
        drain = threading.Thread(target=lambda: rest.extend(first.stdout or ()))
        drain.start()
        second = nightly.run(*ALLOW_STALE)
        third = nightly.run(*ALLOW_STALE, "--wait")
        first.wait()
        drain.join()
    finally:
        stop.set()
        reader.join()
    assert second.returncode == LOCKED
    assert second.stderr == ""
    (line,) = second.stdout.strip().splitlines()
    assert line.startswith("Not published (locked): another nightly run (pid "), line
    assert first.returncode == PUBLISHED, "".join(rest)[-3000:]
    assert third.returncode == PUBLISHED, third.stdout[-3000:]
    outcomes = [(record["outcome"], record["as_of_date"]) for record in nightly.records()]
    assert outcomes[-3:] == [("locked", None), ("published", MAY), ("published", "2026-06-30")]

    assert not errors, errors[:3]
    assert len(seen) > 50
    assert all(count == 1 and latest == published for count, latest, published in seen)
    assert MAY in [str(row[2]) for row in seen]
    with duckdb.connect(str(nightly.serving), read_only=True) as connection:
        assert connection.execute(query).fetchone() == (1, date(2026, 6, 30), date(2026, 6, 30))
