"""A rerun replaces every table and publishes identical marts; the same transactions as Parquet
instead of CSV change nothing either."""

from __future__ import annotations

import pyarrow.csv
import pyarrow.parquet

from customer_tiering.generate import GeneratedFiles
from engines import (
    BUILD_WITHOUT_UNIT_TESTS,
    MARTS,
    DuckDBEngine,
    build,
    fetch_mart,
    first_difference,
)


def test_rerun_on_the_same_data_as_parquet_gives_identical_marts(
    duckdb_engine: DuckDBEngine, duckdb_copy: DuckDBEngine, fixture_files: GeneratedFiles
) -> None:
    csv_path = fixture_files.transactions_path
    header = csv_path.read_text(encoding="utf-8").splitlines()[0].split(",")
    table = pyarrow.csv.read_csv(
        csv_path,
        convert_options=pyarrow.csv.ConvertOptions(
            column_types=dict.fromkeys(header, pyarrow.string()), strings_can_be_null=False
        ),
    )
    parquet_path = duckdb_copy.work_dir / "transactions.parquet"
    pyarrow.parquet.write_table(table, parquet_path)
    build(duckdb_copy, *BUILD_WITHOUT_UNIT_TESTS, transactions_path=str(parquet_path))
    for mart in MARTS:
        difference = first_difference(
            fetch_mart(duckdb_copy, mart), fetch_mart(duckdb_engine, mart)
        )
        assert not difference, f"{mart}: {difference}"
