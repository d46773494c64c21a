"""Comparisons of the published marts with the independent reference implementation."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

import reference
from engines import Row

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
    "revenue_rank",
    "pyramid_tier",
    "pareto_class",
)
FLOAT_COLUMNS = ("percent_rank", "cumulative_revenue_share")


def run_date() -> date:
    """The day the run happens, as dbt's run_started_at (UTC) sees it."""
    return datetime.now(UTC).date()


def clean_and_rejected(
    transactions: Path, earliest_valid_date: date | None = EARLIEST_VALID_DATE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference's clean and rejected rows of a transactions file."""
    raw = reference.read_raw_transactions(transactions)
    return reference.clean_transactions(raw, earliest_valid_date or date.min, run_date())


def expected_tiers(clean: pd.DataFrame, **options: Any) -> dict[str, Row]:
    """The reference's customer_tiers rows by customer id (options: see reference.customer_tiers,
    plus as_of_date, default the latest clean date)."""
    as_of = options.pop("as_of_date", None) or reference.default_as_of_date(clean)
    tiers = reference.customer_tiers(clean, as_of, **options)
    return {row["customer_id"]: row for row in tiers.to_dict("records")}


def _same(got: Any, wanted: Any) -> bool:
    if isinstance(got, Decimal) or isinstance(wanted, Decimal):
        return (got is None and wanted is None) or (
            got is not None and wanted is not None and Decimal(got) == Decimal(wanted)
        )
    return bool(got == wanted)


def mismatches(actual: list[Row], expected: dict[str, Row]) -> list[str]:
    """Every column of every customer where the mart and the reference differ."""
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
            for column in EXACT_COLUMNS
            if not _same(row[column], want[column])
        ]
        problems += [
            f"{row['customer_id']}.{column}: {row[column]} != {want[column]}"
            for column in FLOAT_COLUMNS
            if not math.isclose(row[column], want[column], abs_tol=1e-9)
        ]
    return problems
