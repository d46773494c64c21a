"""The semantic layer (MetricFlow, README "Metrics: the semantic layer") on the DuckDB build of the
fixture data: `mf validate-configs` passes against the warehouse, and every number `mf query`
returns equals the marts queried directly (customer_tiers, pyramid_summary, segment_evaluation,
tier_kpis, customer_flows)."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from customer_tiering.dbt_runner import PROJECT_DIR
from engines import DuckDBEngine, Row

# The schemes of customer_tiers (and customer_value's CLV band), as segment_evaluation names them,
# with the dimension of the semantic layer that holds each.
SCHEME_DIMENSIONS = {
    "pyramid_tier": "customer__pyramid_tier",
    "rfm_segment": "customer__rfm_segment",
    "lifecycle_stage": "customer__lifecycle_stage",
    "value_loyalty_grade": "customer__value_loyalty_grade",
    "b2b_segment": "customer__b2b_segment",
    "clv_band": "customer__clv_band",
}
PERIOD = "metric_time__day"


def _mf_executable() -> str | None:
    candidate = Path(sys.executable).with_name("mf")
    return str(candidate) if candidate.exists() else shutil.which("mf")


@dataclass(frozen=True)
class MetricFlow:
    """`mf` on a private copy of a built DuckDB file, in a folder holding the project file and the
    semantic manifest of the build (mf reads PROJECT/target/semantic_manifest.json)."""

    executable: str
    project_dir: Path
    env: dict[str, str]

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [self.executable, *args],
            cwd=self.project_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"mf {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def query(self, metrics: Iterable[str], group_by: Iterable[str]) -> list[dict[str, str]]:
        """The rows of `mf query` (CSV text: '' for null)."""
        out = self.project_dir / "query.csv"
        self.run(
            "query",
            "--metrics",
            ",".join(metrics),
            "--group-by",
            ",".join(group_by),
            "--csv",
            str(out),
        )
        with out.open(encoding="utf-8", newline="") as infile:
            return list(csv.DictReader(infile))


@pytest.fixture(scope="module")
def metricflow(duckdb_engine: DuckDBEngine, tmp_path_factory: pytest.TempPathFactory) -> MetricFlow:
    executable = _mf_executable()
    if executable is None:
        message = "mf (dbt-metricflow, requirements.txt) is not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("metricflow")
    (folder / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    (folder / "target").mkdir()
    shutil.copy(
        duckdb_engine.work_dir / "target" / "semantic_manifest.json",
        folder / "target" / "semantic_manifest.json",
    )
    database = folder / "tiering.duckdb"
    shutil.copy(duckdb_engine.database, database)
    env = {
        **os.environ,
        **duckdb_engine.env(),
        "TIERING_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(folder),
    }
    return MetricFlow(executable, folder, env)


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def _close(got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-6)


def _assert_rows_agree(got: dict[Any, Row], want: dict[Any, Row], what: str) -> None:
    assert want, f"nothing to compare: {what}"
    assert set(got) == set(want), what
    for key, row in want.items():
        for name, value in row.items():
            assert _close(got[key][name], value), (what, key, name, got[key][name], value)


def _key(text: str) -> str | None:
    return text or None


def test_the_configs_validate_against_the_warehouse(metricflow: MetricFlow) -> None:
    output = metricflow.run("validate-configs")
    assert "Successfully validated semantic models against data warehouse" in output
    assert "Successfully validated metrics against data warehouse" in output
    assert "ERRORS: 0" in output and "Breaking issues" not in output


def test_figures_by_pyramid_tier_equal_the_marts(
    metricflow: MetricFlow, duckdb_engine: DuckDBEngine
) -> None:
    rows = metricflow.query(
        ["customers", "buyers", "revenue", "revenue_share", "average_monetary"],
        ["customer__pyramid_tier"],
    )
    got = {
        _key(row["customer__pyramid_tier"]): {
            name: _number(row[name])
            for name in ("customers", "buyers", "revenue", "revenue_share", "average_monetary")
        }
        for row in rows
    }
    # pyramid_summary's none row holds the customers with a monetary value outside the pyramid;
    # the semantic layer's null group holds them and the prospects (no monetary value).
    summary = {
        row["pyramid_tier"]: row
        for row in duckdb_engine.fetch("select * from marts.pyramid_summary")
        if row["customers"] > 0
    }
    total = sum(row["revenue"] for row in summary.values())
    tiers = duckdb_engine.fetch(
        """select pyramid_tier, count(*) as customers,
                  count(last_purchase_date) as buyers, sum(monetary) as revenue
           from marts.customer_tiers group by pyramid_tier"""
    )
    want = {}
    for row in tiers:
        tier = row["pyramid_tier"]
        figures = summary.get(tier or "none")
        want[tier] = {
            "customers": row["customers"],
            "buyers": row["buyers"],
            "revenue": figures["revenue"] if figures else None,
            "revenue_share": figures["revenue"] / total if figures else None,
            "average_monetary": figures["average_monetary"] if figures else None,
        }
        if tier is not None:
            assert figures["customers"] == row["customers"]
    _assert_rows_agree(got, want, "by pyramid tier")
    shares = [row["revenue_share"] for row in got.values() if row["revenue_share"] is not None]
    assert math.isclose(sum(shares), 1, rel_tol=1e-9)
    # Without customers outside the pyramid, the share is pyramid_summary's own.
    if "none" not in summary:
        for tier, row in summary.items():
            assert _close(got[tier]["revenue_share"], row["revenue_share"]), tier


def test_customers_and_revenue_by_every_scheme_equal_segment_evaluation(
    metricflow: MetricFlow, duckdb_engine: DuckDBEngine
) -> None:
    # One query at the finest grain (every scheme at once); customers and revenue add up.
    rows = metricflow.query(["customers", "revenue"], SCHEME_DIMENSIONS.values())
    evaluation = duckdb_engine.fetch(
        "select scheme, segment, customers, revenue from marts.segment_evaluation"
    )
    for scheme, dimension in SCHEME_DIMENSIONS.items():
        got: dict[str | None, Row] = defaultdict(lambda: {"customers": 0.0, "revenue": 0.0})
        for row in rows:
            figures = got[_key(row[dimension])]
            figures["customers"] += float(row["customers"])
            figures["revenue"] += _number(row["revenue"]) or 0.0
        want = {
            row["segment"]: {"customers": row["customers"], "revenue": row["revenue"]}
            for row in evaluation
            if row["scheme"] == scheme and row["customers"] > 0
        }
        _assert_rows_agree(dict(got), want, scheme)


def test_period_figures_by_tier_equal_tier_kpis(
    metricflow: MetricFlow, duckdb_engine: DuckDBEngine
) -> None:
    kpis = duckdb_engine.fetch("select * from marts.tier_kpis where scheme = 'pyramid_tier'")
    by_tier = metricflow.query(
        ["period_customers", "active_customers", "period_purchases", "period_revenue"],
        [PERIOD, "customer_period__pyramid_tier"],
    )
    got = {
        (row[PERIOD][:10], _key(row["customer_period__pyramid_tier"])): {
            "customers": _number(row["period_customers"]),
            "active_customers": _number(row["active_customers"]),
            "purchases": _number(row["period_purchases"]),
            "revenue": _number(row["period_revenue"]),
        }
        for row in by_tier
    }
    want = {
        (str(row["as_of_date"]), row["segment"]): {
            name: row[name] for name in ("customers", "active_customers", "purchases", "revenue")
        }
        for row in kpis
        if row["customers"] > 0
    }
    _assert_rows_agree(got, want, "period figures by tier")


def test_retention_and_churn_by_previous_tier_equal_tier_kpis(
    metricflow: MetricFlow, duckdb_engine: DuckDBEngine
) -> None:
    kpis = duckdb_engine.fetch("select * from marts.tier_kpis where scheme = 'pyramid_tier'")
    rows = metricflow.query(
        ["previously_active_customers", "retained_customers", "retention_rate", "churn_rate"],
        [PERIOD, "customer_period__previous_pyramid_tier"],
    )
    got = {
        (row[PERIOD][:10], _key(row["customer_period__previous_pyramid_tier"])): {
            name: _number(row[name])
            for name in (
                "previously_active_customers",
                "retained_customers",
                "retention_rate",
                "churn_rate",
            )
        }
        for row in rows
        # The customers not tiered (or not known) at the period end before, none of them active.
        if float(row["previously_active_customers"]) > 0
    }
    want = {
        (str(row["as_of_date"]), row["segment"]): {
            name: row[name]
            for name in (
                "previously_active_customers",
                "retained_customers",
                "retention_rate",
                "churn_rate",
            )
        }
        for row in kpis
        if row["previously_active_customers"] > 0
    }
    _assert_rows_agree(got, want, "retention by previous tier")


def test_the_leaky_bucket_equals_customer_flows(
    metricflow: MetricFlow, duckdb_engine: DuckDBEngine
) -> None:
    metrics = {
        "active_customers": "active_customers",
        "new_customers": "new_customers",
        "retained_customers": "retained_customers",
        "churned_customers": "lost_customers",
        "previously_active_customers": "previously_active_customers",
    }
    rows = metricflow.query(metrics, [PERIOD])
    got = {
        row[PERIOD][:10]: {column: _number(row[metric]) for metric, column in metrics.items()}
        for row in rows
    }
    flows = duckdb_engine.fetch("select * from marts.customer_flows")
    want = {
        str(row["as_of_date"]): {column: row[column] for column in metrics.values()}
        for row in flows
    }
    _assert_rows_agree(got, want, "leaky bucket")
