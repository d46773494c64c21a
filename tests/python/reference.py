"""Independent reference implementation of the customer-tiering rules.

Written from ``/tmp/spec/rules.md`` only (not from the dbt models), so the
test suite can check the dbt output row by row against it.

Numeric conventions (chosen for exactness):

* ``amount``, ``cost``, ``monetary``, ``profit`` and ``lifetime_revenue`` are
  :class:`decimal.Decimal` values held in ``object`` columns.  Sums are exact
  (an unbounded-precision context is used, so no rounding ever happens).
* Ratios (``percent_rank``, ``cumulative_revenue_share``, the shares of the
  pyramid summary) are computed exactly as :class:`fractions.Fraction` and
  returned as ``float64`` (correctly rounded).  Every threshold comparison
  (pyramid ceil cut points, Pareto cut points) is done on the exact fraction
  and on the exact decimal value of the cut (``Fraction(str(cut))``), so
  ``0.01 * 700`` is 7, never 7.000000000000001.
* Customer ids and transaction ids are compared as Python strings, i.e. by
  code point, which is the same order as UTF-8 binary order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd

REQUIRED_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "customer_id",
    "transaction_date",
    "amount",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "cost",
    "quantity",
    "channel",
    "product_category",
    "status",
)
CLEAN_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "customer_id",
    "transaction_date",
    "amount",
    "cost",
)
METRIC_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "profit",
    "first_purchase_date",
    "last_purchase_date",
    "lifetime_revenue",
)
TIER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "as_of_date",
    "recency_days",
    "frequency",
    "monetary",
    "profit",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "revenue_rank",
    "percent_rank",
    "cumulative_revenue_share",
    "pyramid_tier",
    "pareto_class",
    "first_purchase_date",
    "last_purchase_date",
    "lifetime_revenue",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "pyramid_tier",
    "customers",
    "customer_share",
    "revenue",
    "revenue_share",
    "min_monetary",
    "max_monetary",
)
PYRAMID_TIERS: tuple[str, ...] = ("A", "B", "C", "D")
RFM_BUCKETS = 5
REJECT_COLUMN = "reject_reason"

# Reject reason codes, in precedence order (first matching one wins).
MISSING_TRANSACTION_ID = "missing_transaction_id"
MISSING_CUSTOMER_ID = "missing_customer_id"
MISSING_TRANSACTION_DATE = "missing_transaction_date"
UNPARSEABLE_TRANSACTION_DATE = "unparseable_transaction_date"
TRANSACTION_DATE_TOO_EARLY = "transaction_date_too_early"
TRANSACTION_DATE_IN_FUTURE = "transaction_date_in_future"
MISSING_AMOUNT = "missing_amount"
NON_NUMERIC_AMOUNT = "non_numeric_amount"
CANCELLED = "cancelled"
DUPLICATE_TRANSACTION_ID = "duplicate_transaction_id"
REJECT_REASONS: tuple[str, ...] = (
    MISSING_TRANSACTION_ID,
    MISSING_CUSTOMER_ID,
    MISSING_TRANSACTION_DATE,
    UNPARSEABLE_TRANSACTION_DATE,
    TRANSACTION_DATE_TOO_EARLY,
    TRANSACTION_DATE_IN_FUTURE,
    MISSING_AMOUNT,
    NON_NUMERIC_AMOUNT,
    CANCELLED,
    DUPLICATE_TRANSACTION_ID,
)

# "Whitespace" is what SQL trim() removes: spaces only (DuckDB and PostgreSQL alike).
_WHITESPACE = " "  # SQL trim(): spaces only
_DATE_PATTERN = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})([ T].*)?")
_NUMBER_PATTERN = re.compile(r"[+-]?([0-9]{1,18}([.][0-9]*)?|[.][0-9]+)")
_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
# Unbounded precision: additions, subtractions and comparisons are exact.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_ZERO = Decimal(0)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def _cell_to_text(value: Any) -> str:
    """Render one Parquet cell as text; a null becomes '' (missing)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _read_parquet_as_text(path: Path) -> pd.DataFrame:
    """Read a Parquet file and turn every cell into its text rendering."""
    frame = pd.read_parquet(path)
    text = {
        column: pd.Series(
            [_cell_to_text(v) for v in frame[column].tolist()],
            index=frame.index,
            dtype=str,
        )
        for column in frame.columns
    }
    return pd.DataFrame(text, index=frame.index, columns=frame.columns)


