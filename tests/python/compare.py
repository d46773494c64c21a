"""Comparisons of the published marts with the independent reference implementation."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

import reference
from engines import TEST_TIER_WITHIN, Row

# The project's default var earliest_valid_date.
EARLIEST_VALID_DATE = date(1900, 1, 1)
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
    "pyramid_value",
    "pyramid_basis",
    "revenue_rank",
    "pyramid_tier",
    "pareto_class",
    *reference.LIFECYCLE_MEASURE_COLUMNS,
    "lifecycle_stage",
    "value_loyalty_grade",
    "b2b_segment",
    *reference.GROUP_COLUMNS,
)
FLOAT_COLUMNS = ("percent_rank", "cumulative_revenue_share")
COMPARED_COLUMNS = EXACT_COLUMNS + FLOAT_COLUMNS
# What the benchmark's contenders publish: every compared column but the tiers within groups.
UNGROUPED_COLUMNS = tuple(c for c in COMPARED_COLUMNS if c not in reference.GROUP_COLUMNS)


def run_date() -> date:
    """The day the run happens, as dbt's run_started_at (UTC) sees it."""
    return datetime.now(UTC).date()


def clean_and_rejected(
    transactions: Path, earliest_valid_date: date | None = EARLIEST_VALID_DATE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference's clean and rejected rows of a transactions file."""
    raw = reference.read_raw_transactions(transactions)
    return reference.clean_transactions(raw, earliest_valid_date or date.min, run_date())


def reference_customers(customers: Path | None) -> pd.DataFrame | None:
    """The reference's parsed customer file (None: no file)."""
    if customers is None:
        return None
    return reference.parse_customers(reference.read_raw_customers(customers))


def expected_tiers(
    clean: pd.DataFrame, customers: pd.DataFrame | None = None, **options: Any
) -> dict[str, Row]:
    """The reference's customer_tiers rows by customer id (customers: the parsed customer file,
    see reference_customers; options: see reference.customer_tiers, plus as_of_date, default
    the latest clean date; tier_within defaults to that of the test builds)."""
    as_of = options.pop("as_of_date", None) or reference.default_as_of_date(clean)
    options.setdefault("tier_within", TEST_TIER_WITHIN)
    tiers = reference.customer_tiers(clean, as_of, customers=customers, **options)
    return {row["customer_id"]: row for row in tiers.to_dict("records")}


def is_null(value: Any) -> bool:
    """SQL null as read back or computed: None, NaN or pd.NA."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _same(got: Any, wanted: Any) -> bool:
    if is_null(got) or is_null(wanted):
        return is_null(got) and is_null(wanted)
    if isinstance(got, Decimal) or isinstance(wanted, Decimal):
        return Decimal(got) == Decimal(wanted)
    return bool(got == wanted)


def same_float(got: Any, wanted: Any, abs_tol: float = 1e-9) -> bool:
    """Equal within abs_tol, or both null."""
    if is_null(got) or is_null(wanted):
        return is_null(got) and is_null(wanted)
    return math.isclose(got, wanted, abs_tol=abs_tol)


def missing_columns(actual: list[Row], required: tuple[str, ...] = COMPARED_COLUMNS) -> list[str]:
    """The required columns (by default every compared one) that the published rows lack."""
    published = set(actual[0]) if actual else set(required)
    return [column for column in required if column not in published]


def mismatches(actual: list[Row], expected: dict[str, Row]) -> list[str]:
    """Every compared column of every customer where the published rows and the reference
    differ.  A column the rows lack is not compared (the benchmark's contenders publish the RFM
    and pyramid columns only): check missing_columns where every column must be there."""
    absent = set(missing_columns(actual))
    exact = [column for column in EXACT_COLUMNS if column not in absent]
    floats = [column for column in FLOAT_COLUMNS if column not in absent]
    published = {row["customer_id"] for row in actual}
    problems = [
        f"{customer}: not in the reference" for customer in sorted(published - set(expected))
    ]
    problems += [f"{customer}: not in the mart" for customer in sorted(set(expected) - published)]
    for row in actual:
        want = expected.get(row["customer_id"])
        if want is None:
            continue
        problems += [
            f"{row['customer_id']}.{column}: {row[column]!r} != {want[column]!r}"
            for column in exact
            if not _same(row[column], want[column])
        ]
        problems += [
            f"{row['customer_id']}.{column}: {row[column]} != {want[column]}"
            for column in floats
            if not same_float(row[column], want[column])
        ]
    return problems
