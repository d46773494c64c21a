"""The catalogue of bad inputs (README, "Bad inputs"): each kind has its expected outcome, never
silent and never a stack trace.

Rows that can be judged one by one are quarantined with a reason: all of them are files (or rows
of a file) in one folder, built once, and each kind is checked on its own rows. Inputs that make
the whole run meaningless stop it with a message naming the problem and the fix, and leave the
published marts exactly as they were."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engines import BUILD_WITHOUT_UNIT_TESTS, DUCKDB_MARTS, DuckDBEngine, Row, build, fetch_mart

HEADER = ("transaction_id", "customer_id", "transaction_date", "amount", "status")
GOOD_ROWS = [
    (f"G{i}", f"C{i % 20}", f"2026-{i % 5 + 1:02d}-{i % 27 + 1:02d}", f"{10 + i}.50", "")
    for i in range(100)
]
# Every kind of bad row: its id, its fields (transaction_id, customer_id, date, amount, status)
# and the reject reason it must get (None: kept as a clean row).
BAD_ROWS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "impossible_date": (("B1", "C1", "2026-02-30", "5", ""), "unparseable_transaction_date"),
    "trailing_garbage_after_date": (
        ("B2", "C1", "2026-01-05 garbage", "5", ""),
        "unparseable_transaction_date",
    ),
    "date_with_time_and_zone": (("B3", "C1", "2026-01-05T23:10:00+08:00", "5", ""), None),
    "excel_serial_date": (("B4", "C1", "45000", "5", ""), "unparseable_transaction_date"),
    "date_before_1900": (("B5", "C1", "1899-12-30", "5", ""), "transaction_date_too_early"),
    "date_in_the_future": (("B6", "C1", "2999-01-01", "5", ""), "transaction_date_in_future"),
    "thousands_separator_without_its_var": (
        ("B7", "C1", "2026-01-05", "1,234.50", ""),
        "non_numeric_amount",
    ),
    "currency_symbol": (("B8", "C1", "2026-01-05", "¥12.00", ""), "non_numeric_amount"),
    "currency_code": (("B9", "C1", "2026-01-05", "12.00 CNY", ""), "non_numeric_amount"),
    "scientific_notation": (("B10", "C1", "2026-01-05", "1.5e3", ""), "non_numeric_amount"),
    "nan": (("B11", "C1", "2026-01-05", "NaN", ""), "non_numeric_amount"),
    "infinity": (("B12", "C1", "2026-01-05", "-Infinity", ""), "non_numeric_amount"),
    "huge_amount": (
        ("B13", "C1", "2026-01-05", "12345678901234567890.00", ""),
        "amount_out_of_range",
    ),
    "tiny_amount": (("B14", "C1", "2026-01-05", "0.0000004", ""), "amount_out_of_range"),
    "missing_customer": (("B15", " ", "2026-01-05", "5", ""), "missing_customer_id"),
    "missing_amount": (("B16", "C1", "2026-01-05", "", ""), "missing_amount"),
    "refund_status_with_positive_amount": (
        ("B17", "C1", "2026-01-05", "50.00", "refunded"),
        "refund_with_positive_amount",
    ),
    "return_status_with_positive_amount": (
        ("B18", "C1", "2026-01-05", "50.00", " Returned "),
        "refund_with_positive_amount",
    ),
    "refund_status_with_negative_amount": (("B19", "C1", "2026-01-05", "-50.00", "refund"), None),
    "cancelled": (("B20", "C1", "2026-01-05", "5", "CANCELLED"), "cancelled"),
    "unknown_customer": (("B21", "NOT-IN-FILE", "2026-01-05", "5", ""), None),
}
# The duplicate transaction id B22: a second copy with other content (reported by a warning).
CONFLICTING_COPY = ("B22", "C2", "2026-01-05", "7", "")
CONFLICTING_KEPT = ("B22", "C1", "2026-01-05", "5", "")


@dataclass(frozen=True)
class BadFile:
    """A file of its own: its writer (into a folder, returning the file) and the reason each of
    its rows must get (by transaction id)."""

    write: Callable[[Path], Path]
    reasons: dict[str, str | None] = field(default_factory=dict)


def _csv(path: Path, rows: Sequence[Sequence[str]], **options: Any) -> Path:
    encoding = options.pop("encoding", "utf-8")
    with path.open("w", encoding=encoding, newline="") as outfile:
        csv.writer(outfile, **options).writerows([HEADER, *rows])
    return path


def _raw(name: str, text: str, encoding: str = "utf-8") -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


def _parquet(name: str, dates: pa.Array) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        table = pa.table(
            {
                "transaction_id": [f"{name}-{i}" for i in range(len(dates))],
                "customer_id": ["C1"] * len(dates),
                "transaction_date": dates,
                "amount": [5.25] * len(dates),
            }
        )
        pq.write_table(table, path)
        return path

    return write


BAD_FILES: dict[str, BadFile] = {
    "byte_order_mark": BadFile(
        _raw(
            "bom.csv",
            "\ufefftransaction_id,customer_id,transaction_date,amount\nF1,C1,2026-01-05,5\n",
        ),
        {"F1": None},
    ),
    "crlf_line_endings": BadFile(
        _raw(
            "crlf.csv",
            "transaction_id,customer_id,transaction_date,amount\r\nF2,C1,2026-01-05,5\r\n",
        ),
        {"F2": None},
    ),
    "quoted_commas_and_newlines": BadFile(
        _raw(
            "quoted.csv",
            "transaction_id,customer_id,transaction_date,amount,product_category\n"
            'F3,C1,2026-01-05,5,"shoes, red\nsize 42"\n',
        ),
        {"F3": None},
    ),
    "ragged_row_with_a_missing_field": BadFile(
        _raw(
            "ragged.csv",
            "transaction_id,customer_id,transaction_date,amount\nF4,C1,2026-01-05\nF5,C1,2026-01-05,5\n",
        ),
        {"F4": "missing_amount", "F5": None},
    ),
    "parquet_integer_dates": BadFile(
        _parquet("int-dates.parquet", pa.array([20260105], pa.int64())),
        {"int-dates.parquet-0": None},
    ),
    "parquet_string_dates": BadFile(
        _parquet("string-dates.parquet", pa.array(["2026-01-05"])),
        {"string-dates.parquet-0": None},
    ),
    "parquet_timestamp_with_time_zone": BadFile(
        # 2026-01-06 01:30 in Shanghai is 2026-01-05 17:30 UTC: the var timezone reads it as the
        # 6th, the business's day.
        _parquet(
            "tz.parquet",
            pa.array([1_767_634_200_000_000], pa.timestamp("us", tz="UTC")),
        ),
        {"tz.parquet-0": None},
    ),
}
# The tests of the catalogue's one build run in one worker (one build, not one per worker).
IN_ONE_WORKER = pytest.mark.xdist_group("bad-input-catalogue")
CATALOGUE_VARS = {"timezone": "Asia/Shanghai", "date_formats": ["YYYY-MM-DD", "YYYYMMDD"]}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBEngine, str]:
    """Every row-level bad input in one folder of files, built once (with every data test)."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    inputs = folder / "inputs"
    inputs.mkdir()
    rows = [fields for fields, _ in BAD_ROWS.values()]
    _csv(inputs / "rows.csv", [*GOOD_ROWS, CONFLICTING_KEPT, *rows, CONFLICTING_COPY])
    for bad_file in BAD_FILES.values():
        bad_file.write(inputs)
    customers = folder / "customers.csv"
    # C3 is listed twice (a customer file with duplicate customers).
    customers.write_text(
        "customer_id,region\n" + "".join(f"C{i},north\n" for i in [*range(20), 3]),
        encoding="utf-8",
    )
    engine = DuckDBEngine(folder, inputs / "*", customers)
    run = build(engine, *BUILD_WITHOUT_UNIT_TESTS, **CATALOGUE_VARS)
    return engine, run.output


