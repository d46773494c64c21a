"""`dbt build` on the dirty fixture data passes every data test and unit test, on each engine."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import ON_POSTGRES
from engines import Engine, build, not_passed, run_results

ENGINES = ["duckdb_engine", pytest.param("postgres_engine", marks=ON_POSTGRES)]


@pytest.mark.parametrize("engine_fixture", ENGINES)
def test_build_ran_every_kind_of_node_and_all_passed(
    engine_fixture: str, request: pytest.FixtureRequest
) -> None:
    engine: Engine = request.getfixturevalue(engine_fixture)
    results = run_results(engine)
    kinds = Counter(result["unique_id"].split(".")[0] for result in results)
    statuses = Counter(result["status"] for result in results)
    assert kinds["model"] >= 9
    assert kinds["seed"] == 3
    assert kinds["unit_test"] >= 20
    assert kinds["test"] >= 60
    assert not_passed(results) == {}, statuses
    assert kinds["exposure"] == 5 if engine.name == "duckdb" else 3
    warned = {r["unique_id"].split(".")[2] for r in results if r["status"] == "warn"}
    # Over 40 % of the fixture's customers bought nothing in the last 365 days, and
    assert warned == {
        "assert_most_customers_bought_within_rfm_window_days",
        "reject_share_is_at_most_reject_share_warn",  # 3 % of the fixture rows are dirty
        # Pyramid tier A holds 30 customers, under segment_min_customers (50).
        "segment_evaluation_segments_are_large_and_distinct",
        # The generator's duplicates carry other amounts and days than the copies they repeat.
        "assert_duplicate_transaction_ids_agree",
        # The collation probe rows' customers are not in the customer file.
        "assert_every_buyer_is_in_the_customer_file",
    }


@pytest.mark.parametrize("engine_fixture", ENGINES)
def test_marts_are_not_empty(engine_fixture: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(engine_fixture)
    counts = engine.fetch(
        "select (select count(*) from marts.customer_tiers) as customers,"
        " (select count(*) from marts.tier_strategies) as strategies,"
        " (select count(*) from marts.pyramid_summary) as tiers"
    )[0]
    assert counts["customers"] > 2_000
    # Four pyramid tiers, six RFM segments, six lifecycle stages, six grades, three B2B segments,
    # three CLV bands, and on DuckDB one row per K-means cluster.
    clusters = (
        engine.fetch("select count(*) as n from marts.cluster_profiles")[0]["n"]
        if engine_fixture == "duckdb_engine"
        else 0
    )
    assert counts["strategies"] == 28 + clusters
    # The pyramid's four tiers and the row of the customers without a purchase.
    assert counts["tiers"] == 5


MART_COLUMN_COMMENTS = {
    "duckdb_engine": "select column_name, comment from duckdb_columns()"
    " where schema_name = 'marts' and table_name = 'customer_tiers'",
    "postgres_engine": "select attname as column_name, col_description(attrelid, attnum) as comment"
    " from pg_attribute where attrelid = 'marts.customer_tiers'::regclass and attnum > 0",
}


@pytest.mark.parametrize("engine_fixture", ENGINES)
def test_column_docs_reach_the_warehouse(
    engine_fixture: str, request: pytest.FixtureRequest
) -> None:
    engine: Engine = request.getfixturevalue(engine_fixture)
    comments = engine.fetch(MART_COLUMN_COMMENTS[engine_fixture])
    assert len(comments) == 42
    assert [row["column_name"] for row in comments if not row["comment"]] == []


def test_logs_carry_no_colour_codes(duckdb_engine: Engine) -> None:
    log_file = duckdb_engine.work_dir / "logs" / "dbt.log"
    assert "\x1b[" not in log_file.read_text(encoding="utf-8")
    run = build(duckdb_engine, "ls", "--select", "customer_tiers")
    assert "customer_tiers" in run.output
    assert "\x1b[" not in run.output
