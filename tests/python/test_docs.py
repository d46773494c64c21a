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
