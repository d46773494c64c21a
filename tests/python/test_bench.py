"""The benchmark's contenders compute customer_tiers exactly, and its agreement check catches a
difference. Fast: no dbt run (the benchmark itself compares dbt with the floor)."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from compare import clean_and_rejected, expected_tiers, mismatches, run_date

from customer_tiering import bench, bench_more
from customer_tiering.generate import GeneratorParams, generate
from engines import Row

# Dirty rows of every reject kind (none is a customer's first purchase).
PARAMS = GeneratorParams(
    customers=300, transactions=3_000, seed=42, dirty_share=0.03, file_format="parquet"
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> bench.Inputs:
    files = generate(tmp_path_factory.mktemp("bench-data"), PARAMS)
    return bench.Inputs(files.transactions_path, files.customers_path)


@pytest.fixture(scope="module")
def expected(inputs: bench.Inputs) -> dict[str, Row]:
    """The independent reference's customer_tiers of the generated file."""
    return expected_tiers(clean_and_rejected(inputs.transactions)[0])


def floor_table(inputs: bench.Inputs) -> pa.Table:
    with duckdb.connect() as connection:
        return bench.floor_table(connection, inputs, run_date())


def test_floor_query_equals_the_reference(inputs: bench.Inputs, expected: dict[str, Row]) -> None:
    rows = floor_table(inputs).to_pylist()
    assert len(rows) == len(expected) > 250
    problems = mismatches(rows, expected)
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


def test_pandas_contender_equals_the_reference(
    inputs: bench.Inputs, expected: dict[str, Row]
) -> None:
    rows = bench.pandas_tiers(inputs, run_date()).to_pylist()
    assert len(rows) == len(expected)
    problems = mismatches(rows, expected)
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


def test_floor_and_pandas_agree_on_every_column(inputs: bench.Inputs, tmp_path: Path) -> None:
    """Including the columns the reference lacks: customer_type, region, rfm_segment."""
    floor, other = tmp_path / "floor.parquet", tmp_path / "pandas.parquet"
    pq.write_table(floor_table(inputs), floor)
    pq.write_table(bench.pandas_tiers(inputs, run_date()), other)
    assert bench.compare_tiers(other, floor) == bench.Agreement(0)
    filled = duckdb.sql(f"select count(customer_type), count(rfm_segment) from '{other}'")
    assert filled.fetchall() == [(len(pq.read_table(floor)),) * 2]


def _with_changes(table: pa.Table, changes: dict[str, tuple[int, object]]) -> pa.Table:
    """`table` with column -> (row, new value) replaced."""
    for column, (row, value) in changes.items():
        values = table.column(column).to_pylist()
        values[row] = value
        index = table.schema.get_field_index(column)
        table = table.set_column(index, column, pa.array(values, table.schema.field(column).type))
    return table


def test_agreement_check_reports_a_changed_row(inputs: bench.Inputs, tmp_path: Path) -> None:
    table = floor_table(inputs).sort_by("customer_id")
    basis = tmp_path / "basis.parquet"
    pq.write_table(table, basis)
    share = table.column("cumulative_revenue_share")[5].as_py()
    changed = _with_changes(
        table,
        {
            "monetary": (2, table.column("monetary")[2].as_py() + Decimal("0.01")),
            "cumulative_revenue_share": (5, share + 1e-6),
            "percent_rank": (7, table.column("percent_rank")[7].as_py() + 1e-12),
        },
    )
    candidate = tmp_path / "candidate.parquet"
    pq.write_table(changed.slice(1), candidate)

    agreement = bench.compare_tiers(candidate, basis)

    ids = table.column("customer_id").to_pylist()
    assert not agreement.agrees
    assert agreement.differing_customers == 3
    reported = "\n".join(agreement.examples)
    assert f"{ids[0]}: missing in the contender" in reported
    assert f"{ids[2]}: monetary: " in reported
    assert f"{ids[5]}: cumulative_revenue_share: " in reported
    assert ids[7] not in reported  # within the 1e-9 tolerance of the shares


def test_a_file_without_transaction_ids_drops_exact_copies(
    inputs: bench.Inputs, tmp_path: Path
) -> None:
    """No id in any row: exact copies of a row (after trimming) are duplicates, in both."""
    raw = pq.read_table(inputs.transactions)
    no_ids = raw.set_column(0, "transaction_id", pa.array([""] * raw.num_rows))
    copies = no_ids.slice(100, 40)
    amounts = pc.binary_join_element_wise(copies.column("amount"), pa.scalar(" "), "")
    padded = copies.set_column(copies.schema.get_field_index("amount"), "amount", amounts)
    plain = bench.Inputs(tmp_path / "plain.parquet", inputs.customers)
    copied = bench.Inputs(tmp_path / "copied.parquet", inputs.customers)
    pq.write_table(no_ids, plain.transactions)
    pq.write_table(pa.concat_tables([no_ids, copies, padded]), copied.transactions)
    results = {}
    for name, source in (("plain-floor", plain), ("copied-floor", copied)):
        results[name] = tmp_path / f"{name}.parquet"
        pq.write_table(floor_table(source), results[name])
    for name, source in (("plain-pandas", plain), ("copied-pandas", copied)):
        results[name] = tmp_path / f"{name}.parquet"
        pq.write_table(bench.pandas_tiers(source, run_date()), results[name])
    for name in ("copied-floor", "plain-pandas", "copied-pandas"):
        assert bench.compare_tiers(results[name], results["plain-floor"]).agrees, name


