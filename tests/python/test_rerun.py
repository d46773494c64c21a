"""A rerun with the same data and as-of date publishes identical marts."""

from __future__ import annotations

from engines import MARTS, DuckDBEngine, build, fetch_mart


def test_rerun_gives_identical_marts(
    duckdb_engine: DuckDBEngine, duckdb_copy: DuckDBEngine
) -> None:
    before = {mart: fetch_mart(duckdb_engine, mart) for mart in MARTS}
    build(duckdb_copy)
    after = {mart: fetch_mart(duckdb_copy, mart) for mart in MARTS}
    assert after == before
