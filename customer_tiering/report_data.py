"""What the HTML report (customer_tiering.html_report) reads from the marts, and how it shows a
figure: the value of a mart column, formatted, with the data attributes that say where it comes
from (mart, row key, column, raw value, format). Plain selects through the caller's read-only
connection; a missing mart or column raises MissingMart, which drops the section that needs it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import duckdb

from customer_tiering.charts import Mark, Ref
from customer_tiering.report_labels import Labels, Language

MARTS_SCHEMA = "marts"
Row = dict[str, Any]


class MissingMart(LookupError):
    """A mart, or a column of it, that a section reads does not exist."""


# --- formatting: the text of a figure, and the Ref that says where it comes from -------------


def format_value(value: object, kind: str) -> str:
    """count: 1,234; share: 12.3%; money: 1,234; ratio: 1.23; '-' for null."""
    if value is None:
        return "-"
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return "-"
    if kind == "count":
        text = f"{round(number):,}"
    elif kind == "share":
        text = f"{100 * number:.1f}%"
    elif kind == "money":
        text = f"{number:,.0f}"
    elif kind == "ratio":
        text = f"{number:.2f}"
    else:
        raise ValueError(f"unknown format {kind!r}")
    # A small negative value rounds to -0: show it as 0.
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


@dataclass(frozen=True)
class Figure:
    """A mart value with its format; `mark()` and `td()` render it with its data attributes."""

    mart: str
    key: str
    column: str
    value: object
    kind: str

    @property
    def ref(self) -> Ref:
        return Ref(self.mart, self.key, self.column, self.value, self.kind)

    @property
    def text(self) -> str:
        return format_value(self.value, self.kind)

    def mark(self) -> Mark:
        return Mark(None if self.value is None else float(self.value), self.text, self.ref)  # type: ignore[arg-type]

    def td(self) -> str:
        return f'<td class="num"{self.ref.attributes()}>{escape(self.text)}</td>'

    def span(self) -> str:
        return f"<strong{self.ref.attributes()}>{escape(self.text)}</strong>"


# --- reading ---------------------------------------------------------------------------------


class Marts:
    """The marts of a DuckDB file, read with plain selects through a read-only connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        rows = connection.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_catalog = current_database() and table_schema = ?",
            [MARTS_SCHEMA],
        ).fetchall()
        self.columns: dict[str, set[str]] = {}
        for table, column in rows:
            self.columns.setdefault(table, set()).add(column)

    def require(self, mart: str, *columns: str) -> None:
        """Raise MissingMart naming the mart or its first missing column."""
        if mart not in self.columns:
            raise MissingMart(mart)
        for column in columns:
            if column not in self.columns[mart]:
                raise MissingMart(f"{mart}.{column}")

    def rows(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        cursor = self.connection.execute(sql, list(parameters))
        names = [description[0] for description in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Context:
    marts: Marts
    labels: Labels
    names: dict[tuple[str, str], str]

    def tier(self, scheme: str, code: str | None) -> str:
        # pyramid_summary's fifth row, 'none', holds the customers outside the pyramid.
        if code is None or code == "none":
            return self.labels.word("unclassified")
        return self.names.get((scheme, code), code)


def tier_names(marts: Marts, language: Language) -> dict[tuple[str, str], str]:
    """(scheme, tier_code) -> the tier's name in `language`, from tier_strategies if it exists."""
    column = f"tier_name_{language}"
    try:
        marts.require("tier_strategies", "scheme", "tier_code", column)
    except MissingMart:
        return {}
    rows = marts.rows(f"select scheme, tier_code, {column} as name from marts.tier_strategies")
    return {(row["scheme"], row["tier_code"]): row["name"] for row in rows}
