"""More benchmark contenders, run after the others of each repeat (see ``bench.py``).

* ``dbt build, nightly``: the night after the ``dbt build`` contender's full build, one new
  daily file of about 0.1 % of the rows arrives next to the history file; the timed command is
  ``dbt build`` on a copy of that contender's DuckDB file (written to disk before the timing),
  with ``transactions_path`` a glob over both files, so base_transactions loads only the new
  file (incremental), and without the unit tests, as the README's nightly schedule runs it
  (they test the code, which a night does not change). It is checked against the floor query
  run (untimed) over the same two files.
* ``dbt build, with history`` and ``dbt build, nightly, with history``: the same two builds with
  the history (the nodes of tag ``history``, README "Tiers over time") built too, for the sizes
  up to ``--history-max``. The new day's file holds copies of old rows (late corrections), so
  its night computes again every period end from the oldest of them on.
* ``dbt build, PostgreSQL``: the same project on a throwaway PostgreSQL server, for the sizes up
  to ``--postgres-max``. The input files are converted to CSV and loaded with the project's loader
  (untimed; its seconds are kept in the details), then ``dbt build`` is timed. The server runs
  outside the measured process tree, so its peak memory is that of dbt alone.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq

from customer_tiering.dbt_runner import PROJECT_DIR, run_dbt
from customer_tiering.generate import GeneratorParams
from customer_tiering.postgres import load_csv_tables, start_server, stop_server

if TYPE_CHECKING:
    from customer_tiering.bench import Inputs, Timed, Workspace

NIGHTLY = "dbt build, nightly"
HISTORY = "dbt build, with history"
NIGHTLY_HISTORY = "dbt build, nightly, with history"
# Each night and the full build it continues from.
NIGHT_AFTER = {NIGHTLY: "dbt build", NIGHTLY_HISTORY: HISTORY}
POSTGRES = "dbt build, PostgreSQL"
SPARK = "dbt build, Spark"
# The Spark environment's dbt (make venv-spark), unless TIERING_SPARK_DBT names another.
SPARK_DBT = PROJECT_DIR / ".venv-spark" / "bin" / "dbt"
DAILY_SHARE = 1_000  # one row in this many of the history arrives on the new day
LATE_COPY_SHARE = 10_000  # one row in this many arrives again under its old id (a copy)
DAY_FILE = "transactions-day-1.parquet"
# What the scheduled nightly build leaves out (README, "Scheduling it nightly").
NIGHTLY_EXCLUDE = ("resource_type:unit_test",)


def new_day() -> date:
    """The day of the new file: the day after the generator's last day."""
    return GeneratorParams().end_date + timedelta(days=1)


def daily_file_sql(history: Path, day_file: Path) -> str:
    """About 0.1 % of the history's rows again, dated the new day (rows with a malformed date
    keep it), under new transaction ids, except one in ten of them, which keep their id and are
    copies of rows already loaded."""
    return f"""
        copy (
            select * replace (
                case
                    when hash(transaction_id) % {LATE_COPY_SHARE} = 0 then transaction_id
                    else 'N1-' || transaction_id
                end as transaction_id,
                case
                    when regexp_full_match(transaction_date, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')
                        then '{new_day().isoformat()}'
                    else transaction_date
                end as transaction_date
            )
            from read_parquet('{history}')
            where hash(coalesce(transaction_id, customer_id)) % {DAILY_SHARE} = 0
        ) to '{day_file}' (format parquet)
    """


def nightly_inputs(inputs: Inputs) -> Inputs:
    """The history and the new day's file (written once, next to the history), as one glob."""
    from customer_tiering.bench import Inputs

    day_file = inputs.transactions.with_name(DAY_FILE)
    if not day_file.exists():
        import duckdb

        with duckdb.connect() as connection:
            connection.execute(daily_file_sql(inputs.transactions, day_file))
    glob = inputs.transactions.with_name("transactions*.parquet")
    return Inputs(glob, inputs.customers)


def run_nightly(
    workspace: Workspace,
    contender: str,
    measure: Callable[[Callable[[], Path]], Timed],
    floor: Callable[[Workspace, str], Timed],
) -> Timed:
    """Time the nightly `dbt build` (`contender`, a key of NIGHT_AFTER) on a copy of the database
    of the full build it follows (see the module)."""
    from customer_tiering.bench import FLOOR, _dbt_args, _fresh_database, dbt_details

    full_build = NIGHT_AFTER[contender]
    built = workspace.path(full_build, ".duckdb")
    if not built.exists():
        raise RuntimeError(f"the {full_build} contender left no database to continue from")
    # Its own folder, so that its floor run does not replace the floor output of this repeat.
    nightly = replace(
        workspace, root=workspace.root / "nightly", inputs=nightly_inputs(workspace.inputs)
    )
    nightly.root.mkdir(parents=True, exist_ok=True)
    database = nightly.path(contender, ".duckdb")
    env = _fresh_database(database, nightly.path(contender, ""))
    shutil.copy(built, database)
    _flush_to_disk(database)
    history = contender == NIGHTLY_HISTORY
    run_dbt(_dbt_args(nightly, "ls", contender, history=history), env=env)

    def dbt_build() -> Path:
        args = _dbt_args(nightly, "build", contender, exclude=NIGHTLY_EXCLUDE, history=history)
        run_dbt(args, env=env)
        return database

    timed = measure(dbt_build)
    details = dbt_details(nightly.path(contender, "") / "target" / "run_results.json")
    basis = floor(nightly, FLOOR)
    return replace(timed, details={**details, "basis_output": str(basis.output)})


