"""Run dbt as a user does: one command at a time, in the project folder, failing loudly.

Each command runs in a process of its own: the `dbt` executable, or (``preloaded``) a child
forked by a process that has imported dbt once (``dbt_zygote``), which runs the same entry point
with the same arguments, exit code and output, without the 2 s every new Python process spends
importing dbt. The test suite runs some 80 commands preloaded; the benchmark times the
executable, as a user runs it.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
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


class _Zygotes:
    """Idle dbt_zygote processes, one started per command running at the same time."""

    def __init__(self) -> None:
        self._idle: list[subprocess.Popen[str]] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def run(self, args: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
        with self._lock:
            zygote = self._idle.pop() if self._idle else self._start()
        assert zygote.stdin is not None and zygote.stdout is not None
        with tempfile.NamedTemporaryFile("r", encoding="utf-8", suffix=".log") as output:
            request = {"args": list(args), "env": env, "cwd": str(cwd), "output": output.name}
            zygote.stdin.write(json.dumps(request) + "\n")
            zygote.stdin.flush()
            reply = zygote.stdout.readline()
            if not reply:
                raise DbtError(f"the dbt zygote ended (exit {zygote.wait()}) running dbt {args}")
            with self._lock:
                self._idle.append(zygote)
            return json.loads(reply)["returncode"], output.read()

    @staticmethod
    def _start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "customer_tiering.dbt_zygote"],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def close(self) -> None:
        with self._lock:
            for zygote in self._idle:
                assert zygote.stdin is not None
                zygote.stdin.close()
                zygote.wait()
            self._idle.clear()


_ZYGOTES = _Zygotes()


def _run_executable(
    args: Sequence[str], env: dict[str, str], cwd: Path, executable: str | None = None
) -> tuple[int, str]:
    completed = subprocess.run(
        [executable or dbt_executable(), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


def run_dbt(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
    check: bool = True,
    preloaded: bool = False,
    executable: str | None = None,
) -> DbtRun:
    """Run `dbt <args>` in `project_dir` with the committed profiles.yml.

    `env` is added to this process's environment. With `check`, a non-zero exit raises
    DbtError carrying the last lines of the output. With `preloaded`, the command runs in a
    child of a process that has imported dbt (see the module). `executable` runs another
    environment's dbt (the Spark stage's), never preloaded.
    """
    full_env = {**os.environ, "DBT_PROFILES_DIR": str(project_dir), **(env or {})}
    if executable is not None:
        returncode, output = _run_executable(args, full_env, project_dir, executable)
    else:
        launch = _ZYGOTES.run if preloaded else _run_executable
        returncode, output = launch(args, full_env, project_dir)
    run = DbtRun(tuple(args), returncode, output)
    if check and not run.ok:
        tail = "\n".join(run.output.splitlines()[-40:])
        raise DbtError(f"dbt {' '.join(args)} failed ({run.returncode}):\n{tail}")
    return run
