"""Every var, set to a non-default value, builds: full `dbt build` (unit and data tests included),
on inputs written the ways real exports write them.

Unit tests once read the user's vars, so `dbt build --vars '{as_of_date: ...}'` failed. Here each
case runs the whole build with its vars; the union of the cases covers every var the project
checks (a test keeps it so). The results are checked against the independent reference, and
every layout of the same transactions must publish exactly the marts of the plain ISO file.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import layouts
import pytest
from compare import clean_and_rejected, expected_tiers, mismatches

from conftest import FIXTURE_PARAMS
from customer_tiering.dbt_runner import PROJECT_DIR, DbtRun
from customer_tiering.generate import GeneratedFiles, generate
from customer_tiering.inputs import to_utf8
from engines import MARTS, DuckDBEngine, build, fetch_mart, not_passed, run_results

# The builds are one session fixture: xdist runs every test of this module in one worker.
pytestmark = pytest.mark.xdist_group("var_matrix")
SMALL = dataclasses.replace(FIXTURE_PARAMS, customers=300, transactions=3_000, seed=7)
AS_OF_AND_WINDOW = {"as_of_date": "2026-03-31", "rfm_window_days": 180}
LAYOUT_OPTIONS = {"as_of_date": date(2026, 3, 31), "window_days": 180}
# Every lifecycle and grade var away from its default (same names in the reference).
OTHER_STAGE_AND_GRADE_RULES: dict[str, Any] = {
    "lifecycle_new_days": 60,
    "lifecycle_churn_days": 300,
    "lifecycle_period_days": 90,
    "lifecycle_growth_ratio": 1.5,
    "lifecycle_decline_ratio": 0.5,
    "lifecycle_overdue_factor": 3,
    "grade_value_min_m_score": 4,
    "grade_loyalty_min_f_score": 3,
    "grade_loyalty_min_tenure_days": 180,
    "grade_loyalty_min_purchases": 3,
}
Writer = Callable[[Path, Path], Path]


def _rewritten(write: Callable[[list[layouts.Row], Path], Path], name: str) -> Writer:
    def writer(source: Path, folder: Path) -> Path:
        return write(layouts.read_rows(source), folder / name)

    return writer


def _gb18030_converted(source: Path, folder: Path) -> Path:
    exported = layouts.write_european_gb18030(layouts.read_rows(source), folder / "gb18030.csv")
    return to_utf8(exported, folder / "converted.csv", "gb18030")


@dataclass(frozen=True)
class Case:
    """One build: which input (clean or dirty generated data, rewritten or not) and which vars."""

    name: str
    dbt_vars: dict[str, Any]
    dirty: bool = False
    rewrite: Writer | None = None
    reference_options: dict[str, Any] = field(default_factory=dict)


CASES = (
    Case("iso", {**AS_OF_AND_WINDOW, "cluster_k_range": [3, 5]}, reference_options=LAYOUT_OPTIONS),
    Case(
        "gb18030-semicolon-decimal-comma",
        {
            **AS_OF_AND_WINDOW,
            "csv_delimiter": ";",
            "csv_encoding": "utf-8",
            "decimal_separator": ",",
            "thousands_separator": ".",
            "date_formats": ["DD/MM/YYYY"],
            "earliest_valid_date": "1990-01-01",
        },
        rewrite=_gb18030_converted,
    ),
    Case(
        "no-transaction-id-bom-yyyymmdd",
        {**AS_OF_AND_WINDOW, "date_formats": ["YYYY-MM-DD", "YYYYMMDD"]},
        rewrite=_rewritten(layouts.write_without_ids_bom, "no_ids.csv"),
    ),
    Case(
        "order-lines",
        {**AS_OF_AND_WINDOW, "transaction_grain": "line"},
        rewrite=_rewritten(layouts.write_order_lines, "lines.csv"),
    ),
    Case(
        "all-history-profit-other-cuts",
        {
            "rfm_window_days": None,
            "earliest_valid_date": None,
            "pyramid_basis": "profit",
            "pyramid_cut_points": [0.02, 0.1, 0.3],
            "pareto_cut_points": [0.7, 0.9],
            "reject_share_warn": 0.01,
            "reject_share_error": 0.9,
            "lapsed_share_warn": 0.01,
            "verify_every_row": True,
            "timezone": "Asia/Shanghai",
            "freshness_warn_days": 3,
            "freshness_error_days": 30,
            "segment_min_customers": 10,
            "segment_min_difference": 0.2,
            "tier_within": [],
            "history_grain": "quarter",
            "history_periods": 4,
            "backtest_horizon_periods": 1,
            "btyd_time_unit_days": 1,
            "clv_retention_rate": 0.7,
            "clv_expected_lifetime_years": 4,
            "clv_discount_rate": 0.05,
            "clv_band_cut_points": [0.1, 0.4],
            "clv_horizon_days": 30,
            "clv_prediction_months": 6,
            "cluster_k": 4,
            "cluster_seed": 1,
            "cluster_sample_customers": 200,
            **OTHER_STAGE_AND_GRADE_RULES,
        },
        dirty=True,
        reference_options={
            "tier_within": (),
            "window_days": None,
            "pyramid_basis": "profit",
            "pyramid_cuts": (0.02, 0.1, 0.3),
            "pareto_cuts": (0.7, 0.9),
            **OTHER_STAGE_AND_GRADE_RULES,
        },
    ),
)


@dataclass(frozen=True)
class Built:
    case: Case
    engine: DuckDBEngine
    run: DbtRun
    source: Path


def _build_case(case: Case, inputs: dict[bool, GeneratedFiles], folder: Path) -> Built:
    folder.mkdir(parents=True)
    source = inputs[case.dirty].transactions_path
    transactions = case.rewrite(source, folder) if case.rewrite else source
    engine = DuckDBEngine(folder, transactions, None)
    return Built(case, engine, build(engine, check=False, **case.dbt_vars), source)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """Every case built, two at a time (each dbt process is mostly single-threaded Python)."""
    folder = tmp_path_factory.mktemp("var-matrix")
    inputs = {
        dirty: generate(folder / f"input-{dirty}", dataclasses.replace(SMALL, dirty_share=share))
        for dirty, share in ((False, 0.0), (True, 0.03))
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda case: _build_case(case, inputs, folder / case.name), CASES)
        return {result.case.name: result for result in results}


def _checked_vars() -> set[str]:
    text = (PROJECT_DIR / "macros" / "setting.sql").read_text(encoding="utf-8")
    body = re.search(r"macro checked_vars\(\).*?\[(.*?)\]", text, re.DOTALL)
    assert body is not None
    return set(re.findall(r"'(\w+)'", body.group(1)))


def test_the_cases_set_every_checked_var() -> None:
    covered = set().union(*(case.dbt_vars for case in CASES))
    assert _checked_vars() - covered == set()


@pytest.mark.parametrize("case", [case.name for case in CASES])
def test_build_passes_every_unit_and_data_test(built: dict[str, Built], case: str) -> None:
    result = built[case]
    assert result.run.ok, result.run.output[-3000:]
    results = run_results(result.engine)
    assert sum(row["unique_id"].startswith("unit_test.") for row in results) >= 20
    assert not_passed(results) == {}


def test_rejects_above_the_warn_share_warn_without_failing(built: dict[str, Built]) -> None:
    """3 % of the dirty input is rejected: above reject_share_warn 0.01, below the error share."""
    statuses = {
        row["unique_id"].split(".")[2]: row["status"]
        for row in run_results(built["all-history-profit-other-cuts"].engine)
    }
    assert statuses["reject_share_is_at_most_reject_share_warn"] == "warn"
    assert statuses["reject_share_is_at_most_reject_share_error"] == "pass"


@pytest.mark.parametrize(
    "case", [case.name for case in CASES if case.reference_options], ids=lambda name: name
)
def test_customer_tiers_match_the_reference(built: dict[str, Built], case: str) -> None:
    result = built[case]
    earliest = result.case.dbt_vars.get("earliest_valid_date", "1900-01-01")
    clean, _ = clean_and_rejected(result.source, date.fromisoformat(earliest) if earliest else None)
    expected = expected_tiers(clean, **result.case.reference_options)
    problems = mismatches(fetch_mart(result.engine, "customer_tiers"), expected)
    assert not problems, f"{len(problems)} differences, e.g. {problems[:10]}"


@pytest.mark.parametrize("case", [case.name for case in CASES if case.rewrite])
def test_the_same_transactions_in_another_layout_publish_the_same_marts(
    built: dict[str, Built], case: str
) -> None:
    for mart in MARTS:
        assert fetch_mart(built[case].engine, mart) == fetch_mart(built["iso"].engine, mart), mart
