"""Publish the tested marts of a build to the serving database that BI tools read, in one step.

DuckDB: the marts are copied into a new file next to the serving file, which is then renamed over
it. A reader that has the old file open keeps reading it (the rename does not touch its inode); a
new connection opens the new one; there is never a moment without a complete file. The serving
file is made read-only (mode 0444), so a BI tool must open it read-only and never locks it.

PostgreSQL: the marts are copied into the schema `<serving>_next`, granted to the BI role, and
swapped with the serving schema in one transaction (two renames); the replaced schema is then
dropped, or by the next run when a reader still holds it.

Only the marts schema is copied (no raw, staging or intermediate table, so no personal data), plus
the table `published_run`, one row naming the run and its as-of date.

While publishing, the environment variable TIERING_NIGHTLY_FAULT (for the fault tests) can make
the publisher kill itself (`kill-while-publishing`) or fail to write (`write-error`) after the first
table is copied.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import psycopg2
from psycopg2 import sql

BUILD_MARTS_SCHEMA = "marts"
PUBLISHED_RUN_TABLE = "published_run"
FAULT_VARIABLE = "TIERING_NIGHTLY_FAULT"
PUBLISHED_RUN_COMMENT = (
    "The nightly run that published these marts (run_id, as in the run log), the as-of date of"
    " its tiers, and when it published them (UTC)."
)


class LockedError(RuntimeError):
    """Another nightly run holds the lock of this serving database."""


@dataclass(frozen=True)
class PublishedRun:
    """The row of `published_run`: which run published the serving data, for which day."""

    run_id: str
    as_of_date: str | None
    published_at: str


class Serving(Protocol):
    """Where a build's marts are read from and published to."""

    description: str

    def lock(self, wait: bool) -> Any: ...

    def clean_leftovers(self) -> None: ...

    def fetch(self, query: str) -> list[tuple[Any, ...]]: ...

    def publish(self, run: PublishedRun, tables: Sequence[str]) -> None: ...


def _inject_fault() -> None:
    fault = os.environ.get(FAULT_VARIABLE, "")
    if fault == "kill-while-publishing":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "write-error":
        raise OSError(errno.ENOSPC, "No space left on device (injected by " + FAULT_VARIABLE + ")")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


