"""Every customer's figures, scores and tiers equal an independent pandas computation."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pandas as pd
import pytest
from compare import clean_and_rejected as reference_rows
from compare import (
    expected_tiers,
    mismatches,
    missing_columns,
    reference_customers,
    same_float,
)

import reference
from customer_tiering.generate import GeneratedFiles
from engines import DuckDBEngine, fetch_mart


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
        for share in ("customer_share", "revenue_share"):
            assert same_float(got[share], want[share], abs_tol=1e-12), (tier, share, got[share])