@pytest.mark.parametrize(
    "text",
    ["12.50", "-3.1234567", "+5", ".5", "5.", "007", "-0.0000005", "0.0000004", "+.1234565"],
)
def test_micros_round_like_numeric_28_6(text: str) -> None:
    [(cast,)] = duckdb.sql(f"select cast('{text}' as decimal(28, 6))").fetchall()
    assert bench.micros(pd.Series([text], dtype="str")).iloc[0] == cast * bench.MICROS


def test_micros_and_dates_refuse_what_the_project_refuses() -> None:
    numbers = bench.micros(pd.Series(["1e3", "NaN", "1,000.00", "$5", "--5", None], dtype="str"))
    assert numbers.isna().all()
    days = bench.parse_dates(
        pd.Series(["2026-02-29", "0000-01-01", "20260105", "2026-13-01", "x", None], dtype="str")
    )
    assert days.isna().all()
    good = bench.parse_dates(pd.Series(["2026-1-5 10:00", "2024-02-29T1", "1500-03-01"]))
    assert [day.date() for day in good] == [date(2026, 1, 5), date(2024, 2, 29), date(1500, 3, 1)]


def test_tie_consistent_ntile_gives_a_tie_group_the_bucket_of_its_first_row() -> None:
    # 7 rows: NTILE(5) sizes 2, 2, 1, 1, 1; the tie group at positions 2-4 starts in bucket 1.
    first_positions = pd.Series([1, 2, 2, 2, 5, 6, 7]).to_numpy()
    assert bench.tie_consistent_ntile(first_positions).tolist() == [1, 1, 1, 1, 3, 4, 5]


def test_peak_memory_covers_the_children() -> None:
    allocate = "import time; block = bytearray(300 * 2**20); block[::4096] = b'x' * 76800; "
    allocate += "time.sleep(0.3)"
    with bench.PeakMemory() as memory:
        subprocess.run([sys.executable, "-c", allocate], check=True)
    assert memory.peak_bytes > 300 * 2**20


def test_contenders_alternate_between_repeats() -> None:
    repeats = range(len(bench.CONTENDERS))
    limits = bench.Limits(pandas_max=10, postgres_max=0)
    orders = [bench.contender_order(repeat, 10, limits)[:-1] for repeat in repeats]
    assert all(sorted(order) == sorted(bench.CONTENDERS) for order in orders)
    assert len({order[0] for order in orders}) == len(bench.CONTENDERS)


def test_nightly_follows_the_rotation_and_pandas_and_postgres_run_up_to_their_sizes() -> None:
    small = bench.contender_order(1, 10, bench.Limits(pandas_max=10, postgres_max=10))
    assert small[-2:] == [bench.NIGHTLY, bench.POSTGRES]
    large = bench.contender_order(1, 11, bench.Limits(pandas_max=10, postgres_max=10))
    assert "pandas" not in large
    assert large[-1] == bench.NIGHTLY


def test_the_daily_file_is_a_thousandth_of_the_history_dated_the_new_day(
    inputs: bench.Inputs, tmp_path: Path
) -> None:
    history = tmp_path / "transactions.parquet"
    shutil.copy(inputs.transactions, history)
    nightly = bench_more.nightly_inputs(bench.Inputs(history, inputs.customers))
    with duckdb.connect() as connection:
        rows, new_day, files = connection.execute(
            "select count(*), max(transaction_date), count(distinct filename)"
            f" from read_parquet('{nightly.transactions}', filename = true)"
            f" where filename like '%{bench_more.DAY_FILE}'"
        ).fetchone()
        (history_rows,) = connection.execute(f"select count(*) from '{history}'").fetchone()
    assert files == 1
    assert 0 < rows < history_rows / 200
    assert new_day == bench_more.new_day().isoformat()


def test_table_shows_ratios_to_the_floor_and_disagreements() -> None:
    def run(contender: str, seconds: float, peak: int) -> bench.Measurement:
        return bench.Measurement(1_000, contender, 0, seconds, peak, None)

    measurements = [
        run("dbt build", 20.0, 800 * 2**20),
        run("dbt run", 10.0, 600 * 2**20),
        run(bench.FLOOR, 2.0, 400 * 2**20),
        run("pandas", 5.0, 2 * 2**30),
    ]
    agreements = {
        (1_000, "dbt build", 0): bench.Agreement(0),
        (1_000, "dbt run", 0): bench.Agreement(0),
        (1_000, "pandas", 0): bench.Agreement(3, ("C1: monetary: 1 != 2",)),
    }
    rows = {row.contender: row for row in bench.summarize(measurements, agreements)}
    assert math.isclose(rows["dbt build"].seconds_ratio, 10.0)
    assert math.isclose(rows["pandas"].memory_ratio, 5.12)
    table = bench.markdown_table(list(rows.values()))
    assert "| 1,000 | dbt build | 20.0 | 10.0 | 800 MiB | 2.0 | yes |" in table
    assert "| 1,000 | floor | 2.0 | 1.0 | 400 MiB | 1.0 | basis |" in table
    assert "| 1,000 | pandas | 5.0 | 2.5 | 2.00 GiB | 5.1 | no (3 customers differ) |" in table
