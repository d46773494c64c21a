"""`dbt build` on the dirty fixture data passes every data test and unit test, on each engine."""

from __future__ import annotations

from collections import Counter

import pytest

from engines import Engine, run_results

ENGINES = ["duckdb_engine", "postgres_engine"]


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
    assert kinds["unit_test"] >= 14
    assert kinds["test"] >= 60
    assert set(statuses) <= {"success", "pass"}, statuses


@pytest.mark.parametrize("engine_fixture", ENGINES)
def test_marts_are_not_empty(engine_fixture: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(engine_fixture)
    counts = engine.fetch(
        "select (select count(*) from marts.customer_tiers) as customers,"
        " (select count(*) from marts.tier_strategies) as strategies,"
        " (select count(*) from marts.pyramid_summary) as tiers"
    )[0]
    assert counts["customers"] > 2_000
    assert counts["strategies"] == 10
    assert counts["tiers"] == 4
