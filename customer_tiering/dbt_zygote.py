"""A process that has imported dbt and forks one child per dbt command (``dbt_runner``).

Every Python process spends some 2 s importing dbt before it reads its command line. This one
imports it once, then reads one request per line on stdin (JSON: the command's arguments,
environment, working directory and output file), forks a child that runs the `dbt` executable's
entry point exactly as the executable would, waits for it, and writes its exit code on stdout.
The child is a fresh process for every command, as with the executable: nothing one command does
is seen by the next. It exits when stdin closes.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import Any

from dbt.cli.main import cli

# Imported once, for every child, with dbt's command line above.
ADAPTERS = ("dbt.adapters.duckdb", "dbt.adapters.postgres")


def _run_child(request: dict[str, Any]) -> int:
    """In the forked child: run dbt with the request's arguments; return its exit code."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    output = os.open(request["output"], os.O_WRONLY | os.O_APPEND)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    try:
        cli.main(args=request["args"], prog_name="dbt")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # reported in the output, as the executable would
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def serve() -> None:
    """Answer each request line with the exit code of its dbt command."""
    for adapter in ADAPTERS:
        importlib.import_module(adapter)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            # A normal exit, not os._exit: dbt's exit handlers and finalizers run, as they do
            # when the executable ends.
            sys.exit(_run_child(request))
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
