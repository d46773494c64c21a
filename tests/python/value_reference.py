"""An independent computation of the customer value mart (docs/value.md) from the reference's
clean transactions (reference.clean_transactions): plain Python over each customer's rows, exact
fractions, no SQL and no code of the project."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

YEAR = timedelta(days=365)


def customer_value(
    clean: pd.DataFrame, as_of_date: date, unit_days: int = 7
) -> dict[str, dict[str, Any]]:
    """Per buyer (a purchase on or before the as-of date): the BTYD summary, historical CLV,
    measured retention, expected lifetime and simple CLV, as exact fractions."""
    days: dict[str, dict[date, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for row in clean.itertuples(index=False):
        if row.transaction_date <= as_of_date:
            days[row.customer_id][row.transaction_date].append(row.amount)
    rows: dict[str, dict[str, Any]] = {}
    bought_before: set[str] = set()
    retained: set[str] = set()
    for customer, by_day in days.items():
        purchase_days = {
            day: sum((a for a in amounts if a > 0), Decimal(0))
            for day, amounts in by_day.items()
            if any(a > 0 for a in amounts)
        }
        if not purchase_days:
            continue
        first, last = min(purchase_days), max(purchase_days)
        repeat = [value for day, value in purchase_days.items() if day > first]
        age = (as_of_date - first).days
        if any(as_of_date - 2 * YEAR < day <= as_of_date - YEAR for day in purchase_days):
            bought_before.add(customer)
            if any(day > as_of_date - YEAR for day in purchase_days):
                retained.add(customer)
        rows[customer] = {
            "purchase_days": len(purchase_days),
            "frequency": len(purchase_days) - 1,
            "first_purchase_date": first,
            "last_purchase_date": last,
            "recency_days": (last - first).days,
            "age_days": age,
            "recency": Fraction((last - first).days, unit_days),
            "age": Fraction(age, unit_days),
            "mean_repeat_value": Fraction(sum(repeat, Decimal(0))) / len(repeat) if repeat else 0,
            "average_purchase_value": Fraction(sum(purchase_days.values(), Decimal(0)))
            / len(purchase_days),
            "purchases_per_year": Fraction(len(purchase_days) * 365, max(age + 1, 365)),
            "historical_clv": Fraction(sum((a for v in by_day.values() for a in v), Decimal(0))),
        }
    retention = Fraction(len(retained), len(bought_before)) if bought_before else None
    lifetime = 1 / (1 - retention) if retention is not None and retention != 1 else None
    for row in rows.values():
        row["retention_rate"] = retention
        row["expected_lifetime_years"] = lifetime
        row["simple_clv"] = (
            row["average_purchase_value"] * row["purchases_per_year"] * lifetime
            if lifetime is not None
            else None
        )
    return rows
