"""Hand-computed cases proving the reference implementation right."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

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
        ({"amount": "1234567890123456789"}, "non_numeric_amount"),
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
        ("2024-05-01T", date(2024, 5, 1)),
    ],
)
def test_date_edges_and_time_part_are_clean(text: str, expected: date) -> None:
    clean = clean_of([{**GOOD, "transaction_date": text}])
    assert clean.loc[0, "transaction_date"] == expected


def test_status_other_than_cancelled_is_clean() -> None:
    for status in ("canceled", "cancelled!", "completed", "", "refunded"):
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


def test_refund_only_customer_not_in_universe() -> None:
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
    assert summary["customers"].tolist() == [10, 40, 150, 800]
    assert summary["customer_share"].tolist() == [0.01, 0.04, 0.15, 0.8]


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
    for column in (
        "recency_days",
        "frequency",
        "r_score",
        "f_score",
        "m_score",
        "revenue_rank",
    ):
        assert tiers[column].dtype == "int64", column
    for column in ("percent_rank", "cumulative_revenue_share"):
        assert tiers[column].dtype == "float64", column


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
    clean = clean_of([tx("r", "2023-12-01", -5)])
    tiers = ref.customer_tiers(clean, AS_OF)
    assert tiers.empty
    assert list(tiers.columns) == list(ref.TIER_COLUMNS)
    summary = ref.pyramid_summary(tiers)
    assert summary["customers"].tolist() == [0, 0, 0, 0]


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
