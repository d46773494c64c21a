"""The end-of-build report, on tiny DuckDB files built by hand (no dbt run)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

from customer_tiering.report import main

PYRAMID_DDL = """
create table marts.pyramid_summary (
    pyramid_tier varchar,
    tier_order integer,
    as_of_date date,
    customers bigint,
    customer_share double,
    revenue decimal(18, 2),
    revenue_share double,
    cumulative_revenue_share double
)
"""
INPUTS_DDL = (
    "create table staging.base_transactions (transaction_id varchar, reject_reason varchar)"
)

NORMAL_PYRAMID = [
    ("B", 2, "2026-06-30", 4, 0.04, 2_000.5, 0.2, 0.7),
    ("A", 1, "2026-06-30", 1, 0.01, 5_000.0, 0.5, 0.5),
    ("D", 4, "2026-06-30", 80, 0.8, 1_000.0, 0.1, 1.0),
    ("C", 3, "2026-06-30", 15, 0.15, 1_999.5, 0.2, 0.9),
]
NORMAL_INPUTS = (
    [None] * 1_990
    + ["transaction_date_too_early"] * 4
    + ["non_numeric_amount"] * 3
    + ["duplicate_transaction_id"] * 3
)


def _database(
    path: Path,
    pyramid: Sequence[tuple[object, ...]] | None = NORMAL_PYRAMID,
    inputs: Sequence[str | None] | None = NORMAL_INPUTS,
) -> Path:
    """A DuckDB file with the given rows; None leaves the relation (and its schema) out."""
    database = path / "tiering.duckdb"
    with duckdb.connect(str(database)) as connection:
        if pyramid is not None:
            connection.execute("create schema marts")
            connection.execute(PYRAMID_DDL)
            if pyramid:
                connection.executemany(
                    "insert into marts.pyramid_summary values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [list(row) for row in pyramid],
                )
        if inputs is not None:
            connection.execute("create schema staging")
            connection.execute(INPUTS_DDL)
            connection.execute(
                "insert into staging.base_transactions "
                "select 'T' || i, reasons[i + 1] from range(?) t(i), (select ?::varchar[] reasons)",
                [len(inputs), list(inputs)],
            )
    return database


def _report(database: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["--duckdb", str(database)]) == 0
    return capsys.readouterr().out.splitlines()


def _marts_line(database: Path) -> str:
    return (
        f"Marts published in {database}: "
        "marts.customer_tiers, marts.tier_strategies, marts.pyramid_summary"
    )


HEADER = "tier    customers    share           revenue    share  cum. share"


def test_normal_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = _database(tmp_path)
    assert _report(database, capsys) == [
        _marts_line(database),
        "Input: 2,000 rows read, 1,990 clean, 10 rejected (0.5 %): "
        "transaction_date_too_early 4, duplicate_transaction_id 3, non_numeric_amount 3",
        "Customer pyramid at 2026-06-30:",
        HEADER,
        "A               1     1.0%          5,000.00    50.0%       50.0%",
        "B               4     4.0%          2,000.50    20.0%       70.0%",
        "C              15    15.0%          1,999.50    20.0%       90.0%",
        "D              80    80.0%          1,000.00    10.0%      100.0%",
    ]


def test_no_reject(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _report(_database(tmp_path, inputs=[None]), capsys)
    assert lines[1] == "Input: 1 row read, 1 clean, 0 rejected (0.0 %)"


def test_empty_pyramid_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = _database(tmp_path, pyramid=[])
    assert _report(database, capsys)[2:] == [
        "No customer in the marts (marts.pyramid_summary has no row)."
    ]


def test_pyramid_rows_with_null_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What pyramid_summary holds when customer_tiers is empty: tiers without figures."""
    pyramid = [
        ("A", 1, None, 0, None, 0, None, None),
        ("B", 2, None, None, None, None, None, None),
        (None, None, None, None, None, None, None, None),
    ]
    assert _report(_database(tmp_path, pyramid=pyramid), capsys)[2:] == [
        "Customer pyramid (no as-of date):",
        HEADER,
        "A               0        -              0.00        -           -",
        "B               -        -                 -        -           -",
        "-               -        -                 -        -           -",
        "No customer in the marts.",
    ]


def test_empty_base_transactions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _report(_database(tmp_path, inputs=[]), capsys)
    assert lines[1] == "Input: no row read (the transactions input is empty)."
    assert lines[2] == "Customer pyramid at 2026-06-30:"


def test_without_base_transactions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _report(_database(tmp_path, inputs=None), capsys)
    assert lines[1] == "Input: skipped, staging.base_transactions not found."
    assert lines[2:4] == ["Customer pyramid at 2026-06-30:", HEADER]
    assert len(lines) == 8


def test_without_any_relation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = _database(tmp_path, pyramid=None, inputs=None)
    assert _report(database, capsys) == [
        _marts_line(database),
        "Input: skipped, staging.base_transactions not found.",
        "Customer pyramid: skipped, marts.pyramid_summary not found.",
    ]


def test_unreadable_view_is_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A view whose underlying table is gone is reported, not a traceback."""
    database = _database(tmp_path, inputs=None)
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema staging")
        connection.execute("create table staging.raw_rows (reject_reason varchar)")
        connection.execute(
            "create view staging.base_transactions as select * from staging.raw_rows"
        )
        connection.execute("drop table staging.raw_rows")
    line = _report(database, capsys)[1]
    assert line.startswith("Input: skipped, staging.base_transactions could not be read (")


def test_missing_database_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "absent.duckdb"
    assert _report(database, capsys) == [f"No DuckDB file at {database}: nothing to report."]
    assert not database.exists()
