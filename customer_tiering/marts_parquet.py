"""Copy every mart of a DuckDB file to Parquet, for BI tools without a DuckDB connector (Power BI,
Tableau): `python -m customer_tiering.marts_parquet --duckdb serving/tiering.duckdb --out DIR`.

The files appear all at once (written into a temporary folder next to DIR, then renamed), and the
same database gives the same bytes on a rerun (rows in key order, no timestamps written).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"


class NoMartsError(RuntimeError):
    """The database holds no mart: nothing to export."""


def mart_tables(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the schema marts, by name."""
    rows = connection.execute(
        "select table_name from duckdb_tables() where schema_name = ? order by table_name",
        [MARTS_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def export_marts(database: Path, out_dir: Path) -> list[Path]:
    """Write `out_dir/<mart>.parquet` for every mart of `database`; returns the files."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = mart_tables(connection)
        if not tables:
            raise NoMartsError(
                f"{database} has no table in the schema {MARTS_SCHEMA}: run make build first"
            )
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
        try:
            for table in tables:
                target = staging / f"{table}.parquet"
                connection.execute(
                    f'copy (select * from {MARTS_SCHEMA}."{table}" order by all)'
                    f" to '{target}' (format parquet, compression zstd)"
                )
            _replace(staging, out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / f"{table}.parquet" for table in tables]


def _replace(new: Path, old: Path) -> None:
    """Put the folder `new` where `old` is, in one rename when `old` does not exist yet."""
    if old.exists():
        retired = old.with_name(f".{old.name}.old.{os.getpid()}")
        old.rename(retired)
        new.rename(old)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        new.rename(old)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m customer_tiering.marts_parquet")
    parser.add_argument("--duckdb", type=Path, required=True, help="the built or serving file")
    parser.add_argument("--out", type=Path, required=True, help="the folder of Parquet files")
    args = parser.parse_args(argv)
    try:
        files = export_marts(args.duckdb, args.out)
    except (NoMartsError, duckdb.Error) as error:
        print(f"marts_parquet: {error}", file=sys.stderr)
        return 1
    print(f"{len(files)} marts written as Parquet to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
