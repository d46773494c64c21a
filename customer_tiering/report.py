"""Print where the marts are, the input reconciliation and the pyramid summary.

Reads only built relations (marts.pyramid_summary, staging.base_transactions) through a
read-only connection. Every figure may be null and any relation may be missing: the report
then prints '-' or a short note instead of failing, and always exits 0.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import duckdb

MARTS_SCHEMA = "marts"
MARTS = ("customer_tiers", "tier_strategies", "pyramid_summary")
PYRAMID_RELATION = (MARTS_SCHEMA, "pyramid_summary")
INPUT_RELATION = ("staging", "base_transactions")
NULL = "-"

T = TypeVar("T")


@dataclass(frozen=True)
class TierLine:
    """One row of marts.pyramid_summary; every figure may be null."""

    pyramid_tier: str | None
    as_of_date: date | None
    customers: int | None
    customer_share: float | None
    revenue: Decimal | float | None
    revenue_share: float | None
    cumulative_revenue_share: float | None


@dataclass(frozen=True)
class InputReconciliation:
    """Raw input rows read, and how many of them each reject reason dropped."""

    rows_read: int
    rejects: tuple[tuple[str, int], ...]

    @property
    def rejected(self) -> int:
        return sum(count for _, count in self.rejects)

    @property
    def clean(self) -> int:
        return self.rows_read - self.rejected


@dataclass(frozen=True)
class Unavailable:
    """A relation the report could not read: missing, or failing with `detail`."""

    relation: str
    detail: str | None = None


@dataclass(frozen=True)
class Report:
    database: Path
    inputs: InputReconciliation | Unavailable
    pyramid: tuple[TierLine, ...] | Unavailable


# --- pure formatting -------------------------------------------------------------------------


def reconcile(counts: Iterable[tuple[str | None, int]]) -> InputReconciliation:
    """Input reconciliation from (reject_reason, rows) pairs; a null reason is a clean row."""
    rows_read = 0
    rejects: dict[str, int] = {}
    for reason, rows in counts:
        rows_read += rows
        if reason is not None:
            rejects[reason] = rejects.get(reason, 0) + rows
    ordered = sorted(rejects.items(), key=lambda item: (-item[1], item[0]))
    return InputReconciliation(rows_read=rows_read, rejects=tuple(ordered))


def format_inputs(inputs: InputReconciliation | Unavailable) -> str:
    """The `Input: ...` line."""
    if isinstance(inputs, Unavailable):
        return f"Input: skipped, {_unavailable(inputs)}."
    if inputs.rows_read == 0:
        return "Input: no row read (the transactions input is empty)."
    line = (
        f"Input: {_rows(inputs.rows_read)} read, {inputs.clean:,} clean, "
        f"{inputs.rejected:,} rejected ({100 * inputs.rejected / inputs.rows_read:.1f} %)"
    )
    if inputs.rejects:
        line += ": " + ", ".join(f"{reason} {count:,}" for reason, count in inputs.rejects)
    return line


def format_pyramid(pyramid: Sequence[TierLine] | Unavailable) -> list[str]:
    """The as-of line and the pyramid table, or a note when there is nothing to show."""
    if isinstance(pyramid, Unavailable):
        return [f"Customer pyramid: skipped, {_unavailable(pyramid)}."]
    if not pyramid:
        return ["No customer in the marts (marts.pyramid_summary has no row)."]
    as_of = next((line.as_of_date for line in pyramid if line.as_of_date is not None), None)
    header = (
        f"{'tier':<6}{'customers':>11}{'share':>9}{'revenue':>18}{'share':>9}{'cum. share':>12}"
    )
    body = [
        f"{_text(line.pyramid_tier):<6}{_count(line.customers):>11}"
        f"{_share(line.customer_share):>9}{_money(line.revenue):>18}"
        f"{_share(line.revenue_share):>9}{_share(line.cumulative_revenue_share):>12}"
        for line in pyramid
    ]
    title = (
        "Customer pyramid (no as-of date):" if as_of is None else f"Customer pyramid at {as_of}:"
    )
    lines = [title, header, *body]
    if not any(line.customers for line in pyramid):
        lines.append("No customer in the marts.")
    return lines


def format_report(report: Report) -> str:
    """The text printed at the end of `make build`."""
    names = ", ".join(f"{MARTS_SCHEMA}.{mart}" for mart in MARTS)
    return "\n".join(
        [
            f"Marts published in {report.database}: {names}",
            format_inputs(report.inputs),
            *format_pyramid(report.pyramid),
        ]
    )


def _unavailable(missing: Unavailable) -> str:
    if missing.detail is None:
        return f"{missing.relation} not found"
    return f"{missing.relation} could not be read ({missing.detail})"


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _text(value: str | None) -> str:
    return NULL if value is None else value


def _count(value: int | None) -> str:
    return NULL if value is None else f"{value:,}"


def _money(value: Decimal | float | None) -> str:
    return NULL if value is None else f"{value:,.2f}"


def _share(value: float | None) -> str:
    return NULL if value is None else f"{value:.1%}"


# --- reading ---------------------------------------------------------------------------------


def read_report(database: Path) -> Report:
    """Everything the report shows, read from the built DuckDB file (read-only)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        return Report(
            database=database,
            inputs=_read(connection, INPUT_RELATION, _read_inputs),
            pyramid=_read(connection, PYRAMID_RELATION, _read_pyramid),
        )


def _read_inputs(connection: duckdb.DuckDBPyConnection, relation: str) -> InputReconciliation:
    rows = connection.execute(
        f"select reject_reason, count(*) from {relation} group by reject_reason"
    ).fetchall()
    return reconcile((reason, int(count)) for reason, count in rows)


def _read_pyramid(connection: duckdb.DuckDBPyConnection, relation: str) -> tuple[TierLine, ...]:
    rows = connection.execute(
        f"""
        select pyramid_tier, as_of_date, customers, customer_share, revenue,
               revenue_share, cumulative_revenue_share
        from {relation}
        order by tier_order nulls last, pyramid_tier nulls last
        """
    ).fetchall()
    return tuple(TierLine(*row) for row in rows)


def _read(
    connection: duckdb.DuckDBPyConnection,
    schema_and_name: tuple[str, str],
    reader: Callable[[duckdb.DuckDBPyConnection, str], T],
) -> T | Unavailable:
    """What `reader` reads from the relation, or why the relation could not be read."""
    schema, name = schema_and_name
    relation = f"{schema}.{name}"
    found = connection.execute(
        """
        select count(*) from information_schema.tables
        where table_catalog = current_database() and table_schema = ? and table_name = ?
        """,
        [schema, name],
    ).fetchone()
    if not found or not found[0]:
        return Unavailable(relation)
    try:
        return reader(connection, relation)
    except duckdb.Error as error:
        return Unavailable(relation, str(error).splitlines()[0])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duckdb", type=Path, required=True, help="the DuckDB file dbt built")
    args = parser.parse_args(argv)
    if not args.duckdb.is_file():
        print(f"No DuckDB file at {args.duckdb}: nothing to report.")
        return 0
    try:
        report = read_report(args.duckdb)
    except duckdb.Error as error:
        print(f"Cannot open {args.duckdb}: {str(error).splitlines()[0]}")
        return 0
    print(format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
