"""Independent reference implementation of the customer-tiering rules.

Written from ``/tmp/spec/rules.md`` and, for the customer universe, the lifecycle stage, the
value x loyalty grade and the ``none`` row of the pyramid summary, from ``docs/schemes.md``
only (not from the dbt models), so the test suite can check the dbt output row by row against
it.

Numeric conventions (chosen for exactness):

* ``amount``, ``cost``, ``monetary``, ``profit``, ``lifetime_revenue``, ``recent_spend`` and
  ``previous_spend`` are :class:`decimal.Decimal` values held in ``object`` columns.  Sums are
  exact (an unbounded-precision context is used, so no rounding ever happens).
* Ratios (``percent_rank``, ``cumulative_revenue_share``, the shares of the
  pyramid summary) are computed exactly as :class:`fractions.Fraction` and
  returned as ``float64`` (correctly rounded).  Every threshold comparison
  (pyramid ceil cut points, Pareto cut points, the lifecycle ratios and factor) is done on
  exact fractions and on the exact decimal value of the cut (``Fraction(str(cut))``), so
  ``0.01 * 700`` is 7, never 7.000000000000001.
* Customer ids and transaction ids are compared as Python strings, i.e. by
  code point, which is the same order as UTF-8 binary order.
* Nulls: ``None`` in ``object`` columns, ``<NA>`` in nullable ``Int64`` columns (``None`` once
  read with ``to_dict``), NaN in ``float64`` columns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal
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
SCORE_COLUMNS: tuple[str, ...] = (
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "pyramid_value",
    "revenue_rank",
    "percent_rank",
    "cumulative_revenue_share",
    "pyramid_tier",
    "pareto_class",
)
"""The columns computed over the buyers only (null for every other customer)."""
LIFECYCLE_MEASURE_COLUMNS: tuple[str, ...] = (
    "tenure_days",
    "lifetime_purchases",
    "recent_spend",
    "recent_purchases",
    "previous_spend",
    "previous_purchases",
)
GROUP_COLUMNS: tuple[str, ...] = (
    "tier_group",
    "group_r_score",
    "group_f_score",
    "group_m_score",
    "group_pyramid_tier",
)
"""The scores and pyramid tier within the customer's group (tier_within; buyers only)."""
TIER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "as_of_date",
    "recency_days",
    "frequency",
    "monetary",
    "profit",
    *SCORE_COLUMNS,
    "first_purchase_date",
    "last_purchase_date",
    "lifetime_revenue",
    *LIFECYCLE_MEASURE_COLUMNS,
    "lifecycle_stage",
    "value_loyalty_grade",
    "pyramid_basis",
    "b2b_segment",
    *GROUP_COLUMNS,
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "pyramid_tier",
    "tier_order",
    "customers",
    "customer_share",
    "revenue",
    "revenue_share",
    "min_monetary",
    "max_monetary",
    "profit",
    "unprofitable_customers",
    "unprofitable_customer_share",
)
CUSTOMER_COLUMNS: tuple[str, ...] = ("customer_id", "signup_date")
# Attributes of the customer file the rules read: lower-cased codes, and the industry and the
# region as written.
CUSTOMER_CODES: tuple[str, ...] = ("customer_type", "company_size", "ownership")
CUSTOMER_ATTRIBUTES: tuple[str, ...] = (*CUSTOMER_CODES, "industry", "region")
# What a missing attribute reads as in a group of tier_within.
UNKNOWN_ATTRIBUTE = "unknown"
# B2B segments (docs/schemes.md, document 003).
LARGE_ACCOUNT = "large_account"
SME = "sme"
BUSINESS_UNKNOWN_SIZE = "business_unknown_size"
PYRAMID_TIERS: tuple[str, ...] = ("A", "B", "C", "D")
NO_PURCHASE_TIER = "none"
"""The pyramid_summary row of the customers with clean transactions but no purchase."""
SUMMARY_TIERS: tuple[str, ...] = (*PYRAMID_TIERS, NO_PURCHASE_TIER)

# Lifecycle stages, in the order their rules are tried (the first that applies wins).
PROSPECT = "prospect"
CHURNED = "churned"
NEW = "new"
DECLINING = "declining"
GROWING = "growing"
MATURE = "mature"
LIFECYCLE_STAGES: tuple[str, ...] = (PROSPECT, CHURNED, NEW, DECLINING, GROWING, MATURE)
VALUE_LOYALTY_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
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
AMOUNT_OUT_OF_RANGE = "amount_out_of_range"
CANCELLED = "cancelled"
REFUND_WITH_POSITIVE_AMOUNT = "refund_with_positive_amount"
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
    AMOUNT_OUT_OF_RANGE,
    CANCELLED,
    REFUND_WITH_POSITIVE_AMOUNT,
    DUPLICATE_TRANSACTION_ID,
)
REFUND_STATUSES = frozenset({"refund", "refunded", "return", "returned"})

