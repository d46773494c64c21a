"""Run dbt as a user does: one command at a time, in the project folder, failing loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


class DbtError(RuntimeError):
    """A dbt command exited non-zero; the message ends with the tail of its output."""


@dataclass(frozen=True)
class DbtRun:
    """What one dbt command did."""

    args: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dbt_executable() -> str:
    """The dbt next to the running Python (the project's virtual environment)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
    check: bool = True,
) -> DbtRun:
    """Run `dbt <args>` in `project_dir` with the committed profiles.yml.

    `env` is added to this process's environment. With `check`, a non-zero exit raises
    DbtError carrying the last lines of the output.
    """
    full_env = {**os.environ, "DBT_PROFILES_DIR": str(project_dir), **(env or {})}
    completed = subprocess.run(
        [dbt_executable(), *args],
        cwd=project_dir,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    run = DbtRun(tuple(args), completed.returncode, completed.stdout + completed.stderr)
    if check and not run.ok:
        tail = "\n".join(run.output.splitlines()[-40:])
        raise DbtError(f"dbt {' '.join(args)} failed ({run.returncode}):\n{tail}")
    return run
