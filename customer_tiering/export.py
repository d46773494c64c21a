"""Export CRM-ready activation lists: one CSV and one Parquet file per strategy.

For every strategy of marts.tier_strategies with assigned customers, the customers whose one
strategy (marts.customer_tiers.strategy_key) it is, with the strategy's texts and the figures a
caller needs, ordered by monetary value (highest first), then customer id. A manifest.json names
every strategy, its count and its files with their SHA-256.

    python -m customer_tiering.export --duckdb tiering.duckdb --out target/export \
        [--contacts customers.csv [--contacts-encoding gb18030]]

The build's DuckDB file is only read (attached read-only). The files are written to a temporary
folder next to the output folder, checked (each list as long as assigned_customers, every
customer in exactly one list) and then renamed into place, so a reader never sees half an export.
The same database gives byte-identical files. Personal fields (name, email, phone) appear only
with --contacts, joined at export time from the caller's own file; the warehouse never holds them.
Any failure exits 1 with one line saying why, and leaves the previous export as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from customer_tiering.inputs import to_utf8

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DEFAULT_OUT = Path("target/export")
DATABASE = "tiering"
MARTS = f"{DATABASE}.marts"
# Columns of tier_strategies, then of customer_tiers, in the order the files hold them.
STRATEGY_COLUMNS = (
    "strategy_key",
    "scheme",
    "tier_code",
    "tier_name_zh",
    "tier_name_en",
    "owner_role",
    "contact_cadence",
    "service_level",
)
CUSTOMER_COLUMNS = (
    "customer_id",
    "as_of_date",
    "recency_days",
    "last_purchase_date",
    "frequency",
    "monetary",
    "lifetime_revenue",
    "pyramid_tier",
    "rfm_segment",
    "lifecycle_stage",
)
# Marts of customer value, joined when the build has them (their columns are left out if not).
OPTIONAL_MARTS = (
    ("customer_value", ("clv_band", "simple_clv")),
    ("customer_value_predictions", ("p_alive", "expected_purchases", "predicted_clv")),
)
PERSONAL_COLUMNS = ("name", "email", "phone")
UTF8_NAMES = {"utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig"}
BATCH_ROWS = 100_000
ROW_GROUP_ROWS = 100_000
# Fixed writer options: the same rows always give the same bytes.
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
}
CSV_LINE_END = "\r\n"  # RFC 4180, and what Excel writes


class ExportError(Exception):
    """The export cannot be made or would be wrong; the message says why in one line."""


@dataclass(frozen=True)
class ExportedFile:
    """One written file: its name in the export folder, size and SHA-256."""

    file: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class StrategyList:
    """One strategy of tier_strategies and, when it has customers, its two files."""

    texts: dict[str, Any]
    assigned_customers: int
    rows: int
    csv: ExportedFile | None
    parquet: ExportedFile | None


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    folder: Path
    as_of_date: date | None
    customers: int
    columns: tuple[str, ...]
    personal_data: bool
    strategies: tuple[StrategyList, ...]


# --- pure helpers ----------------------------------------------------------------------------


def file_stem(strategy_key: str) -> str:
    """A file name safe on every OS: `pyramid_tier:A` -> `pyramid_tier__A`; any character but
    ASCII letters, digits, '-' and '_' becomes '_'."""
    stem = strategy_key.replace(":", "__")
    return "".join(c if (c.isascii() and (c.isalnum() or c in "-_")) else "_" for c in stem)


def csv_text(value: object) -> str:
    """A value as the CSV writes it: empty for null, ISO dates, decimals as stored."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _exported(path: Path) -> ExportedFile:
    return ExportedFile(file=path.name, bytes=path.stat().st_size, sha256=_sha256(path))


# --- reading ---------------------------------------------------------------------------------


def _has_table(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables"
        " where table_catalog = ? and table_schema = 'marts' and table_name = ?",
        [DATABASE, table],
    ).fetchone()
    return bool(found and found[0])


def _one(connection: duckdb.DuckDBPyConnection, query: str) -> tuple[Any, ...]:
    row = connection.execute(query).fetchone()
    assert row is not None
    return row


