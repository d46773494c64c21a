"""The benchmark's contenders compute customer_tiers exactly, and its agreement check catches a
difference. Fast: no dbt run (the benchmark itself compares dbt with the floor)."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from compare import (
    UNGROUPED_COLUMNS,
    clean_and_rejected,
    expected_tiers,
    mismatches,
    missing_columns,
    reference_customers,
    run_date,
)

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
    """The independent reference's customer_tiers of the generated files (the customer file's
    prospects included)."""
    clean = clean_and_rejected(inputs.transactions)[0]
    # The benchmark builds with the project's vars: no tiers within groups.
    return expected_tiers(clean, reference_customers(inputs.customers), tier_within=())


def floor_table(inputs: bench.Inputs) -> pa.Table:
    with duckdb.connect() as connection:
        return bench.floor_table(connection, inputs, run_date())


def test_floor_query_equals_the_reference(inputs: bench.Inputs, expected: dict[str, Row]) -> None:
    rows = floor_table(inputs).to_pylist()
    assert len(rows) == len(expected) > 250
    assert not missing_columns(rows, UNGROUPED_COLUMNS)  # lifecycle and grade columns too
    problems = mismatches(rows, expected)
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


def test_pandas_contender_equals_the_reference(
    inputs: bench.Inputs, expected: dict[str, Row]
) -> None:
    rows = bench.pandas_tiers(inputs, run_date()).to_pylist()
    assert len(rows) == len(expected)
    assert not missing_columns(rows, UNGROUPED_COLUMNS)
    problems = mismatches(rows, expected)
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


def test_floor_and_pandas_agree_on_every_column(inputs: bench.Inputs, tmp_path: Path) -> None:
    """Including the columns the reference lacks: customer_type, region, rfm_segment, and the
    lifecycle and grade columns, on every customer (buyers, no purchase, prospects)."""
    floor, other = tmp_path / "floor.parquet", tmp_path / "pandas.parquet"
    pq.write_table(floor_table(inputs), floor)
    pq.write_table(bench.pandas_tiers(inputs, run_date()), other)
    assert bench.compare_tiers(other, floor) == bench.Agreement(0)
    filled = duckdb.sql(
        "select count(*), count(customer_type), count(rfm_segment), count(first_purchase_date),"
        " count(*) filter (where lifetime_purchases = 0),"
        " count(*) filter (where lifetime_purchases is null),"
        " count(distinct lifecycle_stage), count(distinct value_loyalty_grade)"
        f" from '{other}'"
    )
    [(rows, typed, segmented, buyers, no_purchase, prospects, stages, grades)] = filled.fetchall()
    assert rows == typed == len(pq.read_table(floor))
    assert segmented == buyers == rows - no_purchase - prospects
    assert prospects > 0  # (no customer with refunds only here: see the hand-made input)
    assert (stages, grades) == (6, 6)


def _with_changes(table: pa.Table, changes: Sequence[tuple[str, int, object]]) -> pa.Table:
    """`table` with the value of (column, row) replaced by each change's."""
    for column, row, value in changes:
        values = table.column(column).to_pylist()
        values[row] = value
        index = table.schema.get_field_index(column)
        table = table.set_column(index, column, pa.array(values, table.schema.field(column).type))
    return table


