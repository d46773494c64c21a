"""Deterministic demo data for the customer-tiering pipeline.

Writes ``transactions.<ext>`` and ``customers.<ext>`` with the shape of real
retail data (heavy-tailed spend, about half one-time buyers, customers arriving
and lapsing over the period, refunds, business customers) plus a share of
dirty transaction rows spread over every reject reason of the cleaning rules.

Determinism and scale
---------------------
* Everything is drawn from ``numpy.random.default_rng`` streams derived from
  the seed with ``SeedSequence(seed, spawn_key=...)``: stream ``(0,)`` plans
  the whole data set (transactions per customer, dirty rows per block) and
  stream ``(1, b)`` draws block ``b`` of ``BLOCK_CUSTOMERS`` customers.
* The output depends only on the parameters, not on ``chunk_customers``:
  chunks are whole blocks that are merely written together (parquet row
  groups have a fixed size, ``PARQUET_ROW_GROUP_ROWS``). Memory is bounded by
  the chunk plus a few integers per customer.
* The transaction file has exactly ``transactions`` rows (dirty rows
  included) and the customer file exactly ``customers`` rows. Rows are grouped
  by block of customers and sorted by date inside a block; transaction ids
  increase in file order, except for duplicate rows (which copy an earlier id)
  and rows whose id is deliberately missing.

Dirty rows (``dirty_share`` of all transaction rows, rounded) never touch the
first purchase of a customer, so every customer with transactions keeps at
least one clean purchase. Their count per reject reason is returned in
``GeneratedFiles.reject_counts``; it is exact for any ``earliest_valid_date`` from
1900-01-01 (the default) to 2000-01-01 and any run date before 2099.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from customer_tiering.progress import Progress

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
FileFormat = Literal["csv", "parquet"]

BLOCK_CUSTOMERS = 500
"""Customers per random stream: the unit of determinism (never change it lightly)."""
PARQUET_ROW_GROUP_ROWS = 1_000_000
"""Rows per parquet row group, fixed so that chunking never changes the file."""

TRANSACTION_COLUMNS = (
    "transaction_id",
    "customer_id",
    "transaction_date",
    "amount",
    "cost",
    "quantity",
    "channel",
    "product_category",
    "status",
)
CUSTOMER_COLUMNS = (
    "customer_id",
    "customer_type",
    "industry",
    "company_size",
    "ownership",
    "region",
    "signup_date",
    "name",
    "email",
    "phone",
)

REJECT_REASONS = (
    "missing_transaction_id",
    "missing_customer_id",
    "missing_transaction_date",
    "unparseable_transaction_date",
    "transaction_date_too_early",
    "transaction_date_in_future",
    "missing_amount",
    "non_numeric_amount",
    "cancelled",
    "duplicate_transaction_id",
)
"""Reject reasons of the cleaning rules, in rule order."""

# The k-th dirty row of the data set gets reason _DIRTY_CYCLE[k % len]: every
# reason appears once among the first ten dirty rows, duplicates most often.
_DIRTY_CYCLE = np.array(
    [
        REJECT_REASONS.index(reason)
        for reason in (
            *REJECT_REASONS,
            "duplicate_transaction_id",
            "duplicate_transaction_id",
            "cancelled",
            "unparseable_transaction_date",
            "non_numeric_amount",
        )
    ],
    dtype=np.int64,
)
_DUPLICATE = REJECT_REASONS.index("duplicate_transaction_id")

# Edits of the dirty rows other than duplicates: reason -> (column, templates).
# Templates see the row's clean date as {y}, {m}, {d} and its amount as {a}.
_DIRTY_EDITS: dict[str, tuple[str, tuple[str, ...]]] = {
    "missing_transaction_id": ("transaction_id", ("", " ", "   ")),
    "missing_customer_id": ("customer_id", ("", "  ")),
    "missing_transaction_date": ("transaction_date", ("", " ")),
    "unparseable_transaction_date": (
        "transaction_date",
        (
            "{y}-02-30",
            "{d}/{m}/{y}",
            "yesterday",
            "{y}{m}{d}",
            "{y}-13-{d}",
            "{y}/{m}/{d}",
        ),
    ),
    "transaction_date_too_early": (
        "transaction_date",
        ("1899-12-30", "1899-12-31", "1753-01-01"),
    ),
    "transaction_date_in_future": (
        "transaction_date",
        ("2099-01-01", "2100-12-31", "2999-06-15"),
    ),
    "missing_amount": ("amount", ("", "  ")),
    "non_numeric_amount": (
        "amount",
        ("abc", "NaN", "1,000.00", "${a}", "{a} CNY", "1e3", "12,50"),
    ),
    "cancelled": ("status", ("cancelled", " Cancelled ", "CANCELLED")),
}

# Shape of the data.
ONE_TIME_SHARE = 0.5
_REPEAT_TAIL = 2.0  # Pareto shape of the repeat buyers' purchase weights
_REPEAT_CAP_QUANTILE = 0.999
_BUSINESS_SHARE = 0.10
_BUSINESS_SPEND = 2.0
_SPEND_SIGMA = 0.6
_ORDER_MEDIAN = 45.0
_ORDER_SIGMA = 0.9
_LIFETIME_DAYS = 400.0
_SIGNUP_LAG_DAYS = 20.0
_TIMESTAMP_SHARE = 0.05
_REFUND_SHARE = 0.03
_FULL_REFUND_SHARE = 0.6
_REFUND_DELAY_P = 0.1
_ZERO_SHARE = 0.003
_COST_STATE_P = (0.968, 0.03, 0.002)  # numeric, empty, 'n/a' (becomes NULL)
_PAD_SHARES = np.array([0.005, 0.003, 0.005])  # transaction_id, customer_id, amount
_PAD_AFFIXES = ((" ", ""), ("", " "), ("  ", "  "))
_DUPLICATE_NEW_AMOUNT = 4  # 1 in 4 duplicates carries another (higher) amount

REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
_REGION_P = (0.30, 0.20, 0.17, 0.13, 0.10, 0.05, 0.05)
INDUSTRIES = (
    "manufacturing",
    "retail",
    "wholesale",
    "technology",
    "finance",
    "healthcare",
    "logistics",
    "construction",
)
OWNERSHIPS = ("state", "private", "foreign")
_OWNERSHIP_P = (0.25, 0.60, 0.15)
_LARGE_SHARE = 0.3
CHANNELS = ("online", "store", "app", "phone")
_CHANNEL_P = (0.40, 0.30, 0.25, 0.05)
CATEGORIES = (
    "electronics",
    "apparel",
    "home",
    "beauty",
    "grocery",
    "sports",
    "books",
    "toys",
)
_CATEGORY_P = (0.18, 0.20, 0.14, 0.12, 0.16, 0.08, 0.07, 0.05)
STATUSES = ("completed", "shipped", "pending", "returned")
_STATUS_P = (0.96, 0.025, 0.015)  # refunds get 'returned'
_RETURNED = STATUSES.index("returned")
_COST_TEXT = ("", "", "n/a")  # by cost state; state 0 gets the formatted cost

_SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
    "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo",
)  # fmt: skip
_GIVEN = (
    "Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Yong",
    "Jie", "Tao", "Ming", "Chao", "Xiu", "Hua", "Ping", "Gang", "Hui", "Xin",
    "Yu", "Hao", "Yi", "Ling", "Bo", "Lan", "Kai", "Rui", "Ting", "Zhen",
)  # fmt: skip
_SECOND_GIVEN_SHARE = 0.4
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_PHONE_PREFIXES = ("13", "15", "17", "18", "19")


@dataclass(frozen=True)
class GeneratorParams:
    """Parameters of the generator; equal parameters give byte-identical files."""

    customers: int = 20_000
    transactions: int = 200_000
    seed: int = 42
    end_date: date = date(2026, 6, 30)
    years: int = 3
    dirty_share: float = 0.01
    """Share of dirty transaction rows (capped at the rows that are not a
    customer's first purchase)."""
    file_format: FileFormat = "csv"
    chunk_customers: int = 50_000
    """Customers written per chunk; changes memory use, never the output."""
    prospect_share: float = 0.02
    """Share of customers without any transaction (prospects)."""

    def __post_init__(self) -> None:
        """Reject parameters the generator cannot honour."""
        problems = [message for message, ok in self._checks() if not ok]
        if problems:
            raise ValueError("; ".join(problems))

    def _checks(self) -> list[tuple[str, bool]]:
        """(message, holds) for every constraint on the parameters."""
        return [
            ("customers must be >= 1", self.customers >= 1),
            ("transactions must be >= 0", self.transactions >= 0),
            ("years must be >= 1", self.years >= 1),
            ("dirty_share must be in [0, 1]", 0.0 <= self.dirty_share <= 1.0),
            ("prospect_share must be in [0, 1)", 0.0 <= self.prospect_share < 1.0),
            ("chunk_customers must be >= 1", self.chunk_customers >= 1),
            ("format must be csv or parquet", self.file_format in ("csv", "parquet")),
            (
                "end_date minus years must be on or after 2000-01-01",
                self.end_date.year - self.years >= 2000,
            ),
        ]

    @property
    def start_date(self) -> date:
        """First date a clean transaction may have (end_date minus years)."""
        return _years_before(self.end_date, self.years)


@dataclass(frozen=True)
class GeneratedFiles:
    """What ``generate`` wrote."""

    transactions_path: Path
    customers_path: Path
    transactions: int
    customers: int
    reject_counts: tuple[tuple[str, int], ...]
    """Dirty rows per reject reason, in rule order."""

    @property
    def dirty_rows(self) -> int:
        """Number of dirty transaction rows."""
        return sum(count for _, count in self.reject_counts)


@dataclass(frozen=True)
class _Plan:
    """Global allocation, computed once from stream (0,)."""

    counts: IntArray  # transactions per customer
    row_offsets: IntArray  # first row of each block
    block_dirty: IntArray  # dirty rows per block
    dirty_offsets: IntArray  # ordinal of the first dirty row of each block
    first_day: int  # days since 1970-01-01
    last_day: int
    customer_width: int
    transaction_width: int

    @property
    def blocks(self) -> int:
        """Number of blocks of customers."""
        return len(self.row_offsets)


@dataclass(frozen=True)
class _Customers:
    """Attributes of the customers of one block (index = customer in block)."""

    number: IntArray  # 1-based customer number
    counts: IntArray
    business: BoolArray
    industry: IntArray
    large: BoolArray
    ownership: IntArray
    region: IntArray
    level: FloatArray
    first_day: IntArray
    last_day: IntArray
    signup_day: IntArray
    surname: IntArray
    given: IntArray
    given2: IntArray  # -1 when the given name has one syllable
    domain: IntArray
    phone_prefix: IntArray
    phone_number: IntArray


@dataclass(frozen=True)
class _Rows:
    """Numeric transaction rows of one block, grouped by customer."""

    customer: IntArray
    start: IntArray  # index of the customer's first row
    position: IntArray  # position of the row within its customer
    day: IntArray
    second: IntArray
    stamped: BoolArray
    cents: IntArray
    ratio: FloatArray
    quantity: IntArray
    channel: IntArray
    category: IntArray
    status: IntArray
    cost_state: IntArray
    padded: BoolArray  # (3, rows): transaction_id, customer_id, amount
    pad_style: IntArray


@dataclass(frozen=True)
class _Dirty:
    """Dirty rows of one block."""

    rows: IntArray
    reason: IntArray
    variant: IntArray
    delta: IntArray  # extra cents of duplicates with another amount


# ---------------------------------------------------------------- utilities


def _years_before(day: date, years: int) -> date:
    """``day`` minus whole years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _epoch_days(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - date(1970, 1, 1)).days


def _rng(seed: int, *key: int) -> np.random.Generator:
    """Independent random stream ``key`` of ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _width(count: int) -> int:
    """Digits needed to number ``count`` items from 1."""
    return len(str(max(count, 1)))


def _text(values: IntArray) -> pa.Array:
    """Integers as decimal strings."""
    return pa.array(values).cast(pa.string())


def _ids(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """Ids like ``T00000001``."""
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(_text(numbers), width, "0"), "")


def _money(cents: IntArray) -> pa.Array:
    """Cents as text with two decimals, e.g. ``-12.05``."""
    magnitude = np.abs(cents)
    text = pc.binary_join_element_wise(
        _text(magnitude // 100), pc.utf8_lpad(_text(magnitude % 100), 2, "0"), "."
    )
    return pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", text, ""), text)


def _dates(days: IntArray) -> pa.Array:
    """Days since the epoch as ``YYYY-MM-DD``."""
    return pa.array(days.astype("datetime64[D]")).cast(pa.string())


def _timestamps(days: IntArray, seconds: IntArray) -> pa.Array:
    """Days and seconds of the day as ``YYYY-MM-DD HH:MM:SS``."""
    return pa.array((days * 86_400 + seconds).astype("datetime64[s]")).cast(pa.string())


def _pick(vocabulary: Sequence[str], index: IntArray) -> pa.Array:
    """Strings of ``vocabulary`` at ``index``."""
    return pa.array(vocabulary, pa.string()).take(pa.array(index))


def _replace(column: pa.Array, rows: IntArray, values: Sequence[str]) -> pa.Array:
    """``column`` with ``values`` at the (distinct) ``rows``."""
    if len(rows) == 0:
        return column
    order = np.argsort(rows, kind="stable")
    mask = np.zeros(len(column), dtype=np.bool_)
    mask[rows] = True
    replacements = pa.array([values[i] for i in order], pa.string())
    return pc.replace_with_mask(column, pa.array(mask), replacements)


def _pad(column: pa.Array, mask: BoolArray, style: IntArray) -> pa.Array:
    """``column`` with whitespace around the values where ``mask`` is set."""
    rows = np.flatnonzero(mask)
    values = column.take(pa.array(rows)).to_pylist()
    affixes = [_PAD_AFFIXES[i] for i in style[rows]]
    padded = [before + text + after for text, (before, after) in zip(values, affixes, strict=False)]
    return _replace(column, rows, padded)


# --------------------------------------------------------------------- plan


def _repeat_extras(rng: np.random.Generator, buyers: int, total: int) -> IntArray:
    """Purchases beyond the second of ``buyers`` repeat buyers, summing to ``total``.

    Weights are Pareto distributed (many small, a long capped tail) and the
    purchases are allocated multinomially, so the total is exact.
    """
    if buyers == 0:
        return np.zeros(0, dtype=np.int64)
    weights = rng.pareto(_REPEAT_TAIL, buyers)
    weights = np.minimum(weights, np.quantile(weights, _REPEAT_CAP_QUANTILE))
    if weights.sum() <= 0:
        weights = np.ones(buyers)
    return rng.multinomial(total, weights / weights.sum()).astype(np.int64)


def _allocate_counts(rng: np.random.Generator, params: GeneratorParams) -> IntArray:
    """Transactions per customer: prospects 0, about half of buyers 1, exact total."""
    customers, total = params.customers, params.transactions
    prospects = round(params.prospect_share * customers)
    prospects = min(prospects, customers - 1 if total else customers)
    buyers = min(customers - prospects, total)
    repeaters = min(buyers - round(ONE_TIME_SHARE * buyers), total - buyers)
    once = buyers - repeaters
    extras = _repeat_extras(rng, repeaters, total - buyers - repeaters)
    counts = np.zeros(customers, dtype=np.int64)
    order = rng.permutation(customers)
    counts[order[:once]] = 1
    counts[order[once:buyers]] = 2 + extras
    return counts


def _plan(params: GeneratorParams) -> _Plan:
    """Allocate transactions to customers and dirty rows to blocks."""
    rng = _rng(params.seed, 0)
    counts = _allocate_counts(rng, params)
    starts = np.arange(0, params.customers, BLOCK_CUSTOMERS)
    block_rows = np.add.reduceat(counts, starts)
    eligible = np.add.reduceat(np.maximum(counts - 1, 0), starts)
    dirty = min(round(params.dirty_share * params.transactions), int(eligible.sum()))
    block_dirty = rng.multivariate_hypergeometric(eligible, dirty).astype(np.int64)
    return _Plan(
        counts=counts,
        row_offsets=np.cumsum(block_rows) - block_rows,
        block_dirty=block_dirty,
        dirty_offsets=np.cumsum(block_dirty) - block_dirty,
        first_day=_epoch_days(params.start_date),
        last_day=_epoch_days(params.end_date),
        customer_width=_width(params.customers),
        transaction_width=_width(params.transactions),
    )


def _reject_counts(plan: _Plan) -> tuple[tuple[str, int], ...]:
    """Dirty rows per reject reason, known from the plan alone."""
    ordinals = np.arange(int(plan.block_dirty.sum()))
    reasons = _DIRTY_CYCLE[ordinals % len(_DIRTY_CYCLE)]
    tally = np.bincount(reasons, minlength=len(REJECT_REASONS))
    return tuple((reason, int(n)) for reason, n in zip(REJECT_REASONS, tally, strict=False))


# ---------------------------------------------------------------- customers


def _draw_customers(
    rng: np.random.Generator, plan: _Plan, first: int, counts: IntArray
) -> _Customers:
    """Attributes of customers ``first`` .. ``first + len(counts) - 1``."""
    n = len(counts)
    business = rng.random(n) < _BUSINESS_SHARE
    industry = rng.integers(0, len(INDUSTRIES), n)
    large = rng.random(n) < _LARGE_SHARE
    ownership = rng.choice(len(OWNERSHIPS), n, p=_OWNERSHIP_P)
    region = rng.choice(len(REGIONS), n, p=_REGION_P)
    level = rng.lognormal(0.0, _SPEND_SIGMA, n) * np.where(business, _BUSINESS_SPEND, 1)
    first_day = rng.integers(plan.first_day, plan.last_day + 1, n)
    lifetime = rng.exponential(_LIFETIME_DAYS, n) * (1 + np.log(np.maximum(counts, 1)))
    last_day = np.minimum(first_day + np.ceil(lifetime).astype(np.int64), plan.last_day)
    lag = np.floor(rng.exponential(_SIGNUP_LAG_DAYS, n)).astype(np.int64)
    return _Customers(
        number=np.arange(first + 1, first + n + 1, dtype=np.int64),
        counts=counts,
        business=business,
        industry=industry,
        large=large,
        ownership=ownership,
        region=region,
        level=level,
        first_day=first_day,
        last_day=np.where(counts > 1, last_day, first_day),
        signup_day=first_day - np.where(counts > 0, lag, 0),
        surname=rng.integers(0, len(_SURNAMES), n),
        given=rng.integers(0, len(_GIVEN), n),
        given2=np.where(rng.random(n) < _SECOND_GIVEN_SHARE, rng.integers(0, len(_GIVEN), n), -1),
        domain=rng.integers(0, len(_EMAIL_DOMAINS), n),
        phone_prefix=rng.integers(0, len(_PHONE_PREFIXES), n),
        phone_number=rng.integers(0, 1_000_000_000, n),
    )


def _customers_table(customers: _Customers, width: int) -> pa.Table:
    """The customer file rows of one block."""
    business = customers.business
    given2 = [name.lower() for name in _GIVEN] + [""]
    given = pc.binary_join_element_wise(
        _pick(_GIVEN, customers.given),
        _pick(given2, np.where(customers.given2 < 0, len(_GIVEN), customers.given2)),
        "",
    )
    surname = _pick(_SURNAMES, customers.surname)
    email = pc.binary_join_element_wise(
        pc.utf8_lower(given),
        ".",
        pc.utf8_lower(surname),
        _text(customers.number),
        "@",
        _pick(_EMAIL_DOMAINS, customers.domain),
        "",
    )
    columns = {
        "customer_id": _ids("C", customers.number, width),
        "customer_type": _pick(("consumer", "business"), business.astype(np.int64)),
        "industry": _business_only(INDUSTRIES, customers.industry, business),
        "company_size": _business_only(
            ("sme", "large"), customers.large.astype(np.int64), business
        ),
        "ownership": _business_only(OWNERSHIPS, customers.ownership, business),
        "region": _pick(REGIONS, customers.region),
        "signup_date": _dates(customers.signup_day),
        "name": pc.binary_join_element_wise(surname, given, " "),
        "email": email,
        "phone": pc.binary_join_element_wise(
            _pick(_PHONE_PREFIXES, customers.phone_prefix),
            pc.utf8_lpad(_text(customers.phone_number), 9, "0"),
            "",
        ),
    }
    return pa.table(columns)


def _business_only(vocabulary: Sequence[str], index: IntArray, business: BoolArray) -> pa.Array:
    """Attribute of business customers, empty for consumers."""
    return _pick([*vocabulary, ""], np.where(business, index, len(vocabulary)))


# --------------------------------------------------------------------- rows


def _draw_rows(rng: np.random.Generator, customers: _Customers) -> _Rows:
    """Purchases of a block's customers, dated inside each customer's active span."""
    counts = customers.counts
    m = int(counts.sum())
    customer = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    start = (np.cumsum(counts) - counts)[customer]
    position = np.arange(m, dtype=np.int64) - start
    first = customers.first_day[customer]
    span = (customers.last_day - customers.first_day)[customer] + 1
    day = first + np.floor(rng.random(m) * span).astype(np.int64)
    day = np.where(position == 0, first, day)
    order_value = rng.lognormal(np.log(_ORDER_MEDIAN), _ORDER_SIGMA, m)
    cents = np.rint(order_value * customers.level[customer] * 100).astype(np.int64)
    return _Rows(
        customer=customer,
        start=start,
        position=position,
        day=day[np.lexsort((day, customer))],
        second=rng.integers(0, 86_400, m),
        stamped=rng.random(m) < _TIMESTAMP_SHARE,
        cents=np.maximum(cents, 100),
        ratio=rng.uniform(0.55, 0.80, m),
        quantity=np.minimum(rng.geometric(0.45, m), 10).astype(np.int64),
        channel=rng.choice(len(CHANNELS), m, p=_CHANNEL_P),
        category=rng.choice(len(CATEGORIES), m, p=_CATEGORY_P),
        status=rng.choice(len(_STATUS_P), m, p=_STATUS_P),
        cost_state=rng.choice(len(_COST_STATE_P), m, p=_COST_STATE_P),
        padded=rng.random((len(_PAD_SHARES), m)) < _PAD_SHARES[:, None],
        pad_style=rng.integers(0, len(_PAD_AFFIXES), m),
    )


def _draw_dirty(rng: np.random.Generator, rows: _Rows, count: int, ordinal: int) -> _Dirty:
    """Choose ``count`` dirty rows among rows that are not a first purchase."""
    eligible = np.flatnonzero(rows.position > 0)
    chosen = rng.choice(eligible, size=count, replace=False).astype(np.int64)
    ordinals = np.arange(ordinal, ordinal + count)
    return _Dirty(
        rows=chosen,
        reason=_DIRTY_CYCLE[ordinals % len(_DIRTY_CYCLE)],
        variant=rng.integers(0, 1 << 30, count),
        delta=rng.integers(1, 5_000, count),
    )


def _refunds_and_zeros(
    rng: np.random.Generator, rows: _Rows, dirty: BoolArray
) -> tuple[BoolArray, BoolArray]:
    """Rows that refund the previous purchase of the customer, and zero rows.

    A refund follows a clean positive purchase of the same customer (never a
    first row, never after a dirty row or another refund); zero rows avoid
    refunds and the purchases they refund.
    """
    follows_purchase = (rows.position > 0) & ~dirty & ~np.roll(dirty, 1)
    clean = len(dirty) - int(dirty.sum())
    candidates = max(int(follows_purchase.sum()), 1)
    chance = min(_REFUND_SHARE * clean / candidates, 0.5)
    refund = follows_purchase & (rng.random(len(dirty)) < chance)
    refund &= ~np.roll(refund, 1)
    refunded = np.roll(refund, -1)
    zero_ok = (rows.position > 0) & ~dirty & ~refund & ~refunded
    zero = zero_ok & (rng.random(len(dirty)) < _ZERO_SHARE)
    return refund, zero


@dataclass(frozen=True)
class _Values:
    """Final numeric values of a block's rows (refunds and zeros applied)."""

    day: IntArray
    cents: IntArray
    cost_cents: IntArray
    quantity: IntArray
    channel: IntArray
    category: IntArray
    status: IntArray


def _values(rng: np.random.Generator, rows: _Rows, dirty: BoolArray) -> _Values:
    """Turn some purchases into refunds of the previous one and a few into zeros."""
    refund, zero = _refunds_and_zeros(rng, rows, dirty)
    m = len(dirty)
    previous = np.maximum(np.arange(m) - 1, 0)
    share = np.where(rng.random(m) < _FULL_REFUND_SHARE, 1.0, rng.uniform(0.2, 0.95, m))
    refund_cents = -np.maximum(np.rint(rows.cents[previous] * share), 1)
    delay = rng.geometric(_REFUND_DELAY_P, m) - 1
    cents = np.where(refund, refund_cents.astype(np.int64), rows.cents)
    cents = np.where(zero, 0, cents)
    ratio = np.where(refund, rows.ratio[previous], rows.ratio)

    def like_refunded(values: IntArray) -> IntArray:
        """Refunds take the value of the purchase they refund."""
        return np.where(refund, values[previous], values)

    return _Values(
        day=np.where(refund, np.minimum(rows.day, rows.day[previous] + delay), rows.day),
        cents=cents,
        cost_cents=np.rint(cents * ratio).astype(np.int64),
        quantity=like_refunded(rows.quantity),
        channel=like_refunded(rows.channel),
        category=like_refunded(rows.category),
        status=np.where(refund, _RETURNED, rows.status),
    )


# -------------------------------------------------------------- transactions


def _file_order(rows: _Rows, values: _Values, dirty: _Dirty) -> IntArray:
    """Order of the rows in the file: by date (duplicates next to their source)."""
    day = values.day.copy()
    duplicates = dirty.rows[dirty.reason == _DUPLICATE]
    day[duplicates] = values.day[rows.start[duplicates]]
    return np.lexsort((np.arange(len(day)), rows.customer, day))


def _clean_columns(
    rows: _Rows, values: _Values, customers: _Customers, plan: _Plan, ids: IntArray
) -> dict[str, pa.Array]:
    """Text columns of the rows as if all were clean (before padding)."""
    dates = _dates(values.day)
    stamps = _timestamps(values.day, rows.second)
    cost_text = _pick(_COST_TEXT, rows.cost_state)
    return {
        "transaction_id": _ids("T", ids, plan.transaction_width),
        "customer_id": _ids("C", customers.number[rows.customer], plan.customer_width),
        "transaction_date": pc.if_else(pa.array(rows.stamped), stamps, dates),
        "amount": _money(values.cents),
        "cost": pc.if_else(pa.array(rows.cost_state == 0), _money(values.cost_cents), cost_text),
        "quantity": _text(values.quantity),
        "channel": _pick(CHANNELS, values.channel),
        "product_category": _pick(CATEGORIES, values.category),
        "status": _pick(STATUSES, values.status),
    }


def _apply_padding(
    columns: dict[str, pa.Array], rows: _Rows, dirty: BoolArray
) -> dict[str, pa.Array]:
    """Whitespace around some ids and amounts of clean rows (still clean)."""
    padded = dict(columns)
    for name, mask in zip(("transaction_id", "customer_id", "amount"), rows.padded, strict=False):
        padded[name] = _pad(columns[name], mask & ~dirty, rows.pad_style)
    return padded


def _apply_duplicates(
    columns: dict[str, pa.Array], rows: _Rows, values: _Values, dirty: _Dirty
) -> dict[str, pa.Array]:
    """Duplicate rows copy the customer's first row; some with a higher amount."""
    is_duplicate = dirty.reason == _DUPLICATE
    duplicates = dirty.rows[is_duplicate]
    if len(duplicates) == 0:
        return columns
    source = np.arange(len(rows.customer))
    source[duplicates] = rows.start[duplicates]
    copied = {name: column.take(pa.array(source)) for name, column in columns.items()}
    changed = (dirty.variant[is_duplicate] % _DUPLICATE_NEW_AMOUNT) == 0
    new_rows = duplicates[changed]
    new_cents = values.cents[source[new_rows]] + dirty.delta[is_duplicate][changed]
    copied["amount"] = _replace(copied["amount"], new_rows, _money(new_cents).to_pylist())
    return copied


def _apply_dirty_edits(
    columns: dict[str, pa.Array], clean: dict[str, pa.Array], dirty: _Dirty
) -> dict[str, pa.Array]:
    """Break one field of each dirty row (other than duplicates) for its reason."""
    edited = dict(columns)
    for reason, (column, templates) in _DIRTY_EDITS.items():
        picked = dirty.reason == REJECT_REASONS.index(reason)
        rows = dirty.rows[picked]
        texts = _edit_texts(templates, dirty.variant[picked], clean, rows)
        edited[column] = _replace(edited[column], rows, texts)
    return edited


def _edit_texts(
    templates: Sequence[str],
    variants: IntArray,
    clean: dict[str, pa.Array],
    rows: IntArray,
) -> list[str]:
    """Fill the templates with each row's clean date and amount."""
    index = pa.array(rows)
    dates = clean["transaction_date"].take(index).to_pylist()
    amounts = clean["amount"].take(index).to_pylist()
    texts = []
    for variant, when, amount in zip(variants, dates, amounts, strict=False):
        y, m, d = when[:10].split("-")
        template = templates[int(variant) % len(templates)]
        texts.append(template.format(y=y, m=m, d=d, a=amount))
    return texts


def _transactions_table(
    rng: np.random.Generator,
    customers: _Customers,
    plan: _Plan,
    block: int,
) -> pa.Table:
    """The transaction file rows of one block, in file order."""
    rows = _draw_rows(rng, customers)
    dirty = _draw_dirty(rng, rows, int(plan.block_dirty[block]), int(plan.dirty_offsets[block]))
    is_dirty = np.zeros(len(rows.customer), dtype=np.bool_)
    is_dirty[dirty.rows] = True
    values = _values(rng, rows, is_dirty)
    order = _file_order(rows, values, dirty)
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = plan.row_offsets[block] + np.arange(1, len(order) + 1)
    clean = _clean_columns(rows, values, customers, plan, ids)
    columns = _apply_padding(clean, rows, is_dirty)
    columns = _apply_duplicates(columns, rows, values, dirty)
    columns = _apply_dirty_edits(columns, clean, dirty)
    table = pa.table({name: columns[name] for name in TRANSACTION_COLUMNS})
    return table.take(pa.array(order))


def _blocks(params: GeneratorParams, plan: _Plan) -> Iterator[tuple[int, pa.Table, pa.Table]]:
    """Customer count, transactions and customers of each block, in order."""
    for block in range(plan.blocks):
        first = block * BLOCK_CUSTOMERS
        counts = plan.counts[first : first + BLOCK_CUSTOMERS]
        rng = _rng(params.seed, 1, block)
        customers = _draw_customers(rng, plan, first, counts)
        yield (
            len(counts),
            _transactions_table(rng, customers, plan, block),
            _customers_table(customers, plan.customer_width),
        )


# -------------------------------------------------------------------- sinks


class _Sink(Protocol):
    """Destination of tables with a fixed schema."""

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table``."""

    def close(self) -> None:
        """Finish the file."""


_NEEDS_QUOTES = r'[",\r\n]|^\s|\s$'


def _csv_field(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Values quoted where needed (delimiters, quotes, edge whitespace)."""
    column = pc.fill_null(column, "")
    needs = pc.match_substring_regex(column, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return column
    escaped = pc.replace_substring(column, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', escaped, '"', ""), column)


def _string_bytes(array: pa.StringArray) -> memoryview:
    """The concatenated UTF-8 bytes of a string array without nulls."""
    if len(array) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    first, last = offsets[array.offset], offsets[array.offset + len(array)]
    return memoryview(array.buffers()[2])[first:last]


class _CsvSink:
    """UTF-8 CSV with a header, ``\\n`` line ends and minimal quoting."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._file = path.open("wb")
        self._file.write((",".join(columns) + "\n").encode())

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table`` as CSV lines."""
        if table.num_rows == 0:
            return
        fields = [_csv_field(column) for column in table.columns]
        lines = pc.binary_join_element_wise(*fields, ",")
        lines = pc.binary_join_element_wise(lines, "", "\n")
        for chunk in lines.chunks:
            self._file.write(_string_bytes(chunk))

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class _ParquetSink:
    """Parquet of string columns with row groups of a fixed size."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        schema = pa.schema([(name, pa.string()) for name in columns])
        self._writer = pq.ParquetWriter(path, schema, compression="snappy")
        self._pending: list[pa.Table] = []
        self._rows = 0

    def write(self, table: pa.Table) -> None:
        """Buffer ``table``; write every complete row group."""
        self._pending.append(table)
        self._rows += table.num_rows
        while self._rows >= PARQUET_ROW_GROUP_ROWS:
            self._flush(PARQUET_ROW_GROUP_ROWS)

    def _flush(self, rows: int) -> None:
        """Write the first ``rows`` buffered rows as one row group."""
        buffered = pa.concat_tables(self._pending)
        group = buffered.slice(0, rows).combine_chunks()
        self._writer.write_table(group, row_group_size=rows)
        rest = buffered.slice(rows)
        self._pending, self._rows = [rest], rest.num_rows

    def close(self) -> None:
        """Write the last row group and the footer."""
        if self._rows:
            self._flush(self._rows)
        self._writer.close()


def _open_sink(path: Path, columns: Sequence[str], file_format: FileFormat) -> _Sink:
    """A sink for ``file_format``."""
    if file_format == "parquet":
        return _ParquetSink(path, columns)
    return _CsvSink(path, columns)


# ---------------------------------------------------------------------- API


def generate(out_dir: Path, params: GeneratorParams) -> GeneratedFiles:
    """Write ``transactions.<ext>`` and ``customers.<ext>`` into ``out_dir``."""
    plan = _plan(params)
    out_dir.mkdir(parents=True, exist_ok=True)
    extension = params.file_format
    transactions_path = out_dir / f"transactions.{extension}"
    customers_path = out_dir / f"customers.{extension}"
    with ExitStack() as stack:
        transactions = stack.enter_context(
            closing(_open_sink(transactions_path, TRANSACTION_COLUMNS, extension))
        )
        customers = stack.enter_context(
            closing(_open_sink(customers_path, CUSTOMER_COLUMNS, extension))
        )
        progress = stack.enter_context(Progress("generating", params.customers))
        for chunk in _chunks(params, plan):
            transactions.write(pa.concat_tables([table for table, _ in chunk]))
            customers.write(pa.concat_tables([table for _, table in chunk]))
            progress.advance(sum(table.num_rows for _, table in chunk), "customers written")
    return GeneratedFiles(
        transactions_path=transactions_path,
        customers_path=customers_path,
        transactions=int(plan.counts.sum()),
        customers=params.customers,
        reject_counts=_reject_counts(plan),
    )


def _chunks(params: GeneratorParams, plan: _Plan) -> Iterator[list[tuple[pa.Table, pa.Table]]]:
    """(transactions, customers) of the blocks, ``chunk_customers`` at a time.

    Chunks hold whole blocks, so ``chunk_customers`` is rounded up to a
    multiple of ``BLOCK_CUSTOMERS``.
    """
    chunk: list[tuple[pa.Table, pa.Table]] = []
    size = 0
    for block_size, transactions, customers in _blocks(params, plan):
        chunk.append((transactions, customers))
        size += block_size
        if size >= params.chunk_customers:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _parse_args(argv: Sequence[str] | None) -> tuple[Path, GeneratorParams]:
    """Command-line arguments as an output directory and parameters."""
    defaults = GeneratorParams()
    parser = argparse.ArgumentParser(
        prog="python -m customer_tiering.generate",
        description="Write deterministic demo transactions and customers.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--customers", type=int, default=defaults.customers)
    parser.add_argument("--transactions", type=int, default=defaults.transactions)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--end-date", type=date.fromisoformat, default=defaults.end_date)
    parser.add_argument("--years", type=int, default=defaults.years)
    parser.add_argument("--dirty-share", type=float, default=defaults.dirty_share)
    parser.add_argument("--format", choices=("csv", "parquet"), default=defaults.file_format)
    parser.add_argument("--chunk-customers", type=int, default=defaults.chunk_customers)
    parser.add_argument("--prospect-share", type=float, default=defaults.prospect_share)
    args = parser.parse_args(argv)
    params = GeneratorParams(
        customers=args.customers,
        transactions=args.transactions,
        seed=args.seed,
        end_date=args.end_date,
        years=args.years,
        dirty_share=args.dirty_share,
        file_format=args.format,
        chunk_customers=args.chunk_customers,
        prospect_share=args.prospect_share,
    )
    return args.out, params


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; prints one summary line."""
    out_dir, params = _parse_args(argv)
    result = generate(out_dir, params)
    print(
        f"wrote {result.transactions} transactions ({result.dirty_rows} dirty) "
        f"to {result.transactions_path} and {result.customers} customers "
        f"to {result.customers_path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