def _check_marts(connection: duckdb.DuckDBPyConnection) -> int:
    """The number of customers, after checking that each has exactly one known strategy."""
    for table in ("customer_tiers", "tier_strategies"):
        if not _has_table(connection, table):
            raise ExportError(f"marts.{table} not found: run `make build` first")
    customers, distinct_ids, with_key, known_key = _one(
        connection,
        f"""
        select count(*), count(distinct tiers.customer_id), count(tiers.strategy_key),
               count(strategies.strategy_key)
        from {MARTS}.customer_tiers as tiers
        left join {MARTS}.tier_strategies as strategies
            on tiers.strategy_key = strategies.strategy_key
        """,
    )
    if customers == 0:
        raise ExportError("marts.customer_tiers has no customer: nothing to export")
    if distinct_ids != customers:
        raise ExportError(
            f"marts.customer_tiers has {customers:,} rows but {distinct_ids:,} customer ids"
        )
    if with_key != customers or known_key != customers:
        raise ExportError(
            f"{customers - known_key:,} of {customers:,} customers have no strategy_key of"
            " marts.tier_strategies"
        )
    return int(customers)


def _read_strategies(connection: duckdb.DuckDBPyConnection) -> list[tuple[dict[str, Any], int]]:
    columns = (*STRATEGY_COLUMNS, "tier_order", "definition", "core_goal", "actions")
    cursor = connection.execute(
        f"select {', '.join(columns)}, assigned_customers from {MARTS}.tier_strategies"
        " order by scheme, tier_order, strategy_key"
    )
    return [
        (dict(zip(columns, row[:-1], strict=True)), int(row[-1] or 0)) for row in cursor.fetchall()
    ]


def _load_contacts(
    connection: duckdb.DuckDBPyConnection, path: Path, encoding: str | None, scratch: Path
) -> tuple[str, ...]:
    """The caller's file of personal fields as the temp table `contacts` (one row per customer);
    returns the personal columns it has. A CSV in another encoding than UTF-8 is converted
    first (inputs.to_utf8) into `scratch`, which the caller removes."""
    if not path.is_file():
        raise ExportError(f"contacts file {path} not found")
    readable = path
    if path.suffix.lower() == ".parquet":
        reader = f"read_parquet({_quoted(str(path))})"
    else:
        if encoding and encoding.lower() not in UTF8_NAMES:
            try:
                readable = to_utf8(path, scratch / "contacts.utf8.csv", encoding)
            except ValueError as error:
                raise ExportError(f"contacts file: {error}") from None
        reader = f"read_csv({_quoted(str(readable))}, header = true, all_varchar = true)"
    with _contacts_errors(path):
        described = connection.execute(f"describe select * from {reader}").fetchall()
    lower = {str(row[0]).lower(): str(row[0]) for row in described}
    if "customer_id" not in lower:
        raise ExportError(f"contacts file {path} has no column customer_id")
    personal = tuple(column for column in PERSONAL_COLUMNS if column in lower)
    if not personal:
        raise ExportError(f"contacts file {path} has none of the columns name, email, phone")
    fields = ", ".join(
        f"nullif(trim(cast({_ident(lower[column])} as varchar)), '') as {column}"
        for column in ("customer_id", *personal)
    )
    with _contacts_errors(path):
        connection.execute(f"create temp table contacts_raw as select {fields} from {reader}")
    conflicting = connection.execute(
        f"""
        select customer_id from contacts_raw where customer_id is not null
        group by customer_id having count(distinct list_value({", ".join(personal)})) > 1
        order by customer_id limit 1
        """
    ).fetchone()
    if conflicting:
        raise ExportError(
            f"contacts file {path} lists customer {conflicting[0]} more than once with"
            " different personal fields: keep one row per customer"
        )
    connection.execute(
        "create temp table contacts as"
        " select distinct * from contacts_raw where customer_id is not null"
    )
    return personal


@contextlib.contextmanager
def _contacts_errors(path: Path) -> Iterator[None]:
    """DuckDB's errors reading the contacts file, as one line naming the file (and the fix)."""
    try:
        yield
    except duckdb.Error as error:
        detail = str(error).splitlines()[0]
        if "not utf-8 encoded" in str(error).lower():
            detail = "not UTF-8 encoded: pass its encoding (--contacts-encoding gb18030)"
        raise ExportError(f"contacts file {path} cannot be read: {detail}") from None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _list_query(value_marts: Sequence[tuple[str, tuple[str, ...]]], personal: Sequence[str]) -> str:
    """The query of one strategy's list (its key is the parameter)."""
    selected = [f"strategies.{column}" for column in STRATEGY_COLUMNS]
    selected += [f"tiers.{column}" for column in CUSTOMER_COLUMNS]
    joins = []
    for number, (table, columns) in enumerate(value_marts):
        alias = f"value_{number}"
        selected += [f"{alias}.{column}" for column in columns]
        joins.append(
            f"left join {MARTS}.{table} as {alias} on tiers.customer_id = {alias}.customer_id"
        )
    if personal:
        selected += [f"contacts.{column}" for column in personal]
        joins.append("left join contacts on tiers.customer_id = contacts.customer_id")
    return f"""
        select {", ".join(selected)}
        from {MARTS}.customer_tiers as tiers
        inner join {MARTS}.tier_strategies as strategies
            on tiers.strategy_key = strategies.strategy_key
        {" ".join(joins)}
        where tiers.strategy_key = ?
        order by tiers.monetary desc nulls last, tiers.customer_id
    """


