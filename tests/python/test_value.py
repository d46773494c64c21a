"""The customer value marts on the dirty fixture data (docs/value.md): the BTYD summary and the
simple CLVs equal an independent computation for every customer; the K-means clusters are
reproducible and their profiles reconcile to customer_tiers."""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest
import value_reference
from compare import clean_and_rejected

import reference
from customer_tiering.generate import GeneratedFiles
from engines import MODELS_ONLY, DuckDBEngine, build, fetch_mart

EXACT = (
    "purchase_days",
    "frequency",
    "first_purchase_date",
    "last_purchase_date",
    "recency_days",
    "age_days",
    "historical_clv",
)
APPROXIMATE = (
    "recency",
    "age",
    "mean_repeat_value",
    "average_purchase_value",
    "purchases_per_year",
    "retention_rate",
    "expected_lifetime_years",
    "simple_clv",
)


@pytest.fixture(scope="module")
def expected(fixture_files: GeneratedFiles) -> dict[str, dict[str, Any]]:
    clean = clean_and_rejected(fixture_files.transactions_path)[0]
    return value_reference.customer_value(clean, reference.default_as_of_date(clean))


def _agrees(column: str, got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if column in EXACT:
        return Fraction(got) == Fraction(want) if isinstance(got, Decimal) else got == want
    # numeric(28, 6) columns are rounded to 6 decimals; doubles carry about 15 digits.
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-6)


def test_btyd_summary_and_simple_clv_equal_the_independent_computation(
    duckdb_engine: DuckDBEngine, expected: dict[str, dict[str, Any]]
) -> None:
    actual = {row["customer_id"]: row for row in fetch_mart(duckdb_engine, "customer_value")}
    assert set(actual) == set(expected)
    # The fixture exercises each case: one-day buyers, repeat buyers, refunds.
    frequencies = Counter(min(row["frequency"], 2) for row in expected.values())
    assert frequencies[0] > 100 and frequencies[2] > 100
    assert expected[next(iter(expected))]["retention_rate"] is not None
    problems = [
        f"{customer}.{column}: {row[column]!r} != {expected[customer][column]!r}"
        for customer, row in actual.items()
        for column in (*EXACT, *APPROXIMATE)
        if not _agrees(column, row[column], expected[customer][column])
    ]
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


def test_clv_bands_follow_the_ranks_of_simple_clv(duckdb_engine: DuckDBEngine) -> None:
    rows = fetch_mart(duckdb_engine, "customer_value")
    by_band: dict[str, list[Decimal]] = {"high": [], "medium": [], "low": []}
    for row in rows:
        by_band[row["clv_band"]].append(row["simple_clv"])
    assert min(by_band["high"]) >= max(by_band["medium"])
    assert min(by_band["medium"]) >= max(by_band["low"])
    # The cut points 20 % and 50 % of the ranks (ties share a band).
    assert len(by_band["high"]) >= math.ceil(0.2 * len(rows))
    assert len(by_band["high"]) + len(by_band["medium"]) >= math.ceil(0.5 * len(rows))
    assert len(by_band["low"]) > 0


def test_value_schemes_are_evaluated_and_get_strategies(duckdb_engine: DuckDBEngine) -> None:
    strategies = {row["strategy_key"]: row for row in fetch_mart(duckdb_engine, "tier_strategies")}
    bands = Counter(row["clv_band"] for row in fetch_mart(duckdb_engine, "customer_value"))
    for band, customers in bands.items():
        assert strategies[f"clv_band:{band}"]["customers"] == customers
    clusters = Counter(row["cluster"] for row in fetch_mart(duckdb_engine, "customer_clusters"))
    for cluster, customers in clusters.items():
        row = strategies[f"cluster:{cluster}"]
        assert row["customers"] == customers
        assert row["tier_name_en"].startswith(f"cluster {cluster}: ") and row["actions"]
    evaluated = {
        (r["scheme"], r["segment"]) for r in fetch_mart(duckdb_engine, "segment_evaluation")
    }
    assert {("cluster", str(c)) for c in clusters} <= evaluated
    assert {("clv_band", b) for b in bands} <= evaluated


def test_cluster_profiles_reconcile_to_customer_tiers(duckdb_engine: DuckDBEngine) -> None:
    tiers = pd.DataFrame(fetch_mart(duckdb_engine, "customer_tiers"))
    clusters = pd.DataFrame(fetch_mart(duckdb_engine, "customer_clusters"))
    profiles = pd.DataFrame(fetch_mart(duckdb_engine, "cluster_profiles")).set_index("cluster")
    buyers = tiers[tiers["first_purchase_date"].notna()]
    assert set(clusters["customer_id"]) == set(buyers["customer_id"])
    joined = clusters.merge(buyers, on="customer_id")
    for cluster, members in joined.groupby("cluster"):
        profile = profiles.loc[cluster]
        assert profile["customers"] == len(members)
        assert Decimal(profile["revenue"]) == sum(members["monetary"], Decimal(0))
        assert profile["mean_recency_days"] == pytest.approx(members["recency_days"].mean())
        assert profile["mean_monetary"] == pytest.approx(float(members["monetary"].mean()))
    assert profiles["customer_share"].sum() == pytest.approx(1.0)
    assert profiles["revenue_share"].sum() == pytest.approx(1.0)
    # Numbered by decreasing mean monetary value; one k chosen, the best silhouette of the curve.
    assert list(profiles["mean_monetary"]) == sorted(profiles["mean_monetary"], reverse=True)
    curve = pd.DataFrame(fetch_mart(duckdb_engine, "cluster_k_selection"))
    chosen = curve[curve["is_chosen"]]
    assert len(chosen) == 1 and chosen["k"].iloc[0] == len(profiles)
    assert chosen["silhouette"].iloc[0] == curve["silhouette"].max()


def test_clusters_are_reproducible_on_a_rerun(duckdb_copy: DuckDBEngine) -> None:
    before = fetch_mart(duckdb_copy, "customer_clusters")
    build(duckdb_copy, *MODELS_ONLY, "--select", "int_cluster_k_selection+")
    assert fetch_mart(duckdb_copy, "customer_clusters") == before


def test_fitted_models_converged_on_the_fixture(duckdb_engine: DuckDBEngine) -> None:
    parameters = fetch_mart(duckdb_engine, "clv_model_parameters")
    assert {(row["model_name"], row["parameter"]) for row in parameters} == {
        ("bg_nbd", name) for name in ("r", "alpha", "a", "b")
    } | {("gamma_gamma", name) for name in ("p", "q", "gamma")}
    assert all(row["converged"] and row["parameter_value"] > 0 for row in parameters)
    predictions = fetch_mart(duckdb_engine, "customer_value_predictions")
    assert all(0 <= row["p_alive"] <= 1 for row in predictions)
    # A customer seen on one day only is alive for the model; one long gone is less so.
    assert min(row["p_alive"] for row in predictions) < 0.5
