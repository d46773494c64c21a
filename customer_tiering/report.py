"""Print where the marts are and a short pyramid summary, read from the published marts only."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"
MARTS = ("customer_tiers", "tier_strategies", "pyramid_summary")


@dataclass(frozen=True)
class TierLine:
    """One row of marts.pyramid_summary."""

    pyramid_tier: str
    customers: int
    customer_share: float
    revenue: Decimal
    revenue_share: float
    cumulative_revenue_share: float


def read_summary(database: Path) -> tuple[date | None, list[TierLine]]:
    """The as-of date and the pyramid summary rows, A first."""
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            f"""
            select as_of_date, pyramid_tier, customers, customer_share, revenue,
                   revenue_share, cumulative_revenue_share
            from {MARTS_SCHEMA}.pyramid_summary
            order by tier_order
            """
        ).fetchall()
    as_of = rows[0][0] if rows else None
    return as_of, [TierLine(*row[1:]) for row in rows]


def format_report(database: Path, as_of: date | None, lines: Sequence[TierLine]) -> str:
    """The text printed at the end of `make build`."""
    names = ", ".join(f"{MARTS_SCHEMA}.{mart}" for mart in MARTS)
    header = (
        f"{'tier':<6}{'customers':>11}{'share':>9}{'revenue':>18}{'share':>9}{'cum. share':>12}"
    )
    body = [
        f"{line.pyramid_tier:<6}{line.customers:>11,}{line.customer_share:>9.1%}"
        f"{line.revenue:>18,.2f}{_share(line.revenue_share):>9}{_share(line.cumulative_revenue_share):>12}"
        for line in lines
    ]
    return "\n".join(
        [
            f"Marts published in {database}: {names}",
            f"Customer pyramid at {as_of}:",
            header,
            *body,
        ]
    )


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duckdb", type=Path, required=True, help="the DuckDB file dbt built")
    args = parser.parse_args(argv)
    as_of, lines = read_summary(args.duckdb)
    print(format_report(args.duckdb, as_of, lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