# --- writing ---------------------------------------------------------------------------------


class _RowGroups:
    """Parquet row groups of exactly ROW_GROUP_ROWS rows, whatever the batch sizes."""

    def __init__(self, writer: pq.ParquetWriter, schema: pa.Schema) -> None:
        self.writer, self.schema = writer, schema
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.pending.append(batch)
        self.rows += batch.num_rows
        while self.rows >= ROW_GROUP_ROWS:
            table = pa.Table.from_batches(self.pending, self.schema)
            self.writer.write_table(table.slice(0, ROW_GROUP_ROWS), ROW_GROUP_ROWS)
            self.pending = table.slice(ROW_GROUP_ROWS).to_batches()
            self.rows -= ROW_GROUP_ROWS

    def close(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_batches(self.pending, self.schema))
        self.writer.close()


def _write_list(
    connection: duckdb.DuckDBPyConnection, query: str, key: str, csv_path: Path, parquet_path: Path
) -> tuple[int, tuple[str, ...]]:
    """One strategy's CSV and Parquet file; returns the rows and columns written."""
    reader = connection.sql(query, params=[key]).to_arrow_reader(BATCH_ROWS)
    schema = reader.schema.remove_metadata()
    rows = 0
    parquet = _RowGroups(pq.ParquetWriter(parquet_path, schema, **PARQUET_OPTIONS), schema)
    # utf-8-sig: a byte-order mark first, so that Excel reads the Chinese names as UTF-8.
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator=CSV_LINE_END, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(schema.names)
        for batch in reader:
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=schema)
            parquet.add(batch)
            columns = [column.to_pylist() for column in batch.columns]
            writer.writerows(
                [csv_text(value) for value in row] for row in zip(*columns, strict=True)
            )
            rows += batch.num_rows
    parquet.close()
    return rows, tuple(schema.names)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _check_target(out: Path) -> None:
    """Refuse to replace a folder that is not an earlier export (it may hold the user's files)."""
    if out.is_symlink() or out.is_file():
        raise ExportError(f"{out} is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise ExportError(
            f"{out} is not empty and holds no {MANIFEST} of an earlier export: choose another"
            " EXPORT_DIR (the export replaces its folder whole)"
        )


def _remove_leftovers(out: Path) -> None:
    """Folders that a killed export left next to the output folder."""
    for leftover in (
        *out.parent.glob(f".{out.name}.tmp-*"),
        *out.parent.glob(f".{out.name}.old-*"),
    ):
        pid = leftover.name.rsplit("-", 1)[-1]
        if leftover.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _move_into_place(staged: Path, out: Path) -> None:
    """Rename the complete export over the old one: a reader sees the old or the new folder."""
    _check_target(out)
    if out.exists():
        replaced = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, replaced)
        os.replace(staged, out)
        shutil.rmtree(replaced)
    else:
        os.replace(staged, out)
    _fsync(out.parent)


