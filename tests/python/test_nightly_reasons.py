"""The one line a failed nightly run ends with, from dbt's output and run results."""

from __future__ import annotations

from customer_tiering.nightly import failure_reason, with_known_fix

COMPILATION_ERROR = """\
04:01:02  Finished running 1 project hook in 0 hours 0 minutes and 0.32 seconds (0.32s).
04:01:02  Encountered an error:
Compilation Error in operation tiering-on-run-start-0 (./dbt_project.yml)
  Invalid var as_of_date="2026-13-01": expected a date written YYYY-MM-DD, e.g. 2024-06-30.
  > in macro raise_var_error (macros/setting.sql)

04:01:03  Done.
"""


def test_failed_nodes_are_named_with_the_first_message() -> None:
    results = [
        {"unique_id": "model.tiering.customer_tiers", "status": "success"},
        {
            "unique_id": "test.tiering.reject_share_is_at_most_reject_share_error.30f4dee0a0",
            "status": "fail",
            "message": "Got 10 results,\n configured to fail if != 0",
        },
        {"unique_id": "unit_test.tiering.stg_customers.one_row_each", "status": "error"},
    ]
    assert failure_reason("", results) == (
        "2 nodes failed: reject_share_is_at_most_reject_share_error, one_row_each"
        " (Got 10 results, configured to fail if != 0)"
    )


def test_an_error_before_any_node_gives_its_message_without_the_macro_trace() -> None:
    assert failure_reason(COMPILATION_ERROR, []) == (
        'Invalid var as_of_date="2026-13-01": expected a date written YYYY-MM-DD, e.g. 2024-06-30.'
    )


def test_a_file_not_in_utf8_gets_the_fix() -> None:
    reason = "Invalid Input Error: ... This file is not utf-8 encoded."
    assert with_known_fix(reason) == (
        "Invalid Input Error: ... This file is not utf-8 encoded; for a GB18030 or GBK export run"
        " make nightly ... ENCODING=gb18030"
    )
    assert with_known_fix("anything else.") == "anything else."
