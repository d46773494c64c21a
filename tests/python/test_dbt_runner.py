"""The preloaded way of running dbt (a child of dbt_zygote) behaves as the `dbt` executable: the
same exit code and output for a command that fails, and commands started at once from threads."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from customer_tiering.dbt_runner import DbtRun, run_dbt

BAD_VAR = ["ls", "--vars", '{"as_of_date": "2026-13-01"}']


def _without_times(run: DbtRun) -> list[str]:
    """The output's lines without dbt's clock times and durations."""
    return [
        re.sub(r"\d{2}:\d{2}:\d{2}(\.\d+)?|[0-9.]+ ?s(econds)?\b", "", line)
        for line in run.output.splitlines()
    ]


def test_a_failing_command_exits_and_reports_as_the_executable_does(tmp_path: Path) -> None:
    target = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    executable = run_dbt([*BAD_VAR, *target], check=False)
    preloaded = run_dbt([*BAD_VAR, *target], check=False, preloaded=True)
    assert executable.returncode != 0
    assert "as_of_date" in executable.output
    assert preloaded.returncode == executable.returncode
    assert _without_times(preloaded) == _without_times(executable)


def test_commands_run_at_once_from_threads_as_the_var_matrix_runs_them(tmp_path: Path) -> None:
    def list_models(name: str) -> DbtRun:
        folder = tmp_path / name
        return run_dbt(
            [
                "ls",
                "--resource-type",
                "model",
                "--target-path",
                str(folder / "target"),
                "--log-path",
                str(folder / "logs"),
            ],
            preloaded=True,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(list_models, ["first", "second"]))
    assert all(run.ok for run in runs)
    assert _without_times(runs[0]) == _without_times(runs[1])
    assert "tiering.marts.customer_tiers" in runs[0].output