def read_raw_transactions(path: Path) -> pd.DataFrame:
    """Read a raw transactions file (CSV, or Parquet by extension) as text.

    Every column is a string column; an empty field stays ``''`` and text
    such as ``'NaN'`` or ``'null'`` stays as it is.  Missing optional columns
    (cost, quantity, channel, product_category, status) are added filled
    with ``''`` (missing); their names are recorded in
    ``frame.attrs["absent_optional_columns"]`` so a caller can tell whether
    the input had a cost column.  A missing required column raises
    ``ValueError``.
    """
    path = Path(path)
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        frame = _read_parquet_as_text(path)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        # Fields absent from a short line come back as NaN: they are missing.
        frame = frame.fillna("")
    missing_required = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing_required:
        raise ValueError(f"missing required column(s): {missing_required}")
    absent = tuple(c for c in OPTIONAL_COLUMNS if c not in frame.columns)
    for column in absent:
        frame[column] = pd.Series([""] * len(frame), index=frame.index, dtype=str)
    frame.attrs["absent_optional_columns"] = absent
    return frame


# --------------------------------------------------------------------------
# Parsing helpers
# --------------------------------------------------------------------------


def _trim(value: Any) -> str:
    """Trim ASCII whitespace; None/NaN (not expected from the reader) -> ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip(_WHITESPACE)


def _parse_date(text: str) -> date | None:
    """Date of trimmed text per rule 4, or None when unparseable."""
    match = _DATE_PATTERN.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _parse_number(text: str) -> Decimal | None:
    """Exact Decimal of trimmed text per rule 8, or None when not a number."""
    if _NUMBER_PATTERN.fullmatch(text) is None:
        return None
    return Decimal(text)


def _exact_sum(values: Iterable[Decimal]) -> Decimal:
    """Exact sum of decimals (no rounding); 0 for no values."""
    total = _ZERO
    for value in values:
        total = _EXACT.add(total, value)
    return total


# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------


@dataclass
class _Candidate:
    """A raw row that passed rules 1-9, with its parsed values."""

    position: int
    transaction_id: str
    customer_id: str
    transaction_date: date
    amount: Decimal
    cost: Decimal | None
    optional_text: tuple[str, ...] = field(default_factory=tuple)


def _classify_row(
    row: dict[str, Any], earliest_valid_date: date, run_date: date
) -> str | _Candidate:
    """Apply rules 1-9 in order: the first reject reason, or a candidate."""
    transaction_id = _trim(row["transaction_id"])
    customer_id = _trim(row["customer_id"])
    date_text = _trim(row["transaction_date"])
    amount_text = _trim(row["amount"])
    if transaction_id == "":
        return MISSING_TRANSACTION_ID
    if customer_id == "":
        return MISSING_CUSTOMER_ID
    if date_text == "":
        return MISSING_TRANSACTION_DATE
    transaction_date = _parse_date(date_text)
    if transaction_date is None:
        return UNPARSEABLE_TRANSACTION_DATE
    if transaction_date < earliest_valid_date:
        return TRANSACTION_DATE_TOO_EARLY
    if transaction_date > run_date:
        return TRANSACTION_DATE_IN_FUTURE
    if amount_text == "":
        return MISSING_AMOUNT
    amount = _parse_number(amount_text)
    if amount is None:
        return NON_NUMERIC_AMOUNT
    if _trim(row.get("status")).lower() == "cancelled":
        return CANCELLED
    return _Candidate(
        position=-1,
        transaction_id=transaction_id,
        customer_id=customer_id,
        transaction_date=transaction_date,
        amount=amount,
        cost=_parse_number(_trim(row.get("cost"))),
        optional_text=tuple(_trim(row.get(c)) for c in OPTIONAL_COLUMNS),
    )


def _missing_last(text: str) -> tuple[bool, str]:
    """Sort key for text where missing ('') sorts after every value."""
    return (text == "", text)


def _keep_order_key(candidate: _Candidate) -> tuple[Any, ...]:
    """Duplicate keep order of rule 10; raw file position breaks full ties."""
    return (
        candidate.transaction_date,
        candidate.amount,
        candidate.customer_id,
        *(_missing_last(text) for text in candidate.optional_text),
        candidate.position,
    )


def _duplicate_positions(candidates: list[_Candidate]) -> set[int]:
    """Raw positions of candidates rejected as duplicate_transaction_id."""
    groups: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        groups.setdefault(candidate.transaction_id, []).append(candidate)
    rejected: set[int] = set()
    for group in groups.values():
        ordered = sorted(group, key=_keep_order_key)
        rejected.update(c.position for c in ordered[1:])
    return rejected


def _clean_frame(candidates: list[_Candidate]) -> pd.DataFrame:
    """Build the clean frame (raw order) from the kept candidates."""
    return pd.DataFrame(
        {
            "transaction_id": pd.Series([c.transaction_id for c in candidates], dtype=str),
            "customer_id": pd.Series([c.customer_id for c in candidates], dtype=str),
            "transaction_date": pd.Series([c.transaction_date for c in candidates], dtype=object),
            "amount": pd.Series([c.amount for c in candidates], dtype=object),
            "cost": pd.Series([c.cost for c in candidates], dtype=object),
        },
        columns=list(CLEAN_COLUMNS),
    )


def clean_transactions(
    raw: pd.DataFrame, earliest_valid_date: date, run_date: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split raw rows into (clean, rejected) per the cleaning rules 1-10.

    ``clean``: transaction_id, customer_id (trimmed ``str``),
    transaction_date (``datetime.date``), amount (``Decimal``), cost
    (``Decimal`` or None), in raw row order.  ``rejected``: the raw columns
    unchanged plus ``reject_reason``, in raw row order.  Both have a fresh
    RangeIndex and ``len(clean) + len(rejected) == len(raw)``.
    """
    missing_required = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing_required:
        raise ValueError(f"missing required column(s): {missing_required}")
    records = raw.to_dict("records")
    reasons: list[str | None] = [None] * len(records)
    candidates: list[_Candidate] = []
    for position, row in enumerate(records):
        outcome = _classify_row(row, earliest_valid_date, run_date)
        if isinstance(outcome, str):
            reasons[position] = outcome
        else:
            outcome.position = position
            candidates.append(outcome)
    for position in _duplicate_positions(candidates):
        reasons[position] = DUPLICATE_TRANSACTION_ID
    kept = [c for c in candidates if reasons[c.position] is None]
    rejected_positions = [i for i, r in enumerate(reasons) if r is not None]
    rejected = raw.iloc[rejected_positions].copy()
    rejected[REJECT_COLUMN] = pd.Series(
        [reasons[i] for i in rejected_positions], index=rejected.index, dtype=str
    )
    return _clean_frame(kept), rejected.reset_index(drop=True)