def _manifest(result: ExportResult) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "as_of_date": result.as_of_date.isoformat() if result.as_of_date else None,
        "customers": result.customers,
        "personal_data": result.personal_data,
        "csv": {
            "encoding": "utf-8 with byte-order mark",
            "line_end": "CRLF",
            "quoting": "RFC 4180",
        },
        "columns": list(result.columns),
        "strategies": [
            {
                **item.texts,
                "assigned_customers": item.assigned_customers,
                "customers": item.rows,
                "csv": None if item.csv is None else vars(item.csv),
                "parquet": None if item.parquet is None else vars(item.parquet),
            }
            for item in result.strategies
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


@contextlib.contextmanager
def _attached(database: Path, scratch: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the build's file attached read-only as `tiering`; it holds
    the build's memory bound (TIERING_DUCKDB_MEMORY_LIMIT) and spills to `scratch`."""
    if not database.is_file():
        raise ExportError(f"no DuckDB file at {database}: run `make build` first")
    config = {
        "memory_limit": os.environ.get("TIERING_DUCKDB_MEMORY_LIMIT", "6GB"),
        "temp_directory": str(scratch),
    }
    with duckdb.connect(":memory:", config=config) as connection:
        try:
            connection.execute(f"attach {_quoted(str(database))} as {DATABASE} (read_only)")
        except duckdb.Error as error:
            raise ExportError(f"cannot open {database}: {str(error).splitlines()[0]}") from None
        yield connection


def export(
    database: Path,
    out: Path,
    contacts: Path | None = None,
    contacts_encoding: str | None = None,
) -> ExportResult:
    """Write the lists of every strategy with customers into `out` (replaced whole)."""
    out = Path(out)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    staged = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(mode=0o700 if contacts else 0o777)
    try:
        with (
            tempfile.TemporaryDirectory() as scratch,
            _attached(Path(database), Path(scratch)) as connection,
        ):
            result = _export_into(connection, staged, contacts, contacts_encoding, Path(scratch))
        (staged / MANIFEST).write_text(_manifest(result), encoding="utf-8", newline="\n")
        for path in staged.iterdir():
            _fsync(path)
        _move_into_place(staged, out)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return dataclasses.replace(result, folder=out)


def _export_into(
    connection: duckdb.DuckDBPyConnection,
    folder: Path,
    contacts: Path | None,
    contacts_encoding: str | None,
    scratch: Path,
) -> ExportResult:
    customers = _check_marts(connection)
    personal = (
        () if contacts is None else _load_contacts(connection, contacts, contacts_encoding, scratch)
    )
    value_marts = [item for item in OPTIONAL_MARTS if _has_table(connection, item[0])]
    query = _list_query(value_marts, personal)
    (as_of,) = _one(connection, f"select max(as_of_date) from {MARTS}.customer_tiers")
    stems: dict[str, str] = {}
    lists: list[StrategyList] = []
    columns: tuple[str, ...] = ()
    for texts, assigned in _read_strategies(connection):
        key = str(texts["strategy_key"])
        if assigned <= 0:
            lists.append(StrategyList(texts, assigned, 0, None, None))
            continue
        stem = file_stem(key)
        if stem.lower() in stems:
            raise ExportError(f"strategies {stems[stem.lower()]} and {key} map to one file {stem}")
        stems[stem.lower()] = key
        csv_path, parquet_path = folder / f"{stem}.csv", folder / f"{stem}.parquet"
        rows, columns = _write_list(connection, query, key, csv_path, parquet_path)
        if rows != assigned:
            raise ExportError(
                f"{key}: {rows:,} customers exported but tier_strategies.assigned_customers"
                f" says {assigned:,}"
            )
        lists.append(
            StrategyList(texts, assigned, rows, _exported(csv_path), _exported(parquet_path))
        )
    exported = sum(item.rows for item in lists)
    if exported != customers:
        raise ExportError(
            f"the lists hold {exported:,} customers but marts.customer_tiers has {customers:,}:"
            " some customers' strategy has assigned_customers 0"
        )
    return ExportResult(folder, as_of, customers, columns, bool(personal), tuple(lists))


def format_summary(result: ExportResult) -> str:
    """The lines printed after an export."""
    written = [item for item in result.strategies if item.csv is not None]
    counts = ", ".join(f"{item.texts['strategy_key']} {item.rows:,}" for item in written)
    lines = [
        f"Exported {result.customers:,} customers of {result.as_of_date} in {len(written)}"
        f" strategy lists (CSV and Parquet) to {result.folder}/ ({MANIFEST}): {counts}"
    ]
    if result.personal_data:
        lines.append(
            "These files hold personal data (name, email, phone): share them only as your"
            " data-protection rules allow."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m customer_tiering.export", description=__doc__)
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=Path(os.environ.get("TIERING_DUCKDB_PATH") or "tiering.duckdb"),
        help="the DuckDB file dbt built (default: $TIERING_DUCKDB_PATH or tiering.duckdb)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--contacts",
        type=Path,
        help="your customer file (CSV or Parquet: customer_id and name, email, phone) to join"
        " personal fields from; without it the files hold no personal field",
    )
    parser.add_argument(
        "--contacts-encoding", help="encoding of the contacts CSV, e.g. gb18030 (default utf-8)"
    )
    args = parser.parse_args(argv)
    try:
        result = export(args.duckdb, args.out, args.contacts, args.contacts_encoding)
    except (ExportError, OSError, duckdb.Error) as error:
        print(f"Export failed: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(format_summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
