"""The history of the tiers: a past period end of customer_tier_history equals customer_tiers
built with that day as the as-of date, and the history follows history_grain and
history_periods."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
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
    for before, after in itertools.pairwise(quarterly):
        assert (after["period_start"] - before["as_of_date"]).days == 1
        assert (after["period_start"].month - before["period_start"].month) % 12 == 3
    history_days = duckdb_copy.fetch(
        "select distinct as_of_date from marts.customer_tier_history order by as_of_date"
    )
    assert [row["as_of_date"] for row in history_days] == [row["as_of_date"] for row in quarterly]


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def monthly_activity(engine: DuckDBEngine) -> tuple[list[date], dict[str, dict[date, Activity]]]:
    """From the clean transactions alone: the month ends up to the latest transaction day (the
    as-of date, which ends the last month), and each customer's purchases and revenue per month
    (keyed by the month's period end) and first purchase day."""
    rows = engine.fetch(
        "select customer_id, transaction_date, amount from staging.stg_transactions"
    )
    as_of = max(row["transaction_date"] for row in rows)
    first_month = min(row["transaction_date"] for row in rows if row["amount"] > 0).replace(day=1)
    ends = []
    month = first_month
    while month <= as_of:
        ends.append(min(month_end(month), as_of))
        month = month_end(month) + timedelta(days=1)
    activity: dict[str, dict[date, Activity]] = defaultdict(dict)
    for row in rows:
        end = min(month_end(row["transaction_date"]), as_of)
        period = activity[row["customer_id"]].setdefault(end, Activity())
        period.revenue += row["amount"]
        period.purchases += 1 if row["amount"] > 0 else 0
    return ends, activity


@dataclass
class Activity:
    """A customer's purchases and net revenue in one period."""

    purchases: int = 0
    revenue: Decimal = Decimal(0)


def test_flows_kpis_and_back_test_equal_an_independent_computation(
    duckdb_engine: DuckDBEngine,
) -> None:
    ends, activity = monthly_activity(duckdb_engine)
    assert [row["as_of_date"] for row in period_ends(duckdb_engine)] == ends
    first_purchase = {
        customer: min(end for end, period in periods.items() if period.purchases > 0)
        for customer, periods in activity.items()
        if any(period.purchases > 0 for period in periods.values())
    }

    def active(customer: str, end: date | None) -> bool:
        period = activity[customer].get(end) if end else None
        return period is not None and period.purchases > 0

    # The leaky bucket, per month end.
    flows = {
        row["as_of_date"]: row for row in duckdb_engine.fetch("select * from marts.customer_flows")
    }
    assert sorted(flows) == ends
    for before, end in zip([None, *ends], ends, strict=False):
        counts: Counter[str] = Counter()
        for customer in activity:
            if active(customer, end):
                if first_purchase[customer] == end:
                    counts["new"] += 1
                elif active(customer, before):
                    counts["retained"] += 1
                else:
                    counts["reactivated"] += 1
            elif active(customer, before):
                counts["lost"] += 1
        for flow in ("new", "retained", "reactivated", "lost"):
            assert flows[end][f"{flow}_customers"] == counts[flow], (end, flow)

    # Pyramid KPIs and back-test, by the tiers of the history.
    tiers = {
        (row["customer_id"], row["as_of_date"]): row["pyramid_tier"]
        for row in duckdb_engine.fetch(
            "select customer_id, as_of_date, pyramid_tier from marts.customer_tier_history"
        )
    }
    kpis = {
        (row["as_of_date"], row["segment"]): row
        for row in duckdb_engine.fetch(
            "select * from marts.tier_kpis where scheme = 'pyramid_tier'"
        )
    }
    backtest = {
        (row["as_of_date"], row["segment"]): row
        for row in duckdb_engine.fetch(
            "select * from marts.tier_backtest"
            " where scheme = 'pyramid_tier' and is_horizon_complete"
        )
    }
    horizon = 3
    checked_backtest = 0
    for index, end in enumerate(ends):
        before = ends[index - 1] if index else None
        by_tier: dict[str | None, Counter[str]] = defaultdict(Counter)
        revenue: dict[str | None, Decimal] = defaultdict(Decimal)
        next_revenue: dict[str | None, Decimal] = defaultdict(Decimal)
        horizon_ends = ends[index + 1 : index + 1 + horizon]
        for (customer, day), tier in tiers.items():
            if day == end:
                period = activity[customer].get(end, Activity())
                by_tier[tier]["customers"] += 1
                by_tier[tier]["active"] += 1 if period.purchases > 0 else 0
                revenue[tier] += period.revenue
                later = [
                    activity[customer].get(later_end, Activity()) for later_end in horizon_ends
                ]
                next_revenue[tier] += sum((period.revenue for period in later), Decimal(0))
                by_tier[tier]["retained_next"] += 1 if any(p.purchases > 0 for p in later) else 0
            elif before and day == before and active(customer, before):
                by_tier[tier]["previously_active"] += 1
                by_tier[tier]["retained"] += 1 if active(customer, end) else 0
        for tier, counts in by_tier.items():
            row = kpis[(end, tier)]
            assert row["customers"] == counts["customers"], (end, tier)
            assert row["active_customers"] == counts["active"], (end, tier)
            assert row["revenue"] == revenue[tier], (end, tier)
            assert row["previously_active_customers"] == counts["previously_active"], (end, tier)
            assert row["retained_customers"] == counts["retained"], (end, tier)
        is_complete = len(horizon_ends) == horizon and horizon_ends[-1] == month_end(
            horizon_ends[-1]
        )
        if not is_complete:
            continue
        classified = sum(by_tier[tier]["customers"] for tier in by_tier if tier)
        classified_revenue = sum(next_revenue[tier] for tier in by_tier if tier)
        for tier in (tier for tier in by_tier if tier):
            row = backtest[(end, tier)]
            assert row["customers"] == by_tier[tier]["customers"], (end, tier)
            assert row["next_revenue"] == next_revenue[tier], (end, tier)
            assert row["retained_customers"] == by_tier[tier]["retained_next"], (end, tier)
            if classified_revenue == 0:
                assert row["lift"] is None, (end, tier)
            else:
                share = float(next_revenue[tier] / classified_revenue)
                expected_lift = share / (by_tier[tier]["customers"] / classified)
                assert math.isclose(row["lift"], expected_lift, rel_tol=1e-9), (end, tier)
            checked_backtest += 1
    assert checked_backtest >= 4 * 20


SNAPSHOT_COLUMNS = (
    "customer_id, pyramid_tier, rfm_segment, lifecycle_stage, value_loyalty_grade, b2b_segment,"
    " strategy_key"
)


def test_the_snapshot_adds_a_row_per_changed_customer_only(duckdb_copy: DuckDBEngine) -> None:
    def snapshot_rows() -> int:
        return duckdb_copy.fetch("select count(*) as n from snapshots.customer_tiers_snapshot")[0][
            "n"
        ]

    def tiers() -> dict[str, Row]:
        rows = duckdb_copy.fetch(f"select {SNAPSHOT_COLUMNS} from marts.customer_tiers")
        return {row["customer_id"]: row for row in rows}

    first = snapshot_rows()
    assert first == len(tiers())
    build(duckdb_copy, "snapshot")
    assert snapshot_rows() == first

    # Other pyramid cut points move some customers to another tier: each gets one new row, and
    # its row before is closed.
    before = tiers()
    build(duckdb_copy, *MODELS_ONLY, pyramid_cut_points=[0.05, 0.15, 0.40])
    after = tiers()
    changed = {customer for customer, row in after.items() if row != before[customer]}
    assert len(changed) > 10
    assert snapshot_rows() == first + len(changed)
    closed = duckdb_copy.fetch(
        "select customer_id from snapshots.customer_tiers_snapshot where dbt_valid_to is not null"
    )
    assert {row["customer_id"] for row in closed} == changed
    current = duckdb_copy.fetch(
        f"select {SNAPSHOT_COLUMNS} from snapshots.customer_tiers_snapshot"
        " where dbt_valid_to is null"
    )
    assert {row["customer_id"]: row for row in current} == after
