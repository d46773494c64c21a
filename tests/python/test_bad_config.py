"""Bad configuration stops the run with a message naming the problem and the fix, and the
previously published marts are left exactly as they were."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from engines import BUILD_WITHOUT_UNIT_TESTS, DUCKDB_MARTS, DuckDBEngine, Row, build, fetch_mart

BAD_VARS = [
    ({"as_of_date": "2024-13-01"}, 'Invalid var as_of_date="2024-13-01"'),
    ({"as_of_date": "yesterday"}, 'Invalid var as_of_date="yesterday": expected a date'),
    ({"as_of_date": "2023-02-29"}, "expected a date that exists"),
    ({"earliest_valid_date": "01/01/2000"}, "Invalid var earliest_valid_date"),
    ({"rfm_window_days": 0}, "Invalid var rfm_window_days=0"),
    ({"rfm_window_days": "a year"}, 'Invalid var rfm_window_days="a year"'),
    ({"rfm_window_days": 36.5}, "Invalid var rfm_window_days=36.5"),
    ({"pyramid_basis": "margin"}, 'Invalid var pyramid_basis="margin"'),
    ({"pyramid_cut_points": [0.05, 0.01, 0.2]}, "Invalid var pyramid_cut_points"),
    ({"pyramid_cut_points": [0.01, 0.05, 1.5]}, "Invalid var pyramid_cut_points"),
    ({"pyramid_cut_points": [0.01, 0.05]}, "Invalid var pyramid_cut_points"),
    ({"pareto_cut_points": [0.95, 0.8]}, "Invalid var pareto_cut_points"),
    ({"pareto_cut_points": "80/95"}, "Invalid var pareto_cut_points"),
    ({"transactions_path": "no/such/file.csv"}, "no file matches that path"),
    ({"transactions_path": "README.md"}, "expected a .csv, .csv.gz, .txt or .parquet file"),
    ({"rfm_window_days": -30}, "or null to score all history"),
    (
        {"date_formats": ["DD/MM/YYYY", "MM/DD/YYYY"]},
        "no two of which the same date text could match",
    ),
    ({"date_formats": ["DD-MMM-YYYY"]}, "Invalid var date_formats"),
    ({"date_formats": []}, "Invalid var date_formats"),
    ({"decimal_separator": ";"}, "Invalid var decimal_separator"),
    (
        {"decimal_separator": ",", "thousands_separator": ","},
        "a character other than the decimal_separator",
    ),
    ({"csv_delimiter": ";;"}, "Invalid var csv_delimiter"),
    ({"transaction_grain": "order"}, "Invalid var transaction_grain"),
    (
        {"reject_share_warn": 0.2, "reject_share_error": 0.1},
        "at least as large as reject_share_warn",
    ),
    ({"lapsed_share_warn": 2}, "Invalid var lapsed_share_warn=2"),
    ({"verify_every_row": "yes"}, "Invalid var verify_every_row="),
    ({"timezone": "China Standard Time"}, "expected a time zone name of the IANA database"),
    ({"timezone": 8}, "Invalid var timezone=8"),
    ({"freshness_warn_days": 0}, "Invalid var freshness_warn_days=0"),
    (
        {"freshness_warn_days": 10, "freshness_error_days": 7},
        "at least freshness_warn_days (10)",
    ),
    ({"lifecycle_new_days": 0}, "Invalid var lifecycle_new_days=0"),
    ({"lifecycle_churn_days": 36.5}, "Invalid var lifecycle_churn_days=36.5"),
    ({"lifecycle_period_days": "half a year"}, "Invalid var lifecycle_period_days"),
    ({"lifecycle_growth_ratio": 0.9}, "expected a ratio of at least 1"),
    ({"lifecycle_decline_ratio": 1.2}, "expected a ratio above 0 and at most 1"),
    ({"lifecycle_decline_ratio": 0}, "Invalid var lifecycle_decline_ratio=0"),
    ({"lifecycle_overdue_factor": -1}, "Invalid var lifecycle_overdue_factor=-1"),
    ({"grade_value_min_m_score": 6}, "expected a score from 1 to 5"),
    ({"grade_loyalty_min_f_score": 0}, "Invalid var grade_loyalty_min_f_score=0"),
    ({"grade_loyalty_min_tenure_days": -1}, "Invalid var grade_loyalty_min_tenure_days=-1"),
    ({"grade_loyalty_min_purchases": 0}, "Invalid var grade_loyalty_min_purchases=0"),
    ({"tier_within": ["country"]}, 'Invalid var tier_within=["country"]: expected a list of'),
    ({"tier_within": ["region", "region"]}, "each once"),
    ({"segment_min_customers": 0}, "Invalid var segment_min_customers=0"),
    ({"segment_min_difference": 1}, "expected a share of at least 0 and below 1"),
    (
        {"history_grain": "day"},
        "Invalid var history_grain=\"day\": expected one of 'week', 'month'",
    ),
    ({"history_periods": 0}, "Invalid var history_periods=0"),
    ({"backtest_horizon_periods": "3"}, 'Invalid var backtest_horizon_periods="3"'),
    ({"btyd_time_unit_days": 0}, "Invalid var btyd_time_unit_days=0"),
    ({"clv_retention_rate": 1}, "expected a share above 0 and below 1"),
    ({"clv_expected_lifetime_years": -2}, "Invalid var clv_expected_lifetime_years=-2"),
    ({"clv_discount_rate": 10}, "expected a yearly rate of at least 0 and below 1"),
    ({"clv_band_cut_points": [0.5, 0.2]}, "Invalid var clv_band_cut_points"),
    ({"clv_horizon_days": 0.5}, "Invalid var clv_horizon_days=0.5"),
    ({"clv_prediction_months": 0}, "Invalid var clv_prediction_months=0"),
    ({"cluster_k": 1}, "expected a whole number of clusters from 2 to 20"),
    ({"cluster_k_range": [8, 2]}, "Invalid var cluster_k_range=[8, 2]"),
    ({"cluster_seed": -1}, "Invalid var cluster_seed=-1"),
    ({"cluster_sample_customers": 10}, "Invalid var cluster_sample_customers=10"),
]


def _snapshot(engine: DuckDBEngine) -> dict[str, list[Row]]:
    return {mart: fetch_mart(engine, mart) for mart in DUCKDB_MARTS}


def _write_without_column(source: Path, target: Path, dropped: str) -> None:
    with source.open(encoding="utf-8", newline="") as infile:
        rows = list(csv.DictReader(infile))
    fields = [name for name in rows[0] if name != dropped]
    with target.open("w", encoding="utf-8", newline="") as outfile:
        writer = csv.DictWriter(outfile, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows[:200])


def _assert_fails_and_keeps_marts(engine: DuckDBEngine, message: str, **dbt_vars: Any) -> None:
    before = _snapshot(engine)
    run = build(engine, *BUILD_WITHOUT_UNIT_TESTS, check=False, **dbt_vars)
    assert not run.ok
    assert message in run.output, run.output[-2000:]
    assert "START sql" not in run.output, "a model started before the error"
    after = _snapshot(engine)
    changed = [mart for mart in DUCKDB_MARTS if after[mart] != before[mart]]
    assert not changed, f"marts replaced: {changed}"


@pytest.mark.parametrize(("dbt_vars", "message"), BAD_VARS, ids=lambda value: str(value))
def test_bad_var_stops_before_any_table_is_replaced(
    duckdb_copy: DuckDBEngine, dbt_vars: dict[str, Any], message: str
) -> None:
    _assert_fails_and_keeps_marts(duckdb_copy, message, **dbt_vars)


@pytest.mark.parametrize("column", ["customer_id", "transaction_date", "amount"])
def test_missing_required_column_names_the_column_and_the_file(
    duckdb_copy: DuckDBEngine, tmp_path: Path, column: str
) -> None:
    broken = tmp_path / f"without_{column}.csv"
    _write_without_column(duckdb_copy.transactions_path, broken, column)
    _assert_fails_and_keeps_marts(
        duckdb_copy,
        f"Missing required column '{column}' in {broken}",
        transactions_path=str(broken),
    )


def test_profit_basis_without_cost_column_is_refused(
    duckdb_copy: DuckDBEngine, tmp_path: Path
) -> None:
    broken = tmp_path / "without_cost.csv"
    _write_without_column(duckdb_copy.transactions_path, broken, "cost")
    _assert_fails_and_keeps_marts(
        duckdb_copy,
        f"The var pyramid_basis is 'profit' but {broken} has no cost column",
        transactions_path=str(broken),
        pyramid_basis="profit",
    )
