"""The history of the tiers: a past period end of customer_tier_history equals customer_tiers
built with that day as the as-of date, and the history follows history_grain and
history_periods."""

from __future__ import annotations

from pathlib import Path

from engines import MODELS_ONLY, DuckDBEngine, Row, build

# The columns customer_tier_history shares with customer_tiers.
SHARED_COLUMNS = (
    "customer_id, as_of_date, first_purchase_date, last_purchase_date, recency_days, frequency,"
    " monetary, profit, lifetime_revenue, tenure_days, lifetime_purchases, r_score, f_score,"
    " m_score, rfm_cell, rfm_segment, pyramid_value, revenue_rank, percent_rank,"
    " cumulative_revenue_share, pyramid_tier, pareto_class, lifecycle_stage, value_loyalty_grade,"
    " b2b_segment"
)


def period_ends(engine: DuckDBEngine) -> list[Row]:
    return engine.fetch("select * from intermediate.int_period_ends order by as_of_date")


def history_at(engine: DuckDBEngine, day: object) -> list[Row]:
    return engine.fetch(
        f"select {SHARED_COLUMNS} from marts.customer_tier_history"
        f" where as_of_date = '{day}' order by customer_id"
    )


def test_a_past_period_end_equals_customer_tiers_as_of_that_day(
    duckdb_engine: DuckDBEngine, tmp_path: Path
) -> None:
    ends = period_ends(duckdb_engine)
    assert len(ends) > 12
    # A month end a year back: its RFM window and lifecycle periods reach far into the data.
    past = ends[-13]["as_of_date"]
    expected = history_at(duckdb_engine, past)
    assert len(expected) > 100

    engine = DuckDBEngine(tmp_path, duckdb_engine.transactions_path, duckdb_engine.customers_path)
    engine.work_dir.mkdir(exist_ok=True)
    build(engine, *MODELS_ONLY, "--select", "+customer_tiers", as_of_date=str(past))
    tiers = engine.fetch(f"select {SHARED_COLUMNS} from marts.customer_tiers order by customer_id")
    assert tiers == expected


def test_the_grain_and_the_periods_kept_follow_the_vars(duckdb_copy: DuckDBEngine) -> None:
    monthly = period_ends(duckdb_copy)
    as_of = monthly[-1]["as_of_date"]
    build(duckdb_copy, *MODELS_ONLY, history_grain="quarter", history_periods=3)
    quarterly = period_ends(duckdb_copy)
    assert [row["as_of_date"] for row in quarterly][-1] == as_of
    assert len(quarterly) == 3
    # Each period starts on the day after the one before it ends, quarters apart.
    for before, after in zip(quarterly, quarterly[1:], strict=False):
        assert (after["period_start"] - before["as_of_date"]).days == 1
        assert (after["period_start"].month - before["period_start"].month) % 12 == 3
    history_days = duckdb_copy.fetch(
        "select distinct as_of_date from marts.customer_tier_history order by as_of_date"
    )
    assert [row["as_of_date"] for row in history_days] == [row["as_of_date"] for row in quarterly]
