"""Every customer's figures, scores and tiers equal an independent pandas computation."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
import segment_reference
from compare import clean_and_rejected as reference_rows
from compare import (
    expected_tiers,
    mismatches,
    missing_columns,
    reference_customers,
    same_float,
)

import reference
from customer_tiering.dbt_runner import PROJECT_DIR
from customer_tiering.generate import GeneratedFiles
from engines import BUILD_WITHOUT_UNIT_TESTS, DuckDBEngine, build, fetch_mart

STRATEGY_TEXTS = PROJECT_DIR / "seeds" / "tier_strategy_texts.csv"


@pytest.fixture(scope="module")
def clean_and_rejected(fixture_files: GeneratedFiles) -> tuple[pd.DataFrame, pd.DataFrame]:
    return reference_rows(fixture_files.transactions_path)


@pytest.fixture(scope="module")
def customers(fixture_files: GeneratedFiles) -> pd.DataFrame | None:
    """The reference's reading of the customer file the pipeline was built with."""
    return reference_customers(fixture_files.customers_path)


def test_every_customer_matches_the_reference(
    duckdb_engine: DuckDBEngine,
    clean_and_rejected: tuple[pd.DataFrame, pd.DataFrame],
    customers: pd.DataFrame | None,
) -> None:
    actual = fetch_mart(duckdb_engine, "customer_tiers")
    expected = expected_tiers(clean_and_rejected[0], customers)
    assert any(row["lifecycle_stage"] == reference.PROSPECT for row in expected.values())
    assert missing_columns(actual) == []
    assert {row["customer_id"] for row in actual} == set(expected)
    problems = mismatches(actual, expected)
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


def test_every_customer_gets_the_strategy_of_lowest_precedence(duckdb_engine: DuckDBEngine) -> None:
    precedence = reference.read_strategy_precedence(STRATEGY_TEXTS)
    rows = fetch_mart(duckdb_engine, "customer_tiers")
    wrong = [
        (row["customer_id"], row["strategy_key"])
        for row in rows
        if row["strategy_key"] != reference.strategy_key(row, precedence)
    ]
    assert not wrong, wrong[:10]
    # Several schemes compete: more than one scheme supplies customers' strategies.
    assert len({row["strategy_key"].split(":")[0] for row in rows}) >= 3
    # Each strategy's action list is the customers whose one strategy it is.
    assigned = Counter(row["strategy_key"] for row in rows)
    strategies = fetch_mart(duckdb_engine, "tier_strategies")
    assert {r["strategy_key"]: r["assigned_customers"] for r in strategies} == {
        r["strategy_key"]: assigned.get(r["strategy_key"], 0) for r in strategies
    }


def test_segment_evaluation_matches_the_reference(duckdb_engine: DuckDBEngine) -> None:
    """Every segment's figures and flags, computed from the published customer_tiers (which the
    tests above compare with the reference), at the project's default thresholds."""
    # The value schemes' segments, from their marts, as columns of the customers' rows; the
    # clusters are ordered by their number.
    bands = {r["customer_id"]: r["clv_band"] for r in fetch_mart(duckdb_engine, "customer_value")}
    clusters = {
        r["customer_id"]: str(r["cluster"]) for r in fetch_mart(duckdb_engine, "customer_clusters")
    }
    tiers = [
        {
            **row,
            "clv_band": bands.get(row["customer_id"]),
            "cluster": clusters.get(row["customer_id"]),
        }
        for row in fetch_mart(duckdb_engine, "customer_tiers")
    ]
    orders = segment_reference.read_segment_orders(STRATEGY_TEXTS)
    orders |= {("cluster", cluster): int(cluster) for cluster in set(clusters.values())}
    expected = segment_reference.segment_evaluation(
        tiers,
        orders,
        min_customers=50,
        min_difference="0.1",
        schemes=(*reference.SCHEME_COLUMNS, "clv_band", "cluster"),
    )
    actual = {
        (row["scheme"], row["segment"]): row
        for row in fetch_mart(duckdb_engine, "segment_evaluation")
    }
    assert sorted(actual, key=str) == sorted(expected, key=str)
    problems = [
        f"{key}.{column}: {row[column]!r} != {want!r}"
        for key, row in actual.items()
        for column, want in expected[key].items()
        if not _same_figure(row[column], want)
    ]
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"
    # The data exercise a flag: the fixture's pyramid tier A (1 % of some 3,000 buyers) is under
    # the default segment_min_customers, 50.
    assert actual["pyramid_tier", "A"]["is_too_small"]


def _same_figure(got: object, want: object) -> bool:
    """Amounts exactly, means and shares (doubles in the mart) to 1e-9, the rest equal."""
    if isinstance(got, Decimal):
        return want is not None and Fraction(got) == want
    if isinstance(got, float) or isinstance(want, float | Fraction):
        return same_float(got, None if want is None else float(want), abs_tol=1e-9)
    return got == want


