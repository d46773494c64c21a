"""Tests of the demo-data generator (customer_tiering.generate).

The cleaning rules are re-implemented here in a few lines of pandas, independent
of the generator, to check that every reject reason occurs and that the clean
rows have the intended shape.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from customer_tiering import generate as gen

SMALL = gen.GeneratorParams(
    customers=2_000,
    transactions=20_000,
    seed=7,
    end_date=date(2025, 12, 31),
    years=3,
)
DATE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?$")
NUMBER_PATTERN = r"^[+-]?([0-9]{1,18}([.][0-9]*)?|[.][0-9]+)$"
EARLIEST_VALID = date(1900, 1, 1)  # the default var earliest_valid_date


def _read_csv(path: Path) -> pd.DataFrame:
    """A generated CSV with every value as text, empty fields as ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _parse_date(text: str) -> date | None:
    """The date of a trimmed transaction_date, None when unparseable."""
    if not DATE_PATTERN.match(text):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _classify(raw: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """Trimmed rows with a ``reason`` column ('' = clean), per rules 1-10."""
    rows = raw.apply(lambda column: column.str.strip())
    parsed = rows["transaction_date"].map(_parse_date)
    known = parsed.notna()
    numeric = rows["amount"].str.match(NUMBER_PATTERN)
    checks = [
        ("missing_transaction_id", rows["transaction_id"] == ""),
        ("missing_customer_id", rows["customer_id"] == ""),
        ("missing_transaction_date", rows["transaction_date"] == ""),
        ("unparseable_transaction_date", ~known),
        ("transaction_date_too_early", known & (parsed < EARLIEST_VALID)),
        ("transaction_date_in_future", known & (parsed > run_date)),
        ("missing_amount", rows["amount"] == ""),
        ("non_numeric_amount", ~numeric),
        ("cancelled", rows["status"].str.lower() == "cancelled"),
    ]
    rows["reason"] = ""
    for reason, hit in checks:
        rows.loc[(rows["reason"] == "") & hit, "reason"] = reason
    rows["day"] = parsed
    return _mark_duplicates(rows)


def _mark_duplicates(rows: pd.DataFrame) -> pd.DataFrame:
    """Rule 10: of the rows passing 1-9, keep the first per transaction_id."""
    passed = rows[rows["reason"] == ""].copy()
    passed["value"] = passed["amount"].astype(float)
    order = ["day", "value", "customer_id", "cost", "quantity", "channel"]
    order += ["product_category", "status"]
    passed = passed.sort_values(order, kind="stable")
    later = passed.index[passed["transaction_id"].duplicated(keep="first")]
    rows.loc[later, "reason"] = "duplicate_transaction_id"
    return rows


def _clean(rows: pd.DataFrame) -> pd.DataFrame:
    """Clean rows with a numeric amount and cost."""
    clean = rows[rows["reason"] == ""].copy()
    clean["amount"] = clean["amount"].astype(float)
    cost = clean["cost"].where(clean["cost"].str.match(NUMBER_PATTERN))
    clean["cost"] = cost.astype(float)
    return clean


def _top_share(values: pd.Series, share: float) -> float:
    """Share of the positive total held by the top ``share`` of customers."""
    ordered = values.clip(lower=0).sort_values(ascending=False)
    return ordered.iloc[: math.ceil(share * len(ordered))].sum() / ordered.sum()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> gen.GeneratedFiles:
    """The small data set as CSV."""
    return gen.generate(tmp_path_factory.mktemp("small"), SMALL)


@pytest.fixture(scope="module")
def classified(small: gen.GeneratedFiles) -> pd.DataFrame:
    """Transactions of the small data set with their reject reason."""
    return _classify(_read_csv(small.transactions_path), date.today())


@pytest.fixture(scope="module")
def clean(classified: pd.DataFrame) -> pd.DataFrame:
    """Clean transactions of the small data set."""
    return _clean(classified)


def _file_bytes(result: gen.GeneratedFiles) -> tuple[bytes, bytes]:
    """Contents of both generated files."""
    return result.transactions_path.read_bytes(), result.customers_path.read_bytes()


def test_same_seed_gives_identical_bytes(small: gen.GeneratedFiles, tmp_path: Path) -> None:
    again = gen.generate(tmp_path / "again", SMALL)
    other = gen.generate(tmp_path / "other", replace(SMALL, seed=8))
    assert _file_bytes(again) == _file_bytes(small)
    assert _file_bytes(other)[0] != _file_bytes(small)[0]
    assert _file_bytes(other)[1] != _file_bytes(small)[1]


def test_exact_row_counts(small: gen.GeneratedFiles) -> None:
    transactions = _read_csv(small.transactions_path)
    customers = _read_csv(small.customers_path)
    assert list(transactions.columns) == list(gen.TRANSACTION_COLUMNS)
    assert list(customers.columns) == list(gen.CUSTOMER_COLUMNS)
    assert len(transactions) == small.transactions == SMALL.transactions
    assert len(customers) == small.customers == SMALL.customers
    assert customers["customer_id"].is_unique
    assert small.dirty_rows == round(SMALL.dirty_share * SMALL.transactions)


def test_every_reject_reason_occurs_as_reported(
    small: gen.GeneratedFiles, classified: pd.DataFrame
) -> None:
    found = classified.loc[classified["reason"] != "", "reason"].value_counts()
    assert set(found.index) == set(gen.REJECT_REASONS)
    assert found.to_dict() == dict(small.reject_counts)


def test_whitespace_padded_values_stay_clean(
    small: gen.GeneratedFiles, classified: pd.DataFrame
) -> None:
    text = _read_csv(small.transactions_path)
    for column in ("transaction_id", "customer_id", "amount"):
        padded = text[column] != text[column].str.strip()
        assert (padded & (classified["reason"] == "")).any(), column


def test_revenue_is_concentrated(clean: pd.DataFrame) -> None:
    buyers = clean.loc[clean["amount"] > 0, "customer_id"].unique()
    revenue = clean.groupby("customer_id")["amount"].sum().loc[buyers]
    assert _top_share(revenue, 0.20) > 0.5
    assert _top_share(revenue, 0.01) > 0.05


def test_about_half_buy_once(clean: pd.DataFrame) -> None:
    purchases = clean[clean["amount"] > 0].groupby("customer_id").size()
    assert 0.35 <= (purchases == 1).mean() <= 0.65


def test_dates_stay_in_the_period(classified: pd.DataFrame, clean: pd.DataFrame) -> None:
    implausible = ("transaction_date_too_early", "transaction_date_in_future")
    dated = classified[classified["day"].notna()]
    dated = dated[~dated["reason"].isin(implausible)]
    assert dated["day"].min() >= SMALL.start_date
    assert dated["day"].max() <= SMALL.end_date
    stamped = clean["transaction_date"].str.len() == 19
    assert 0.02 < stamped.mean() < 0.10


def test_refunds_follow_a_purchase_of_the_customer(clean: pd.DataFrame) -> None:
    refunds = clean[clean["amount"] < 0]
    assert 0.01 < len(refunds) / len(clean) < 0.05
    purchases = clean[clean["amount"] > 0].groupby("customer_id")
    for refund in refunds.itertuples():
        earlier = purchases.get_group(refund.customer_id)
        earlier = earlier[earlier["day"] <= refund.day]
        assert (earlier["amount"] >= -refund.amount).any()
    assert (clean["amount"] == 0).any()


def test_costs_and_categories(clean: pd.DataFrame) -> None:
    priced = clean[(clean["amount"] >= 1) & clean["cost"].notna()]
    ratio = priced["cost"] / priced["amount"]
    assert ratio.between(0.545, 0.805).all()
    assert 0.01 < clean["cost"].isna().mean() < 0.06
    assert clean["quantity"].astype(int).between(1, 10).all()
    assert set(clean["channel"]) == set(gen.CHANNELS)
    assert set(clean["product_category"]) == set(gen.CATEGORIES)
    assert (clean["status"] == "completed").mean() > 0.9


def test_customers_file(small: gen.GeneratedFiles, clean: pd.DataFrame) -> None:
    customers = _read_csv(small.customers_path)
    business = customers["customer_type"] == "business"
    assert 0.05 < business.mean() < 0.15
    for column in ("industry", "company_size", "ownership"):
        assert (customers.loc[business, column] != "").all()
        assert (customers.loc[~business, column] == "").all()
    assert set(customers["ownership"]) == {"", *gen.OWNERSHIPS}
    assert set(customers["region"]) <= set(gen.REGIONS)
    assert customers["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.\w+").all()
    assert set(clean["customer_id"]) <= set(customers["customer_id"])
    signup = customers.set_index("customer_id")["signup_date"].map(date.fromisoformat)
    first = clean[clean["amount"] > 0].groupby("customer_id")["day"].min()
    assert (signup.loc[first.index] <= first).all()


def test_parquet_holds_the_same_rows(small: gen.GeneratedFiles, tmp_path: Path) -> None:
    parquet = gen.generate(tmp_path, replace(SMALL, file_format="parquet"))
    for csv_path, parquet_path in (
        (small.transactions_path, parquet.transactions_path),
        (small.customers_path, parquet.customers_path),
    ):
        from_csv = _read_csv(csv_path)
        from_parquet = pd.read_parquet(parquet_path)
        pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False)


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_chunking_does_not_change_the_output(
    file_format: gen.FileFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gen, "PARQUET_ROW_GROUP_ROWS", 3_000)
    outputs = {
        chunk: _file_bytes(
            gen.generate(
                tmp_path / str(chunk),
                replace(SMALL, file_format=file_format, chunk_customers=chunk),
            )
        )
        for chunk in (500, 700, 50_000)
    }
    assert outputs[500] == outputs[700] == outputs[50_000]


def test_cli_writes_files_and_prints_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--out", str(tmp_path), "--customers", "300", "--transactions", "2000"]
    assert gen.main([*argv, "--seed", "1", "--format", "parquet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert "2000 transactions" in lines[0] and "300 customers" in lines[0]
    assert len(pd.read_parquet(tmp_path / "transactions.parquet")) == 2_000
    assert len(pd.read_parquet(tmp_path / "customers.parquet")) == 300


@pytest.mark.parametrize(
    ("customers", "transactions"), [(1, 0), (1, 1), (5, 3), (10, 10), (3, 500)]
)
def test_edge_sizes_keep_exact_counts(customers: int, transactions: int, tmp_path: Path) -> None:
    params = replace(SMALL, customers=customers, transactions=transactions)
    result = gen.generate(tmp_path, params)
    assert len(_read_csv(result.transactions_path)) == transactions
    assert len(_read_csv(result.customers_path)) == customers


def test_invalid_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="years"):
        replace(SMALL, years=0)
    with pytest.raises(ValueError, match="2000-01-01"):
        replace(SMALL, end_date=date(2001, 6, 30), years=3)
