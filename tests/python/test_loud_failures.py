"""Nothing useful happened = an error, never a green run: inputs that would publish empty or
meaningless marts stop the build with a message naming the problem and the fix, and the marts
published before stay exactly as they were. Rejects above a share warn, then fail."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

from engines import (
    BUILD_WITHOUT_UNIT_TESTS,
    MARTS,
    DuckDBEngine,
    Row,
    build,
    fetch_mart,
    run_results,
)

HEADER = ("transaction_id", "customer_id", "transaction_date", "amount", "cost")


def _write(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as outfile:
        writer = csv.writer(outfile)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _purchases(count: int, date_text: str = "1997-{month:02d}-15") -> list[list[str]]:
    return [
        [f"T{i}", f"C{i % 40}", date_text.format(month=i % 12 + 1), f"{10 + i % 90}.50", ""]
        for i in range(count)
    ]


def _snapshot(engine: DuckDBEngine) -> dict[str, list[Row]]:
    return {mart: fetch_mart(engine, mart) for mart in MARTS}


def _fails_and_keeps_marts(
    engine: DuckDBEngine, messages: Sequence[str], **dbt_vars: object
) -> str:
    before = _snapshot(engine)
    run = build(engine, *BUILD_WITHOUT_UNIT_TESTS, check=False, **dbt_vars)
    assert not run.ok
    for message in messages:
        assert message in run.output, run.output[-3000:]
    after = _snapshot(engine)
    changed = [mart for mart in MARTS if after[mart] != before[mart]]
    assert not changed, f"marts replaced: {changed}"
    return run.output


def test_a_header_only_file_publishes_nothing(duckdb_copy: DuckDBEngine, tmp_path: Path) -> None:
    empty = _write(tmp_path / "header_only.csv", [])
    _fails_and_keeps_marts(
        duckdb_copy, ["The transactions input has no rows"], transactions_path=str(empty)
    )


def test_a_file_whose_every_row_is_rejected_names_the_reasons_and_the_var(
    duckdb_copy: DuckDBEngine, tmp_path: Path
) -> None:
    """A 1997 export with dates written 19970115: every row unparseable under the default format."""
    export = _write(tmp_path / "1997.csv", _purchases(200, "1997{month:02d}15"))
    output = _fails_and_keeps_marts(
        duckdb_copy,
        [
            "No clean transaction: 200 rows read, 0 clean, 200 rejected (100.0 %), every row",
            "unparseable_transaction_date 200 (set the var date_formats",
        ],
        transactions_path=str(export),
    )
    assert "Transactions input: 200 rows read, 0 clean, 200 rejected" in output


def test_a_1997_file_builds_with_the_default_floor(
    duckdb_copy: DuckDBEngine, tmp_path: Path
) -> None:
    """earliest_valid_date defaults to 1900-01-01, which no real history predates."""
    export = _write(tmp_path / "1997.csv", _purchases(200))
    build(
        duckdb_copy, *BUILD_WITHOUT_UNIT_TESTS, transactions_path=str(export), customers_path=None
    )
    summary = duckdb_copy.fetch(
        "select as_of_date, sum(customers) as n from marts.pyramid_summary group by 1"
    )
    assert [(str(row["as_of_date"]), row["n"]) for row in summary] == [("1997-12-15", 40)]


def test_an_as_of_date_before_every_purchase_publishes_nothing(duckdb_copy: DuckDBEngine) -> None:
    _fails_and_keeps_marts(
        duckdb_copy,
        [
            "No purchase (a clean transaction with a positive amount)"
            " on or before the var as_of_date=1990-01-01"
        ],
        as_of_date="1990-01-01",
    )


def test_profit_with_an_empty_cost_column_is_refused(
    duckdb_copy: DuckDBEngine, tmp_path: Path
) -> None:
    export = _write(tmp_path / "no_costs.csv", _purchases(50))
    _fails_and_keeps_marts(
        duckdb_copy,
        ["The var pyramid_basis is 'profit' but the cost column", "is empty in every row"],
        transactions_path=str(export),
        pyramid_basis="profit",
    )


def test_every_missing_column_is_named(duckdb_copy: DuckDBEngine, tmp_path: Path) -> None:
    export = _write(
        tmp_path / "two_missing.csv", [["T1", "1997-01-01"]], ("id", "transaction_date")
    )
    _fails_and_keeps_marts(
        duckdb_copy,
        [f"Missing required columns 'customer_id', 'amount' in {export}"],
        transactions_path=str(export),
    )


def test_an_unrecognised_delimiter_is_named(duckdb_copy: DuckDBEngine, tmp_path: Path) -> None:
    export = tmp_path / "semicolons.csv"
    export.write_text(
        "transaction_id;customer_id;transaction_date;amount\nT1;C1;1997-01-01;10\n",
        encoding="utf-8",
    )
    _fails_and_keeps_marts(
        duckdb_copy,
        ["the delimiter was not recognised: set the var csv_delimiter"],
        transactions_path=str(export),
        csv_delimiter=",",
    )


def test_an_encoding_duckdb_cannot_read_names_the_conversion(duckdb_copy: DuckDBEngine) -> None:
    _fails_and_keeps_marts(
        duckdb_copy,
        ["python -m customer_tiering.inputs to-utf8 --encoding gb18030"],
        csv_encoding="GB18030",
    )


@pytest.fixture
def half_rejected(tmp_path: Path) -> Path:
    """60 % of the rows have amounts written with a decimal comma."""
    rows = _purchases(100)
    for row in rows[:60]:
        row[3] = row[3].replace(".", ",")
    return _write(tmp_path / "half_rejected.csv", rows)


def _test_statuses(engine: DuckDBEngine) -> dict[str, tuple[str, int | None]]:
    return {
        row["unique_id"].split(".")[2]: (row["status"], row["failures"])
        for row in run_results(engine)
        if row["unique_id"].startswith("test.")
    }


def test_rejects_above_the_error_share_fail_the_build(
    duckdb_copy: DuckDBEngine, half_rejected: Path
) -> None:
    output = _fails_and_keeps_marts(
        duckdb_copy,
        ["rejected (60.0 %): non_numeric_amount 60 (set the vars decimal_separator"],
        transactions_path=str(half_rejected),
    )
    assert "reject_share_is_at_most_reject_share_error" in output
    statuses = _test_statuses(duckdb_copy)
    assert statuses["reject_share_is_at_most_reject_share_error"] == ("fail", 1)
    assert statuses["reject_share_is_at_most_reject_share_warn"] == ("warn", 1)


RECONCILIATION = "assert_customer_amounts_reconcile_to_clean_transactions"
MONOTONE_SHARE = "assert_cumulative_revenue_share_is_monotone"
# Each singular test of the mart against a mart broken in a way only it catches.
BROKEN_TIERS = {
    # A buyer lost on the way: the purchases count whoever made them, so the sums differ.
    (RECONCILIATION, "top buyer dropped"): "delete from marts.customer_tiers where customer_id ="
    " (select customer_id from marts.customer_tiers order by monetary desc, customer_id limit 1)",
    (RECONCILIATION, "a cent added"): "update marts.customer_tiers set monetary = monetary + 0.01"
    " where customer_id = (select min(customer_id) from marts.customer_tiers)",
    (RECONCILIATION, "a lifetime cent lost"): "update marts.customer_tiers set lifetime_revenue ="
    " lifetime_revenue - 0.01 where customer_id ="
    " (select max(customer_id) from marts.customer_tiers)",
    (
        RECONCILIATION,
        "a profit cent added",
    ): "update marts.customer_tiers set profit = profit + 0.01"
    " where customer_id = (select min(customer_id) from marts.customer_tiers)",
    # The second customer of the ranking below the first.
    (MONOTONE_SHARE, "a share below the one before"): "update marts.customer_tiers"
    " set cumulative_revenue_share = 0 where customer_id = (select customer_id"
    " from marts.customer_tiers order by revenue_rank, customer_id limit 1 offset 1)",
    # Never decreasing, but not ending at 1.
    (MONOTONE_SHARE, "no share reaches 1"): "update marts.customer_tiers"
    " set cumulative_revenue_share = 0.5",
}


@pytest.mark.parametrize(("test_name", "breakage"), sorted(BROKEN_TIERS))
def test_the_mart_tests_catch_a_broken_mart(
    duckdb_copy: DuckDBEngine, test_name: str, breakage: str
) -> None:
    with duckdb.connect(str(duckdb_copy.database)) as connection:
        connection.execute(BROKEN_TIERS[test_name, breakage])
    run = build(duckdb_copy, "test", "--select", test_name, check=False)
    assert not run.ok, run.output[-3000:]
    tests = [r for r in run_results(duckdb_copy) if r["unique_id"].startswith("test.")]
    assert [(test["unique_id"].split(".")[2], test["status"]) for test in tests] == [
        (test_name, "fail")
    ]
