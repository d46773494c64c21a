"""Hand-computed cases proving the reference implementation right."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import segment_reference

import reference as ref

EARLIEST = date(2000, 1, 1)
RUN_DATE = date(2024, 6, 30)
ALL_COLUMNS = ref.REQUIRED_COLUMNS + ref.OPTIONAL_COLUMNS
_ids = itertools.count(1)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def raw_frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    """Raw text frame with every column; unspecified values are ''."""
    return pd.DataFrame(
        {c: pd.Series([r.get(c, "") for r in rows], dtype=str) for c in ALL_COLUMNS}
    )


def tx(customer_id: str, day: str | date, amount: str | int, cost: str = "") -> dict[str, str]:
    """One raw transaction with a fresh transaction id."""
    return {
        "transaction_id": f"T{next(_ids)}",
        "customer_id": customer_id,
        "transaction_date": str(day),
        "amount": str(amount),
        "cost": cost,
    }


def clean_of(rows: list[dict[str, str]]) -> pd.DataFrame:
    """Clean frame of raw rows that must all be clean."""
    clean, rejected = ref.clean_transactions(raw_frame(rows), EARLIEST, RUN_DATE)
    assert rejected.empty, rejected
    return clean


def reason_of(row: dict[str, str]) -> str | None:
    """Reject reason of a single raw row (None when clean)."""
    clean, rejected = ref.clean_transactions(raw_frame([row]), EARLIEST, RUN_DATE)
    assert len(clean) + len(rejected) == 1
    return None if rejected.empty else rejected.loc[0, "reject_reason"]


def by_customer(frame: pd.DataFrame) -> dict[str, dict[str, object]]:
    """Rows of a per-customer frame keyed by customer_id."""
    return {row["customer_id"]: row for row in frame.to_dict("records")}


def purchases(revenues: list[int]) -> pd.DataFrame:
    """Clean frame with one purchase per customer Cnnnn of the given revenue."""
    rows = [tx(f"C{i:04d}", "2024-01-01", v) for i, v in enumerate(revenues)]
    return clean_of(rows)


def with_monetary(values: list[int]) -> pd.DataFrame:
    """Clean frame where customer Cnnnn has one purchase of 1000 and an
    adjustment row of value - 1000, so monetary == value (even <= 0)."""
    rows = [tx(f"C{i:04d}", "2023-12-01", 1000) for i in range(len(values))]
    rows += [tx(f"C{i:04d}", "2023-12-02", v - 1000) for i, v in enumerate(values)]
    return clean_of(rows)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def test_read_csv_keeps_text_and_adds_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "amount,transaction_id,customer_id,transaction_date,status\n"
        "NaN,T1, C1 ,2024-01-01,\n"
        ",T2,C2,2024-01-02,cancelled\n"
        "007.50,T3,C3,2024-01-03,null\n"
    )
    raw = ref.read_raw_transactions(path)
    assert raw["amount"].tolist() == ["NaN", "", "007.50"]
    assert raw["customer_id"].tolist() == [" C1 ", "C2", "C3"]
    assert raw["status"].tolist() == ["", "cancelled", "null"]
    for column in ("cost", "quantity", "channel", "product_category"):
        assert raw[column].tolist() == ["", "", ""]
    assert set(raw.attrs["absent_optional_columns"]) == {
        "cost",
        "quantity",
        "channel",
        "product_category",
    }
    assert all(isinstance(v, str) for v in raw.to_numpy().ravel())


def test_read_csv_short_line_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("transaction_id,customer_id,transaction_date,amount\nT1,C1,2024-01-01\n")
    raw = ref.read_raw_transactions(path)
    assert raw["amount"].tolist() == [""]
    _, rejected = ref.clean_transactions(raw, EARLIEST, RUN_DATE)
    assert rejected["reject_reason"].tolist() == ["missing_amount"]


def test_read_parquet_as_text(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pd.DataFrame(
        {
            "transaction_id": ["T1", "T2"],
            "customer_id": ["C1", None],
            "transaction_date": [date(2024, 1, 1), date(2024, 1, 2)],
            "amount": [12.5, None],
            "cost": ["1", "NaN"],
        }
    ).to_parquet(path)
    raw = ref.read_raw_transactions(path)
    assert raw["customer_id"].tolist() == ["C1", ""]
    assert raw["transaction_date"].tolist() == ["2024-01-01", "2024-01-02"]
    assert raw["amount"].tolist() == ["12.5", ""]
    assert raw["cost"].tolist() == ["1", "NaN"]
    assert raw["status"].tolist() == ["", ""]


def test_read_rejects_missing_required_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("transaction_id,customer_id,amount\nT1,C1,5\n")
    with pytest.raises(ValueError, match="transaction_date"):
        ref.read_raw_transactions(path)


# --------------------------------------------------------------------------
# Cleaning: reasons and precedence
# --------------------------------------------------------------------------

GOOD = {
    "transaction_id": "T1",
    "customer_id": "C1",
    "transaction_date": "2024-01-01",
    "amount": "10",
}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"transaction_id": ""}, "missing_transaction_id"),
        ({"transaction_id": "   "}, "missing_transaction_id"),
        ({"customer_id": " "}, "missing_customer_id"),
        ({"transaction_date": ""}, "missing_transaction_date"),
        ({"transaction_date": "2023-02-30"}, "unparseable_transaction_date"),
        ({"transaction_date": "2023-13-01"}, "unparseable_transaction_date"),
        ({"transaction_date": "2023/01/01"}, "unparseable_transaction_date"),
        ({"transaction_date": "20230101"}, "unparseable_transaction_date"),
        ({"transaction_date": "2023-001-01"}, "unparseable_transaction_date"),
        ({"transaction_date": "2023-01-01x"}, "unparseable_transaction_date"),
        ({"transaction_date": "01/02/2023"}, "unparseable_transaction_date"),
        ({"transaction_date": "1999-12-31"}, "transaction_date_too_early"),
        ({"transaction_date": "2024-07-01"}, "transaction_date_in_future"),
        ({"amount": ""}, "missing_amount"),
        ({"amount": "   "}, "missing_amount"),
        ({"amount": "1e3"}, "non_numeric_amount"),
        ({"amount": "1,000"}, "non_numeric_amount"),
        ({"amount": "$5"}, "non_numeric_amount"),
        ({"amount": "abc"}, "non_numeric_amount"),
        ({"amount": "NaN"}, "non_numeric_amount"),
        ({"amount": "."}, "non_numeric_amount"),
        ({"amount": "-"}, "non_numeric_amount"),
        ({"amount": "- 5"}, "non_numeric_amount"),
        ({"amount": "1234567890123456789"}, "amount_out_of_range"),
        ({"amount": "0.0000004"}, "amount_out_of_range"),
        ({"amount": "0.0000000"}, None),
        ({"amount": "50", "status": "Refunded"}, "refund_with_positive_amount"),
        ({"amount": "-50", "status": "refunded"}, None),
        ({"transaction_date": "2024-01-05 garbage"}, "unparseable_transaction_date"),
        ({"transaction_date": "2024-01-05T"}, "unparseable_transaction_date"),
        ({"transaction_date": "2024-01-05T23:10:00+08:00"}, None),
        ({"status": "cancelled"}, "cancelled"),
        ({"status": " CANCELLED "}, "cancelled"),
        # Precedence: the first matching rule wins.
        ({"customer_id": "", "amount": "abc"}, "missing_customer_id"),
        ({"transaction_id": "", "customer_id": ""}, "missing_transaction_id"),
        (
            {"transaction_date": "2023-02-30", "amount": ""},
            "unparseable_transaction_date",
        ),
        (
            {"transaction_date": "1999-01-01", "amount": "x"},
            "transaction_date_too_early",
        ),
        (
            {"transaction_date": "2030-01-01", "amount": ""},
            "transaction_date_in_future",
        ),
        ({"amount": "abc", "status": "cancelled"}, "non_numeric_amount"),
        ({"amount": "", "status": "cancelled"}, "missing_amount"),
    ],
)
def test_reject_reason(changes: dict[str, str], reason: str) -> None:
    assert reason_of({**GOOD, **changes}) == reason


def test_one_digit_month_and_day_parse() -> None:
    assert reason_of({**GOOD, "transaction_date": "2023-1-5 08:00"}) is None


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("12.50", Decimal("12.50")),
        ("-3", Decimal(-3)),
        ("+4.", Decimal(4)),
        (".5", Decimal("0.5")),
        ("-.5", Decimal("-0.5")),
        ("0", Decimal(0)),
        ("123456789012345678", Decimal(123456789012345678)),
        (
            "1.123456789012345678901234567890",
            Decimal("1.123456789012345678901234567890"),
        ),
    ],
)
def test_numeric_amounts_are_clean(amount: str, expected: Decimal) -> None:
    clean = clean_of([{**GOOD, "amount": amount}])
    assert clean.loc[0, "amount"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000-01-01", date(2000, 1, 1)),
        ("2024-06-30", RUN_DATE),
        ("2024-02-29", date(2024, 2, 29)),
        ("2024-05-01T10:00:00", date(2024, 5, 1)),
        ("2024-05-01 23:59:59+08:00", date(2024, 5, 1)),
        ("2024-05-01T08:30Z", date(2024, 5, 1)),
        ("2024-05-01 2:30 PM", date(2024, 5, 1)),
    ],
)
def test_date_edges_and_time_part_are_clean(text: str, expected: date) -> None:
    clean = clean_of([{**GOOD, "transaction_date": text}])
    assert clean.loc[0, "transaction_date"] == expected


def test_status_other_than_cancelled_is_clean() -> None:
    for status in ("canceled", "cancelled!", "completed", "", "refund pending"):
        assert reason_of({**GOOD, "status": status}) is None


def test_whitespace_padded_values_stay_clean() -> None:
    row = {
        "transaction_id": "  T9 ",
        "customer_id": "  C1  ",
        "transaction_date": " 2024-01-05 ",
        "amount": "  12.50 ",
        "cost": " 2.5 ",
    }
    clean = clean_of([row])
    got = clean.loc[0]
    assert got["transaction_id"] == "T9"
    assert got["customer_id"] == "C1"
    assert got["transaction_date"] == date(2024, 1, 5)
    assert got["amount"] == Decimal("12.50")
    assert got["cost"] == Decimal("2.5")


def test_bad_or_missing_cost_is_null_never_a_reject() -> None:
    rows = [
        {**GOOD, "transaction_id": f"T{i}", "cost": c}
        for i, c in enumerate(["abc", "", "NaN", "1e3", "-.5"])
    ]
    clean = clean_of(rows)
    assert clean["cost"].tolist() == [None, None, None, None, Decimal("-0.5")]


def test_clean_columns_and_types() -> None:
    clean = clean_of([{**GOOD, "quantity": "2", "channel": "web"}])
    assert list(clean.columns) == list(ref.CLEAN_COLUMNS)
    assert isinstance(clean.loc[0, "transaction_date"], date)
    assert isinstance(clean.loc[0, "amount"], Decimal)


def test_rejected_keeps_raw_text_and_counts_reconcile() -> None:
    rows = [
        {**GOOD, "transaction_id": " T1 ", "customer_id": ""},
        {**GOOD, "transaction_id": "T2"},
        {**GOOD, "transaction_id": "T3", "amount": " abc "},
    ]
    raw = raw_frame(rows)
    clean, rejected = ref.clean_transactions(raw, EARLIEST, RUN_DATE)
    assert len(clean) + len(rejected) == len(raw)
    assert list(rejected.columns) == [*list(raw.columns), "reject_reason"]
    assert rejected["transaction_id"].tolist() == [" T1 ", "T3"]
    assert rejected["amount"].tolist() == ["10", " abc "]
    assert rejected["reject_reason"].tolist() == [
        "missing_customer_id",
        "non_numeric_amount",
    ]


# --------------------------------------------------------------------------
# Cleaning: duplicates
# --------------------------------------------------------------------------


def dup_outcome(variants: list[dict[str, str]]) -> tuple[list[str], list[str]]:
    """(customer_ids kept, reasons rejected) for rows sharing id 'D1'."""
    rows = [{**GOOD, "transaction_id": "D1", **v} for v in variants]
    clean, rejected = ref.clean_transactions(raw_frame(rows), EARLIEST, RUN_DATE)
    assert len(clean) + len(rejected) == len(rows)
    return clean["customer_id"].tolist(), rejected["reject_reason"].tolist()


def test_duplicate_keeps_earliest_date() -> None:
    kept, reasons = dup_outcome(
        [
            {"customer_id": "late", "transaction_date": "2024-01-02"},
            {"customer_id": "early", "transaction_date": "2024-01-01T23:00"},
        ]
    )
    assert kept == ["early"]
    assert reasons == ["duplicate_transaction_id"]


def test_duplicate_then_smallest_amount_numerically() -> None:
    # As text '10' < '9.5'; numerically 9.5 < 10 (and -20 < 9.5).
    kept, _ = dup_outcome(
        [
            {"customer_id": "ten", "amount": "10"},
            {"customer_id": "nine", "amount": "9.5"},
        ]
    )
    assert kept == ["nine"]
    kept, _ = dup_outcome(
        [
            {"customer_id": "nine", "amount": "9.5"},
            {"customer_id": "refund", "amount": "-20"},
        ]
    )
    assert kept == ["refund"]


def test_duplicate_then_customer_id_binary_order() -> None:
    kept, _ = dup_outcome([{"customer_id": "a"}, {"customer_id": "B"}, {"customer_id": "b"}])
    assert kept == ["B"]  # 'B' (0x42) < 'a' (0x61) < 'b'


def test_duplicate_then_text_of_optional_columns() -> None:
    # cost compared as text: '10' < '9'.
    cost_text = [{"cost": "9"}, {"cost": "10"}]
    rows = [{**GOOD, "transaction_id": "D1", **v} for v in cost_text]
    clean, _ = ref.clean_transactions(raw_frame(rows), EARLIEST, RUN_DATE)
    assert clean["cost"].tolist() == [Decimal(10)]
    # cost equal -> quantity, then channel, product_category, status.
    for column in ("quantity", "channel", "product_category", "status"):
        rows = [
            {**GOOD, "transaction_id": "D1", "customer_id": "second", column: "y"},
            {**GOOD, "transaction_id": "D1", "customer_id": "first", column: "x"},
        ]
        clean, _ = ref.clean_transactions(raw_frame(rows), EARLIEST, RUN_DATE)
        assert clean["customer_id"].tolist() == ["first"], column


def test_duplicate_precedence_of_keys() -> None:
    # Date beats amount, amount beats customer id, customer id beats cost.
    kept, _ = dup_outcome(
        [
            {"customer_id": "A", "transaction_date": "2024-01-02", "amount": "1"},
            {"customer_id": "Z", "transaction_date": "2024-01-01", "amount": "99"},
        ]
    )
    assert kept == ["Z"]
    kept, _ = dup_outcome(
        [{"customer_id": "A", "amount": "2"}, {"customer_id": "Z", "amount": "1"}]
    )
    assert kept == ["Z"]
    kept, _ = dup_outcome([{"customer_id": "Z", "cost": "1"}, {"customer_id": "A", "cost": "2"}])
    assert kept == ["A"]


def test_duplicate_missing_optional_text_sorts_last() -> None:
    # A missing cost (NULL) sorts after any present cost text.
    rows = [
        {**GOOD, "transaction_id": "D1", "cost": ""},
        {**GOOD, "transaction_id": "D1", "cost": "5"},
    ]
    clean, _ = ref.clean_transactions(raw_frame(rows), EARLIEST, RUN_DATE)
    assert clean["cost"].tolist() == [Decimal(5)]


def test_duplicate_three_copies_and_trimmed_ids() -> None:
    kept, reasons = dup_outcome(
        [
            {"customer_id": "c", "amount": "3"},
            {"customer_id": "a", "amount": "1", "transaction_id": " D1 "},
            {"customer_id": "b", "amount": "2"},
        ]
    )
    assert kept == ["a"]
    assert reasons == ["duplicate_transaction_id"] * 2


def test_duplicate_ignores_rows_rejected_earlier() -> None:
    rows = [
        {
            **GOOD,
            "transaction_id": "D1",
            "customer_id": "x",
            "status": "cancelled",
            "transaction_date": "2023-01-01",
        },
        {**GOOD, "transaction_id": "D1", "customer_id": "y"},
        {**GOOD, "transaction_id": "D1", "customer_id": "z", "amount": "oops"},
    ]
    clean, rejected = ref.clean_transactions(raw_frame(rows), EARLIEST, RUN_DATE)
    assert clean["customer_id"].tolist() == ["y"]
    assert rejected["reject_reason"].tolist() == ["cancelled", "non_numeric_amount"]


def test_transaction_ids_are_case_sensitive() -> None:
    rows = [{**GOOD, "transaction_id": "d1"}, {**GOOD, "transaction_id": "D1"}]
    assert len(clean_of(rows)) == 2


def test_every_raw_row_is_accounted_for() -> None:
    rng = random.Random(7)
    pool = {
        "transaction_id": ["", " ", "T1", "T2", "T3", " T1"],
        "customer_id": ["", "C1", " C2 ", "c1"],
        "transaction_date": [
            "",
            "2024-02-30",
            "1999-01-01",
            "2030-01-01",
            "2024-01-01",
            "2024-01-02 10:00",
        ],
        "amount": ["", "x", "5", "-5", "0", "5.0"],
        "cost": ["", "1", "y"],
        "status": ["", "cancelled", "ok"],
    }
    rows = [{k: rng.choice(v) for k, v in pool.items()} for _ in range(500)]
    clean, rejected = ref.clean_transactions(raw_frame(rows), EARLIEST, RUN_DATE)
    assert len(clean) + len(rejected) == 500
    assert clean["transaction_id"].is_unique
    assert set(rejected["reject_reason"]) <= set(ref.REJECT_REASONS)


# --------------------------------------------------------------------------
# As-of date and metrics
# --------------------------------------------------------------------------


def test_default_as_of_date_is_max_clean_date() -> None:
    clean = clean_of(
        [tx("a", "2024-01-01", 5), tx("b", "2024-03-01", -5), tx("c", "2024-02-01", 0)]
    )
    assert ref.default_as_of_date(clean) == date(2024, 3, 1)


def test_window_edge() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of(
        [
            tx("out", as_of - timedelta(days=365), 100),
            tx("in", as_of - timedelta(days=364), 100),
        ]
    )
    m = by_customer(ref.customer_metrics(clean, as_of, 365))
    assert (m["out"]["frequency"], m["out"]["monetary"]) == (0, 0)
    assert m["out"]["recency_days"] == 365
    assert (m["in"]["frequency"], m["in"]["monetary"]) == (1, 100)
    assert m["in"]["recency_days"] == 364


def test_refunds_reduce_monetary_and_are_not_purchases() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of(
        [
            tx("c", "2024-01-01", -5),
            tx("c", "2024-02-01", "100.10"),
            tx("c", "2024-05-01", "-30.05"),
            tx("c", "2024-05-02", "0"),
        ]
    )
    m = by_customer(ref.customer_metrics(clean, as_of, 365))["c"]
    assert m["frequency"] == 1
    assert m["monetary"] == Decimal("65.05")
    assert m["lifetime_revenue"] == Decimal("65.05")
    assert m["first_purchase_date"] == date(2024, 2, 1)
    assert m["last_purchase_date"] == date(2024, 2, 1)
    assert m["recency_days"] == (as_of - date(2024, 2, 1)).days


def test_zero_amounts_count_for_nothing() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of([tx("p", "2024-05-01", 10), tx("p", as_of, 0), tx("z", as_of, 0)])
    m = by_customer(ref.customer_metrics(clean, as_of, 365))
    assert set(m) == {"p"}  # zero-only customer is not in the universe
    assert m["p"]["frequency"] == 1
    assert m["p"]["monetary"] == 10
    assert m["p"]["recency_days"] == 31


def test_refund_larger_than_purchases_gives_negative_monetary() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of([tx("c", "2024-05-01", 50), tx("c", "2024-05-02", -80)])
    m = by_customer(ref.customer_metrics(clean, as_of, 365))["c"]
    assert (m["frequency"], m["monetary"], m["lifetime_revenue"]) == (1, -30, -30)


def test_purchases_only_before_window_stay_in_universe() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of(
        [
            tx("old", "2022-01-01", 500),
            tx("old", "2022-03-01", 100),
            tx("new", "2024-05-01", 1),
        ]
    )
    m = by_customer(ref.customer_metrics(clean, as_of, 365))
    assert m["old"]["frequency"] == 0
    assert m["old"]["monetary"] == 0
    assert isinstance(m["old"]["monetary"], Decimal)
    assert m["old"]["lifetime_revenue"] == 600
    assert m["old"]["first_purchase_date"] == date(2022, 1, 1)
    assert m["old"]["last_purchase_date"] == date(2022, 3, 1)
    assert m["old"]["recency_days"] == (as_of - date(2022, 3, 1)).days


def test_refund_only_customer_is_not_a_buyer() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of([tx("r", "2024-05-01", -10), tx("p", "2024-05-01", 10)])
    assert ref.customer_metrics(clean, as_of, 365)["customer_id"].tolist() == ["p"]


def test_as_of_earlier_than_data_ignores_later_rows() -> None:
    as_of = date(2024, 3, 1)
    clean = clean_of(
        [
            tx("a", "2024-02-01", 10),
            tx("a", "2024-03-02", 1000),  # after as_of: ignored
            tx("a", "2024-04-01", -5),  # after as_of: ignored
            tx("later", "2024-03-02", 10),  # only after as_of: not in universe
        ]
    )
    assert len(clean) == 4  # later rows are clean, not rejected
    m = by_customer(ref.customer_metrics(clean, as_of, 365))
    assert set(m) == {"a"}
    assert (m["a"]["frequency"], m["a"]["monetary"], m["a"]["lifetime_revenue"]) == (
        1,
        10,
        10,
    )
    assert m["a"]["last_purchase_date"] == date(2024, 2, 1)
    assert m["a"]["recency_days"] == 29
    tiers = ref.customer_tiers(clean, as_of)
    assert tiers["customer_id"].tolist() == ["a"]


def test_profit_and_missing_cost() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of(
        [
            tx("c", "2024-05-01", 100, cost="60"),
            tx("c", "2024-05-02", 50, cost="bad"),
            tx("c", "2024-05-03", -20, cost="-12"),
            tx("c", "2022-01-01", 999, cost="1"),  # outside the window
        ]
    )
    with_cost = by_customer(ref.customer_metrics(clean, as_of, 365))["c"]
    assert with_cost["profit"] == Decimal(40 + 50 - 8)
    no_cost = by_customer(ref.customer_metrics(clean, as_of, 365, has_cost=False))["c"]
    assert no_cost["profit"] is None


def test_exact_decimal_sums() -> None:
    as_of = date(2024, 6, 1)
    clean = clean_of([tx("c", "2024-05-01", "0.1"), tx("c", "2024-05-02", "0.2")])
    m = by_customer(ref.customer_metrics(clean, as_of, 365))["c"]
    assert m["monetary"] == Decimal("0.3")


def test_metrics_sorted_by_binary_customer_id() -> None:
    as_of = date(2024, 6, 1)
    ids = ["b", "B", "a", "_", "10", "9", "é"]
    clean = clean_of([tx(c, "2024-05-01", 1) for c in ids])
    got = ref.customer_metrics(clean, as_of, 365)["customer_id"].tolist()
    assert got == ["10", "9", "B", "_", "a", "b", "é"]


# --------------------------------------------------------------------------
# Tie-consistent NTILE
# --------------------------------------------------------------------------


def ntile(values: list[object], descending: bool = False, buckets: int = 5) -> list[int]:
    """Tie-consistent NTILE of values with keys k00, k01, ..."""
    keys = pd.Series([f"k{i:02d}" for i in range(len(values))])
    return ref.tie_consistent_ntile(pd.Series(values), keys, buckets, descending).tolist()


def test_ntile_seven_distinct_values_sizes_2_2_1_1_1() -> None:
    assert ntile([70, 10, 20, 30, 40, 50, 60]) == [5, 1, 1, 2, 2, 3, 4]


def test_ntile_descending() -> None:
    # Recency: largest is worst -> bucket 1.
    assert ntile([0, 10, 20, 30, 40, 50, 60], descending=True) == [5, 4, 3, 2, 2, 1, 1]


def test_ntile_ties_on_edge_get_lower_bucket() -> None:
    # 10 rows, 2 per bucket: raw buckets 1,1,2,2,3,3,4,4,5,5.
    assert ntile([5, 5, 5, 6, 7, 8, 9, 10, 11, 12]) == [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]
    # Tie spanning buckets 3-5 (positions 4..9) -> all 3.
    assert ntile([1, 2, 3, 4, 9, 9, 9, 9, 9, 9]) == [1, 1, 2, 2, 3, 3, 3, 3, 3, 3]


def test_ntile_all_equal_values_get_1() -> None:
    assert ntile([3] * 12) == [1] * 12
    assert ntile([Decimal("2.0"), Decimal("2.00"), Decimal(2)]) == [1, 1, 1]


def test_ntile_single_and_fewer_rows_than_buckets() -> None:
    assert ntile([42]) == [1]
    assert ntile([3, 1, 2]) == [3, 1, 2]
    assert ntile([]) == []


def test_ntile_keeps_input_index() -> None:
    values = pd.Series([2, 1], index=[10, 20])
    keys = pd.Series(["a", "b"], index=[10, 20])
    got = ref.tie_consistent_ntile(values, keys, 5, descending=False)
    assert got.to_dict() == {10: 2, 20: 1}
    assert got.dtype == "int64"


def test_ntile_properties_on_random_data() -> None:
    rng = random.Random(3)
    for n in range(1, 60):
        values = [rng.randint(0, 6) for _ in range(n)]
        got = ntile(values)
        for a, b in itertools.combinations(range(n), 2):
            if values[a] == values[b]:
                assert got[a] == got[b]
            elif values[a] < values[b]:
                assert got[a] <= got[b]
        assert min(got) == 1
        assert max(got) <= min(5, n)


# --------------------------------------------------------------------------
# Pyramid, cumulative share, Pareto
# --------------------------------------------------------------------------

AS_OF = date(2024, 1, 1)


def test_thousand_distinct_customers_10_40_150_800() -> None:
    tiers = ref.customer_tiers(purchases(list(range(1, 1001))), AS_OF)
    counts = tiers["pyramid_tier"].value_counts().to_dict()
    assert counts == {"A": 10, "B": 40, "C": 150, "D": 800}
    top = tiers.sort_values("revenue_rank").head(10)
    assert top["monetary"].tolist() == list(range(1000, 990, -1))
    summary = ref.pyramid_summary(tiers)
    assert summary["customers"].tolist() == [10, 40, 150, 800, 0]
    assert summary["customer_share"].tolist()[:4] == [0.01, 0.04, 0.15, 0.8]


def test_cut_points_are_exact_decimals() -> None:
    # 0.01 * 700 is 7.000000000000001 in float; the cut is exactly 7.
    tiers = ref.customer_tiers(purchases(list(range(1, 701))), AS_OF)
    counts = tiers["pyramid_tier"].value_counts().to_dict()
    assert counts == {"A": 7, "B": 28, "C": 105, "D": 560}


def test_ties_across_a_b_edge_all_in_a() -> None:
    # N=100: A rank<=1, B rank<=5, C rank<=20.
    revenues = [1000, 1000, 1000, *list(range(1, 98))]
    tiers = by_customer(ref.customer_tiers(purchases(revenues), AS_OF))
    for c in ("C0000", "C0001", "C0002"):
        assert tiers[c]["revenue_rank"] == 1
        assert tiers[c]["pyramid_tier"] == "A"
    assert tiers["C0099"]["monetary"] == 97
    assert tiers["C0099"]["revenue_rank"] == 4  # RANK skips after ties
    assert tiers["C0099"]["pyramid_tier"] == "B"
    assert tiers["C0099"]["percent_rank"] == pytest.approx(3 / 99)


def test_ties_across_b_c_edge_all_in_b() -> None:
    # N=100: ranks 1..4 distinct, ranks 5 and 6 equal -> both rank 5 -> B.
    revenues = [1000, 999, 998, 997, 500, 500, *list(range(94, 0, -1))]
    tiers = by_customer(ref.customer_tiers(purchases(revenues), AS_OF))
    assert [tiers[f"C{i:04d}"]["pyramid_tier"] for i in range(7)] == [
        "A",
        "B",
        "B",
        "B",
        "B",
        "B",
        "C",
    ]
    assert tiers["C0005"]["revenue_rank"] == 5


def test_one_customer() -> None:
    tiers = ref.customer_tiers(purchases([5]), AS_OF)
    row = tiers.iloc[0]
    assert (row["r_score"], row["f_score"], row["m_score"], row["rfm_cell"]) == (
        1,
        1,
        1,
        "111",
    )
    assert row["revenue_rank"] == 1
    assert row["percent_rank"] == 0.0
    assert row["pyramid_tier"] == "A"  # ceil(0.01 * 1) = 1
    assert row["cumulative_revenue_share"] == 1.0
    assert row["pareto_class"] == "A"  # nobody above: the top customer is always A


def test_cumulative_share_with_negative_values() -> None:
    # Order: 50(a) 50(b) 0(c) -10(d) -20(e); positives total 100.
    clean = clean_of(
        [
            tx("b", "2023-12-01", 50),
            tx("a", "2023-12-01", 50),
            tx("c", "2023-12-01", 10),
            tx("c", "2023-12-02", -10),
            tx("d", "2023-12-01", 10),
            tx("d", "2023-12-02", -20),
            tx("e", "2023-12-01", 10),
            tx("e", "2023-12-02", -30),
        ]
    )
    tiers = ref.customer_tiers(clean, AS_OF)
    rows = by_customer(tiers)
    assert {c: rows[c]["cumulative_revenue_share"] for c in "abcde"} == {
        "a": 0.5,
        "b": 1.0,
        "c": 1.0,
        "d": 1.0,
        "e": 1.0,
    }
    # a and b tie at the top (nobody above them); below them sits all the revenue.
    assert [rows[c]["pareto_class"] for c in "abcde"] == ["A", "A", "C", "C", "C"]
    assert [rows[c]["revenue_rank"] for c in "abcde"] == [1, 1, 3, 4, 5]
    ordered = tiers.sort_values(["monetary", "customer_id"], ascending=[False, True])
    shares = ordered["cumulative_revenue_share"].tolist()
    assert shares == sorted(shares)
    assert shares[-1] == 1.0


def test_cumulative_share_never_decreases_on_random_data() -> None:
    rng = random.Random(11)
    revenues = [rng.randint(-50, 100) for _ in range(300)]
    tiers = ref.customer_tiers(with_monetary(revenues), AS_OF)
    assert (tiers["monetary"] == pd.Series(revenues, dtype=object)).all()
    ordered = tiers.sort_values(["monetary", "customer_id"], ascending=[False, True])
    shares = ordered["cumulative_revenue_share"].tolist()
    assert all(a <= b for a, b in itertools.pairwise(shares))
    assert shares[-1] == 1.0


def test_pareto_class_is_decided_by_the_share_above() -> None:
    # Cumulative shares 0.80, 0.95, 1.00; shares held by those above: 0, 0.80, 0.95.
    tiers = by_customer(ref.customer_tiers(purchases([80, 15, 5]), AS_OF))
    assert [tiers[c]["cumulative_revenue_share"] for c in ("C0000", "C0001", "C0002")] == [
        0.8,
        0.95,
        1.0,
    ]
    assert [tiers[c]["pareto_class"] for c in ("C0000", "C0001", "C0002")] == [
        "A",
        "B",
        "C",
    ]
    # A customer who crosses the 80 % line is still A: above them 70 % only.
    crossing = by_customer(ref.customer_tiers(purchases([70, 20, 10]), AS_OF))
    assert [crossing[c]["pareto_class"] for c in ("C0000", "C0001", "C0002")] == ["A", "A", "B"]


def test_pareto_class_keeps_ties_together_and_the_top_in_a() -> None:
    equal = ref.customer_tiers(purchases([25] * 50), AS_OF)
    assert set(equal["pareto_class"]) == {"A"}
    dominant = by_customer(ref.customer_tiers(purchases([999_900, 50, 50]), AS_OF))
    assert [dominant[c]["pareto_class"] for c in ("C0000", "C0001", "C0002")] == ["A", "C", "C"]


def test_zero_positive_total_gives_share_one() -> None:
    clean = clean_of(
        [
            tx("a", "2023-12-01", 5),
            tx("a", "2023-12-02", -5),
            tx("b", "2023-12-01", 1),
            tx("b", "2023-12-02", -3),
        ]
    )
    tiers = ref.customer_tiers(clean, AS_OF)
    assert tiers["cumulative_revenue_share"].tolist() == [1.0, 1.0]
    assert tiers["pareto_class"].tolist() == ["A", "A"]


def test_profit_basis() -> None:
    clean = clean_of(
        [
            tx("hi_rev", "2023-12-01", 100, cost="95"),
            tx("hi_profit", "2023-12-01", 50, cost="10"),
        ]
    )
    by_profit = by_customer(ref.customer_tiers(clean, AS_OF, pyramid_basis="profit"))
    assert by_profit["hi_profit"]["revenue_rank"] == 1
    assert by_profit["hi_profit"]["cumulative_revenue_share"] == pytest.approx(40 / 45)
    by_revenue = by_customer(ref.customer_tiers(clean, AS_OF))
    assert by_revenue["hi_rev"]["revenue_rank"] == 1
    with pytest.raises(ValueError):
        ref.customer_tiers(clean, AS_OF, pyramid_basis="profit", has_cost=False)


def test_end_to_end_rfm_cells() -> None:
    # Five customers, as_of 2024-01-01, all distinct -> one per bucket.
    rows = []
    for i, c in enumerate("abcde"):
        for k in range(i + 1):  # frequency 1..5
            rows.append(tx(c, AS_OF - timedelta(days=10 * (5 - i) + k), 10 * (5 - i)))
    tiers = by_customer(ref.customer_tiers(clean_of(rows), AS_OF))
    # recency: a=50, b=40, ..., e=10 -> r 1..5; frequency 1..5 -> f 1..5;
    # monetary: a=50, b=80, c=90, d=80, e=50 -> m: a/e=1, b/d=3, c=5.
    assert {c: tiers[c]["rfm_cell"] for c in "abcde"} == {
        "a": "111",
        "b": "223",
        "c": "335",
        "d": "443",
        "e": "551",
    }


def test_tier_columns_and_dtypes() -> None:
    tiers = ref.customer_tiers(purchases([3, 1, 2]), AS_OF)
    assert list(tiers.columns) == list(ref.TIER_COLUMNS)
    assert tiers["customer_id"].tolist() == ["C0000", "C0001", "C0002"]
    assert (tiers["as_of_date"] == AS_OF).all()
    # Nullable integers: null for the customers without a purchase.
    for column in (
        "recency_days",
        "frequency",
        "r_score",
        "f_score",
        "m_score",
        "revenue_rank",
        "tenure_days",
        "lifetime_purchases",
        "recent_purchases",
        "previous_purchases",
    ):
        assert tiers[column].dtype == "Int64", column
    for column in ("percent_rank", "cumulative_revenue_share"):
        assert tiers[column].dtype == "float64", column
    for column in ("monetary", "recent_spend", "previous_spend"):
        assert all(isinstance(v, Decimal) for v in tiers[column]), column


def test_cut_validation() -> None:
    clean = purchases([1, 2])
    with pytest.raises(ValueError):
        ref.customer_tiers(clean, AS_OF, pyramid_cuts=(0.05, 0.01, 0.2))
    with pytest.raises(ValueError):
        ref.customer_tiers(clean, AS_OF, pareto_cuts=(0.8,))
    with pytest.raises(ValueError):
        ref.customer_tiers(clean, AS_OF, pyramid_basis="margin")


def test_custom_cut_points() -> None:
    # N=10, cuts 0.1/0.3/0.6 -> ranks <=1 A, <=3 B, <=6 C; Pareto 0.5/0.9.
    tiers = ref.customer_tiers(
        purchases(list(range(10, 0, -1))),
        AS_OF,
        pyramid_cuts=(0.1, 0.3, 0.6),
        pareto_cuts=(0.5, 0.9),
    )
    assert "".join(tiers["pyramid_tier"]) == "ABBCCCDDDD"
    # Held by those above: 0,10,19,27,34,40,45,49,52,54 of 55.
    # Shares 0 0.18 0.35 0.49 | 0.62 0.73 0.82 0.89 | 0.95 0.98.
    assert "".join(tiers["pareto_class"]) == "AAAABBBBCC"


def test_empty_universe() -> None:
    tiers = ref.customer_tiers(clean_of([tx("later", "2024-03-01", 5)]), AS_OF)
    assert tiers.empty
    assert list(tiers.columns) == list(ref.TIER_COLUMNS)
    summary = ref.pyramid_summary(tiers)
    assert summary["customers"].tolist() == [0, 0, 0, 0, 0]


def test_no_buyer() -> None:
    clean = clean_of([tx("r", "2023-12-01", -5)])
    tiers = ref.customer_tiers(clean, AS_OF)
    assert tiers["customer_id"].tolist() == ["r"]
    assert tiers["pyramid_tier"].isna().all()
    summary = ref.pyramid_summary(tiers).set_index("pyramid_tier")
    assert summary["customers"].tolist() == [0, 0, 0, 0, 1]
    assert summary["customer_share"].isna().all()  # no buyer; null on the none row anyway
    assert summary.loc["none", "revenue"] == -5
    assert summary["revenue_share"].isna().all()  # no buyer revenue; outside the pyramid


def test_pyramid_summary_hand_computed() -> None:
    # N=20: A rank<=1, B rank<=1, C rank<=4, D rest.
    revenues = [100, 50, 40, 30] + [5] * 15 + [-25]
    summary = ref.pyramid_summary(ref.customer_tiers(with_monetary(revenues), AS_OF))
    rows = summary.set_index("pyramid_tier").to_dict("index")
    total = sum(revenues)  # 270
    assert rows["A"]["customers"] == 1
    assert rows["A"]["revenue"] == 100
    assert rows["A"]["revenue_share"] == pytest.approx(100 / total)
    assert rows["B"]["customers"] == 0
    assert rows["B"]["revenue"] == 0
    assert rows["B"]["min_monetary"] is None
    assert rows["C"]["customers"] == 3
    assert (rows["C"]["min_monetary"], rows["C"]["max_monetary"]) == (30, 50)
    assert rows["D"]["customers"] == 16
    assert rows["D"]["revenue"] == 75 - 25
    assert (rows["D"]["min_monetary"], rows["D"]["max_monetary"]) == (-25, 5)
    assert rows["D"]["customer_share"] == 0.8
    assert sum(r["revenue"] for r in rows.values()) == total


# --------------------------------------------------------------------------
# Customer file
# --------------------------------------------------------------------------


def test_read_customers_csv_trims_ids_and_keeps_the_earliest_signup(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,region,signup_date\n"
        " C1 ,north,2024-03-01\n"
        "C1,north,2024-02-01 10:30:00\n"
        "C1,north,\n"
        "C2,south,not a date\n"
        "C2,south,2024-02-30\n"
        "  ,south,2020-01-01\n"
        "C3,east,2023-1-5T08:00\n"
    )
    raw = ref.read_raw_customers(path)
    assert raw["customer_id"].tolist()[0] == " C1 "  # raw text, untouched
    customers = ref.parse_customers(raw)
    assert list(customers.columns) == [
        "customer_id",
        "signup_date",
        "customer_type",
        "company_size",
        "ownership",
        "industry",
        "region",
    ]
    assert customers["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert customers["region"].tolist() == ["north", "south", "east"]
    assert customers["signup_date"].tolist() == [date(2024, 2, 1), None, date(2023, 1, 5)]


def test_read_customers_parquet_and_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    pd.DataFrame(
        {"customer_id": ["C1", None, "C2"], "signup_date": [date(2024, 1, 2), None, None]}
    ).to_parquet(path)
    customers = ref.parse_customers(ref.read_raw_customers(path))
    assert customers["customer_id"].tolist() == ["C1", "C2"]
    assert customers["signup_date"].tolist() == [date(2024, 1, 2), None]
    no_signup = tmp_path / "no_signup.csv"
    no_signup.write_text("customer_id,region\nC9,west\n")
    parsed = ref.parse_customers(ref.read_raw_customers(no_signup))
    assert parsed.to_dict("records") == [
        {
            "customer_id": "C9",
            "signup_date": None,
            "customer_type": None,
            "company_size": None,
            "ownership": None,
            "industry": None,
            "region": "west",
        }
    ]
    no_id = tmp_path / "no_id.csv"
    no_id.write_text("id,signup_date\nC9,2024-01-01\n")
    with pytest.raises(ValueError, match="customer_id"):
        ref.read_raw_customers(no_id)


# --------------------------------------------------------------------------
# Customer universe (docs/schemes.md)
# --------------------------------------------------------------------------

A = date(2024, 6, 1)


def days_ago(days: int) -> date:
    """The day ``days`` days before A."""
    return A - timedelta(days=days)


def customer_file(signups: dict[str, str]) -> pd.DataFrame:
    """Parsed customer file of id -> signup date text."""
    return ref.parse_customers(
        pd.DataFrame(
            {"customer_id": list(signups), "signup_date": list(signups.values())}, dtype=str
        )
    )


def tiers_at_a(
    rows: list[dict[str, str]], customers: pd.DataFrame | None = None, **options: object
) -> dict[str, dict[str, object]]:
    """customer_tiers at A of clean rows, by customer id."""
    return by_customer(ref.customer_tiers(clean_of(rows), A, customers=customers, **options))


NULL_WITHOUT_A_PURCHASE = (
    "recency_days",
    "first_purchase_date",
    "last_purchase_date",
    "tenure_days",
    *ref.SCORE_COLUMNS,
)


def is_null(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def test_prospects_of_the_file_join_the_universe() -> None:
    customers = customer_file(
        {
            "p": "2024-01-01",
            "on_a": str(A),
            "unknown": "",
            "later": str(days_ago(-1)),  # signs up after A: not known yet
            "buyer": "2024-05-01",
        }
    )
    tiers = tiers_at_a([tx("buyer", days_ago(3), 10)], customers)
    assert list(tiers) == ["buyer", "on_a", "p", "unknown"]
    for customer_id in ("on_a", "p", "unknown"):
        row = tiers[customer_id]
        assert row["lifecycle_stage"] == "prospect"
        assert row["value_loyalty_grade"] == "F"
        assert row["as_of_date"] == A
        nulls = [c for c in ref.TIER_COLUMNS if is_null(row[c])]
        assert nulls == [
            c
            for c in ref.TIER_COLUMNS
            if c
            not in (
                "customer_id",
                "as_of_date",
                "lifecycle_stage",
                "value_loyalty_grade",
                "pyramid_basis",
            )
        ]


def test_a_file_customer_with_transactions_counts_once_from_them() -> None:
    # Signed up after A, yet a transaction on or before A: counted, from the transactions.
    customers = customer_file({"both": str(days_ago(-5))})
    tiers = tiers_at_a([tx("both", days_ago(3), 10), tx("both", days_ago(2), -4)], customers)
    assert list(tiers) == ["both"]
    row = tiers["both"]
    assert (row["frequency"], row["monetary"], row["lifetime_purchases"]) == (1, 6, 1)
    assert row["pyramid_tier"] == "A"
    assert row["lifecycle_stage"] == "new"


def test_a_file_customer_whose_transactions_all_follow_a_is_a_prospect() -> None:
    customers = customer_file({"soon": "2024-01-01"})
    clean = clean_of([tx("soon", days_ago(-3), 50), tx("b", days_ago(1), 5)])
    tiers = by_customer(ref.customer_tiers(clean, A, customers=customers))
    assert tiers["soon"]["lifecycle_stage"] == "prospect"
    assert is_null(tiers["soon"]["frequency"])
    assert is_null(tiers["soon"]["monetary"])
    assert "soon" not in by_customer(ref.customer_tiers(clean, A))


def test_refund_only_and_zero_only_customers_are_measured_but_not_scored() -> None:
    tiers = tiers_at_a(
        [
            tx("buyer", days_ago(1), 10),
            tx("refund", days_ago(400), "-2.50"),  # outside the RFM window and both periods
            tx("refund", days_ago(200), -5),
            tx("refund", days_ago(10), "-1.25"),
            tx("zero", days_ago(10), 0),
        ]
    )
    refund = tiers["refund"]
    assert refund["frequency"] == 0
    assert refund["monetary"] == Decimal("-6.25")
    assert refund["profit"] == Decimal("-6.25")  # no cost: profit is the amount
    assert refund["lifetime_revenue"] == Decimal("-8.75")
    assert refund["lifetime_purchases"] == 0
    assert (refund["recent_spend"], refund["recent_purchases"]) == (Decimal("-1.25"), 0)
    assert (refund["previous_spend"], refund["previous_purchases"]) == (-5, 0)
    assert (refund["lifecycle_stage"], refund["value_loyalty_grade"]) == ("prospect", "F")
    assert all(is_null(refund[c]) for c in NULL_WITHOUT_A_PURCHASE)
    zero = tiers["zero"]
    assert (zero["frequency"], zero["monetary"], zero["lifetime_purchases"]) == (0, 0, 0)
    assert zero["lifecycle_stage"] == "prospect"
    assert all(is_null(zero[c]) for c in NULL_WITHOUT_A_PURCHASE)


def test_added_customers_change_no_buyer_figure() -> None:
    buyers = [tx(f"b{k}", days_ago(k), 10 * k) for k in range(1, 6)]
    others = [tx(f"r{k}", days_ago(k), -k) for k in range(1, 6)]
    customers = customer_file({f"p{k}": "2024-01-01" for k in range(1, 6)})
    alone = ref.customer_tiers(clean_of(buyers), A)
    together = ref.customer_tiers(clean_of(buyers + others), A, customers=customers)
    assert len(together) == 15
    scored = together[together["customer_id"].isin(alone["customer_id"])].reset_index(drop=True)
    assert scored.to_dict("records") == alone.to_dict("records")
    # The figures themselves: scored over the five buyers only.
    assert alone["m_score"].tolist() == [1, 2, 3, 4, 5]
    assert alone["r_score"].tolist() == [5, 4, 3, 2, 1]
    assert alone["revenue_rank"].tolist() == [5, 4, 3, 2, 1]
    assert alone["percent_rank"].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    # N = 5: ceil(0.01 N) = ceil(0.05 N) = ceil(0.20 N) = 1, so only rank 1 is above D.
    assert alone["pyramid_tier"].tolist() == ["D", "D", "D", "D", "A"]


# --------------------------------------------------------------------------
# Lifecycle stage
# --------------------------------------------------------------------------


def stage_of(rows: list[dict[str, str]], **options: object) -> str:
    """Lifecycle stage at A of customer 'c' of the rows."""
    return str(tiers_at_a(rows, **options)["c"]["lifecycle_stage"])


def test_period_measures_and_their_edges() -> None:
    row = tiers_at_a(
        [
            tx("c", days_ago(360), 1000),  # A - 2P: in neither period
            tx("c", days_ago(359), 1),  # previous period
            tx("c", days_ago(180), 2),  # A - P: the last day of the previous period
            tx("c", days_ago(180), -1),
            tx("c", days_ago(179), 4),  # recent period
            tx("c", A, 8),
            tx("c", A, 0),
        ]
    )["c"]
    assert (row["previous_spend"], row["previous_purchases"]) == (2, 2)
    assert (row["recent_spend"], row["recent_purchases"]) == (12, 2)
    assert row["lifetime_purchases"] == 5
    assert row["tenure_days"] == 360
    assert row["recency_days"] == 0


def test_period_length_is_a_var() -> None:
    # Recent: (A - 30, A]; previous: (A - 60, A - 30].
    days_and_amounts = ((29, 5), (30, 7), (59, 9), (60, 11))
    row = tiers_at_a(
        [tx("c", days_ago(days), amount) for days, amount in days_and_amounts],
        lifecycle_period_days=30,
    )["c"]
    assert (row["recent_spend"], row["previous_spend"]) == (5, 16)
    assert (row["recent_purchases"], row["previous_purchases"]) == (1, 2)


def test_stage_churned_at_exactly_churn_days() -> None:
    assert stage_of([tx("c", days_ago(365), 10)]) == "churned"
    assert stage_of([tx("c", days_ago(364), 10)]) == "mature"
    assert stage_of([tx("c", days_ago(100), 10)], lifecycle_churn_days=100) == "churned"


def test_churned_wins_over_new() -> None:
    assert stage_of([tx("c", days_ago(50), 10)], lifecycle_churn_days=50) == "churned"


def test_stage_new_below_new_days_only() -> None:
    assert stage_of([tx("c", days_ago(89), 10)]) == "new"
    assert stage_of([tx("c", days_ago(90), 10)]) == "growing"
    assert stage_of([tx("c", days_ago(90), 10)], lifecycle_new_days=91) == "new"


def test_new_wins_over_declining() -> None:
    # A refund of most of the first purchase: spend fell, but the customer is new.
    rows = [tx("c", days_ago(80), 100), tx("c", days_ago(1), -90)]
    assert stage_of(rows, lifecycle_period_days=60) == "new"
    assert stage_of(rows, lifecycle_period_days=60, lifecycle_new_days=80) == "declining"


def spend_rows(previous: int | str, recent: int | str) -> list[dict[str, str]]:
    """Customer 'c': one purchase in each period (200 and 10 days before A, never overdue)."""
    return [tx("c", days_ago(200), previous), tx("c", days_ago(10), recent)]


def test_stage_declining_when_spend_falls_to_exactly_the_ratio() -> None:
    assert stage_of(spend_rows(100, 80)) == "declining"
    assert stage_of(spend_rows(100, 81)) == "mature"
    assert stage_of(spend_rows(100, 81), lifecycle_decline_ratio=0.81) == "declining"


def test_decline_ratio_is_compared_exactly() -> None:
    # In floats 0.29 * 100 is 28.999999999999996 < 29; exactly it is 29.
    assert stage_of(spend_rows(100, 29), lifecycle_decline_ratio=0.29) == "declining"
    assert stage_of(spend_rows(100, "29.01"), lifecycle_decline_ratio=0.29) == "mature"


def test_stage_declining_when_purchases_fall_to_exactly_the_ratio() -> None:
    # Previous period: 5 purchases of 10 (50); recent: 4 purchases of 20 (80, spend grew).
    previous = [tx("c", days_ago(200 + k), 10) for k in range(5)]
    four = [tx("c", days_ago(10 + k), 20) for k in range(4)]
    assert stage_of(previous + four) == "declining"
    five = [tx("c", days_ago(10 + k), 20) for k in range(5)]
    assert stage_of(previous + five) == "growing"


def test_stage_declining_when_overdue_and_not_at_equality() -> None:
    # Two purchases 80 days apart, same spend in both periods: overdue after 2 x 80 days.
    # recency x (2 - 1) > 2 x (last - first): last 160 days ago is equality, 161 is overdue.
    def rows(last: int) -> list[dict[str, str]]:
        return [tx("c", days_ago(last + 80), 10), tx("c", days_ago(last), 10)]

    assert stage_of(rows(160)) == "mature"
    assert stage_of(rows(161)) == "declining"
    assert stage_of(rows(161), lifecycle_overdue_factor=2.1) == "mature"


def test_overdue_counts_every_purchase_interval() -> None:
    # Purchases 300 and 250 days before A (previous period) and 100 days (recent): first to
    # last 200 days.  Recency 100 x (3 - 1) = 200 > 1.9 x 200 = 380? no; > 0.9 x 200 = 180: yes.
    rows = [tx("c", days_ago(days), 10) for days in (300, 250, 100)]
    assert stage_of(rows, lifecycle_decline_ratio=0.1, lifecycle_overdue_factor=1.9) == "mature"
    assert stage_of(rows, lifecycle_decline_ratio=0.1, lifecycle_overdue_factor=0.9) == "declining"


def test_stage_growing_at_exactly_the_growth_ratio() -> None:
    # In floats 1.1 * 100 is 110.00000000000001 > 110; exactly it is 110.
    assert stage_of(spend_rows(100, 110), lifecycle_growth_ratio=1.1) == "growing"
    assert stage_of(spend_rows(100, 120)) == "growing"
    assert stage_of(spend_rows(100, 119)) == "mature"


def test_stage_growing_when_the_previous_spend_is_not_positive() -> None:
    refunded = [
        tx("c", days_ago(250), 50),
        tx("c", days_ago(240), -50),
        tx("c", days_ago(10), 1),
    ]
    assert stage_of(refunded) == "growing"
    # The same purchase counts, but a recent spend of 0: not growing.
    refunded_again = [*refunded, tx("c", days_ago(9), -1)]
    assert stage_of(refunded_again) == "mature"


def test_stage_mature_when_stable() -> None:
    assert stage_of(spend_rows(100, 100)) == "mature"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("lifecycle_new_days", 0),
        ("lifecycle_churn_days", 1.5),
        ("lifecycle_period_days", 0),
        ("lifecycle_decline_ratio", 0),
        ("lifecycle_decline_ratio", 1.01),
        ("lifecycle_growth_ratio", 0.99),
        ("lifecycle_overdue_factor", 0),
        ("lifecycle_overdue_factor", "x"),
        ("grade_value_min_m_score", 0),
        ("grade_loyalty_min_f_score", 6),
        ("grade_loyalty_min_tenure_days", -1),
        ("grade_loyalty_min_purchases", 0),
        ("grade_loyalty_min_purchases", True),
    ],
)
def test_out_of_range_vars_are_refused(var: str, value: object) -> None:
    with pytest.raises(ValueError, match=var):
        ref.customer_tiers(purchases([1]), AS_OF, **{var: value})


def test_vars_at_the_edge_of_their_range_are_accepted() -> None:
    tiers = ref.customer_tiers(
        purchases([1]),
        AS_OF,
        lifecycle_new_days=1,
        lifecycle_decline_ratio=1,
        lifecycle_growth_ratio=1,
        lifecycle_overdue_factor=0.001,
        grade_value_min_m_score=1,
        grade_loyalty_min_f_score=5,
        grade_loyalty_min_tenure_days=0,
        grade_loyalty_min_purchases=1,
    )
    assert len(tiers) == 1


# --------------------------------------------------------------------------
# Value x loyalty grade
# --------------------------------------------------------------------------


def graded(
    tenured: set[str], extra: Sequence[dict[str, str]] = (), **options: object
) -> dict[str, dict[str, object]]:
    """Tiers at A of five buyers c1..c5, ck with k purchases of 10k in the last days (so
    f_score = m_score = k); those in ``tenured`` also bought 400 days before A (outside the
    RFM window: a tenure of 400 days, one more lifetime purchase, same scores)."""
    rows = [tx(f"c{k}", days_ago(10 + j), 10 * k) for k in range(1, 6) for j in range(k)]
    rows += [tx(c, days_ago(400), 1) for c in sorted(tenured)]
    tiers = tiers_at_a(rows + list(extra), **options)
    for k in range(1, 6):
        assert (tiers[f"c{k}"]["f_score"], tiers[f"c{k}"]["m_score"]) == (k, k)
    return tiers


def test_grade_a_high_value_high_loyalty() -> None:
    assert graded({"c5"})["c5"]["value_loyalty_grade"] == "A"


def test_grade_b_high_value_low_loyalty() -> None:
    tiers = graded(set())
    assert tiers["c5"]["tenure_days"] == 14
    assert tiers["c5"]["value_loyalty_grade"] == "B"


def test_grade_c_low_value_high_loyalty() -> None:
    assert graded({"c4"})["c4"]["value_loyalty_grade"] == "C"


def test_grade_d_low_value_low_loyalty() -> None:
    tiers = graded({"c3"})
    assert tiers["c3"]["value_loyalty_grade"] == "D"  # f_score 3 < 4
    assert tiers["c4"]["value_loyalty_grade"] == "D"  # tenure 13 days < 365


def test_grade_e_churned_before_value_and_loyalty() -> None:
    gone = [tx("gone", days_ago(700), 10), tx("gone", days_ago(365), 10)]
    everyone_qualifies = {
        "grade_value_min_m_score": 1,
        "grade_loyalty_min_f_score": 1,
        "grade_loyalty_min_tenure_days": 0,
        "grade_loyalty_min_purchases": 1,
    }
    tiers = graded(set(), gone, **everyone_qualifies)
    assert tiers["gone"]["lifecycle_stage"] == "churned"
    assert tiers["gone"]["value_loyalty_grade"] == "E"
    assert tiers["c1"]["value_loyalty_grade"] == "A"


def test_grade_f_prospects() -> None:
    refund = [tx("refund", days_ago(3), -5)]
    tiers = graded(set(), refund, customers=customer_file({"p": ""}))
    assert tiers["refund"]["value_loyalty_grade"] == "F"
    assert tiers["p"]["value_loyalty_grade"] == "F"


def test_grade_loyalty_tenure_at_exactly_the_minimum() -> None:
    at_365 = graded(set(), [tx("c5", days_ago(365), 1)])["c5"]
    assert (at_365["tenure_days"], at_365["value_loyalty_grade"]) == (365, "A")
    at_364 = graded(set(), [tx("c5", days_ago(364), 1)])["c5"]
    assert (at_364["tenure_days"], at_364["value_loyalty_grade"]) == (364, "B")


def test_grade_loyalty_purchases_at_exactly_the_minimum() -> None:
    # c5 tenured: 6 lifetime purchases.
    assert graded({"c5"}, grade_loyalty_min_purchases=6)["c5"]["value_loyalty_grade"] == "A"
    assert graded({"c5"}, grade_loyalty_min_purchases=7)["c5"]["value_loyalty_grade"] == "B"


def test_grade_thresholds_on_the_scores_are_vars() -> None:
    assert graded({"c4"}, grade_value_min_m_score=4)["c4"]["value_loyalty_grade"] == "A"
    assert graded({"c4"}, grade_loyalty_min_f_score=5)["c4"]["value_loyalty_grade"] == "D"


# --------------------------------------------------------------------------
# pyramid_summary: the none row
# --------------------------------------------------------------------------


def test_pyramid_summary_none_row() -> None:
    # Buyers: 100 (A), 30, 20 (after a refund of 5 in the window), 10; N = 4: A rank <= 1,
    # B rank <= 1, C rank <= 1, D the rest.  Without a purchase: -5 and 0 (and a prospect).
    rows = [
        tx("b1", days_ago(1), 100),
        tx("b2", days_ago(1), 30),
        tx("b3", days_ago(1), 25),
        tx("b3", days_ago(2), -5),
        tx("b4", days_ago(1), 10),
        tx("r", days_ago(5), -5),
        tx("r", days_ago(500), -7),  # outside the window: not in the revenue
        tx("z", days_ago(5), 0),
    ]
    tiers = ref.customer_tiers(clean_of(rows), A, customers=customer_file({"p": ""}))
    summary = ref.pyramid_summary(tiers)
    assert list(summary.columns) == list(ref.SUMMARY_COLUMNS)
    assert summary["pyramid_tier"].tolist() == ["A", "B", "C", "D", "none"]
    assert summary["tier_order"].tolist() == [1, 2, 3, 4, 5]
    assert summary["customers"].tolist() == [1, 0, 0, 3, 2]
    assert summary["customer_share"].tolist()[:4] == [0.25, 0.0, 0.0, 0.75]
    none = summary.iloc[4].to_dict()
    assert math.isnan(none["customer_share"])
    assert math.isnan(none["revenue_share"])
    assert (none["revenue"], none["min_monetary"], none["max_monetary"]) == (-5, -5, 0)
    # Revenue shares are of the pyramid's revenue, 160; the five revenues add up to every clean
    # amount of the window, 160 - 5.
    assert summary["revenue"].tolist() == [100, 0, 0, 60, -5]
    assert summary["revenue_share"].tolist()[:4] == pytest.approx([100 / 160, 0, 0, 60 / 160])
    assert sum(summary["revenue"]) == 155


def test_customer_attributes_and_b2b_segments(tmp_path: Path) -> None:
    # A customer listed twice keeps the row with the earliest signup; codes are lower-cased.
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,customer_type,company_size,ownership,industry,signup_date\n"
        "L, Business ,LARGE,State, Retail ,2024-02-01\n"
        "L,business,sme,private,retail,2024-03-01\n"
        "S,business,sme,foreign,,\n"
        "U,business,,private,,\n"
        "P,consumer,large,,,\n"
        "N,,large,,,\n"
    )
    customers = ref.parse_customers(ref.read_raw_customers(path))
    rows = {row["customer_id"]: row for row in customers.to_dict("records")}
    assert (rows["L"]["company_size"], rows["L"]["ownership"], rows["L"]["industry"]) == (
        "large",
        "state",
        "Retail",
    )
    segments = {c: ref.b2b_segment(r["customer_type"], r["company_size"]) for c, r in rows.items()}
    assert segments == {
        "L": ref.LARGE_ACCOUNT,
        "N": None,
        "P": None,
        "S": ref.SME,
        "U": ref.BUSINESS_UNKNOWN_SIZE,
    }
    tiers = ref.customer_tiers(clean_of([tx("L", days_ago(3), 10)]), A, customers=customers)
    assert dict(zip(tiers["customer_id"], tiers["b2b_segment"], strict=True)) == segments


def test_strategy_key_takes_the_lowest_precedence() -> None:
    precedence = {("pyramid_tier", "A"): 1, ("lifecycle_stage", "declining"): 5}
    vip = {"pyramid_tier": "A", "lifecycle_stage": "declining", "rfm_segment": None}
    assert ref.strategy_key(vip, precedence) == "pyramid_tier:A"
    other = {"pyramid_tier": "D", "lifecycle_stage": "declining"}
    assert ref.strategy_key(other, precedence) == "lifecycle_stage:declining"
    assert ref.strategy_key({"pyramid_tier": "D"}, precedence) is None


# --------------------------------------------------------------------------
# Tiers within groups and the segment evaluation (docs/schemes.md)
# --------------------------------------------------------------------------


def test_tiers_within_groups_rank_each_group_apart(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,customer_type,region,signup_date\n"
        + "".join(f"N{i},consumer,North,\n" for i in range(1, 6))
        + "".join(f"S{i},consumer, South ,\n" for i in range(1, 6))
        + "X,business,,\n"
    )
    customers = ref.parse_customers(ref.read_raw_customers(path))
    rows = [tx(f"N{i}", days_ago(10 * i), 100 * i) for i in range(1, 6)]
    rows += [tx(f"S{i}", days_ago(30 * i), i) for i in range(1, 6)]
    rows += [tx("X", days_ago(1), 9), tx("Y", days_ago(1), 9)]
    tiers = tiers_at_a(rows, customers, tier_within=("region",))
    assert (tiers["S5"]["m_score"], tiers["S5"]["pyramid_tier"]) == (2, "D")  # nationally ...
    assert (tiers["S5"]["tier_group"], tiers["S5"]["group_m_score"]) == ("South", 5)
    assert tiers["S5"]["group_pyramid_tier"] == "A"  # ... and its region's VIP
    assert [tiers[f"N{i}"]["group_r_score"] for i in range(1, 6)] == [5, 4, 3, 2, 1]
    assert tiers["X"]["tier_group"] == tiers["Y"]["tier_group"] == "unknown"
    assert tiers["X"]["group_m_score"] == tiers["Y"]["group_m_score"] == 1  # equal values
    both = tiers_at_a(rows, customers, tier_within=("customer_type", "region"))
    assert (both["X"]["tier_group"], both["N1"]["tier_group"]) == (
        "business / unknown",
        "consumer / North",
    )
    without = tiers_at_a(rows, customers)
    assert all(is_null(row[c]) for row in without.values() for c in ref.GROUP_COLUMNS)


def _evaluation_row(segment: str | None, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(
        ("recency_days", "frequency", "monetary", "profit", "r_score", "f_score", "m_score")
    )
    row.update(dict.fromkeys(ref.SCHEME_COLUMNS), lifecycle_stage=segment, **values)
    return row


def test_segment_evaluation_counts_each_customer_once_and_flags_segments() -> None:
    orders = {("lifecycle_stage", s): i for i, s in enumerate(("new", "growing", "mature"), 1)}
    measures = {"recency_days": 50, "frequency": 5, "r_score": 3, "f_score": 3, "m_score": 3}
    tiers = [
        _evaluation_row("new", **measures, monetary=Decimal(100), profit=Decimal(1)),
        _evaluation_row("growing", **measures, monetary=Decimal(900), profit=Decimal(-1)),
        _evaluation_row("mature", **measures, monetary=Decimal(1000), profit=Decimal(0)),
        _evaluation_row(None),
    ]
    evaluation = segment_reference.segment_evaluation(tiers, orders, 2, "0.1")
    new, growing = evaluation["lifecycle_stage", "new"], evaluation["lifecycle_stage", "growing"]
    assert (new["customers"], new["customer_share"], new["is_too_small"]) == (1, 1 / 3, True)
    assert (growing["is_indistinct"], growing["indistinct_from"]) == (True, "mature")  # 10 %
    assert not new["is_indistinct"]
    assert evaluation["lifecycle_stage", None]["customer_share"] is None
    assert growing["unprofitable_customers"] == 1
    assert (
        sum(row["customers"] for (scheme, _), row in evaluation.items() if scheme == "b2b_segment")
        == 4
    )
    stricter = segment_reference.segment_evaluation(tiers, orders, 2, "0.09")
    assert not stricter["lifecycle_stage", "growing"]["is_indistinct"]
