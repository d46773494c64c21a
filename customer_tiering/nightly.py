"""The nightly run: write, audit, publish.

1. Write: `dbt build` into the build database (loads the inputs, builds every model).
2. Audit: the same build runs every data and unit test; then `dbt source freshness` checks that
   the transactions are recent enough.
3. Publish: only when all of it passed, the marts are copied to the serving database in one
   atomic step (customer_tiering.publish).

Exit 0 = published. Otherwise one line says why, the serving database is untouched, and the exit
code is 1 (not published) or 3 (another nightly run holds the lock). Every run appends a record
(JSON, one line) to the run log next to the serving database.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

from customer_tiering.dbt_runner import PROJECT_DIR, dbt_executable
from customer_tiering.postgres import dsn_from_env, with_hash_key
from customer_tiering.progress import Progress
from customer_tiering.publish import (
    BUILD_MARTS_SCHEMA,
    DuckDBServing,
    LockedError,
    PostgresServing,
    PublishedRun,
    Serving,
)

DEFAULT_SERVING = PROJECT_DIR / "serving" / "tiering.duckdb"
EXIT_PUBLISHED = 0
EXIT_NOT_PUBLISHED = 1
EXIT_LOCKED = 3
# A node's result line in dbt's output: "12 of 240 OK created sql table model marts.x .... [OK]".
NODE_FINISHED = re.compile(
    r"\b\d+ of (?P<total>\d+) (?P<status>OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b"
    r"(?P<what>.*?)(?: \.{2,}|$)"
)
ERROR_TITLE = re.compile(r"(Compilation|Runtime|Database|Parsing|Dependency|Contract) Error\b")


class NotPublishedError(RuntimeError):
    """The run stopped before publishing; the message is the one-line reason."""


@dataclass
class RunRecord:
    """One line of the run log."""

    run_id: str
    started_at: str
    target: str
    serving: str
    outcome: str = "not_published"
    reason: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None
    as_of_date: str | None = None
    rows_read: int | None = None
    clean_rows: int | None = None
    rejected_rows: int | None = None
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    customers_per_tier: dict[str, int] = field(default_factory=dict)
    latest_transaction_at: str | None = None
    freshness: str | None = None
    published_tables: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    target: str
    dbt_vars: str
    dbt_args: tuple[str, ...]
    target_path: Path
    serving: Serving
    run_log: Path
    allow_stale: bool
    wait: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _log(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S}  nightly: {message}", flush=True)


def _subcommand(command: Sequence[str]) -> str:
    """The dbt subcommand without its options: 'build', 'source freshness'."""
    return " ".join(itertools.takewhile(str.isalpha, command))


def _dbt(options: Options, *command: str) -> tuple[int, str]:
    """Run a dbt command, passing its output through; returns its exit code and output."""
    args = [
        dbt_executable(),
        *command,
        "--vars",
        options.dbt_vars,
        "--target-path",
        str(options.target_path),
    ]
    lines: list[str] = []
    with (
        subprocess.Popen(
            args,
            cwd=PROJECT_DIR,
            env=with_hash_key({"DBT_PROFILES_DIR": str(PROJECT_DIR), **os.environ}),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
        Progress(f"nightly: dbt {_subcommand(command)}", 0) as progress,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            progress.write_above(line, sys.stdout)
            lines.append(line.rstrip("\n"))
            finished = NODE_FINISHED.search(line)
            if finished:
                progress.total = int(finished["total"])
                progress.advance(1, " ".join(finished["what"].split()[-2:]))
    return process.returncode, "\n".join(lines)


def failure_reason(output: str, results: Sequence[dict[str, Any]]) -> str:
    """One line saying why a dbt command failed: its failed nodes, or its error message."""
    failed = [
        result for result in results if result.get("status") in ("error", "fail", "runtime error")
    ]
    if failed:
        names = ", ".join(_node_name(str(result["unique_id"])) for result in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        first = " ".join(str(failed[0].get("message") or "").split())
        noun = "node" if len(failed) == 1 else "nodes"
        return f"{len(failed)} {noun} failed: {names}{more} ({first[:300]})"
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if ERROR_TITLE.search(line):
            detail = []
            for following in lines[index + 1 :]:
                if (
                    not following.strip()
                    or following.strip().startswith(">")
                    or re.match(r"^\d\d:\d\d:\d\d\s*$", following)
                ):
                    break
                detail.append(re.sub(r"^\d\d:\d\d:\d\d\s+", "", following).strip())
            return " ".join(detail)[:500] or line.strip()
    tail = [line.strip() for line in lines if line.strip()]
    return tail[-1][:500] if tail else "dbt failed without output"


def _node_name(unique_id: str) -> str:
    """A node's name: `test.tiering.<name>.<hash>`, `unit_test.tiering.<model>.<name>`."""
    parts = unique_id.split(".")
    return parts[-1] if parts[0] == "unit_test" else parts[2]


