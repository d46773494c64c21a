"""The Parquet copy of the marts, for BI tools without a DuckDB connector."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from customer_tiering.marts_parquet import main
from engines import DUCKDB_MARTS, DuckDBEngine


def test_every_mart_is_copied_whole_and_the_same_bytes_on_a_rerun(
    duckdb_engine: DuckDBEngine, tmp_path: Path
) -> None:
    out = tmp_path / "marts"
    assert main(["--duckdb", str(duckdb_engine.database), "--out", str(out)]) == 0
    assert sorted(path.stem for path in out.iterdir()) == sorted(DUCKDB_MARTS)
    with duckdb.connect(str(duckdb_engine.database), read_only=True) as connection:
        for mart in DUCKDB_MARTS:
            parquet = f"read_parquet('{out / mart}.parquet')"
            table = f"marts.{mart}"
            # Names and types (Parquet does not keep the contracts' not null).
            described = [
                [row[:2] for row in connection.execute(f"describe from {relation}").fetchall()]
                for relation in (table, parquet)
            ]
            assert described[0] == described[1], mart
            rows = connection.execute(f"select count(*) from {table}").fetchone()
            assert connection.execute(f"select count(*) from {parquet}").fetchone() == rows
            for left, right in ((table, parquet), (parquet, table)):
                missing = connection.execute(
                    f"select count(*) from (from {left} except all from {right})"
                )
                assert missing.fetchone() == (0,), mart
    first = {path.name: path.read_bytes() for path in out.iterdir()}
    assert main(["--duckdb", str(duckdb_engine.database), "--out", str(out)]) == 0
    assert {path.name: path.read_bytes() for path in out.iterdir()} == first
    assert sorted(path.name for path in tmp_path.iterdir()) == ["marts"], "no temporary left"


def test_a_database_without_marts_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert main(["--duckdb", str(empty), "--out", str(tmp_path / "marts")]) == 1
    assert "has no table in the schema marts: run make build first" in capsys.readouterr().err
    assert not (tmp_path / "marts").exists()