# "Whitespace" is what SQL trim() removes: spaces only (DuckDB and PostgreSQL alike).
_WHITESPACE = " "  # SQL trim(): spaces only
# A date, then optionally a time and a zone (nothing else).
_DATE_PATTERN = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?( ?[AaPp][Mm])?"
    r"( ?(Z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?))?)?"
)
_NUMBER_PATTERN = re.compile(r"[+-]?([0-9]{1,18}([.][0-9]*)?|[.][0-9]+)")
# A number of any size: one that _NUMBER_PATTERN refuses is out of an amount's range.
_ANY_NUMBER_PATTERN = re.compile(r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)")
# The scale of an amount: a number that is not 0 but rounds to 0 here is out of range.
_AMOUNT_QUANTUM = Decimal("0.000001")
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
    frame = _read_as_text(path)
    _require_columns(frame, REQUIRED_COLUMNS)
    absent = _add_absent_columns(frame, OPTIONAL_COLUMNS)
    frame.attrs["absent_optional_columns"] = absent
    return frame


def read_raw_customers(path: Path) -> pd.DataFrame:
    """Read a customer file (CSV, or Parquet by extension) as text, like
    :func:`read_raw_transactions`: every column a string column, ``''`` for missing.

    ``customer_id`` is required (``ValueError`` without it); a file without ``signup_date`` or
    one of CUSTOMER_ATTRIBUTES gets the column filled with ``''`` (unknown).
    """
    frame = _read_as_text(path)
    _require_columns(frame, CUSTOMER_COLUMNS[:1])
    _add_absent_columns(frame, (*CUSTOMER_COLUMNS[1:], *CUSTOMER_ATTRIBUTES))
    return frame