# --------------------------------------------------------------------------
# As-of date and per-customer metrics
# --------------------------------------------------------------------------


def default_as_of_date(clean: pd.DataFrame) -> date:
    """Default as_of_date: the max transaction_date over clean rows."""
    if len(clean) == 0:
        raise ValueError("no clean rows: as_of_date has no default")
    return max(clean["transaction_date"].tolist())


@dataclass
class _Accumulator:
    """Running per-customer totals while scanning clean rows."""

    first_purchase: date | None = None
    last_purchase: date | None = None
    frequency: int = 0
    window_amounts: list[Decimal] = field(default_factory=list)
    window_profits: list[Decimal] = field(default_factory=list)
    lifetime_amounts: list[Decimal] = field(default_factory=list)


def _accumulate(
    clean: pd.DataFrame, as_of_date: date, window_days: int | None
) -> dict[str, _Accumulator]:
    """Scan clean rows dated <= as_of_date into per-customer accumulators
    (``window_days`` None: the window is all history)."""
    window_start_exclusive = (
        date.min if window_days is None else as_of_date - timedelta(days=window_days)
    )
    customers: dict[str, _Accumulator] = {}
    rows = zip(
        clean["customer_id"].tolist(),
        clean["transaction_date"].tolist(),
        clean["amount"].tolist(),
        clean["cost"].tolist(),
        strict=True,
    )
    for customer_id, day, amount, cost in rows:
        if day > as_of_date:
            continue
        acc = customers.setdefault(customer_id, _Accumulator())
        amount = Decimal(amount)
        in_window = window_start_exclusive < day
        acc.lifetime_amounts.append(amount)
        if amount > 0:
            acc.first_purchase = min(acc.first_purchase or day, day)
            acc.last_purchase = max(acc.last_purchase or day, day)
        if in_window:
            acc.window_amounts.append(amount)
            cost_value = _ZERO if _is_missing(cost) else Decimal(cost)
            acc.window_profits.append(_EXACT.subtract(amount, cost_value))
            if amount > 0:
                acc.frequency += 1
    return customers


