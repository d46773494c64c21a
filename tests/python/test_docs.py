"""`dbt docs generate` works and the catalog documents every mart column."""

from __future__ import annotations

import json

from engines import FITTED_MARTS, MARTS, DuckDBEngine, build


def test_docs_generate_catalogs_every_mart_column(duckdb_copy: DuckDBEngine) -> None:
    build(duckdb_copy, "docs", "generate")
    target = duckdb_copy.work_dir / "target"
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    for mart in (*MARTS, *FITTED_MARTS):
        unique_id = f"model.tiering.{mart}"
        built_columns = {name.lower() for name in catalog["nodes"][unique_id]["columns"]}
        documented = manifest["nodes"][unique_id]["columns"]
        assert built_columns == set(documented), mart
        assert all(column["description"] for column in documented.values()), mart


def test_exposures_are_documented_and_select_what_they_need(duckdb_copy: DuckDBEngine) -> None:
    build(duckdb_copy, "docs", "generate")
    manifest = json.loads((duckdb_copy.work_dir / "target" / "manifest.json").read_text("utf-8"))
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    assert set(exposures) == {
        "build_summary",
        "churn_risk_call_list",
        "tier_dashboard",
        "report",
        "activation_lists",
    }
    assert all(node["description"] and node["depends_on"]["nodes"] for node in exposures.values())
    summary = _models_selected(duckdb_copy, "+exposure:build_summary")
    needed = {"pyramid_summary", "segment_evaluation", "customer_tiers", "stg_transactions"}
    assert needed <= summary
    # Only what the summary needs: not the history, nor the other marts.
    assert not summary & {"customer_tier_history", "tier_kpis", "tier_strategies", "customer_value"}
    lists = _models_selected(duckdb_copy, "+exposure:activation_lists")
    assert {"customer_tiers", "tier_strategies", "customer_value_predictions"} <= lists
    assert not lists & {"customer_tier_history", "tier_kpis", "cluster_profiles"}


def _models_selected(engine: DuckDBEngine, selector: str) -> set[str]:
    """The names of the models that `dbt ls --select selector` lists."""
    run = build(engine, "ls", "--select", selector, "--resource-type", "model", "--output", "name")
    return set(run.output.split())