def _fresh_results(path: Path, started: float) -> list[dict[str, Any]]:
    """The results of the command that just ran (not a stale file of an earlier command)."""
    if not path.exists() or path.stat().st_mtime < started:
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("results", []))


def built_marts(results: Sequence[dict[str, Any]]) -> list[str]:
    """The tables of the marts schema that this build rebuilt."""
    found = []
    for result in results:
        relation = str(result.get("relation_name") or "").replace('"', "").replace("`", "")
        parts = relation.split(".")
        in_marts = len(parts) >= 2 and parts[-2] == BUILD_MARTS_SCHEMA
        if result.get("status") == "success" and in_marts:
            found.append(parts[-1])
    return sorted(found)


# Errors whose fix the reader's message does not name: the fix, appended to the reason.
KNOWN_FIXES = {
    "not utf-8 encoded": "for a GB18030 or GBK export run make nightly ... ENCODING=gb18030",
}


def with_known_fix(reason: str) -> str:
    """The reason, with the fix of KNOWN_FIXES whose symptom it shows."""
    fixes = [fix for symptom, fix in KNOWN_FIXES.items() if symptom in reason]
    return "; ".join([reason.rstrip("."), *fixes]) if fixes else reason


def build_and_test(options: Options) -> list[str]:
    """dbt build; returns the marts it built."""
    started = time.time()
    returncode, output = _dbt(options, "build", *options.dbt_args)
    results = _fresh_results(options.target_path / "run_results.json", started)
    if returncode != 0:
        raise NotPublishedError(
            "dbt build failed: " + with_known_fix(failure_reason(output, results))
        )
    marts = built_marts(results)
    if not marts:
        raise NotPublishedError("the build selected no mart (see its --select and --exclude)")
    return marts


def check_freshness(options: Options, record: RunRecord) -> None:
    started = time.time()
    returncode, output = _dbt(
        options, "source", "freshness", "--select", "source:tiering.raw_transactions"
    )
    results = _fresh_results(options.target_path / "sources.json", started)
    if not results:
        raise NotPublishedError("dbt source freshness failed: " + failure_reason(output, []))
    result = results[0]
    record.freshness = str(result.get("status"))
    record.latest_transaction_at = result.get("max_loaded_at")
    age_days = float(result.get("max_loaded_at_time_ago_in_s") or 0) / 86_400
    limit = (result.get("criteria") or {}).get("error_after") or {}
    if record.freshness == "error" and not options.allow_stale:
        raise NotPublishedError(
            f"stale data: the latest transaction is of {str(record.latest_transaction_at)[:10]}, "
            f"{age_days:.1f} days ago, more than freshness_error_days ({limit.get('count')}); "
            "fix the export, or publish it anyway with --allow-stale (make nightly ALLOW_STALE=1)"
        )
    if returncode != 0 and record.freshness not in ("error", "warn", "pass"):
        raise NotPublishedError("dbt source freshness failed: " + failure_reason(output, results))


def read_facts(serving: Serving, record: RunRecord) -> None:
    """What the build holds: as-of date, input reconciliation, customers per tier."""
    try:
        _read_facts(serving, record)
    except (duckdb.Error, psycopg2.Error) as error:
        _log(f"could not read the figures of the run record: {str(error).splitlines()[0]}")


def _read_facts(serving: Serving, record: RunRecord) -> None:
    marts = BUILD_MARTS_SCHEMA
    rows = serving.fetch(
        f"select pyramid_tier, customers, as_of_date from {marts}.pyramid_summary"
        " order by tier_order"
    )
    record.customers_per_tier = {str(tier): int(count or 0) for tier, count, _ in rows}
    as_of = next((as_of for _, _, as_of in rows if as_of is not None), None)
    record.as_of_date = None if as_of is None else str(as_of)
    counts = serving.fetch(
        "select reject_reason, sum(row_count) from staging.base_transaction_reject_counts"
        " group by reject_reason"
    )
    record.rows_read = sum(int(count) for _, count in counts)
    record.rejected_by_reason = {
        str(reason): int(count)
        for reason, count in sorted(counts, key=lambda item: -int(item[1]))
        if reason is not None
    }
    record.rejected_rows = sum(record.rejected_by_reason.values())
    record.clean_rows = record.rows_read - record.rejected_rows


