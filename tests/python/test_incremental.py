"""Incremental loads from a folder of files: a night with a new file, a file corrected in place, a
file gone, and a rerun on unchanged input each leave exactly the tables a full build of the same
folder gives, and read only the files they must; the tests then read the files not yet
verified. The customer metrics are updated from the rows of a night, or computed again when an
update could not be exact, and equal a full build's either way."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import duckdb
import pytest

from customer_tiering.dbt_runner import DbtRun
from customer_tiering.generate import GeneratedFiles
from engines import (
    BUILD_WITHOUT_UNIT_TESTS,
    MARTS,
    MODELS_ONLY,
    DuckDBEngine,
    Row,
    build,
    fetch_mart,
    first_difference,
    run_results,
)

# Every column but load_version, whose file versions differ between two folders.
BASE_COLUMNS = (
    "source_file, raw_row_number, transaction_id, line_id, line_key, customer_id, "
    "transaction_date, amount, cost, quantity, channel, product_category, status, "
    "transaction_date_text, amount_text, cost_text, reject_reason"
)

# What stg_customers logs when its input is, or is not, the one it was built from.
CUSTOMERS_KEPT = "stg_customers: raw_customers unchanged, nothing to read."
CUSTOMERS_READ = "stg_customers: raw_customers changed, reading it again."
# What base_transaction_copies logs when it ranks the keys of new rows, or every key.
COPIES_OF_NEW_ROWS = "base_transaction_copies: ranking the copies of the keys of rows loaded since"
COPIES_OF_EVERY_KEY = "base_transaction_copies: ranking the copies of every key."
# What int_customer_metrics logs when it updates the customers of its previous build, or not.
METRICS_UPDATED = "int_customer_metrics: updating the customers computed at"
METRICS_COMPUTED = "int_customer_metrics: computing every customer ({reason})."


def split_into_files(source: Path, folder: Path, parts: Sequence[str]) -> list[Path]:
    """The rows of the CSV `source` cut into consecutive files named `parts`, in that order."""
    header, *rows = source.read_text(encoding="utf-8").splitlines()
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(rows) // len(parts))
    paths = []
    for index, name in enumerate(parts):
        path = folder / name
        chunk = rows[index * size : (index + 1) * size]
        path.write_text("\n".join([header, *chunk]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def base_rows(engine: DuckDBEngine) -> list[Row]:
    """base_transactions by file and row, its file names relative to the folder."""
    rows = engine.fetch(
        f"select {BASE_COLUMNS} from staging.base_transactions order by source_file, raw_row_number"
    )
    return [{**row, "source_file": Path(row["source_file"]).name} for row in rows]


def files_read(run: DbtRun) -> tuple[int, int, int]:
    """(files read, files in the input, files gone) as base_transactions logged them."""
    found = re.search(
        r"base_transaction_rows: (\d+) of (\d+) input files to read, (\d+) gone", run.output
    )
    assert found, run.output[-3000:]
    return int(found[1]), int(found[2]), int(found[3])


def customer_metrics(engine: DuckDBEngine) -> list[Row]:
    """int_customer_metrics by customer, without state_version (when each was computed)."""
    return engine.fetch(
        "select * exclude (state_version) from intermediate.int_customer_metrics"
        " order by customer_id"
    )


def metrics_history(engine: DuckDBEngine) -> list[Row]:
    """int_customer_metrics_history by period end and customer, without when it was computed."""
    return engine.fetch(
        "select * exclude (computed_at, state_version)"
        " from intermediate.int_customer_metrics_history order by as_of_date, customer_id"
    )


def assert_same_as_full_build(
    incremental: DuckDBEngine, folder: Path, tmp_path: Path, label: str, **dbt_vars: object
) -> None:
    """The incremental engine's base table, customer metrics and marts equal those of a full
    build of `folder` with the same vars."""
    full = DuckDBEngine(tmp_path / f"full-{label}", incremental.transactions_path, None)
    full.work_dir.mkdir()
    build(full, *MODELS_ONLY, transactions_path=str(folder / "*.csv"), **dbt_vars)
    for name, fetch in (
        ("base rows", base_rows),
        ("customer metrics", customer_metrics),
        ("metrics history", metrics_history),
        *((mart, partial(fetch_mart, mart=mart)) for mart in MARTS),
    ):
        difference = first_difference(fetch(incremental), fetch(full))
        assert not difference, f"{label}: {name}: {difference}"


def verified_files(engine: DuckDBEngine) -> list[str]:
    """The file names the verification record holds, sorted."""
    rows = engine.fetch("select source_file from staging.tiering_verified_files")
    return sorted(Path(row["source_file"]).name for row in rows)


# The test a customer listed twice in stg_customers fails (its name in run_results).
CUSTOMERS_FAILING_TEST = "unique_stg_customers_customer_id"


def duplicate_a_customer(engine: DuckDBEngine) -> None:
    """List one customer of stg_customers twice."""
    with duckdb.connect(str(engine.database)) as connection:
        connection.execute(
            "insert into staging.stg_customers select * from staging.stg_customers limit 1"
        )


def remove_the_duplicate(engine: DuckDBEngine) -> None:
    """Undo `duplicate_a_customer`."""
    with duckdb.connect(str(engine.database)) as connection:
        connection.execute(
            "delete from staging.stg_customers where rowid = (select max(rowid) from"
            " staging.stg_customers)"
        )


def tamper(engine: DuckDBEngine, file_name: str) -> None:
    """Give one clean row of `file_name` a reject reason that does not exist."""
    with duckdb.connect(str(engine.database)) as connection:
        connection.execute(
            "update staging.base_transaction_rows set row_reject_reason = 'no_such_reason'"
            " where raw_row_number = (select min(raw_row_number) from staging.base_transaction_rows"
            f"   where row_reject_reason is null and source_file like '%{file_name}')"
            f" and source_file like '%{file_name}'"
        )


def untamper(engine: DuckDBEngine) -> None:
    """Undo `tamper`."""
    with duckdb.connect(str(engine.database)) as connection:
        connection.execute(
            "update staging.base_transaction_rows set row_reject_reason = null"
            " where row_reject_reason = 'no_such_reason'"
        )


# The test a row with an unknown reject reason fails (its name in run_results, without the hash).
FAILING_TEST = (
    "relationships_base_transaction_rows_row_reject_reason__reject_reason__ref_reject_reasons_"
)


def failing_tests(engine: DuckDBEngine, glob: str, **dbt_vars: object) -> list[str]:
    """`dbt test` of the data (not the unit tests, which test the code, as on the nightly
    schedule) on `engine`: the names (up to the hash) of the tests that failed."""
    run = build(
        engine,
        "test",
        "--exclude",
        "resource_type:unit_test",
        transactions_path=glob,
        check=False,
        **dbt_vars,
    )
    failed = sorted(
        result["unique_id"].split(".")[2]
        for result in run_results(engine)
        if result["status"] == "fail"
    )
    assert run.ok == (not failed), run.output[-3000:]
    return failed


@pytest.fixture
def folder_engine(tmp_path: Path, fixture_files: GeneratedFiles) -> DuckDBEngine:
    engine = DuckDBEngine(tmp_path / "incremental", fixture_files.transactions_path, None)
    engine.work_dir.mkdir()
    return engine


def test_nightly_files_load_incrementally_and_match_a_full_build(
    folder_engine: DuckDBEngine,
    duckdb_engine: DuckDBEngine,
    fixture_files: GeneratedFiles,
    tmp_path: Path,
) -> None:
    folder = tmp_path / "daily"
    glob = str(folder / "*.csv")
    day_1, day_2, day_3 = split_into_files(
        fixture_files.transactions_path, tmp_path / "all", ["day-1.csv", "day-2.csv", "day-3.csv"]
    )
    folder.mkdir()
    customers = str(fixture_files.customers_path)

    # Night 1: two files, a full build.
    for path in (day_1, day_2):
        (folder / path.name).write_bytes(path.read_bytes())
    build(folder_engine, *MODELS_ONLY, transactions_path=glob, customers_path=customers)

    # Night 2: one new file; only it is read, and the marts equal those of the single file.
    (folder / day_3.name).write_bytes(day_3.read_bytes())
    run = build(
        folder_engine, *BUILD_WITHOUT_UNIT_TESTS, transactions_path=glob, customers_path=customers
    )
    assert files_read(run) == (1, 3, 0)
    assert CUSTOMERS_KEPT in run.output
    assert COPIES_OF_NEW_ROWS in run.output
    for mart in MARTS:
        difference = first_difference(
            fetch_mart(folder_engine, mart), fetch_mart(duckdb_engine, mart)
        )
        assert not difference, f"{mart}: {difference}"
    # Every test passed: the files are verified, the customer file too.
    customers_name = Path(customers).name
    verified = sorted([customers_name, "day-1.csv", "day-2.csv", "day-3.csv"])
    assert verified_files(folder_engine) == verified
    # The tests of the verified customer file then read nothing; verify_every_row reads it.
    duplicate_a_customer(folder_engine)
    assert CUSTOMERS_FAILING_TEST not in failing_tests(
        folder_engine, glob, customers_path=customers
    )
    assert CUSTOMERS_FAILING_TEST in failing_tests(
        folder_engine, glob, customers_path=customers, verify_every_row=True
    )
    remove_the_duplicate(folder_engine)

    # A rerun on unchanged input reads nothing and changes nothing.
    before = base_rows(folder_engine)
    run = build(folder_engine, "run", transactions_path=glob, customers_path=customers)
    assert files_read(run) == (0, 3, 0)
    assert base_rows(folder_engine) == before

    # A late correction of day 2 (rewritten in place: rows dropped, an amount changed) on the
    # night day 1 leaves the folder: day 2 is read again and day 1's rows go.
    header, *rows = (folder / day_2.name).read_text(encoding="utf-8").splitlines()
    corrected = [header, *rows[: len(rows) // 2]]
    corrected[1] = re.sub(r"^([^,]*,[^,]*,[^,]*,)[^,]*", r"\g<1>999.99", corrected[1])
    (folder / day_2.name).write_text("\n".join(corrected) + "\n", encoding="utf-8")
    stat = (folder / day_2.name).stat()
    os.utime(folder / day_2.name, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    (folder / day_1.name).unlink()
    # The customer file is dropped the same night: stg_customers is built again, without it.
    run = build(folder_engine, "run", transactions_path=glob)
    assert files_read(run) == (1, 2, 1)
    assert CUSTOMERS_READ in run.output
    assert COPIES_OF_EVERY_KEY in run.output

    # The tests that follow read the corrected file, not yet verified in its new version, and
    # catch a fault in it; a failed test verifies nothing.
    tamper(folder_engine, day_2.name)
    assert FAILING_TEST in failing_tests(folder_engine, glob)
    assert verified_files(folder_engine) == verified
    untamper(folder_engine)
    # A fault in a verified file is left to verify_every_row, which reads every row.
    tamper(folder_engine, day_3.name)
    assert FAILING_TEST not in failing_tests(folder_engine, glob)
    assert FAILING_TEST in failing_tests(folder_engine, glob, verify_every_row=True)
    untamper(folder_engine)
    assert_same_as_full_build(folder_engine, folder, tmp_path, "corrected")

    # --full-refresh forgets what was verified, so its tests read every row; a run that leaves
    # out a test of the input's rows verifies nothing.
    run = build(
        folder_engine,
        *BUILD_WITHOUT_UNIT_TESTS,
        CUSTOMERS_FAILING_TEST,
        "--full-refresh",
        transactions_path=glob,
    )
    assert "Forgot the verified files (--full-refresh)" in run.output
    assert not re.search(r"Verified \d+ of \d+ input files", run.output)
    # Once they pass, every file is verified again, though the tests of the history (which read
    # tables computed from the rows) were left out.
    run = build(folder_engine, *BUILD_WITHOUT_UNIT_TESTS, "tag:history", transactions_path=glob)
    assert "Verified 2 of 2 input files." in run.output
    assert verified_files(folder_engine) == ["day-2.csv", "day-3.csv"]


def test_changing_how_rows_are_read_reloads_every_file(duckdb_copy: DuckDBEngine) -> None:
    run = build(duckdb_copy, "run", earliest_valid_date="2024-01-01")
    assert files_read(run) == (1, 1, 0)
    counts = duckdb_copy.fetch(
        "select"
        " count(*) filter (where row_reject_reason = 'transaction_date_too_early') as too_early,"
        " count(*) filter (where row_reject_reason is null"
        "   and transaction_date < date '2024-01-01') as clean_before"
        " from staging.base_transaction_rows"
    )
    assert counts[0]["too_early"] > 0
    assert counts[0]["clean_before"] == 0


def test_full_refresh_rebuilds_from_every_file(duckdb_copy: DuckDBEngine) -> None:
    run = build(duckdb_copy, "run", "--full-refresh", "--select", "base_transactions")
    assert "input files to read" not in run.output
    rows = duckdb_copy.fetch("select count(*) as n from staging.base_transactions")
    assert rows[0]["n"] > 0


TRANSACTION_HEADER = (
    "transaction_id,customer_id,transaction_date,amount,cost,"
    "quantity,channel,product_category,status"
)


def write_transactions(path: Path, rows: Sequence[Row]) -> None:
    """A transaction file of `rows` (transaction_id, customer_id, transaction_date, amount,
    cost): one unit, web, completed."""
    lines = [
        f"{row['transaction_id']},{row['customer_id']},{row['transaction_date']},{row['amount']},"
        f"{'' if row['cost'] is None else row['cost']},1,web,apparel,completed"
        for row in rows
    ]
    path.write_text("\n".join([TRANSACTION_HEADER, *lines]) + "\n", encoding="utf-8")


def clean_rows(engine: DuckDBEngine, where: str, limit: int) -> list[Row]:
    """Clean transactions of `engine` (stg_transactions) matching `where`, the first by id."""
    return engine.fetch(
        "select transaction_id, customer_id, transaction_date, amount, cost"
        f" from staging.stg_transactions where {where} order by transaction_id limit {limit}"
    )


def test_customer_metrics_are_updated_night_after_night(
    fixture_files: GeneratedFiles, tmp_path: Path
) -> None:
    folder = tmp_path / "daily"
    folder.mkdir()
    glob = str(folder / "*.csv")
    # The history, a generated file with dirty rows of every kind; its name sorts after the
    # nightly files', so that a copy in one of those is kept before it when all else is equal.
    (folder / "history.csv").write_bytes(fixture_files.transactions_path.read_bytes())
    engine = DuckDBEngine(tmp_path / "nightly", fixture_files.transactions_path, None)
    engine.work_dir.mkdir()
    run = build(engine, *MODELS_ONLY, transactions_path=glob)
    assert METRICS_COMPUTED.format(reason="first build, or --full-refresh") in run.output
    latest = engine.fetch("select max(transaction_date) as day from staging.stg_transactions")[0][
        "day"
    ]

    # Night 1: the as-of date moves a day (rows cross the edges of the window and of the
    # lifecycle periods); purchases and a refund of known customers, a new customer, and copies
    # of earlier transactions (same customer and day) that outrank them: one with a lower
    # amount, one identical but for its cost, kept for its file name.
    known = clean_rows(engine, "amount > 0 and cost is not null", 6)
    next_day = latest + timedelta(days=1)
    night_1 = [
        {**known[0], "transaction_id": "N1-1", "transaction_date": next_day},
        {**known[1], "transaction_id": "N1-2", "transaction_date": next_day, "amount": "-5.00"},
        {**known[2], "transaction_id": "N1-3", "transaction_date": latest - timedelta(days=400)},
        {
            **known[0],
            "transaction_id": "N1-4",
            "customer_id": "NEW-1",
            "transaction_date": next_day,
        },
        {**known[3], "amount": known[3]["amount"] - Decimal("0.01")},
        {**known[4], "cost": None},
    ]
    write_transactions(folder / "day-1.csv", night_1)
    run = build(engine, *MODELS_ONLY, transactions_path=glob)
    assert METRICS_UPDATED in run.output
    # The history computes the new as-of date's period end, and those from the earliest day of a
    # row loaded (the copies are of earlier rows, as is N1-3).
    late_day = min(row["transaction_date"] for row in night_1)
    for history in ("int_customer_metrics_history", "customer_tier_history"):
        (plan,) = [line for line in run.output.splitlines() if f"{history}: " in line]
        assert f" to {next_day}): the as-of date's, every one from {late_day} (rows" in plan
    assert_same_as_full_build(engine, folder, tmp_path, "night-1")

    # A rerun on the same input updates nothing and changes nothing.
    before = customer_metrics(engine)
    run = build(engine, *MODELS_ONLY, transactions_path=glob)
    assert METRICS_UPDATED in run.output
    assert customer_metrics(engine) == before

    # Night 2: a copy dated a day earlier outranks a transaction counted before: the customer's
    # first or last purchase may move, so every customer is computed again.
    write_transactions(
        folder / "day-2.csv",
        [{**known[5], "transaction_date": known[5]["transaction_date"] - timedelta(days=1)}],
    )
    run = build(engine, *MODELS_ONLY, transactions_path=glob)
    assert (
        METRICS_COMPUTED.format(
            reason="1 rows counted before are outranked by a copy of another customer, day or sign"
        )
        in run.output
    )
    assert_same_as_full_build(engine, folder, tmp_path, "night-2")

    # An as-of date given as a var and moving forward is an update; moving back, or another
    # window, computes every customer again.
    as_of = str(next_day + timedelta(days=30))
    run = build(engine, *MODELS_ONLY, transactions_path=glob, as_of_date=as_of)
    assert METRICS_COMPUTED.format(reason="vars changed, or transaction_grain: line") in run.output
    run = build(
        engine, *MODELS_ONLY, transactions_path=glob, as_of_date=str(next_day + timedelta(days=95))
    )
    assert METRICS_UPDATED in run.output
    assert_same_as_full_build(
        engine, folder, tmp_path, "forward", as_of_date=str(next_day + timedelta(days=95))
    )
    run = build(engine, *MODELS_ONLY, transactions_path=glob, as_of_date=as_of)
    assert METRICS_COMPUTED.format(reason="the as-of date moved back") in run.output
