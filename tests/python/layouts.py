"""The same transactions written the ways real exports write them.

Each writer takes the rows of a clean generated CSV (ISO dates, '.' decimals, one row per
transaction) and writes the same transactions in another layout, so that a build on the rewritten
file must publish exactly the marts of the original.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

Row = dict[str, str]
CHANNEL_ZH = {"app": "移动应用", "web": "网站", "store": "门店", "phone": "电话"}


def read_rows(path: Path) -> list[Row]:
    """The rows of a CSV file, values as text."""
    with path.open(encoding="utf-8", newline="") as infile:
        return list(csv.DictReader(infile))


def _write(
    path: Path, header: Sequence[str], rows: Iterator[Sequence[str]], **options: str
) -> Path:
    encoding = options.pop("encoding", "utf-8")
    with path.open("w", encoding=encoding, newline="") as outfile:
        writer = csv.writer(outfile, delimiter=options.pop("delimiter", ","))
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _date_parts(text: str) -> tuple[date, str]:
    """The day of an ISO date text, and its time part ('' when none)."""
    day_text, _, time_text = text.strip().replace("T", " ").partition(" ")
    year, month, day = (int(part) for part in day_text.split("-"))
    return date(year, month, day), time_text


def _european_number(text: str) -> str:
    """'1234.5' -> '1.234,50'; text that is no number is kept as it is."""
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        return text
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + ".".join([whole, *groups]) + "," + fraction


def write_european_gb18030(rows: Sequence[Row], path: Path) -> Path:
    """';'-separated, GB18030, dates DD/MM/YYYY (with the time when there is one), amounts with a
    decimal comma and '.' between thousands, Chinese channel names."""
    header = list(rows[0])

    def converted(row: Row) -> list[str]:
        day, time_text = _date_parts(row["transaction_date"])
        values = {
            **row,
            "transaction_date": f"{day:%d/%m/%Y} {time_text}".strip(),
            "amount": _european_number(row["amount"]),
            "cost": _european_number(row["cost"]) if row["cost"].strip() else row["cost"],
            "channel": CHANNEL_ZH.get(row["channel"], row["channel"]),
        }
        return [values[name] for name in header]

    return _write(path, header, map(converted, rows), delimiter=";", encoding="gb18030")


def write_without_ids_bom(rows: Sequence[Row], path: Path) -> Path:
    """UTF-8 with a byte-order mark, dates YYYYMMDD, and none of the optional columns but cost:
    no transaction_id, quantity, channel, product_category or status."""
    header = ["customer_id", "transaction_date", "amount", "cost"]

    def converted(row: Row) -> list[str]:
        day, _ = _date_parts(row["transaction_date"])
        return [f"{day:%Y%m%d}" if name == "transaction_date" else row[name] for name in header]

    return _write(path, header, map(converted, rows), encoding="utf-8-sig")


def _halves(text: str) -> tuple[str, str]:
    """A number split in two parts that add up to it; empty or non-numeric text stays whole."""
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        return text, ""
    first = (value / 2).quantize(Decimal("0.01"))
    return str(first), str(value - first)


def write_order_lines(rows: Sequence[Row], path: Path) -> Path:
    """Each transaction as two order lines (line_id 1 and 2) that share its transaction_id, its
    amount and cost split between them."""
    header = ["line_id", *rows[0]]

    def lines() -> Iterator[list[str]]:
        for row in rows:
            amounts = _halves(row["amount"])
            costs = _halves(row["cost"]) if row["cost"].strip() else (row["cost"], row["cost"])
            for line_id in (1, 2):
                values = {
                    **row,
                    "line_id": str(line_id),
                    "amount": amounts[line_id - 1],
                    "cost": costs[line_id - 1],
                }
                yield [values[name] for name in header]

    return _write(path, header, lines())