def _is_missing(value: Any) -> bool:
    """True for None / NaN / pd.NA (a NULL cost)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def customer_metrics(
    clean: pd.DataFrame, as_of_date: date, window_days: int | None, has_cost: bool = True
) -> pd.DataFrame:
    """Per-customer metrics over the universe, sorted by customer_id.

    Universe: customers with at least one purchase (amount > 0) dated on or
    before ``as_of_date``.  ``profit`` is None for everyone when
    ``has_cost`` is False (the input had no cost column).
    """
    customers = _accumulate(clean, as_of_date, window_days)
    universe = sorted(c for c, acc in customers.items() if acc.last_purchase)
    rows = []
    for customer_id in universe:
        acc = customers[customer_id]
        assert acc.last_purchase is not None
        rows.append(
            {
                "customer_id": customer_id,
                "recency_days": (as_of_date - acc.last_purchase).days,
                "frequency": acc.frequency,
                "monetary": _exact_sum(acc.window_amounts),
                "profit": _exact_sum(acc.window_profits) if has_cost else None,
                "first_purchase_date": acc.first_purchase,
                "last_purchase_date": acc.last_purchase,
                "lifetime_revenue": _exact_sum(acc.lifetime_amounts),
            }
        )
    return _metrics_frame(rows)


def _metrics_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Typed metrics frame (works for zero rows too)."""
    dtypes = {
        "customer_id": str,
        "recency_days": "int64",
        "frequency": "int64",
        "monetary": object,
        "profit": object,
        "first_purchase_date": object,
        "last_purchase_date": object,
        "lifetime_revenue": object,
    }
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=dtypes[c]) for c in METRIC_COLUMNS},
        columns=list(METRIC_COLUMNS),
    )


# --------------------------------------------------------------------------
# RFM: tie-consistent NTILE
# --------------------------------------------------------------------------


def _ntile_sizes(count: int, buckets: int) -> list[int]:
    """SQL NTILE bucket sizes: the first count % buckets get one extra row."""
    size, extra = divmod(count, buckets)
    return [size + 1 if b < extra else size for b in range(buckets)]


def _ntile_by_position(count: int, buckets: int) -> list[int]:
    """SQL NTILE bucket (1-based) of each position 0..count-1."""
    assigned: list[int] = []
    for bucket, size in enumerate(_ntile_sizes(count, buckets), start=1):
        assigned.extend([bucket] * size)
    return assigned


def tie_consistent_ntile(
    values: pd.Series, keys: pd.Series, buckets: int, descending: bool
) -> pd.Series:
    """Tie-consistent NTILE, implemented literally.

    Sort by value (descending if ``descending``) then key ascending, assign
    SQL NTILE buckets by position, then give every row the minimum bucket
    over all rows with an equal value.  Returns an int64 Series aligned with
    ``values.index``.
    """
    if buckets < 1:
        raise ValueError("buckets must be >= 1")
    if len(values) != len(keys):
        raise ValueError("values and keys must have the same length")
    entries = list(enumerate(zip(values.tolist(), keys.tolist(), strict=True)))
    # Stable sorts: key ascending first, then value (reverse keeps stability).
    entries.sort(key=lambda e: e[1][1])
    entries.sort(key=lambda e: e[1][0], reverse=descending)
    raw_bucket = _ntile_by_position(len(entries), buckets)
    group_min: dict[Hashable, int] = {}
    for (_, (value, _)), bucket in zip(entries, raw_bucket, strict=True):
        group_min[value] = min(group_min.get(value, bucket), bucket)
    result = [0] * len(entries)
    for position, (value, _) in entries:
        result[position] = group_min[value]
    return pd.Series(result, index=values.index, dtype="int64")