def run(options: Options, record: RunRecord) -> int:
    serving = options.serving
    try:
        with serving.lock(options.wait):
            serving.clean_leftovers()
            _log(f"building and testing (target {options.target})")
            marts = build_and_test(options)
            read_facts(serving, record)
            check_freshness(options, record)
            _log(
                f"publishing the marts of {record.as_of_date} to {serving.description}: "
                + ", ".join(marts)
            )
            serving.publish(PublishedRun(record.run_id, record.as_of_date, _now()), marts)
            record.published_tables = marts
            record.outcome = "published"
    except LockedError as error:
        record.outcome = "locked"
        record.reason = (
            f"another nightly run ({error}) is publishing to {serving.description}; this run "
            "changed nothing (--wait waits for it)"
        )
        return EXIT_LOCKED
    except NotPublishedError as error:
        record.reason = str(error)
        return EXIT_NOT_PUBLISHED
    except OSError as error:
        record.reason = f"publishing failed: {error}"
        return EXIT_NOT_PUBLISHED
    except (duckdb.Error, psycopg2.Error) as error:
        record.reason = f"publishing failed: {' '.join(str(error).split())[:500]}"
        return EXIT_NOT_PUBLISHED
    return EXIT_PUBLISHED


def append_record(path: Path, record: RunRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


def summary(record: RunRecord) -> str:
    if record.outcome == "published":
        tiers = ", ".join(f"{tier} {count:,}" for tier, count in record.customers_per_tier.items())
        return (
            f"Published the marts of {record.as_of_date} to {record.serving} "
            f"({record.rows_read:,} rows read, {record.rejected_rows:,} rejected; "
            f"customers per tier: {tiers}) in {record.duration_seconds:.0f} s."
        )
    return f"Not published ({record.outcome}): {record.reason}. {record.serving} is as it was."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m customer_tiering.nightly",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--vars", default="{}", help="dbt vars, as for dbt build --vars")
    parser.add_argument(
        "--serving",
        type=Path,
        default=Path(os.environ.get("TIERING_SERVING_PATH", DEFAULT_SERVING)),
        help="DuckDB: the serving file BI tools open (default serving/tiering.duckdb)",
    )
    parser.add_argument(
        "--serving-schema",
        default=os.environ.get("TIERING_PG_SERVING_SCHEMA", "serving"),
        help="PostgreSQL: the schema BI tools read (default serving)",
    )
    parser.add_argument(
        "--bi-role",
        default=os.environ.get("TIERING_PG_BI_ROLE") or None,
        help="PostgreSQL: the role granted SELECT on the serving schema (env TIERING_PG_BI_ROLE)",
    )
    parser.add_argument("--run-log", type=Path, help="the run log (default: next to serving)")
    parser.add_argument("--target-path", type=Path, default=PROJECT_DIR / "target")
    parser.add_argument("--allow-stale", action="store_true", help="publish stale data too")
    parser.add_argument("--wait", action="store_true", help="wait for a nightly run under way")
    parser.add_argument("dbt_args", nargs="*", help="more arguments of dbt build (after --)")
    return parser


def parse_options(argv: Sequence[str] | None) -> Options:
    args = _parser().parse_args(argv)
    target = os.environ.get("TIERING_TARGET", "duckdb")
    serving: Serving
    if target == "postgres":
        serving = PostgresServing(dsn_from_env(), args.serving_schema, args.bi_role)
        run_log = args.run_log or PROJECT_DIR / "serving" / f"{args.serving_schema}.runs.jsonl"
    else:
        build = Path(os.environ.get("TIERING_DUCKDB_PATH", PROJECT_DIR / "tiering.duckdb"))
        serving = DuckDBServing(build.resolve(), args.serving.resolve())
        run_log = args.run_log or args.serving.with_name(args.serving.stem + ".runs.jsonl")
    return Options(
        target=target,
        dbt_vars=args.vars,
        dbt_args=tuple(args.dbt_args),
        target_path=args.target_path.resolve(),
        serving=serving,
        run_log=run_log,
        allow_stale=args.allow_stale,
        wait=args.wait,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)
    started = time.monotonic()
    record = RunRecord(
        run_id=uuid.uuid4().hex,
        started_at=_now(),
        target=options.target,
        serving=options.serving.description,
    )
    code = run(options, record)
    record.finished_at = _now()
    record.duration_seconds = round(time.monotonic() - started, 1)
    append_record(options.run_log, record)
    print(summary(record), flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
