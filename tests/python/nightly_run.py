"""Runs of `python -m customer_tiering.nightly` (what `make nightly` runs), for the tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from customer_tiering.dbt_runner import PROJECT_DIR
from customer_tiering.postgres import HASH_KEY_VARIABLE
from engines import DUCKDB_MARTS, HISTORY_MARTS, MARTS, TEST_HASH_KEY, TEST_TIER_WITHIN

PUBLISHED = 0
NOT_PUBLISHED = 1
LOCKED = 3
# The fixture's transactions end on 2026-06-30: stale on any later day, so runs that are not
# about freshness allow it.
ALLOW_STALE = ("--allow-stale",)
# Runs that leave out the history (faster): they publish the core marts only.
LIGHT = ("--exclude", "resource_type:unit_test", "tag:history")
CORE_MARTS = tuple(mart for mart in DUCKDB_MARTS if mart not in HISTORY_MARTS)
# The same on PostgreSQL, which builds no dbt Python model (no fitted value marts).
POSTGRES_CORE_MARTS = tuple(mart for mart in MARTS if mart not in HISTORY_MARTS)


@dataclass
class Nightly:
    """A build file, a serving file and their run log in one folder."""

    folder: Path
    inputs: dict[str, str]
    # dbt build arguments besides these inputs and vars (the unit tests run elsewhere).
    build_args: tuple[str, ...] = ("--exclude", "resource_type:unit_test")
    # PostgreSQL: the profile's environment (TIERING_PG_*); None = DuckDB files in `folder`.
    postgres_env: dict[str, str] | None = None

    @property
    def build(self) -> Path:
        return self.folder / "build.duckdb"

    @property
    def serving(self) -> Path:
        return self.folder / "serving" / "tiering.duckdb"

    @property
    def run_log(self) -> Path:
        if self.postgres_env is not None:
            return self.folder / "serving.runs.jsonl"
        return self.folder / "serving" / "tiering.runs.jsonl"

    def serving_args(self) -> tuple[str, ...]:
        if self.postgres_env is not None:
            return ("--serving-schema", "serving", "--run-log", str(self.run_log))
        return ("--serving", str(self.serving))

    def command(self, *options: str, **dbt_vars: Any) -> list[str]:
        all_vars = {
            "tier_within": list(TEST_TIER_WITHIN),
            **self.inputs,
            **dbt_vars,
        }
        return [
            sys.executable,
            "-m",
            "customer_tiering.nightly",
            "--vars",
            json.dumps(all_vars),
            *self.serving_args(),
            "--target-path",
            str(self.folder / "target"),
            *options,
            "--",
            *self.build_args,
            "--log-path",
            str(self.folder / "logs"),
        ]

    def env(self, **extra: str) -> dict[str, str]:
        engine = (
            {"TIERING_TARGET": "duckdb", "TIERING_DUCKDB_PATH": str(self.build)}
            if self.postgres_env is None
            else {"TIERING_TARGET": "postgres", **self.postgres_env}
        )
        return {
            **os.environ,
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            HASH_KEY_VARIABLE: TEST_HASH_KEY,
            **engine,
            **extra,
        }

    def run(
        self, *options: str, env: dict[str, str] | None = None, **dbt_vars: Any
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*options, **dbt_vars),
            cwd=PROJECT_DIR,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            check=False,
        )

    def start(
        self, *options: str, env: dict[str, str] | None = None, **dbt_vars: Any
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*options, **dbt_vars),
            cwd=PROJECT_DIR,
            env=self.env(**(env or {})),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.run_log.read_text(encoding="utf-8").splitlines()]

    def copy_to(self, folder: Path, build_args: tuple[str, ...] | None = None) -> Nightly:
        shutil.copytree(self.folder, folder, dirs_exist_ok=True, ignore=_ignored)
        return Nightly(
            folder,
            self.inputs,
            self.build_args if build_args is None else build_args,
            self.postgres_env,
        )


def _ignored(_folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name in ("target", "logs") or name.startswith(".")]


def _ignored(_folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name in ("target", "logs") or name.startswith(".")]


def last_line(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout.strip().splitlines()[-1]