# --------------------------------------------------------------------------
# Pyramid and Pareto
# --------------------------------------------------------------------------


def _rank_desc(values: Sequence[Decimal]) -> list[int]:
    """SQL RANK() over value DESC: equal values share the lowest rank."""
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
    ranks = [0] * len(values)
    for position, index in enumerate(order):
        previous = order[position - 1] if position else None
        if previous is not None and values[previous] == values[index]:
            ranks[index] = ranks[previous]
        else:
            ranks[index] = position + 1
    return ranks


def _exact(cut: float | str | Decimal) -> Fraction:
    """Exact value of a cut point as written (0.01 -> 1/100)."""
    return Fraction(str(cut))


def _pyramid_tier(rank: int, n: int, cuts: Sequence[float]) -> str:
    """Tier letter: A if rank <= ceil(c1*N), B if <= ceil(c2*N), ..."""
    for letter, cut in zip(PYRAMID_TIERS, cuts, strict=False):
        if rank <= math.ceil(_exact(cut) * n):
            return letter
    return PYRAMID_TIERS[len(cuts)]


def _cumulative_shares(values: Sequence[Decimal], ids: Sequence[str]) -> list[Fraction]:
    """Running share of greatest(value, 0), order value DESC, id ASC."""
    order = sorted(range(len(values)), key=lambda i: ids[i])
    order.sort(key=lambda i: values[i], reverse=True)
    positive = [max(v, _ZERO) for v in values]
    total = _exact_sum(positive)
    shares = [Fraction(1)] * len(values)
    if total == 0:
        return shares
    running = _ZERO
    for index in order:
        running = _EXACT.add(running, positive[index])
        shares[index] = Fraction(running) / Fraction(total)
    return shares


def _shares_above(values: Sequence[Decimal]) -> list[Fraction]:
    """Per row: the share of the total of greatest(value, 0) held by the rows
    whose value is strictly greater (0 when the total is 0)."""
    positive = [max(v, _ZERO) for v in values]
    total = _exact_sum(positive)
    group_sums: dict[Decimal, Decimal] = {}
    for value, part in zip(values, positive, strict=True):
        group_sums[value] = _EXACT.add(group_sums.get(value, _ZERO), part)
    above_by_value: dict[Decimal, Decimal] = {}
    running = _ZERO
    for value in sorted(group_sums, reverse=True):
        above_by_value[value] = running
        running = _EXACT.add(running, group_sums[value])
    if total == 0:
        return [Fraction(0)] * len(values)
    return [Fraction(above_by_value[v]) / Fraction(total) for v in values]


def _pareto_class(share_above: Fraction, cuts: Sequence[float]) -> str:
    """Pareto class letter from the share held by the customers ranked
    strictly above: A if below c1, B if below c2, else C."""
    letters = "ABC"
    for letter, cut in zip(letters, cuts, strict=False):
        if share_above < _exact(cut):
            return letter
    return letters[len(cuts)]


def _basis_values(metrics: pd.DataFrame, pyramid_basis: str, has_cost: bool) -> list[Decimal]:
    """Pyramid basis per customer: monetary ('revenue'/'monetary') or profit."""
    if pyramid_basis in ("revenue", "monetary"):
        return list(metrics["monetary"].tolist())
    if pyramid_basis == "profit":
        if not has_cost:
            raise ValueError("pyramid_basis='profit' needs a cost column")
        return list(metrics["profit"].tolist())
    raise ValueError(f"unknown pyramid_basis: {pyramid_basis!r}")


def _check_cuts(cuts: Sequence[float], count: int, name: str) -> None:
    """Validate a tuple of cut points: ``count`` non-decreasing values."""
    if len(cuts) != count:
        raise ValueError(f"{name} needs exactly {count} cut points")
    exact = [_exact(c) for c in cuts]
    if exact != sorted(exact):
        raise ValueError(f"{name} must be non-decreasing")


