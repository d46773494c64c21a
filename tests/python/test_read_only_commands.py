"""Read-only dbt commands replace no data. `dbt source freshness` (the nightly pre-check) once ran
the input-loading hook and replaced the user's loaded raw table with the demo file."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines import MARTS, DuckDBEngine, Row, build, fetch_mart

READ_ONLY_COMMANDS = (
    ("source", "freshness"),
    ("docs", "generate"),
    ("compile",),
    ("ls",),
    ("test", "--select", "customer_tiers"),
)


def _state(engine: DuckDBEngine) -> dict[str, list[Row]]:
    raw = engine.fetch(
        "select count(*) as row_count, sum(hash(transaction_id, amount)) as fingerprint"
        " from raw.raw_transactions"
    )
    return {"raw": raw, **{mart: fetch_mart(engine, mart) for mart in MARTS}}


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=" ".join)
def test_read_only_command_replaces_no_data(
    duckdb_copy: DuckDBEngine, tmp_path: Path, command: tuple[str, ...]
) -> None:
    other_input = tmp_path / "other.csv"
    other_input.write_text(
        "transaction_id,customer_id,transaction_date,amount\nX1,C1,2020-01-01,1\n", encoding="utf-8"
    )
    before = _state(duckdb_copy)
    build(duckdb_copy, *command, check=False, transactions_path=str(other_input))
    assert _state(duckdb_copy) == before