def test_agreement_check_reports_a_changed_row(inputs: bench.Inputs, tmp_path: Path) -> None:
    """Null shares (customers without a purchase) on both sides agree; null and a value do not."""
    table = floor_table(inputs).sort_by("customer_id")
    basis = tmp_path / "basis.parquet"
    pq.write_table(table, basis)
    shares = table.column("cumulative_revenue_share").to_pylist()
    buyers = [row for row, share in enumerate(shares) if share is not None and row > 0]
    other = next(row for row, share in enumerate(shares) if share is None and row > 0)
    changed = _with_changes(
        table,
        [
            ("monetary", buyers[2], table.column("monetary")[buyers[2]].as_py() + Decimal("0.01")),
            ("cumulative_revenue_share", buyers[5], shares[buyers[5]] + 1e-6),
            ("percent_rank", buyers[7], table.column("percent_rank")[buyers[7]].as_py() + 1e-12),
            ("cumulative_revenue_share", other, 0.5),
        ],
    )
    candidate = tmp_path / "candidate.parquet"
    pq.write_table(changed.slice(1), candidate)

    agreement = bench.compare_tiers(candidate, basis, examples=10)

    ids = table.column("customer_id").to_pylist()
    assert not agreement.agrees
    assert agreement.differing_customers == 4
    reported = "\n".join(agreement.examples)
    assert f"{ids[0]}: missing in the contender" in reported
    assert f"{ids[buyers[2]]}: monetary: " in reported
    assert f"{ids[buyers[5]]}: cumulative_revenue_share: " in reported
    assert f"{ids[other]}: cumulative_revenue_share: 0.5 != null" in reported
    assert ids[buyers[7]] not in reported  # within the 1e-9 tolerance of the shares


# A hand-made input: customer -> its transactions as (days before the as-of date, amount). The
# as-of date is the refund's day. Twelve buyers (NTILE(5) buckets of 3, 3, 2, 2, 2 positions):
# f score 5 for TOP and LOYAL (6 purchases in the window), 4 for OVERDUE; m score 5 for TOP and
# NEW_BIG. The stage periods: recent (A - 180, A], previous (A - 360, A - 180].
AS_OF = date(2026, 6, 30)
HISTORIES: dict[str, list[tuple[int, str]]] = {
    "CHURNED": [(400, "100")],
    "CHURNED_AT_365": [(365, "100")],
    "NEW": [(30, "40")],
    "NOT_NEW_AT_90": [(90, "50")],  # growing: recent spend, none in the previous period
    "NEW_BIG": [(60, "1000"), (10, "1000")],
    "SPEND_FELL": [(300, "100"), (250, "100"), (20, "100")],
    "FELL_TO_80_PERCENT": [(300, "100"), (100, "80")],
    "OVERDUE": [(300, "100"), (290, "100"), (170, "100"), (160, "100")],  # 160 > 2 * 140 / 3
    "GROWING": [(300, "100"), (100, "100"), (5, "50")],
    "MATURE": [(300, "100"), (100, "100")],
    "TOP": [(500, "100"), *((days, "500") for days in (350, 300, 250, 150, 100, 50))],
    "LOYAL": [(400, "10"), *((days, "10") for days in (340, 280, 220, 160, 100, 40))],
    "REFUNDS_ONLY": [(0, "-50")],
    "ZERO_AMOUNT": [(200, "0")],
}
# customer -> signup date in the customer file (MATURE is not in it).
SIGNUPS = {
    "TOP": (AS_OF + timedelta(days=10)).isoformat(),  # counted from its transactions
    "LOYAL": "2025-01-01",
    "REFUNDS_ONLY": "2026-06-01",
    "PROSPECT": "2026-03-01",
    "PROSPECT_UNDATED": "",
    "PROSPECT_BAD_DATE": "2026-02-30",
    "SIGNS_UP_LATER": (AS_OF + timedelta(days=1)).isoformat(),  # not known yet
}
STAGES_AND_GRADES = {
    "CHURNED": ("churned", "E"),
    "CHURNED_AT_365": ("churned", "E"),
    "NEW": ("new", "D"),
    "NOT_NEW_AT_90": ("growing", "D"),
    "NEW_BIG": ("new", "B"),
    "SPEND_FELL": ("declining", "D"),
    "FELL_TO_80_PERCENT": ("declining", "D"),
    "OVERDUE": ("declining", "D"),
    "GROWING": ("growing", "D"),
    "MATURE": ("mature", "D"),
    "TOP": ("mature", "A"),
    "LOYAL": ("mature", "C"),
    "REFUNDS_ONLY": ("prospect", "F"),
    "ZERO_AMOUNT": ("prospect", "F"),
    "PROSPECT": ("prospect", "F"),
    "PROSPECT_UNDATED": ("prospect", "F"),
    "PROSPECT_BAD_DATE": ("prospect", "F"),
}