@contextmanager
def _file_lock(path: Path, wait: bool, holder: str) -> Iterator[None]:
    """An exclusive lock on `path` (released by the kernel when the process dies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.seek(0)
            other = handle.read().strip() or "another process"
            raise LockedError(other) from None
        handle.seek(0)
        handle.truncate()
        handle.write(holder)
        handle.flush()
        yield


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass
class DuckDBServing:
    """The build's DuckDB file and the serving DuckDB file the marts are published to."""

    build: Path
    serving: Path

    @property
    def description(self) -> str:
        return str(self.serving)

    @property
    def next_file(self) -> Path:
        return self.serving.with_name(self.serving.name + ".next")

    @contextmanager
    def lock(self, wait: bool) -> Iterator[None]:
        holder = f"pid {os.getpid()}, started {time.strftime('%Y-%m-%dT%H:%M:%S%z')}"
        with _file_lock(self.serving.with_name(self.serving.name + ".lock"), wait, holder):
            yield

    def clean_leftovers(self) -> None:
        """Remove the half-written file of a run killed while publishing."""
        for leftover in (self.next_file, self.next_file.with_name(self.next_file.name + ".wal")):
            leftover.unlink(missing_ok=True)

    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.build), read_only=True) as connection:
            return connection.execute(query).fetchall()

    def publish(self, run: PublishedRun, tables: Sequence[str]) -> None:
        self.serving.parent.mkdir(parents=True, exist_ok=True)
        self.clean_leftovers()
        # The same memory bound as the build (profiles.yml), not DuckDB's 80 % of the machine.
        config = {"memory_limit": os.environ.get("TIERING_DUCKDB_MEMORY_LIMIT", "6GB")}
        with duckdb.connect(str(self.next_file), config=config) as connection:
            connection.execute(f"attach {_literal(str(self.build))} as build (read_only)")
            connection.execute(f"create schema {BUILD_MARTS_SCHEMA}")
            for table in tables:
                name = f"{BUILD_MARTS_SCHEMA}.{_quoted(table)}"
                connection.execute(f"create table {name} as select * from build.{name}")
                _inject_fault()
            self._copy_comments(connection, tables)
            connection.execute(
                f"create table {BUILD_MARTS_SCHEMA}.{PUBLISHED_RUN_TABLE} as select"
                f" {_literal(run.run_id)} as run_id,"
                f" cast({_literal(run.as_of_date)} as date) as as_of_date,"
                f" cast({_literal(run.published_at)} as timestamp) as published_at"
            )
            connection.execute(
                f"comment on table {BUILD_MARTS_SCHEMA}.{PUBLISHED_RUN_TABLE}"
                f" is {_literal(PUBLISHED_RUN_COMMENT)}"
            )
            connection.execute("detach build")
            connection.execute("checkpoint")
        os.chmod(self.next_file, 0o444)
        _fsync(self.next_file)
        os.replace(self.next_file, self.serving)
        _fsync(self.serving.parent)

    @staticmethod
    def _copy_comments(connection: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> None:
        """The marts' table and column descriptions, as dbt persisted them in the build."""
        for table, comment in connection.execute(
            "select table_name, comment from duckdb_tables() where database_name = 'build'"
            " and schema_name = ? and comment is not null and list_contains(?, table_name)",
            [BUILD_MARTS_SCHEMA, list(tables)],
        ).fetchall():
            connection.execute(
                f"comment on table {BUILD_MARTS_SCHEMA}.{_quoted(table)} is {_literal(comment)}"
            )
        for table, column, comment in connection.execute(
            "select table_name, column_name, comment from duckdb_columns()"
            " where database_name = 'build' and schema_name = ? and comment is not null"
            " and list_contains(?, table_name)",
            [BUILD_MARTS_SCHEMA, list(tables)],
        ).fetchall():
            connection.execute(
                f"comment on column {BUILD_MARTS_SCHEMA}.{_quoted(table)}.{_quoted(column)}"
                f" is {_literal(comment)}"
            )


@dataclass
class PostgresServing:
    """The build's marts schema and the serving schema of the same PostgreSQL database."""

    dsn: str
    schema: str
    bi_role: str | None

    @property
    def description(self) -> str:
        return f"schema {self.schema}"

    @contextmanager
    def lock(self, wait: bool) -> Iterator[None]:
        """A session-level advisory lock, released by the server when the session ends."""
        connection = psycopg2.connect(self.dsn)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
                cursor.execute(f"select {function}(hashtext(%s))", [f"tiering:{self.schema}"])
                row = cursor.fetchone()
                if not wait and not (row and row[0]):
                    raise LockedError(f"a session of database {connection.info.dbname}")
            yield
        finally:
            connection.close()

    def clean_leftovers(self) -> None:
        """Drop the copy a killed run left half-made, and the copies replaced by earlier
        publications. A replaced copy that a reader still uses (a BI query, or a transaction left
        open) is left for the next run: waiting for it would hold the nightly run hostage."""
        with self._transaction() as cursor:
            cursor.execute(
                sql.SQL("drop schema if exists {} cascade").format(
                    sql.Identifier(self.schema + "_next")
                )
            )
        for (replaced,) in self.fetch(
            "select nspname from pg_namespace where nspname like %s order by nspname",
            [self.schema + "_replaced_%"],
        ):
            try:
                with self._transaction() as cursor:
                    cursor.execute("set local lock_timeout = '2s'")
                    cursor.execute(
                        sql.SQL("drop schema {} cascade").format(sql.Identifier(replaced))
                    )
            except psycopg2.errors.LockNotAvailable:
                print(f"{replaced} is still read by a session; the next run drops it", flush=True)

    def fetch(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._transaction() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def publish(self, run: PublishedRun, tables: Sequence[str]) -> None:
        self.clean_leftovers()
        next_schema = sql.Identifier(self.schema + "_next")
        with self._transaction() as cursor:
            cursor.execute(sql.SQL("create schema {}").format(next_schema))
            for table in tables:
                cursor.execute(
                    sql.SQL("create table {}.{} as select * from {}.{}").format(
                        next_schema,
                        sql.Identifier(table),
                        sql.Identifier(BUILD_MARTS_SCHEMA),
                        sql.Identifier(table),
                    )
                )
                _inject_fault()
            self._copy_comments(cursor, next_schema, tables)
            cursor.execute(
                sql.SQL(
                    "create table {}.{} as select %s::text as run_id, %s::date as as_of_date,"
                    " %s::timestamp as published_at"
                ).format(next_schema, sql.Identifier(PUBLISHED_RUN_TABLE)),
                [run.run_id, run.as_of_date, run.published_at],
            )
            cursor.execute(
                sql.SQL("comment on table {}.{} is {}").format(
                    next_schema,
                    sql.Identifier(PUBLISHED_RUN_TABLE),
                    sql.Literal(PUBLISHED_RUN_COMMENT),
                )
            )
            self._grant(cursor, next_schema)
        with self._transaction() as cursor:
            cursor.execute("select 1 from pg_namespace where nspname = %s", [self.schema])
            if cursor.fetchone():
                cursor.execute(
                    sql.SQL("alter schema {} rename to {}").format(
                        sql.Identifier(self.schema),
                        sql.Identifier(f"{self.schema}_replaced_{run.run_id[:12]}"),
                    )
                )
            cursor.execute(
                sql.SQL("alter schema {} rename to {}").format(
                    next_schema, sql.Identifier(self.schema)
                )
            )
        # The swap waits for no reader; dropping the replaced copy may (see clean_leftovers).
        self.clean_leftovers()

    def _grant(self, cursor: Any, schema: sql.Identifier) -> None:
        if not self.bi_role:
            return
        role = sql.Identifier(self.bi_role)
        cursor.execute(sql.SQL("grant usage on schema {} to {}").format(schema, role))
        cursor.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(schema, role)
        )

    @staticmethod
    def _copy_comments(cursor: Any, schema: sql.Identifier, tables: Sequence[str]) -> None:
        for table in tables:
            source = f"{_quoted(BUILD_MARTS_SCHEMA)}.{_quoted(table)}"
            cursor.execute("select obj_description(%s::regclass, 'pg_class')", [source])
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute(
                    sql.SQL("comment on table {}.{} is {}").format(
                        schema, sql.Identifier(table), sql.Literal(row[0])
                    )
                )
            cursor.execute(
                "select attname, col_description(attrelid, attnum) from pg_attribute"
                " where attrelid = %s::regclass and attnum > 0 and not attisdropped",
                [source],
            )
            for column, comment in cursor.fetchall():
                if comment:
                    cursor.execute(
                        sql.SQL("comment on column {}.{}.{} is {}").format(
                            schema,
                            sql.Identifier(table),
                            sql.Identifier(column),
                            sql.Literal(comment),
                        )
                    )

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        connection = psycopg2.connect(self.dsn)
        try:
            with connection, connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()
