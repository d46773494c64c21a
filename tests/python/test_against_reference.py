"""Every customer's figures, scores and tiers equal an independent pandas computation."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

import reference
from customer_tiering.generate import GeneratedFiles
from engines import DuckDBEngine, Row, build, fetch_mart

EARLIEST_VALID_DATE = date(2000, 1, 1)
PARETO_CUTS = (0.80, 0.95)
EXACT_COLUMNS = (
    "as_of_date",
    "first_purchase_date",
    "last_purchase_date",
    "recency_days",
    "frequency",
    "monetary",
    "profit",
    "lifetime_revenue",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "revenue_rank",
    "pyramid_tier",
)
FLOAT_COLUMNS = ("percent_rank", "cumulative_revenue_share")


def _run_date() -> date:
    return datetime.now(UTC).date()


@pytest.fixture(scope="module")
def clean_and_rejected(fixture_files: GeneratedFiles) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = reference.read_raw_transactions(fixture_files.transactions_path)
    return reference.clean_transactions(raw, EARLIEST_VALID_DATE, _run_date())


def _expected_tiers(clean: pd.DataFrame, **options: Any) -> dict[str, Row]:
    as_of = options.pop("as_of_date", None) or reference.default_as_of_date(clean)
    tiers = reference.customer_tiers(clean, as_of, **options)
    return {row["customer_id"]: row for row in tiers.to_dict("records")}


def _near_cut(share: float) -> bool:
    return any(abs(share - cut) < 1e-9 for cut in PARETO_CUTS)


def _mismatches(actual: list[Row], expected: dict[str, Row]) -> list[str]:
    problems = []
    for row in actual:
        want = expected[row["customer_id"]]
        for column in EXACT_COLUMNS:
            got, wanted = row[column], want[column]
            if isinstance(got, Decimal) or isinstance(wanted, Decimal):
                same = (got is None and wanted is None) or Decimal(got) == Decimal(wanted)
            else:
                same = got == wanted
            if not same:
                problems.append(f"{row['customer_id']}.{column}: {got!r} != {wanted!r}")
        for column in FLOAT_COLUMNS:
            if not math.isclose(row[column], want[column], abs_tol=1e-9):
                problems.append(f"{row['customer_id']}.{column}: {row[column]} != {want[column]}")
        if row["pareto_class"] != want["pareto_class"] and not _near_cut(
            row["cumulative_revenue_share"]
        ):
            problems.append(f"{row['customer_id']}.pareto_class differs")
    return problems


def test_every_customer_matches_the_reference(
    duckdb_engine: DuckDBEngine, clean_and_rejected: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    actual = fetch_mart(duckdb_engine, "customer_tiers")
    expected = _expected_tiers(clean_and_rejected[0])
    assert {row["customer_id"] for row in actual} == set(expected)
    problems = _mismatches(actual, expected)
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
    duckdb_engine: DuckDBEngine, clean_and_rejected: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    clean = clean_and_rejected[0]
    tiers = reference.customer_tiers(clean, reference.default_as_of_date(clean))
    expected = reference.pyramid_summary(tiers).to_dict("records")
    actual = fetch_mart(duckdb_engine, "pyramid_summary")
    for got, want in zip(actual, expected, strict=True):
        assert got["pyramid_tier"] == want["pyramid_tier"]
        assert got["customers"] == want["customers"]
        assert Decimal(got["revenue"]) == want["revenue"]
        assert math.isclose(got["customer_share"], want["customer_share"], abs_tol=1e-12)
        assert math.isclose(got["revenue_share"], want["revenue_share"], abs_tol=1e-12)


@pytest.mark.parametrize(
    ("dbt_vars", "options"),
    [
        (
            {"as_of_date": "2025-12-31", "rfm_window_days": 180},
            {"as_of_date": date(2025, 12, 31), "window_days": 180},
        ),
        (
            {"pyramid_basis": "profit", "pyramid_cut_points": [0.02, 0.1, 0.3]},
            {"pyramid_basis": "profit", "pyramid_cuts": (0.02, 0.1, 0.3)},
        ),
    ],
    ids=["earlier-as-of-and-shorter-window", "profit-basis-and-other-cuts"],
)
def test_vars_reach_the_rules(
    duckdb_copy: DuckDBEngine,
    clean_and_rejected: tuple[pd.DataFrame, pd.DataFrame],
    dbt_vars: dict[str, Any],
    options: dict[str, Any],
) -> None:
    build(duckdb_copy, "run", **dbt_vars)
    actual = fetch_mart(duckdb_copy, "customer_tiers")
    expected = _expected_tiers(clean_and_rejected[0], **options)
    assert {row["customer_id"] for row in actual} == set(expected)
    problems = _mismatches(actual, expected)
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"