def test_every_rejected_row_has_the_reference_reason(
    duckdb_engine: DuckDBEngine, clean_and_rejected: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    clean, rejected = clean_and_rejected
    actual = duckdb_engine.fetch(
        "select reject_reason, count(*) as n from staging.stg_transactions_rejected group by 1"
    )
    assert {row["reject_reason"]: row["n"] for row in actual} == dict(
        Counter(rejected["reject_reason"])
    )
    assert set(rejected["reject_reason"]) == set(reference.REJECT_REASONS)
    clean_ids = duckdb_engine.fetch("select transaction_id from staging.stg_transactions")
    assert sorted(row["transaction_id"] for row in clean_ids) == sorted(clean["transaction_id"])


def test_pyramid_summary_matches_the_reference(
    duckdb_engine: DuckDBEngine,
    clean_and_rejected: tuple[pd.DataFrame, pd.DataFrame],
    customers: pd.DataFrame | None,
) -> None:
    """The four tiers and the none row; a null share (the none row's customer share) must be
    null in the mart too."""
    clean = clean_and_rejected[0]
    tiers = reference.customer_tiers(
        clean, reference.default_as_of_date(clean), customers=customers
    )
    expected = {
        row["pyramid_tier"]: row for row in reference.pyramid_summary(tiers).to_dict("records")
    }
    actual = {row["pyramid_tier"]: row for row in fetch_mart(duckdb_engine, "pyramid_summary")}
    assert sorted(actual) == sorted(expected) == sorted(reference.SUMMARY_TIERS)
    for tier, want in expected.items():
        got = actual[tier]
        assert got["tier_order"] == want["tier_order"], tier
        assert got["customers"] == want["customers"], tier
        assert Decimal(got["revenue"]) == want["revenue"], tier
        assert Decimal(got["profit"]) == want["profit"], tier
        assert got["unprofitable_customers"] == want["unprofitable_customers"], tier
        assert got["pyramid_basis"] == "revenue", tier
        for share in ("customer_share", "revenue_share", "unprofitable_customer_share"):
            assert same_float(got[share], want[share], abs_tol=1e-12), (tier, share, got[share])


# Buyers, a customer with a refund only, one with a zero amount only, and a customer file with a
# buyer, two prospects known by the as-of date (2026-06-30) and one who signs up after it.
SMALL_TRANSACTIONS = """transaction_id,customer_id,transaction_date,amount,cost
T01,B1,2025-01-10,120.00,70.00
T02,B1,2026-06-01,80.00,50.00
T03,B2,2026-06-30,40.00,
T04,B3,2025-12-20,300.00,100.00
T05,B3,2026-02-01,-50.00,-20.00
T06,B4,2024-05-05,15.00,5.00
T07,R1,2026-03-03,-20.00,-8.00
T08,Z1,2026-04-04,0.00,
"""
SMALL_CUSTOMERS = """customer_id,customer_type,region,signup_date
B1,consumer,North,2024-12-01
P1,business,South,2026-01-15
P2,consumer,,
LATE,consumer,North,2026-07-01
"""


def test_customers_without_a_purchase_match_the_reference(
    duckdb_copy: DuckDBEngine, tmp_path: Path
) -> None:
    transactions = tmp_path / "transactions.csv"
    transactions.write_text(SMALL_TRANSACTIONS, encoding="utf-8")
    customer_file = tmp_path / "customers.csv"
    customer_file.write_text(SMALL_CUSTOMERS, encoding="utf-8")
    build(
        duckdb_copy,
        *BUILD_WITHOUT_UNIT_TESTS,
        transactions_path=str(transactions),
        customers_path=str(customer_file),
    )
    clean, _ = reference_rows(transactions)
    expected = expected_tiers(clean, reference_customers(customer_file))
    actual = fetch_mart(duckdb_copy, "customer_tiers")
    assert sorted(row["customer_id"] for row in actual) == sorted(expected)
    assert set(expected) == {"B1", "B2", "B3", "B4", "R1", "Z1", "P1", "P2"}
    assert missing_columns(actual) == []
    problems = mismatches(actual, expected)
    assert not problems, problems
    # The refund-only and zero-amount customers are the pyramid_summary's none row.
    summary = {row["pyramid_tier"]: row for row in fetch_mart(duckdb_copy, "pyramid_summary")}
    assert (summary["none"]["customers"], Decimal(summary["none"]["revenue"])) == (2, -20)
    assert sum(Decimal(row["revenue"]) for row in summary.values()) == sum(
        Decimal(row["monetary"]) for row in actual if row["monetary"] is not None
    )