@IN_ONE_WORKER
@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_a_bad_row_is_quarantined_with_its_reason(
    catalogue: tuple[DuckDBEngine, str], kind: str
) -> None:
    engine, _ = catalogue
    fields, reason = BAD_ROWS[kind]
    (row,) = engine.fetch(
        f"select reject_reason from staging.base_transactions where transaction_id = '{fields[0]}'"
    )
    assert row["reject_reason"] == reason


@IN_ONE_WORKER
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_file_written_oddly_is_read_row_by_row(
    catalogue: tuple[DuckDBEngine, str], kind: str
) -> None:
    engine, _ = catalogue
    expected = BAD_FILES[kind].reasons
    ids = ", ".join(f"'{transaction_id}'" for transaction_id in expected)
    found = engine.fetch(
        "select transaction_id, reject_reason, transaction_date, amount"
        f" from staging.base_transactions where transaction_id in ({ids})"
    )
    assert {row["transaction_id"]: row["reject_reason"] for row in found} == expected
    for row in found:
        if row["reject_reason"] is None:
            assert str(row["transaction_date"]) == (
                "2026-01-06" if kind == "parquet_timestamp_with_time_zone" else "2026-01-05"
            )
            assert float(row["amount"]) in (5.0, 5.25)


@IN_ONE_WORKER
def test_conflicting_duplicate_ids_are_quarantined_and_reported(
    catalogue: tuple[DuckDBEngine, str],
) -> None:
    engine, output = catalogue
    rows = engine.fetch(
        "select customer_id, amount, reject_reason from staging.base_transactions"
        " where transaction_id = 'B22' order by reject_reason nulls first"
    )
    assert [(row["customer_id"], row["reject_reason"]) for row in rows] == [
        ("C1", None),
        ("C2", "duplicate_transaction_id"),
    ]
    assert "WARN 1 assert_duplicate_transaction_ids_agree" in output


