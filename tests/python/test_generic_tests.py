"""The project's own generic tests fail when they should: a fixture with known bad rows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from customer_tiering.dbt_runner import PROJECT_DIR
from customer_tiering.generate import GeneratedFiles
from engines import DuckDBEngine, build, run_results

FIXTURE_SEED = "value\n-1\n0\n1\n5\n6\n"
# Keys (file_name, line_number): (a, 2) twice and (b, 1) three times.
KEYS_SEED = "file_name,line_number\na,1\na,2\na,2\nb,1\nb,1\nb,1\nc,1\n"
# 100 rows counted by reason, 10 rejected: a share of 0.10 by count, of 2 in 3 by row.
REJECT_COUNTS_SEED = "reject_reason,row_count\n,90\nmissing_amount,6\ncancelled,4\n"
# Stages and recencies: one false row, one null row (recency unknown), two true rows.
EXPRESSION_SEED = "stage,recency\nchurned,400\nchurned,10\nchurned,\nnew,3\n"
FIXTURE_TESTS = """version: 2

seeds:
  - name: accepted_range_fixture
    description: Values around the range 0-5, to prove accepted_range fails on the right rows.
    columns:
      - name: value
        description: A value.
        data_tests:
          - accepted_range:
              name: inclusive_range
              arguments:
                min_value: 0
                max_value: 5
          - accepted_range:
              name: exclusive_range
              arguments:
                min_value: 0
                max_value: 5
                inclusive: false
          - accepted_range:
              name: lower_bound_only
              arguments:
                min_value: 1

  - name: unique_combination_fixture
    description: Keys repeated twice and three times, to prove unique_combination_of_columns fails.
    data_tests:
      - unique_combination_of_columns:
          name: repeated_keys_by_hashing
          arguments:
            combination_of_columns: [file_name, line_number]
      - unique_combination_of_columns:
          name: repeated_keys_by_sorting
          arguments:
            combination_of_columns: [file_name, line_number]
            by_sorting: true
      - unique_combination_of_columns:
          name: repeated_keys_by_sorting_in_buckets
          arguments:
            combination_of_columns: [file_name, line_number]
            by_sorting: true
            sort_buckets: 2
    columns:
      - name: file_name
        description: A file name.
      - name: line_number
        description: A line number.

  - name: reject_share_fixture
    description: Rows counted by reject reason, to prove reject_share weighs rows by their count.
    columns:
      - name: reject_reason
        description: A reject reason, null for the clean rows.
        data_tests:
          - reject_share:
              name: counted_share_within
              arguments:
                max_share: 0.2
                row_count_column: row_count
          - reject_share:
              name: counted_share_over
              arguments:
                max_share: 0.05
                row_count_column: row_count
          - reject_share:
              name: row_share_over
              arguments:
                max_share: 0.5
      - name: row_count
        description: The rows of the reason.

  - name: expression_fixture
    description: Stages and recencies, to prove expression_is_true fails on false and null rows.
    data_tests:
      - expression_is_true:
          name: churned_are_old
          arguments:
            expression: "stage <> 'churned' or recency >= 365"
      - expression_is_true:
          name: churned_are_old_where_known
          arguments:
            expression: "stage <> 'churned' or recency >= 365"
          config:
            where: recency is not null
    columns:
      - name: stage
        description: A lifecycle stage.
      - name: recency
        description: Days since the last purchase, empty when unknown.
"""


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed project files, copied, with the fixture seed and its tests added."""
    target = tmp_path_factory.mktemp("project")
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_DIR / name, target / name)
    (target / "seeds" / "accepted_range_fixture.csv").write_text(FIXTURE_SEED, encoding="utf-8")
    (target / "seeds" / "unique_combination_fixture.csv").write_text(KEYS_SEED, encoding="utf-8")
    (target / "seeds" / "reject_share_fixture.csv").write_text(REJECT_COUNTS_SEED, encoding="utf-8")
    (target / "seeds" / "expression_fixture.csv").write_text(EXPRESSION_SEED, encoding="utf-8")
    (target / "seeds" / "_fixture.yml").write_text(FIXTURE_TESTS, encoding="utf-8")
    return target


def test_generic_tests_return_exactly_the_bad_rows(
    project_copy: Path, fixture_files: GeneratedFiles, tmp_path: Path
) -> None:
    engine = DuckDBEngine(tmp_path, fixture_files.transactions_path, None)
    run = build(
        engine,
        "build",
        "--select",
        "accepted_range_fixture",
        "unique_combination_fixture",
        "reject_share_fixture",
        "expression_fixture",
        project_dir=project_copy,
        check=False,
    )
    assert not run.ok
    failures = {
        result["unique_id"].split(".")[2]: result["failures"]
        for result in run_results(engine)
        if result["unique_id"].startswith("test.")
    }
    assert failures == {
        "inclusive_range": 2,
        "exclusive_range": 4,
        "lower_bound_only": 2,
        # One failing row per repeated key; by sorting, one per repeat after the first.
        "repeated_keys_by_hashing": 2,
        "repeated_keys_by_sorting": 3,
        "repeated_keys_by_sorting_in_buckets": 3,
        # One failing row per reject reason when the share is over.
        "counted_share_within": 0,
        "counted_share_over": 2,
        "row_share_over": 2,
        # The false row, and the null one unless the where config leaves it out.
        "churned_are_old": 2,
        "churned_are_old_where_known": 1,
    }