def _read_as_text(path: Path) -> pd.DataFrame:
    """Every column of a CSV or Parquet (by extension) file as text; missing is ``''``."""
    path = Path(path)
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        return _read_parquet_as_text(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    # Fields absent from a short line come back as NaN: they are missing.
    return frame.fillna("")


def _require_columns(frame: pd.DataFrame, required: Sequence[str]) -> None:
    """Raise ValueError naming the required columns the frame lacks."""
    missing_required = [c for c in required if c not in frame.columns]
    if missing_required:
        raise ValueError(f"missing required column(s): {missing_required}")


def _add_absent_columns(frame: pd.DataFrame, optional: Sequence[str]) -> tuple[str, ...]:
    """Add each optional column the frame lacks, filled with ``''``; return their names."""
    absent = tuple(c for c in optional if c not in frame.columns)
    for column in absent:
        frame[column] = pd.Series([""] * len(frame), index=frame.index, dtype=str)
    return absent


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
    if amount is None and _ANY_NUMBER_PATTERN.fullmatch(amount_text):
        return AMOUNT_OUT_OF_RANGE
    if amount is None:
        return NON_NUMERIC_AMOUNT
    if amount != 0 and amount.quantize(_AMOUNT_QUANTUM, rounding=ROUND_HALF_UP) == 0:
        return AMOUNT_OUT_OF_RANGE
    status = _trim(row.get("status")).lower()
    if status == "cancelled":
        return CANCELLED
    if status in REFUND_STATUSES and amount > 0:
        return REFUND_WITH_POSITIVE_AMOUNT
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
    _require_columns(raw, REQUIRED_COLUMNS)
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
# Customer file
# --------------------------------------------------------------------------


def parse_customers(raw: pd.DataFrame) -> pd.DataFrame:
    """The customers of a raw customer file (see :func:`read_raw_customers`), one row each.

    ``customer_id`` is trimmed; a row without one is ignored.  ``signup_date`` is parsed like a
    transaction date (``YYYY-MM-DD``, optionally followed by a time); unparseable or missing
    text is None.  CUSTOMER_CODES are trimmed and lower-cased, ``industry`` trimmed; empty text
    is None.  A customer listed several times keeps one row: the earliest signup date first,
    then the smallest customer type, industry, company size and ownership (None last), so it
    gets the earliest signup date of its rows.  Columns CUSTOMER_COLUMNS and
    CUSTOMER_ATTRIBUTES, sorted by customer_id.
    """
    _require_columns(raw, CUSTOMER_COLUMNS)
    _add_absent_columns(raw, CUSTOMER_ATTRIBUTES)
    kept: dict[str, dict[str, Any]] = {}
    for record in raw.to_dict("records"):
        customer_id = _trim(record["customer_id"])
        if customer_id == "":
            continue
        row = {
            "customer_id": customer_id,
            "signup_date": _parse_date(_trim(record["signup_date"])),
            **{name: _trim(record[name]).lower() or None for name in CUSTOMER_CODES},
            "industry": _trim(record["industry"]) or None,
            "region": _trim(record["region"]) or None,
        }
        if customer_id not in kept or _keep_key(row) < _keep_key(kept[customer_id]):
            kept[customer_id] = row
    ids = sorted(kept)
    return pd.DataFrame(
        [kept[c] for c in ids], columns=[*CUSTOMER_COLUMNS, *CUSTOMER_ATTRIBUTES], dtype=object
    )


def _keep_key(row: dict[str, Any]) -> tuple[tuple[bool, Any], ...]:
    """Order of a customer's rows: signup date, type, industry, size, ownership, region; None
    last."""
    names = ("signup_date", "customer_type", "industry", "company_size", "ownership", "region")
    return tuple((row[name] is None, row[name] or "") for name in names)


def b2b_segment(customer_type: str | None, company_size: str | None) -> str | None:
    """The B2B segment of a customer (docs/schemes.md): business customers by company size."""
    if customer_type != "business":
        return None
    return {"large": LARGE_ACCOUNT, "sme": SME}.get(company_size or "", BUSINESS_UNKNOWN_SIZE)


_B2B_INPUTS = ("customer_type", "company_size")


def _attributes_by_id(customers: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """The parsed customer file's rows by customer id (empty without a file)."""
    if customers is None:
        return {}
    return {row["customer_id"]: row for row in customers.to_dict("records")}


def _signed_up_ids(customers: pd.DataFrame | None, as_of_date: date) -> set[str]:
    """Ids of the customer file whose signup date is unknown or on or before as_of_date
    (whether or not they have transactions)."""
    if customers is None:
        return set()
    _require_columns(customers, CUSTOMER_COLUMNS)
    return {
        customer_id
        for customer_id, signup in zip(
            customers["customer_id"], customers["signup_date"], strict=True
        )
        if _is_missing(signup) or signup <= as_of_date
    }


# --------------------------------------------------------------------------
# As-of date and per-customer measures
# --------------------------------------------------------------------------


def default_as_of_date(clean: pd.DataFrame) -> date:
    """Default as_of_date: the max transaction_date over clean rows."""
    if len(clean) == 0:
        raise ValueError("no clean rows: as_of_date has no default")
    return max(clean["transaction_date"].tolist())


@dataclass(frozen=True)
class _Transaction:
    """One clean transaction of a customer."""

    day: date
    amount: Decimal
    cost: Decimal | None

    @property
    def is_purchase(self) -> bool:
        """A purchase is a transaction with a positive amount."""
        return self.amount > 0

    @property
    def profit(self) -> Decimal:
        """amount - cost (a missing cost counts as 0)."""
        return _EXACT.subtract(self.amount, _ZERO if self.cost is None else self.cost)


@dataclass(frozen=True)
class _Period:
    """The days d with ``after < d <= through``; ``after`` None: every day up to ``through``."""

    after: date | None
    through: date

    @classmethod
    def of_days(cls, through: date, days: int | None) -> _Period:
        """The ``days`` days ending on ``through`` (None: all history up to it)."""
        return cls(None if days is None else through - timedelta(days=days), through)

    def before(self) -> _Period:
        """The period of the same length just before this one (needs a lower bound)."""
        assert self.after is not None
        return _Period(self.after - (self.through - self.after), self.after)

    def select(self, history: Sequence[_Transaction]) -> list[_Transaction]:
        """The transactions dated in the period."""
        return [
            t
            for t in history
            if (self.after is None or self.after < t.day) and t.day <= self.through
        ]


def _spend(transactions: Iterable[_Transaction]) -> Decimal:
    """Net amount (refunds included), exact."""
    return _exact_sum(t.amount for t in transactions)


def _purchase_count(transactions: Iterable[_Transaction]) -> int:
    """Number of purchases (positive amounts)."""
    return sum(1 for t in transactions if t.is_purchase)


def _histories(clean: pd.DataFrame, as_of_date: date) -> dict[str, list[_Transaction]]:
    """Each customer's clean transactions dated on or before as_of_date."""
    histories: dict[str, list[_Transaction]] = {}
    rows = zip(
        clean["customer_id"].tolist(),
        clean["transaction_date"].tolist(),
        clean["amount"].tolist(),
        clean["cost"].tolist(),
        strict=True,
    )
    for customer_id, day, amount, cost in rows:
        if day <= as_of_date:
            transaction = _Transaction(
                day, Decimal(amount), None if _is_missing(cost) else Decimal(cost)
            )
            histories.setdefault(customer_id, []).append(transaction)
    return histories


def _is_missing(value: Any) -> bool:
    """True for None / NaN / pd.NA / NaT (a NULL)."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


@dataclass(frozen=True)
class _Metrics:
    """The RFM measures of a customer with clean transactions on or before as_of_date."""

    as_of_date: date
    first_purchase_date: date | None  # None: no purchase (refunds or zero amounts only)
    last_purchase_date: date | None
    frequency: int
    monetary: Decimal
    profit: Decimal | None
    lifetime_revenue: Decimal

    @classmethod
    def measure(
        cls,
        history: Sequence[_Transaction],
        as_of_date: date,
        window_days: int | None,
        has_cost: bool,
    ) -> _Metrics:
        """Measures of one customer's history (``window_days`` None: the window is all
        history; ``has_cost`` False: profit is None)."""
        window = _Period.of_days(as_of_date, window_days).select(history)
        purchase_days = [t.day for t in history if t.is_purchase]
        return cls(
            as_of_date=as_of_date,
            first_purchase_date=min(purchase_days, default=None),
            last_purchase_date=max(purchase_days, default=None),
            frequency=_purchase_count(window),
            monetary=_spend(window),
            profit=_exact_sum(t.profit for t in window) if has_cost else None,
            lifetime_revenue=_spend(history),
        )

    @property
    def is_buyer(self) -> bool:
        """At least one purchase dated on or before as_of_date."""
        return self.last_purchase_date is not None

    @property
    def recency_days(self) -> int | None:
        """Days from the last purchase to as_of_date (None without a purchase)."""
        return _days_since(self.last_purchase_date, self.as_of_date)

    @property
    def tenure_days(self) -> int | None:
        """Days from the first purchase to as_of_date (None without a purchase)."""
        return _days_since(self.first_purchase_date, self.as_of_date)

    def columns(self) -> dict[str, Any]:
        """The metric columns (METRIC_COLUMNS but customer_id)."""
        return {
            "recency_days": self.recency_days,
            "frequency": self.frequency,
            "monetary": self.monetary,
            "profit": self.profit,
            "first_purchase_date": self.first_purchase_date,
            "last_purchase_date": self.last_purchase_date,
            "lifetime_revenue": self.lifetime_revenue,
        }


def _days_since(day: date | None, as_of_date: date) -> int | None:
    """Whole days from ``day`` to as_of_date; None when ``day`` is None."""
    return None if day is None else (as_of_date - day).days


def customer_metrics(
    clean: pd.DataFrame, as_of_date: date, window_days: int | None, has_cost: bool = True
) -> pd.DataFrame:
    """Per-buyer metrics (the basis of the RFM scores and the pyramid), sorted by customer_id.

    Buyers: customers with at least one purchase (amount > 0) dated on or
    before ``as_of_date``.  ``profit`` is None for everyone when
    ``has_cost`` is False (the input had no cost column).
    """
    measured = _measure_all(_histories(clean, as_of_date), as_of_date, window_days, has_cost)
    return _buyer_metrics(measured)


def _measure_all(
    histories: dict[str, list[_Transaction]],
    as_of_date: date,
    window_days: int | None,
    has_cost: bool,
) -> dict[str, _Metrics]:
    """The metrics of every customer with a history."""
    return {
        customer_id: _Metrics.measure(history, as_of_date, window_days, has_cost)
        for customer_id, history in histories.items()
    }


def _buyer_metrics(measured: dict[str, _Metrics]) -> pd.DataFrame:
    """Metrics frame of the buyers among ``measured``, sorted by customer_id."""
    rows = [
        {"customer_id": customer_id, **metrics.columns()}
        for customer_id, metrics in sorted(measured.items())
        if metrics.is_buyer
    ]
    return _typed_frame(rows, METRIC_COLUMNS, _METRIC_DTYPES)


_METRIC_DTYPES: dict[str, Any] = {
    "customer_id": str,
    "recency_days": "int64",
    "frequency": "int64",
    "monetary": object,
    "profit": object,
    "first_purchase_date": object,
    "last_purchase_date": object,
    "lifetime_revenue": object,
}


def _typed_frame(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], dtypes: dict[str, Any]
) -> pd.DataFrame:
    """Frame of ``rows`` with the given columns and dtypes (works for zero rows too)."""
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=dtypes[c]) for c in columns},
        columns=list(columns),
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


def _exact(cut: float | str | Decimal | Fraction) -> Fraction:
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


def _buyer_scores(
    metrics: pd.DataFrame,
    pyramid_basis: str,
    pyramid_cuts: Sequence[float],
    pareto_cuts: Sequence[float],
    has_cost: bool,
) -> dict[str, dict[str, Any]]:
    """SCORE_COLUMNS of every buyer of ``metrics`` (the buyers' metrics frame), by id: the
    quintiles and the pyramid are computed over these buyers only."""
    basis = _basis_values(metrics, pyramid_basis, has_cost)
    n = len(metrics)
    ids = metrics["customer_id"]
    scores = pd.DataFrame(index=metrics.index)
    scores["r_score"] = tie_consistent_ntile(
        metrics["recency_days"], ids, RFM_BUCKETS, descending=True
    )
    scores["f_score"] = tie_consistent_ntile(
        metrics["frequency"], ids, RFM_BUCKETS, descending=False
    )
    scores["m_score"] = tie_consistent_ntile(
        metrics["monetary"], ids, RFM_BUCKETS, descending=False
    )
    scores["rfm_cell"] = [
        f"{r}{f}{m}"
        for r, f, m in zip(scores["r_score"], scores["f_score"], scores["m_score"], strict=True)
    ]
    scores["pyramid_value"] = basis
    ranks = _rank_desc(basis)
    scores["revenue_rank"] = ranks
    scores["percent_rank"] = [float(Fraction(r - 1, n - 1)) if n > 1 else 0.0 for r in ranks]
    scores["cumulative_revenue_share"] = [float(s) for s in _cumulative_shares(basis, ids.tolist())]
    scores["pyramid_tier"] = [_pyramid_tier(r, n, pyramid_cuts) for r in ranks]
    scores["pareto_class"] = [_pareto_class(s, pareto_cuts) for s in _shares_above(basis)]
    records = scores[list(SCORE_COLUMNS)].to_dict("records")
    return dict(zip(ids.tolist(), records, strict=True))


# --------------------------------------------------------------------------
# Lifecycle stage and value x loyalty grade (docs/schemes.md)
# --------------------------------------------------------------------------


def _exact_var(value: object, name: str) -> Fraction:
    """Exact value of a numeric var as written (0.8 -> 4/5); ValueError when not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal | Fraction):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        return _exact(value)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def _whole_var(value: object, name: str, minimum: int, maximum: int | None = None) -> int:
    """A var that must be a whole number in [minimum, maximum]; ValueError otherwise."""
    exact = _exact_var(value, name)
    if exact.denominator != 1 or exact < minimum or (maximum is not None and exact > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise ValueError(f"{name} must be a whole number {bounds}, not {value!r}")
    return int(exact)


@dataclass(frozen=True)
class _Activity:
    """The lifecycle measures of a customer with clean transactions on or before as_of_date."""

    metrics: _Metrics
    lifetime_purchases: int
    recent_spend: Decimal
    recent_purchases: int
    previous_spend: Decimal
    previous_purchases: int

    @classmethod
    def measure(
        cls, history: Sequence[_Transaction], metrics: _Metrics, period_days: int
    ) -> _Activity:
        """Measures over all history, the recent period ``(A - P, A]`` and the previous one
        ``(A - 2P, A - P]`` (P = ``period_days``)."""
        recent_period = _Period.of_days(metrics.as_of_date, period_days)
        recent = recent_period.select(history)
        previous = recent_period.before().select(history)
        return cls(
            metrics=metrics,
            lifetime_purchases=_purchase_count(history),
            recent_spend=_spend(recent),
            recent_purchases=_purchase_count(recent),
            previous_spend=_spend(previous),
            previous_purchases=_purchase_count(previous),
        )

    def columns(self) -> dict[str, Any]:
        """The LIFECYCLE_MEASURE_COLUMNS."""
        return {
            "tenure_days": self.metrics.tenure_days,
            "lifetime_purchases": self.lifetime_purchases,
            "recent_spend": self.recent_spend,
            "recent_purchases": self.recent_purchases,
            "previous_spend": self.previous_spend,
            "previous_purchases": self.previous_purchases,
        }


@dataclass(frozen=True)
class _LifecycleRules:
    """The lifecycle vars, checked; :meth:`stage` applies the rules."""

    new_days: int
    churn_days: int
    period_days: int
    growth_ratio: Fraction
    decline_ratio: Fraction
    overdue_factor: Fraction

    @classmethod
    def checked(
        cls,
        new_days: object,
        churn_days: object,
        period_days: object,
        growth_ratio: object,
        decline_ratio: object,
        overdue_factor: object,
    ) -> _LifecycleRules:
        """The rules of the given vars; ValueError for a var out of its range."""
        rules = cls(
            new_days=_whole_var(new_days, "lifecycle_new_days", 1),
            churn_days=_whole_var(churn_days, "lifecycle_churn_days", 1),
            period_days=_whole_var(period_days, "lifecycle_period_days", 1),
            growth_ratio=_exact_var(growth_ratio, "lifecycle_growth_ratio"),
            decline_ratio=_exact_var(decline_ratio, "lifecycle_decline_ratio"),
            overdue_factor=_exact_var(overdue_factor, "lifecycle_overdue_factor"),
        )
        if not 0 < rules.decline_ratio <= 1:
            raise ValueError(f"lifecycle_decline_ratio must be in (0, 1], not {decline_ratio!r}")
        if rules.growth_ratio < 1:
            raise ValueError(f"lifecycle_growth_ratio must be at least 1, not {growth_ratio!r}")
        if rules.overdue_factor <= 0:
            raise ValueError(f"lifecycle_overdue_factor must be above 0, not {overdue_factor!r}")
        return rules

    def stage(self, activity: _Activity | None) -> str:
        """The first stage whose rule applies (``activity`` None: no clean transaction)."""
        if activity is None:
            return PROSPECT
        recency, tenure = activity.metrics.recency_days, activity.metrics.tenure_days
        if recency is None or tenure is None:
            return PROSPECT
        if recency >= self.churn_days:
            return CHURNED
        if tenure < self.new_days:
            return NEW
        if self._fell(activity) or self._overdue(activity, recency):
            return DECLINING
        if self._grew(activity):
            return GROWING
        return MATURE

    def _fell(self, activity: _Activity) -> bool:
        """Spend or purchases of the recent period at most decline_ratio x the previous."""
        return any(
            previous > 0 and Fraction(recent) <= self.decline_ratio * Fraction(previous)
            for recent, previous in (
                (activity.recent_spend, activity.previous_spend),
                (activity.recent_purchases, activity.previous_purchases),
            )
        )

    def _overdue(self, activity: _Activity, recency: int) -> bool:
        """Longer than usual since the last purchase: with n >= 2 purchases,
        recency x (n - 1) > overdue_factor x (last - first)."""
        first = activity.metrics.first_purchase_date
        last = activity.metrics.last_purchase_date
        purchases = activity.lifetime_purchases
        if purchases < 2 or first is None or last is None:
            return False
        return recency * (purchases - 1) > self.overdue_factor * (last - first).days

    def _grew(self, activity: _Activity) -> bool:
        """Recent spend positive, and the previous not, or at least growth_ratio x it."""
        recent, previous = activity.recent_spend, activity.previous_spend
        return recent > 0 and (
            previous <= 0 or Fraction(recent) >= self.growth_ratio * Fraction(previous)
        )


_GRADE_OF_VALUE_AND_LOYALTY = {
    (True, True): "A",
    (True, False): "B",
    (False, True): "C",
    (False, False): "D",
}


@dataclass(frozen=True)
class _GradeRules:
    """The value x loyalty vars, checked; :meth:`grade` applies the rules."""

    min_m_score: int
    min_f_score: int
    min_tenure_days: int
    min_purchases: int

    @classmethod
    def checked(
        cls,
        min_m_score: object,
        min_f_score: object,
        min_tenure_days: object,
        min_purchases: object,
    ) -> _GradeRules:
        """The rules of the given vars; ValueError for a var out of its range."""
        return cls(
            min_m_score=_whole_var(min_m_score, "grade_value_min_m_score", 1, RFM_BUCKETS),
            min_f_score=_whole_var(min_f_score, "grade_loyalty_min_f_score", 1, RFM_BUCKETS),
            min_tenure_days=_whole_var(min_tenure_days, "grade_loyalty_min_tenure_days", 0),
            min_purchases=_whole_var(min_purchases, "grade_loyalty_min_purchases", 1),
        )

    def grade(self, stage: str, scores: dict[str, Any], activity: _Activity | None) -> str:
        """F for a prospect, E for a churned customer, else A-D by value and loyalty."""
        if stage == PROSPECT:
            return "F"
        if stage == CHURNED:
            return "E"
        assert activity is not None  # any other stage is a buyer's
        tenure = activity.metrics.tenure_days
        high_value = scores["m_score"] >= self.min_m_score
        high_loyalty = (
            scores["f_score"] >= self.min_f_score
            and tenure is not None
            and tenure >= self.min_tenure_days
            and activity.lifetime_purchases >= self.min_purchases
        )
        return _GRADE_OF_VALUE_AND_LOYALTY[(high_value, high_loyalty)]


# --------------------------------------------------------------------------
# customer_tiers and pyramid_summary
# --------------------------------------------------------------------------

_NULLABLE_INT = "Int64"
_TIER_DTYPES: dict[str, Any] = {
    **_METRIC_DTYPES,
    "recency_days": _NULLABLE_INT,
    "frequency": _NULLABLE_INT,
    "as_of_date": object,
    "r_score": _NULLABLE_INT,
    "f_score": _NULLABLE_INT,
    "m_score": _NULLABLE_INT,
    "rfm_cell": object,
    "pyramid_value": object,
    "revenue_rank": _NULLABLE_INT,
    "percent_rank": "float64",
    "cumulative_revenue_share": "float64",
    "pyramid_tier": object,
    "pareto_class": object,
    "tenure_days": _NULLABLE_INT,
    "lifetime_purchases": _NULLABLE_INT,
    "recent_spend": object,
    "recent_purchases": _NULLABLE_INT,
    "previous_spend": object,
    "previous_purchases": _NULLABLE_INT,
    "lifecycle_stage": str,
    "value_loyalty_grade": str,
    "pyramid_basis": str,
    "b2b_segment": object,
    "tier_group": object,
    "group_r_score": _NULLABLE_INT,
    "group_f_score": _NULLABLE_INT,
    "group_m_score": _NULLABLE_INT,
    "group_pyramid_tier": object,
}
# The columns of a customer without any clean transaction (a prospect of the customer file).
_NO_MEASURES: dict[str, Any] = dict.fromkeys((*METRIC_COLUMNS[1:], *LIFECYCLE_MEASURE_COLUMNS))
_NO_SCORES: dict[str, Any] = dict.fromkeys(SCORE_COLUMNS)
_NO_GROUP_SCORES: dict[str, Any] = dict.fromkeys(GROUP_COLUMNS)


def tier_group(attributes: dict[str, Any], tier_within: Sequence[str]) -> str | None:
    """The group a customer is tiered within: its values of the ``tier_within`` attributes
    joined by ' / ', a missing one reading 'unknown'; None without ``tier_within``."""
    if not tier_within:
        return None
    return " / ".join(attributes.get(name) or UNKNOWN_ATTRIBUTE for name in tier_within)


def _group_scores(
    buyers: pd.DataFrame,
    groups: Sequence[str | None],
    pyramid_basis: str,
    pyramid_cuts: Sequence[float],
    has_cost: bool,
) -> dict[str, dict[str, Any]]:
    """GROUP_COLUMNS of every buyer of ``buyers`` (the buyers' metrics frame), by id: the RFM
    scores and the pyramid tier over the buyers of the same group (``groups``, aligned with the
    frame); empty when no buyer has a group."""
    frame = buyers.assign(
        tier_group=list(groups), basis=_basis_values(buyers, pyramid_basis, has_cost)
    )
    result: dict[str, dict[str, Any]] = {}
    for group, members in frame[frame["tier_group"].notna()].groupby("tier_group", sort=False):
        ids = members["customer_id"]
        scores = {
            column: tie_consistent_ntile(members[measure], ids, RFM_BUCKETS, descending)
            for column, measure, descending in (
                ("group_r_score", "recency_days", True),
                ("group_f_score", "frequency", False),
                ("group_m_score", "monetary", False),
            )
        }
        ranks = _rank_desc(list(members["basis"]))
        for position, customer_id in enumerate(ids.tolist()):
            result[customer_id] = {
                "tier_group": group,
                **{column: int(values.iloc[position]) for column, values in scores.items()},
                "group_pyramid_tier": _pyramid_tier(ranks[position], len(members), pyramid_cuts),
            }
    return result


def customer_tiers(
    clean: pd.DataFrame,
    as_of_date: date,
    window_days: int | None = 365,
    pyramid_basis: str = "revenue",
    pyramid_cuts: tuple[float, ...] = (0.01, 0.05, 0.20),
    pareto_cuts: tuple[float, ...] = (0.80, 0.95),
    has_cost: bool = True,
    *,
    customers: pd.DataFrame | None = None,
    lifecycle_new_days: int = 90,
    lifecycle_churn_days: int = 365,
    lifecycle_period_days: int = 180,
    lifecycle_growth_ratio: float = 1.2,
    lifecycle_decline_ratio: float = 0.8,
    lifecycle_overdue_factor: float = 2,
    grade_value_min_m_score: int = 5,
    grade_loyalty_min_f_score: int = 4,
    grade_loyalty_min_tenure_days: int = 365,
    grade_loyalty_min_purchases: int = 2,
    tier_within: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per customer of the universe (sorted by customer_id), columns TIER_COLUMNS.

    Universe: every customer with clean transactions dated on or before ``as_of_date`` (the
    buyers, and those without a purchase), plus the prospects of ``customers`` (the parsed
    customer file, see :func:`parse_customers`; None: no file): signup date unknown or on or
    before ``as_of_date``, and no clean transaction dated on or before it.

    The RFM scores, ranks, shares, pyramid tier and Pareto class are computed over the buyers
    only (null for everyone else), so the other customers change no buyer's figures.  For a
    customer without a purchase, recency and the purchase dates (and tenure) are null, while
    frequency, monetary, profit, lifetime revenue and the lifecycle measures are measured from
    the clean transactions (null for a prospect without any).  ``lifecycle_stage`` and
    ``value_loyalty_grade`` are never null.  The lifecycle and grade vars are checked as the
    project checks them (ValueError). With ``tier_within`` (customer attributes), each buyer's
    scores and pyramid tier are also computed among the buyers of its group (GROUP_COLUMNS).
    """
    _check_cuts(pyramid_cuts, len(PYRAMID_TIERS) - 1, "pyramid_cuts")
    _check_cuts(pareto_cuts, 2, "pareto_cuts")
    lifecycle = _LifecycleRules.checked(
        lifecycle_new_days,
        lifecycle_churn_days,
        lifecycle_period_days,
        lifecycle_growth_ratio,
        lifecycle_decline_ratio,
        lifecycle_overdue_factor,
    )
    grading = _GradeRules.checked(
        grade_value_min_m_score,
        grade_loyalty_min_f_score,
        grade_loyalty_min_tenure_days,
        grade_loyalty_min_purchases,
    )
    histories = _histories(clean, as_of_date)
    measured = _measure_all(histories, as_of_date, window_days, has_cost)
    buyers = _buyer_metrics(measured)
    scores = _buyer_scores(buyers, pyramid_basis, pyramid_cuts, pareto_cuts, has_cost)
    attributes = _attributes_by_id(customers)
    group_scores = _group_scores(
        buyers,
        [tier_group(attributes.get(c, {}), tier_within) for c in buyers["customer_id"]],
        pyramid_basis,
        pyramid_cuts,
        has_cost,
    )
    rows = []
    for customer_id in sorted(histories.keys() | _signed_up_ids(customers, as_of_date)):
        history = histories.get(customer_id)
        activity = (
            None
            if history is None
            else _Activity.measure(history, measured[customer_id], lifecycle.period_days)
        )
        measures = (
            _NO_MEASURES if activity is None else activity.metrics.columns() | activity.columns()
        )
        customer_scores = scores.get(customer_id, _NO_SCORES)
        stage = lifecycle.stage(activity)
        rows.append(
            {
                "customer_id": customer_id,
                "as_of_date": as_of_date,
                **measures,
                **customer_scores,
                "lifecycle_stage": stage,
                "value_loyalty_grade": grading.grade(stage, customer_scores, activity),
                "pyramid_basis": pyramid_basis,
                "b2b_segment": b2b_segment(
                    *(attributes.get(customer_id, {}).get(name) for name in _B2B_INPUTS)
                ),
                **group_scores.get(customer_id, _NO_GROUP_SCORES),
            }
        )
    return _typed_frame(rows, TIER_COLUMNS, _TIER_DTYPES)


_SUMMARY_DTYPES: dict[str, Any] = {
    "pyramid_tier": str,
    "tier_order": "int64",
    "customers": "int64",
    "customer_share": "float64",
    "revenue": object,
    "revenue_share": "float64",
    "min_monetary": object,
    "max_monetary": object,
    "profit": object,
    "unprofitable_customers": _NULLABLE_INT,
    "unprofitable_customer_share": "float64",
}


def pyramid_summary(tiers: pd.DataFrame) -> pd.DataFrame:
    """The pyramid tiers A-D (all four rows, even when empty) and the ``none`` row (the
    customers with clean transactions but no purchase: null pyramid tier, measured monetary;
    prospects without any transaction are in no row), ``tier_order`` 1-5.

    Per row: customer count; revenue (sum of monetary; the five revenues add up to the window's
    clean amounts); min and max monetary. The shares are of the pyramid, the buyers and their
    revenue: customer share and revenue share are NaN on the ``none`` row, which is outside it.
    A share is NaN when its denominator is 0; min/max are None for an empty row. When some
    customer has a profit (the input has a cost): the row's profit, and the customers whose
    profit is zero or negative with their share of the row's customers; else all None.
    """
    members: dict[str, list[tuple[Decimal, Any]]] = {t: [] for t in SUMMARY_TIERS}
    for tier, monetary, profit in zip(
        tiers["pyramid_tier"], tiers["monetary"], tiers["profit"], strict=True
    ):
        if not _is_missing(monetary):
            members[NO_PURCHASE_TIER if _is_missing(tier) else tier].append((monetary, profit))
    has_profit = not tiers["profit"].map(_is_missing).all()
    buyers = sum(len(members[t]) for t in PYRAMID_TIERS)
    pyramid_revenue = _exact_sum(m for t in PYRAMID_TIERS for m, _ in members[t])
    rows = []
    for order, tier in enumerate(SUMMARY_TIERS, start=1):
        values = [monetary for monetary, _ in members[tier]]
        profits = [profit for _, profit in members[tier]]
        revenue = _exact_sum(values)
        outside = tier == NO_PURCHASE_TIER
        unprofitable = sum(1 for p in profits if not _is_missing(p) and p <= 0)
        rows.append(
            {
                "pyramid_tier": tier,
                "tier_order": order,
                "customers": len(values),
                "customer_share": math.nan if outside else _ratio(len(values), buyers),
                "revenue": revenue,
                "revenue_share": math.nan if outside else _ratio(revenue, pyramid_revenue),
                "min_monetary": min(values) if values else None,
                "max_monetary": max(values) if values else None,
                "profit": _exact_sum(p for p in profits if not _is_missing(p))
                if has_profit
                else None,
                "unprofitable_customers": unprofitable if has_profit else None,
                "unprofitable_customer_share": _ratio(unprofitable, len(values))
                if has_profit
                else math.nan,
            }
        )
    return _typed_frame(rows, SUMMARY_COLUMNS, _SUMMARY_DTYPES)


def _ratio(numerator: int | Decimal, denominator: int | Decimal) -> float:
    """Exact ratio as float; NaN when the denominator is 0."""
    if denominator == 0:
        return math.nan
    return float(Fraction(numerator) / Fraction(denominator))


# --------------------------------------------------------------------------
# One strategy per customer (docs/schemes.md)
# --------------------------------------------------------------------------

# The schemes whose tiers have strategies, as columns of customer_tiers.
SCHEME_COLUMNS: tuple[str, ...] = (
    "pyramid_tier",
    "rfm_segment",
    "lifecycle_stage",
    "value_loyalty_grade",
    "b2b_segment",
)


def read_strategy_precedence(path: Path) -> dict[tuple[str, str], int]:
    """(scheme, tier code) -> precedence, from the strategy texts CSV (rows with one)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {
        (scheme, code): int(precedence)
        for scheme, code, precedence in zip(
            frame["scheme"], frame["tier_code"], frame["precedence"], strict=True
        )
        if precedence.strip()
    }


def strategy_key(row: dict[str, Any], precedence: dict[tuple[str, str], int]) -> str | None:
    """The customer's one strategy: of its tiers (SCHEME_COLUMNS of ``row``) that have a
    precedence, the one with the lowest, as ``scheme:tier_code``; None when none has one."""
    candidates = [
        (precedence[scheme, row[scheme]], f"{scheme}:{row[scheme]}")
        for scheme in SCHEME_COLUMNS
        if not _is_missing(row.get(scheme)) and (scheme, row[scheme]) in precedence
    ]
    return min(candidates)[1] if candidates else None