@IN_ONE_WORKER
def test_transactions_of_customers_missing_from_the_customer_file_are_reported(
    catalogue: tuple[DuckDBEngine, str],
) -> None:
    _, output = catalogue
    assert "WARN 1 assert_every_buyer_is_in_the_customer_file" in output


@IN_ONE_WORKER
def test_a_customer_listed_twice_is_kept_once_and_reported(
    catalogue: tuple[DuckDBEngine, str],
) -> None:
    engine, output = catalogue
    assert engine.fetch(
        "select count(*) as n from staging.stg_customers where customer_id = 'C3'"
    ) == [{"n": 1}]
    assert "WARN 1 assert_customer_file_lists_each_customer_once" in output


@IN_ONE_WORKER
def test_every_raw_row_is_accounted_for(catalogue: tuple[DuckDBEngine, str]) -> None:
    engine, _ = catalogue
    expected = (
        len(GOOD_ROWS)
        + len(BAD_ROWS)
        + 2
        + sum(len(bad_file.reasons) for bad_file in BAD_FILES.values())
    )
    ((count,),) = [
        tuple(row.values())
        for row in engine.fetch("select count(*) from staging.base_transactions")
    ]
    assert count == expected


# --- inputs that stop the run -------------------------------------------------------------


def _snapshot(engine: DuckDBEngine) -> dict[str, list[Row]]:
    return {mart: fetch_mart(engine, mart) for mart in DUCKDB_MARTS}


STOPPING_INPUTS: dict[str, tuple[Callable[[Path], Path], dict[str, Any], str]] = {
    "zero_byte_file": (_raw("zero.csv", ""), {}, "is empty (0 bytes)"),
    "header_only": (
        _raw("header.csv", "transaction_id,customer_id,transaction_date,amount\n"),
        {},
        "The transactions input has no rows",
    ),
    "every_row_rejected": (
        lambda folder: _csv(
            folder / "bad.csv", [(f"T{i}", "C1", "yesterday", "5", "") for i in range(50)]
        ),
        {},
        "No clean transaction: 50 rows read, 0 clean, 50 rejected (100.0 %)",
    ),
    "wrong_delimiter": (
        lambda folder: _csv(folder / "semi.csv", GOOD_ROWS[:20], delimiter=";"),
        {"csv_delimiter": ","},
        "the delimiter was not recognised: set the var csv_delimiter",
    ),
    "gb18030_without_its_encoding": (
        lambda folder: _csv(
            folder / "gb.csv",
            [("T1", "客户一", "2026-01-05", "5", "已完成")] * 3,
            encoding="gb18030",
        ),
        {},
        "not utf-8 encoded",
    ),
    "a_glob_matching_nothing": (
        lambda folder: folder / "exports" / "*.csv",
        {},
        "no file matches that path",
    ),
    "a_folder": (
        lambda folder: (
            _csv((folder / "exports").mkdir() or folder / "exports" / "a.csv", GOOD_ROWS).parent
        ),
        {},
        "is a folder: pass a glob of its files",
    ),
    "a_spreadsheet": (
        _raw("book.xlsx", "PK\x03\x04"),
        {},
        "expected a .csv, .csv.gz, .txt or .parquet file",
    ),
    "missing_required_column": (
        _raw("noamount.csv", "transaction_id,customer_id,transaction_date\nT1,C1,2026-01-05\n"),
        {},
        "Missing required column 'amount'",
    ),
    "more_fields_than_the_header": (
        _raw(
            "extra.csv",
            "transaction_id,customer_id,transaction_date,amount\nT1,C1,2026-01-05,5\nT2,C1,2026-01-05,1,234.00\n",
        ),
        {},
        "has more fields than its header",
    ),
}


@pytest.mark.parametrize("kind", sorted(STOPPING_INPUTS))
def test_an_unusable_input_stops_the_run_and_keeps_the_marts(
    duckdb_copy: DuckDBEngine, tmp_path: Path, kind: str
) -> None:
    write, dbt_vars, message = STOPPING_INPUTS[kind]
    path = write(tmp_path)
    before = _snapshot(duckdb_copy)
    run = build(
        duckdb_copy, *BUILD_WITHOUT_UNIT_TESTS, check=False, transactions_path=str(path), **dbt_vars
    )
    assert not run.ok
    assert message in run.output, run.output[-3000:]
    assert "Traceback" not in run.output
    assert _snapshot(duckdb_copy) == before