def customer_tiers(
    clean: pd.DataFrame,
    as_of_date: date,
    window_days: int | None = 365,
    pyramid_basis: str = "revenue",
    pyramid_cuts: tuple[float, ...] = (0.01, 0.05, 0.20),
    pareto_cuts: tuple[float, ...] = (0.80, 0.95),
    has_cost: bool = True,
) -> pd.DataFrame:
    """One row per universe customer (sorted by customer_id) with RFM scores,
    pyramid tier, ranks, cumulative share and Pareto class."""
    _check_cuts(pyramid_cuts, len(PYRAMID_TIERS) - 1, "pyramid_cuts")
    _check_cuts(pareto_cuts, 2, "pareto_cuts")
    metrics = customer_metrics(clean, as_of_date, window_days, has_cost)
    basis = _basis_values(metrics, pyramid_basis, has_cost)
    n = len(metrics)
    ids = metrics["customer_id"]
    tiers = metrics.copy()
    tiers["as_of_date"] = pd.Series([as_of_date] * n, dtype=object)
    tiers["r_score"] = tie_consistent_ntile(
        metrics["recency_days"], ids, RFM_BUCKETS, descending=True
    )
    tiers["f_score"] = tie_consistent_ntile(
        metrics["frequency"], ids, RFM_BUCKETS, descending=False
    )
    tiers["m_score"] = tie_consistent_ntile(metrics["monetary"], ids, RFM_BUCKETS, descending=False)
    tiers["rfm_cell"] = pd.Series(
        [
            f"{r}{f}{m}"
            for r, f, m in zip(tiers["r_score"], tiers["f_score"], tiers["m_score"], strict=True)
        ],
        dtype=str,
    )
    ranks = _rank_desc(basis)
    tiers["revenue_rank"] = pd.Series(ranks, dtype="int64")
    tiers["percent_rank"] = pd.Series(
        [float(Fraction(r - 1, n - 1)) if n > 1 else 0.0 for r in ranks],
        dtype="float64",
    )
    shares = _cumulative_shares(basis, ids.tolist())
    tiers["cumulative_revenue_share"] = pd.Series([float(s) for s in shares], dtype="float64")
    tiers["pyramid_tier"] = pd.Series([_pyramid_tier(r, n, pyramid_cuts) for r in ranks], dtype=str)
    tiers["pareto_class"] = pd.Series(
        [_pareto_class(s, pareto_cuts) for s in _shares_above(basis)], dtype=str
    )
    return tiers[list(TIER_COLUMNS)]


def pyramid_summary(tiers: pd.DataFrame) -> pd.DataFrame:
    """Per pyramid tier A-D (all four rows, even when empty): customer count
    and share, revenue (sum of monetary) and its share of the total
    monetary, min and max monetary.  A share is NaN when its denominator is
    0; min/max are None for an empty tier."""
    total_customers = len(tiers)
    monetary_by_tier: dict[str, list[Decimal]] = {t: [] for t in PYRAMID_TIERS}
    for tier, monetary in zip(tiers["pyramid_tier"], tiers["monetary"], strict=True):
        monetary_by_tier[tier].append(monetary)
    total_revenue = _exact_sum(tiers["monetary"].tolist())
    rows = []
    for tier in PYRAMID_TIERS:
        values = monetary_by_tier[tier]
        revenue = _exact_sum(values)
        rows.append(
            {
                "pyramid_tier": tier,
                "customers": len(values),
                "customer_share": _ratio(len(values), total_customers),
                "revenue": revenue,
                "revenue_share": _ratio(revenue, total_revenue),
                "min_monetary": min(values) if values else None,
                "max_monetary": max(values) if values else None,
            }
        )
    dtypes = {
        "pyramid_tier": str,
        "customers": "int64",
        "customer_share": "float64",
        "revenue": object,
        "revenue_share": "float64",
        "min_monetary": object,
        "max_monetary": object,
    }
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=dtypes[c]) for c in SUMMARY_COLUMNS},
        columns=list(SUMMARY_COLUMNS),
    )


def _ratio(numerator: int | Decimal, denominator: int | Decimal) -> float:
    """Exact ratio as float; NaN when the denominator is 0."""
    if denominator == 0:
        return math.nan
    return float(Fraction(numerator) / Fraction(denominator))