def _text_table(rows: list[dict[str, str]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema([(name, pa.string()) for name in rows[0]]))


@pytest.fixture(scope="module")
def lifecycle_inputs(tmp_path_factory: pytest.TempPathFactory) -> bench.Inputs:
    """HISTORIES (cost 1 on every row) and SIGNUPS as the generator's text files."""
    folder = tmp_path_factory.mktemp("lifecycle")
    purchases = [
        (customer, days, amount)
        for customer, history in HISTORIES.items()
        for days, amount in history
    ]
    transactions = [
        {
            "transaction_id": f"T{number}",
            "customer_id": customer,
            "transaction_date": (AS_OF - timedelta(days=days)).isoformat(),
            "amount": amount,
            "cost": "1",
            "quantity": "1",
            "channel": "web",
            "product_category": "books",
            "status": "completed",
        }
        for number, (customer, days, amount) in enumerate(purchases)
    ]
    customers = [
        {
            "customer_id": customer,
            "customer_type": "consumer",
            "industry": "",
            "company_size": "",
            "ownership": "",
            "region": "north",
            "signup_date": signup,
        }
        for customer, signup in {**dict.fromkeys(HISTORIES, "2024-01-01"), **SIGNUPS}.items()
        if customer != "MATURE"
    ]
    inputs = bench.Inputs(folder / "transactions.parquet", folder / "customers.parquet")
    pq.write_table(_text_table(transactions), inputs.transactions)
    pq.write_table(_text_table(customers), inputs.customers)
    return inputs


@pytest.fixture(scope="module", params=[bench.FLOOR, "pandas"])
def lifecycle_tiers(
    request: pytest.FixtureRequest, lifecycle_inputs: bench.Inputs
) -> dict[str, Row]:
    """The hand-made input's customer_tiers by customer id, from the floor and from pandas."""
    if request.param == bench.FLOOR:
        table = floor_table(lifecycle_inputs)
    else:
        table = bench.pandas_tiers(lifecycle_inputs, run_date())
    return {row["customer_id"]: row for row in table.to_pylist()}


def test_floor_and_pandas_agree_on_the_hand_made_input(
    lifecycle_inputs: bench.Inputs, tmp_path: Path
) -> None:
    floor, other = tmp_path / "floor.parquet", tmp_path / "pandas.parquet"
    pq.write_table(floor_table(lifecycle_inputs), floor)
    pq.write_table(bench.pandas_tiers(lifecycle_inputs, run_date()), other)
    assert bench.compare_tiers(other, floor) == bench.Agreement(0)


def test_every_known_customer_has_its_lifecycle_stage_and_grade(
    lifecycle_tiers: dict[str, Row],
) -> None:
    """Each stage and grade, the boundaries (recency 365 churned, tenure 90 not new, recent spend
    exactly 0.8 of the previous declining); no row for a signup after the as-of date."""
    got = {
        id_: (row["lifecycle_stage"], row["value_loyalty_grade"])
        for id_, row in lifecycle_tiers.items()
    }
    assert got == STAGES_AND_GRADES


def test_customers_without_a_purchase_have_measures_but_no_scores(
    lifecycle_tiers: dict[str, Row],
) -> None:
    """Refunds only: measured like a buyer's; a prospect: none measured (both: the as-of date and
    the file's attributes)."""
    refunds, prospect = lifecycle_tiers["REFUNDS_ONLY"], lifecycle_tiers["PROSPECT"]
    known = {"as_of_date": AS_OF, "customer_type": "consumer", "region": "north"}
    measured = {
        "frequency": 0,
        "monetary": Decimal(-50),
        "profit": Decimal(-51),
        "lifetime_revenue": Decimal(-50),
        "lifetime_purchases": 0,
        "recent_spend": Decimal(-50),
        "recent_purchases": 0,
        "previous_spend": Decimal(0),
        "previous_purchases": 0,
    }
    assert {column: refunds[column] for column in {**known, **measured}} == known | measured
    assert {column: prospect[column] for column in known} == known
    assert all(prospect[column] is None for column in measured)
    buyer_only = (
        "first_purchase_date",
        "last_purchase_date",
        "recency_days",
        "tenure_days",
        *("r_score", "f_score", "m_score", "rfm_cell", "rfm_segment", "revenue_rank"),
        *("percent_rank", "cumulative_revenue_share", "pyramid_tier", "pareto_class"),
    )
    for row in (refunds, prospect, lifecycle_tiers["PROSPECT_UNDATED"]):
        assert all(row[column] is None for column in buyer_only), row


def test_lifecycle_measures_split_the_recent_and_previous_periods(
    lifecycle_tiers: dict[str, Row],
) -> None:
    columns = (
        "tenure_days",
        "recency_days",
        "lifetime_purchases",
        "recent_spend",
        "recent_purchases",
        "previous_spend",
        "previous_purchases",
    )
    overdue, top = lifecycle_tiers["OVERDUE"], lifecycle_tiers["TOP"]
    assert [overdue[column] for column in columns] == [300, 160, 4, 200, 2, 200, 2]
    assert [top[column] for column in columns] == [500, 50, 7, 1500, 3, 1500, 3]
    assert lifecycle_tiers["MATURE"]["customer_type"] is None  # not in the customer file


def test_scores_and_pyramid_are_over_the_buyers_only(lifecycle_tiers: dict[str, Row]) -> None:
    """Twelve buyers: the last revenue rank's percent rank is 10 / 11, A is the top one."""
    churned = lifecycle_tiers["CHURNED"]
    assert (churned["revenue_rank"], churned["percent_rank"]) == (11, 10 / 11)
    tiers = {
        id_: row["pyramid_tier"] for id_, row in lifecycle_tiers.items() if row["pyramid_tier"]
    }
    assert len(tiers) == 12
    assert {id_ for id_, tier in tiers.items() if tier in ("A", "C")} == {
        "TOP",
        "NEW_BIG",
        "OVERDUE",
    }
    cells = {id_: lifecycle_tiers[id_]["rfm_cell"][1:] for id_ in ("TOP", "LOYAL", "OVERDUE")}
    assert cells == {"TOP": "55", "LOYAL": "52", "OVERDUE": "44"}


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
    limits = bench.Limits(pandas_max=10, postgres_max=0, history_max=0)
    orders = [bench.contender_order(repeat, 10, limits)[:-1] for repeat in repeats]
    assert all(sorted(order) == sorted(bench.CONTENDERS) for order in orders)
    assert len({order[0] for order in orders}) == len(bench.CONTENDERS)


def test_nights_history_and_engines_follow_the_rotation_each_up_to_its_size() -> None:
    limits = bench.Limits(pandas_max=10, postgres_max=10, history_max=10, spark_max=20)
    small = bench.contender_order(1, 10, limits)
    assert small[-5:] == [
        bench.NIGHTLY,
        bench.HISTORY,
        bench.NIGHTLY_HISTORY,
        bench.POSTGRES,
        bench.SPARK,
    ]
    large = bench.contender_order(1, 11, limits)
    assert "pandas" not in large
    assert large[-2:] == [bench.NIGHTLY, bench.SPARK]
    assert bench.SPARK not in bench.contender_order(1, 10, bench.Limits())


def test_spark_without_its_environment_is_a_failure_that_says_how_to_make_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERING_SPARK_DBT", str(tmp_path / "missing" / "dbt"))
    workspace = bench.Workspace(
        tmp_path, bench.Inputs(tmp_path / "t.parquet", tmp_path / "c.csv"), date(2026, 6, 30)
    )
    measurement = bench.run_contender(workspace, bench.SPARK, 10, 0)
    assert measurement.error is not None and "make venv-spark" in measurement.error


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
