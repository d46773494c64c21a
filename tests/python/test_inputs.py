"""The same transactions as Parquet instead of CSV publish the same marts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import FIXTURE_PARAMS
from customer_tiering.generate import generate
from engines import MARTS, DuckDBEngine, build, fetch_mart


def test_parquet_input_gives_the_same_marts_as_csv(
    duckdb_engine: DuckDBEngine, tmp_path: Path
) -> None:
    files = generate(
        tmp_path / "parquet", dataclasses.replace(FIXTURE_PARAMS, file_format="parquet")
    )
    assert files.transactions_path.suffix == ".parquet"
    engine = DuckDBEngine(tmp_path, files.transactions_path, files.customers_path)
    build(engine)
    for mart in MARTS:
        assert fetch_mart(engine, mart) == fetch_mart(duckdb_engine, mart), mart
