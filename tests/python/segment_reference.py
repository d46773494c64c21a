"""Independent computation of the segment evaluation (docs/schemes.md, "Segment evaluation"),
written from the documentation, not from the models: the figures and flags of every segment of
every scheme, from the rows of customer_tiers."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from compare import is_null

from reference import SCHEME_COLUMNS

Row = dict[str, Any]
Key = tuple[str, str | None]
# The customer_tiers columns a segment's means are taken of.
MEAN_COLUMNS = {
    "mean_recency_days": "recency_days",
    "mean_frequency": "frequency",
    "mean_monetary": "monetary",
    "mean_r_score": "r_score",
    "mean_f_score": "f_score",
    "mean_m_score": "m_score",
}
# Each share and the figure it is a share of.
SHARES = {"customer_share": "customers", "revenue_share": "revenue", "profit_share": "profit"}
# The means that tell two segments apart.
DISTINCTIVE_MEANS = ("mean_recency_days", "mean_frequency", "mean_monetary")


def read_segment_orders(path: Path) -> dict[Key, int]:
    """(scheme, tier code) -> tier order, from the strategy texts CSV."""
    with path.open(encoding="utf-8", newline="") as texts:
        return {
            (row["scheme"], row["tier_code"]): int(row["tier_order"])
            for row in csv.DictReader(texts)
        }


def _values(rows: Iterable[Row], column: str) -> list[Fraction]:
    return [Fraction(Decimal(row[column])) for row in rows if not is_null(row[column])]


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None


def _share(part: Fraction, whole: Fraction) -> float | None:
    return None if whole == 0 else float(part / whole)


def _is_within(value: Fraction, other: Fraction, share: Fraction) -> bool:
    return abs(value - other) <= share * max(abs(value), abs(other))


def _members(
    tiers: Sequence[Row], scheme: str, orders: dict[Key, int]
) -> dict[str | None, list[Row]]:
    """The customers of each segment of the scheme: every segment of the texts, those found in
    the rows, and None for the customers the scheme does not classify."""
    members: dict[str | None, list[Row]] = {code: [] for s, code in orders if s == scheme}
    for row in tiers:
        segment = None if is_null(row[scheme]) else row[scheme]
        members.setdefault(segment, []).append(row)
    return members


def _figures(rows: Sequence[Row], has_profit: bool) -> dict[str, Any]:
    monetary = _values(rows, "monetary")
    profit = _values(rows, "profit")
    return {
        "customers": len(rows),
        "customers_with_transactions": len(monetary),
        "revenue": sum(monetary, Fraction(0)),
        "profit": sum(profit, Fraction(0)) if has_profit else None,
        "unprofitable_customers": sum(1 for p in profit if p <= 0) if has_profit else None,
        "min_monetary": min(monetary, default=None),
        "max_monetary": max(monetary, default=None),
        **{mean: _mean(_values(rows, column)) for mean, column in MEAN_COLUMNS.items()},
    }


def segment_evaluation(
    tiers: Sequence[Row],
    orders: dict[Key, int],
    min_customers: int,
    min_difference: str,
    schemes: Sequence[str] = SCHEME_COLUMNS,
) -> dict[Key, Row]:
    """The rows of segment_evaluation by (scheme, segment): per segment its figures, its shares of
    the scheme's classified customers, revenue and profit (None for the unclassified row, and when
    the whole is 0), and the flags is_too_small and is_indistinct (with indistinct_from). Each
    scheme is a key of the rows (the value schemes too, added by the caller)."""
    has_profit = any(not is_null(row["profit"]) for row in tiers)
    share = Fraction(min_difference)
    evaluation: dict[Key, Row] = {}
    for scheme in schemes:
        figures = {
            segment: _figures(rows, has_profit)
            for segment, rows in _members(tiers, scheme, orders).items()
        }
        classified = [f for segment, f in figures.items() if segment is not None]
        wholes = {
            name: sum((f[name] or 0 for f in classified), Fraction(0)) for name in SHARES.values()
        }
        for segment, segment_figures in figures.items():
            evaluation[scheme, segment] = {
                **segment_figures,
                **{
                    share_name: None
                    if segment is None or segment_figures[name] is None
                    else _share(Fraction(segment_figures[name]), wholes[name])
                    for share_name, name in SHARES.items()
                },
                "tier_order": orders.get((scheme, segment)) if segment is not None else None,
                "is_too_small": segment is not None
                and 0 < segment_figures["customers"] < min_customers,
                "is_indistinct": False,
                "indistinct_from": None,
            }
        comparable = sorted(
            (orders[scheme, segment], segment)
            for segment, f in figures.items()
            if segment is not None
            and (scheme, segment) in orders
            and f["mean_recency_days"] is not None
        )
        for (_, segment), (_, following) in itertools.pairwise(comparable):
            this, other = evaluation[scheme, segment], evaluation[scheme, following]
            if all(_is_within(this[m], other[m], share) for m in DISTINCTIVE_MEANS):
                this.update(is_indistinct=True, indistinct_from=following)
    return evaluation