def _flush_to_disk(path: Path) -> None:
    """Write the copy's pages to disk before the timing starts. A nightly run finds the database
    the night before left on disk; without this the kernel writes the 5 GB copy (100 M rows) back
    while the timed build runs, which cost it 10 s (78 s instead of 68 s, measured)."""
    with path.open("rb") as copy:
        os.fsync(copy.fileno())


def _to_csv(source: Path, target: Path) -> Path:
    import duckdb

    with duckdb.connect() as connection:
        connection.execute(f"copy (select * from read_parquet('{source}')) to '{target}' (header)")
    return target


def _export_tiers(dsn: str, columns: tuple[str, ...], schema_of: Path, output: Path) -> Path:
    """customer_tiers of the PostgreSQL database as Parquet, typed like the floor's output."""
    schema = pq.read_schema(schema_of)
    try:
        with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
            cursor.execute(f"select {', '.join(columns)} from marts.customer_tiers")
            rows = cursor.fetchall()
    except psycopg2.Error as error:  # e.g. a column the project does not publish (yet)
        raise RuntimeError(f"reading marts.customer_tiers failed: {error}") from error
    table = pa.Table.from_pylist(
        [dict(zip(columns, row, strict=True)) for row in rows],
        schema=pa.schema([schema.field(name) for name in columns]),
    )
    pq.write_table(table, output)
    return output


def run_postgres(
    workspace: Workspace,
    measure: Callable[[Callable[[], Path]], Timed],
    columns: tuple[str, ...],
    schema_of: Path,
) -> Timed:
    """Time `dbt build` on a throwaway PostgreSQL server loaded with the same inputs."""
    from customer_tiering.bench import _dbt_args, _fresh_dbt_folders, dbt_details

    folder = workspace.path(POSTGRES, "")
    _fresh_dbt_folders(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "raw_transactions": _to_csv(workspace.inputs.transactions, folder / "transactions.csv"),
        "raw_customers": _to_csv(workspace.inputs.customers, folder / "customers.csv"),
    }
    server = start_server(folder / "pg")
    try:
        started = time.perf_counter()
        load_csv_tables(server, "raw", files)
        load_seconds = time.perf_counter() - started
        env = {"TIERING_TARGET": "postgres", **server.env()}
        run_dbt(_dbt_args(workspace, "ls", POSTGRES), env=env)

        def dbt_build() -> Path:
            run_dbt(_dbt_args(workspace, "build", POSTGRES), env=env)
            return folder

        timed = measure(dbt_build)
        output = _export_tiers(server.dsn, columns, schema_of, workspace.path(POSTGRES, ".parquet"))
    finally:
        stop_server(server)
    details = dbt_details(folder / "target" / "run_results.json")
    return replace(timed, output=output, details={**details, "load_seconds": load_seconds})


def run_spark(workspace: Workspace, measure: Callable[[Callable[[], Path]], Timed]) -> Timed:
    """Time `dbt build` (without the unit tests, as the Spark stage of make test) on a local
    Spark session of the Spark environment, reading the same input files; the output is the
    Parquet files of its marts.customer_tiers."""
    from customer_tiering.bench import _dbt_args, _fresh_dbt_folders, dbt_details

    dbt = Path(os.environ.get("TIERING_SPARK_DBT", SPARK_DBT))
    if not dbt.exists():
        raise RuntimeError(f"no Spark environment at {dbt}: run `make venv-spark` first")
    folder = workspace.path(SPARK, "")
    _fresh_dbt_folders(folder)
    shutil.rmtree(folder / "spark", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        "TIERING_TARGET": "spark",
        "TIERING_SPARK_DIR": str(folder / "spark"),
        "TIERING_SPARK_DRIVER_MEMORY": os.environ.get("TIERING_SPARK_DRIVER_MEMORY", "6g"),
    }
    args = _dbt_args(workspace, "build", SPARK, exclude=("resource_type:unit_test",))

    def dbt_build() -> Path:
        run_dbt(args, env=env, executable=str(dbt))
        return folder / "spark" / "warehouse" / "marts.db" / "customer_tiers" / "*.parquet"

    timed = measure(dbt_build)
    return replace(timed, details=dbt_details(folder / "target" / "run_results.json"))
