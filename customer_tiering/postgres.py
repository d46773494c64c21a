"""Throwaway PostgreSQL servers for tests, and a CSV loader into text tables.

The server is a private cluster (``initdb`` + ``pg_ctl``) that listens only on
127.0.0.1, trusts every local connection (user ``postgres``, no password) and
trades durability for speed (``fsync``, ``synchronous_commit`` and
``full_page_writes`` are off).  It is meant for tests and local runs only.

By default the cluster sorts text like a real-world server: the ICU provider
with the ``en-US`` locale is its default collation (``'c1' < 'C1'``, ``'b' <
'C1'``), inherited by database ``tiering``; ``collation="c"`` gives the
binary (byte) order of ``--locale=C`` instead.  The libc locale is ``C`` in
both cases, so nothing depends on which OS locales are installed.  Extra
``postgresql.conf`` settings can be passed to :func:`start_server`;
:func:`forced_parallel_settings` makes every query use parallel workers.

When running as root, ``initdb`` and ``pg_ctl`` are run as the ``postgres`` OS
user through ``runuser``.  If that user cannot reach ``base_dir`` (pytest's
``/tmp/pytest-of-root`` is mode 0700) or ``base_dir`` is too long for a unix
socket path, the cluster lives in a private ``/tmp/tiering-pg-*`` directory
instead; the state file in ``base_dir`` always says where.

CLI (state lives in ``--dir``)::

    eval "$(python -m customer_tiering.postgres start --dir /tmp/tiering-pg)"
    python -m customer_tiering.postgres load --schema raw \
        --table raw_transactions=tx.csv --table raw_customers=customers.csv
    python -m customer_tiering.postgres load --schema raw \
        --delimiter ';' --encoding GB18030 --table raw_customers=kunden.csv
    python -m customer_tiering.postgres stop --dir /tmp/tiering-pg

``start --collation c`` gives a binary-order server.  ``load`` connects with
the ``TIERING_PG_*`` environment variables (defaults: 127.0.0.1, 5432,
postgres, no password, database ``tiering``).

CSV semantics of :func:`load_csv_tables`: the first column of every table is
``source_row_number bigint generated always as identity``, the row's position
in the file (1 = first data row), then ``source_file`` (the file's name) and
``source_file_version`` (its size and modification time, which lets the
project's incremental staging skip a file it has loaded); the file's own
columns follow, all ``text``.  An unquoted empty field arrives as NULL, a quoted empty field
(``""``) as an empty string.  The delimiter (one ASCII character, default
``,``) and the encoding (a PostgreSQL name such as ``UTF8``, ``GB18030`` or
``GBK``; default ``UTF8``) are the caller's; a leading BOM is ignored.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import json
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from customer_tiering.system_packages import apt_install, is_root

PG_OS_USER = "postgres"
SUPERUSER = "postgres"
DEFAULT_DBNAME = "tiering"
LOCALHOST = "127.0.0.1"
STATE_FILE = "tiering-pg.json"
HASH_KEY_VARIABLE = "TIERING_HASH_KEY"
ENV_PREFIX = "TIERING_PG_"
ROW_NUMBER_COLUMN = "source_row_number"
FILE_COLUMN = "source_file"
FILE_VERSION_COLUMN = "source_file_version"
LOADER_COLUMNS = (ROW_NUMBER_COLUMN, FILE_COLUMN, FILE_VERSION_COLUMN)
ICU_LOCALE = "en-US"

Collation = Literal["icu", "c"]

_DEBIAN_BIN_ROOT = Path("/usr/lib/postgresql")
_SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
# sun_path holds 108 bytes including the trailing NUL.
_MAX_SOCKET_PATH = 107
_LONGEST_SOCKET_NAME = ".s.PGSQL.65535.lock"
_COPY_CHUNK = 1 << 20
_START_ATTEMPTS = 3
_STATIC_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Lets COPY into a table created in the same transaction skip the WAL.
    "wal_level": "minimal",
    "max_wal_senders": "0",
    # Docker's default 64 MB /dev/shm is too small for parallel hash joins.
    "dynamic_shared_memory_type": "mmap",
}
# Written by start_server itself; a caller's settings must not move the server.
_CONNECTION_SETTINGS = frozenset({"listen_addresses", "port", "unix_socket_directories"})
_SETTING_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")
_LOCALE_ARGS: dict[str, tuple[str, ...]] = {
    "icu": ("--locale=C", "--locale-provider=icu", f"--icu-locale={ICU_LOCALE}"),
    "c": ("--locale=C",),
}
_FIRST_ICU_MAJOR = 15
_FIRST_DEBUG_PARALLEL_QUERY_MAJOR = 16
_PARALLEL_COSTS = {
    "parallel_setup_cost": "0",
    "parallel_tuple_cost": "0",
    "min_parallel_table_scan_size": "0",
    "min_parallel_index_scan_size": "0",
}
_BOM = "\ufeff"


class PostgresError(RuntimeError):
    """A throwaway server could not be installed, started or stopped."""


class PostgresUnavailableError(PostgresError):
    """No PostgreSQL server binaries are installed, and none could be."""


@dataclass(frozen=True)
class PgServer:
    """A running throwaway server; connect over TCP to ``host:port``.

    ``scratch_dir`` is set when the cluster had to live in a private ``/tmp``
    directory instead of ``base_dir``; :func:`stop_server` removes it.
    """

    host: str
    port: int
    user: str
    dbname: str
    data_dir: Path
    socket_dir: Path
    scratch_dir: Path | None = None

    @property
    def dsn(self) -> str:
        """A libpq connection string for psycopg2 (trust auth, no password)."""
        return make_dsn(host=self.host, port=self.port, user=self.user, dbname=self.dbname)

    def env(self) -> dict[str, str]:
        """Environment variables read by the dbt profile (password empty)."""
        return {
            f"{ENV_PREFIX}HOST": self.host,
            f"{ENV_PREFIX}PORT": str(self.port),
            f"{ENV_PREFIX}USER": self.user,
            f"{ENV_PREFIX}PASSWORD": "",
            f"{ENV_PREFIX}DBNAME": self.dbname,
        }

    def to_json(self) -> str:
        """Serialise for the state file written into ``base_dir``."""
        data = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": self.dbname,
            "data_dir": str(self.data_dir),
            "socket_dir": str(self.socket_dir),
            "scratch_dir": str(self.scratch_dir) if self.scratch_dir else None,
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> PgServer:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        scratch = data.get("scratch_dir")
        return cls(
            host=data["host"],
            port=int(data["port"]),
            user=data["user"],
            dbname=data["dbname"],
            data_dir=Path(data["data_dir"]),
            socket_dir=Path(data["socket_dir"]),
            scratch_dir=Path(scratch) if scratch else None,
        )


def _log(message: str) -> None:
    """Write a diagnostic line to stderr."""
    print(f"customer_tiering.postgres: {message}", file=sys.stderr, flush=True)


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<version>/bin``."""
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name))


def _has_server_binaries(bin_dir: Path) -> bool:
    """Whether ``bin_dir`` holds executable initdb, pg_ctl and postgres."""
    return all(os.access(bin_dir / name, os.X_OK) for name in _SERVER_BINARIES)


def _pg_config_bindir() -> Path | None:
    """``pg_config --bindir``, if pg_config is on PATH and works."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        proc = subprocess.run(
            [pg_config, "--bindir"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = proc.stdout.strip()
    return Path(out) if proc.returncode == 0 and out else None


def find_pg_bin() -> Path | None:
    """Return the directory holding initdb/pg_ctl/postgres, or None.

    Looks at ``/usr/lib/postgresql/*/bin`` (newest version first), then
    ``pg_config --bindir``, then the directory of ``initdb`` on PATH.
    """
    candidates = sorted(_DEBIAN_BIN_ROOT.glob("*/bin"), key=_version_key, reverse=True)
    bindir = _pg_config_bindir()
    if bindir is not None:
        candidates.append(bindir)
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).resolve().parent)
    return next((c for c in candidates if _has_server_binaries(c)), None)


def install_postgresql() -> bool:
    """Make PostgreSQL server binaries available; return whether they are.

    Installs Debian's ``postgresql`` package with apt-get when binaries are
    missing and this process is root.  Never raises: when installation is
    impossible or fails, the reason goes to stderr and False is returned.
    Note that the Debian package creates (and may start) its own ``main``
    cluster on port 5432; the throwaway servers do not use it.
    """
    if find_pg_bin() is not None:
        return True
    if not apt_install("postgresql", "PostgreSQL", _log):
        return False
    if find_pg_bin() is None:
        _log("postgresql was installed but initdb/pg_ctl were not found")
        return False
    return True


def _require_pg_bin() -> Path:
    """Find the server binaries, installing them if possible, or raise."""
    bin_dir = find_pg_bin()
    if bin_dir is None and install_postgresql():
        bin_dir = find_pg_bin()
    if bin_dir is None:
        raise PostgresUnavailableError(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed and "
            "could not be installed; see the messages above"
        )
    return bin_dir


def pg_major_version(bin_dir: Path | None = None) -> int:
    """Major version of the server binaries, from ``postgres --version``.

    ``bin_dir`` defaults to the binaries :func:`start_server` uses.
    """
    postgres = (bin_dir or _require_pg_bin()) / "postgres"
    try:
        proc = subprocess.run(
            [postgres, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PostgresError(f"{postgres} --version failed: {exc}") from exc
    match = re.search(r"\(PostgreSQL\) (\d+)", proc.stdout)
    if proc.returncode != 0 or match is None:
        raise PostgresError(f"cannot read the version from {postgres} --version: {proc.stdout!r}")
    return int(match.group(1))


def forced_parallel_settings(server_major_version: int) -> dict[str, str]:
    """Settings that make the server run even tiny queries with parallel workers.

    For :func:`start_server`'s ``settings``; ``server_major_version`` comes from
    :func:`pg_major_version` (the switch was renamed in PostgreSQL 16).
    """
    if server_major_version >= _FIRST_DEBUG_PARALLEL_QUERY_MAJOR:
        switch = "debug_parallel_query"
    else:
        switch = "force_parallel_mode"
    return {switch: "on", **_PARALLEL_COSTS}


def _run(
    cmd: Sequence[str | Path], *, as_postgres: bool, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command (as the postgres OS user if asked); capture output."""
    args = [str(part) for part in cmd]
    if as_postgres:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresError("running as root but runuser is not available")
        args = [runuser, "-u", PG_OS_USER, "--", *args]
    return subprocess.run(
        args,
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )


def _chown_to_postgres(path: Path) -> None:
    """Give ``path`` to the postgres OS user (needed before runuser)."""
    try:
        entry = pwd.getpwnam(PG_OS_USER)
    except KeyError as exc:
        raise PostgresError(
            f"running as root but there is no {PG_OS_USER!r} OS user to run the server as"
        ) from exc
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _usable_run_dir(path: Path, as_postgres: bool) -> bool:
    """Whether ``path`` can hold the cluster and its unix socket."""
    if len(str(path / _LONGEST_SOCKET_NAME)) > _MAX_SOCKET_PATH:
        return False
    if not as_postgres:
        return True
    return _run(["test", "-w", path], as_postgres=True).returncode == 0


def _prepare_run_dir(base_dir: Path, as_postgres: bool) -> tuple[Path, Path | None]:
    """Return (directory for data + socket, scratch dir to delete or None)."""
    base_dir.mkdir(parents=True, exist_ok=True)
    if as_postgres:
        _chown_to_postgres(base_dir)
    if _usable_run_dir(base_dir, as_postgres):
        return base_dir, None
    scratch = Path(tempfile.mkdtemp(prefix="tiering-pg-", dir="/tmp"))
    if as_postgres:
        _chown_to_postgres(scratch)
    return scratch, scratch


def free_port() -> int:
    """Ask the kernel for a currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def _conf_quote(value: str) -> str:
    """Quote a postgresql.conf string value."""
    return "'" + value.replace("'", "''") + "'"


def _checked_settings(settings: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's extra settings, refused if they could break the server."""
    checked: dict[str, str] = {}
    for name, value in (settings or {}).items():
        if not _SETTING_NAME.fullmatch(name):
            raise ValueError(f"not a postgresql.conf parameter name: {name!r}")
        if name in _CONNECTION_SETTINGS:
            raise ValueError(f"{name} is set by start_server and cannot be overridden")
        text = str(value)
        if any(char in text for char in "\r\n\0"):
            raise ValueError(f"setting {name} has a line break or NUL in its value")
        checked[name] = text
    return checked


def _write_settings(data_dir: Path, port: int, socket_dir: Path, extra: Mapping[str, str]) -> None:
    """Append the throwaway settings, then ``extra``, to postgresql.conf (last value wins)."""
    settings = {
        "listen_addresses": LOCALHOST,
        "port": str(port),
        "unix_socket_directories": str(socket_dir),
        **_STATIC_SETTINGS,
        **extra,
    }
    lines = "".join(f"{key} = {_conf_quote(value)}\n" for key, value in settings.items())
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as fh:
        fh.write(f"\n# customer_tiering.postgres\n{lines}")


def _log_tail(log_file: Path, limit: int = 3000) -> str:
    """The end of the server log, for error messages."""
    try:
        return log_file.read_text(encoding="utf-8", errors="replace")[-limit:]
    except OSError:
        return "(no server log)"


def _locale_args(collation: str, bin_dir: Path) -> tuple[str, ...]:
    """initdb's locale options for ``collation`` (see the module docstring)."""
    if collation not in _LOCALE_ARGS:
        raise ValueError(f"collation must be one of {sorted(_LOCALE_ARGS)}, got {collation!r}")
    if collation == "icu" and pg_major_version(bin_dir) < _FIRST_ICU_MAJOR:
        raise PostgresError(
            f"an ICU default collation needs PostgreSQL {_FIRST_ICU_MAJOR}+ "
            f"(found {bin_dir}); use collation='c'"
        )
    return _LOCALE_ARGS[collation]


def _initdb(bin_dir: Path, data_dir: Path, as_postgres: bool, locale_args: Sequence[str]) -> None:
    """Create a fresh UTF8 cluster in ``data_dir``."""
    cmd = [
        bin_dir / "initdb",
        "-D",
        data_dir,
        *locale_args,
        "--encoding=UTF8",
        "--auth=trust",
        "-U",
        SUPERUSER,
        "--no-sync",
    ]
    proc = _run(cmd, as_postgres=as_postgres)
    if proc.returncode != 0:
        raise PostgresError(f"initdb failed:\n{proc.stdout}")


def _pg_ctl_start(bin_dir: Path, data_dir: Path, as_postgres: bool) -> bool:
    """Start the cluster and wait until it accepts connections."""
    cmd = [bin_dir / "pg_ctl", "start", "-w", "-t", "60", "-D", data_dir]
    cmd += ["-l", data_dir / "postgres.log"]
    return _run(cmd, as_postgres=as_postgres, timeout=90).returncode == 0


def _server_running(bin_dir: Path, data_dir: Path, as_postgres: bool) -> bool:
    """Whether ``pg_ctl status`` reports a live server for ``data_dir``."""
    cmd = [bin_dir / "pg_ctl", "status", "-D", data_dir]
    return _run(cmd, as_postgres=as_postgres).returncode == 0


def _create_database(port: int, dbname: str) -> None:
    """Create ``dbname`` through the maintenance database."""
    conn = psycopg2.connect(host=LOCALHOST, port=port, user=SUPERUSER, dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    finally:
        conn.close()


def _clear_stale_cluster(bin_dir: Path, data_dir: Path, as_postgres: bool) -> None:
    """Remove a leftover cluster in ``data_dir`` unless it is running."""
    if not data_dir.exists():
        return
    if _server_running(bin_dir, data_dir, as_postgres):
        raise PostgresError(f"a server is already running in {data_dir}; stop it first")
    shutil.rmtree(data_dir)


def start_server(
    base_dir: Path,
    port: int | None = None,
    *,
    collation: Collation = "icu",
    settings: Mapping[str, str] | None = None,
) -> PgServer:
    """Create and start a throwaway server; return it once it is usable.

    The cluster goes into ``base_dir/data`` (see the module docstring for the
    ``/tmp`` fallback) and database ``tiering`` is created.  With ``port``
    None a free port is picked.  ``collation`` is ``"icu"`` (ICU ``en-US``,
    PostgreSQL 15+) or ``"c"`` (byte order).  ``settings`` are appended to
    ``postgresql.conf`` (values are quoted; ``port``, ``listen_addresses``
    and ``unix_socket_directories`` are refused).  Installs PostgreSQL first
    if it is missing and that is possible; raises
    :class:`PostgresUnavailableError` if not.  A state file is written to
    ``base_dir`` for :func:`read_state`.
    """
    extra = _checked_settings(settings)
    bin_dir = _require_pg_bin()
    locale_args = _locale_args(collation, bin_dir)
    base_dir = Path(base_dir).absolute()
    as_postgres = is_root()
    run_dir, scratch = _prepare_run_dir(base_dir, as_postgres)
    data_dir = run_dir / "data"
    _clear_stale_cluster(bin_dir, data_dir, as_postgres)
    _initdb(bin_dir, data_dir, as_postgres, locale_args)
    for attempt in range(1, _START_ATTEMPTS + 1):
        chosen = port if port is not None else free_port()
        _write_settings(data_dir, chosen, run_dir, extra)
        (data_dir / "postgres.log").unlink(missing_ok=True)
        if _pg_ctl_start(bin_dir, data_dir, as_postgres):
            break
        log = _log_tail(data_dir / "postgres.log")
        port_taken = "could not bind" in log or "already in use" in log
        if port is not None or not port_taken or attempt == _START_ATTEMPTS:
            raise PostgresError(f"pg_ctl start failed; server log:\n{log}")
    server = PgServer(
        host=LOCALHOST,
        port=chosen,
        user=SUPERUSER,
        dbname=DEFAULT_DBNAME,
        data_dir=data_dir,
        socket_dir=run_dir,
        scratch_dir=scratch,
    )
    try:
        _create_database(server.port, server.dbname)
    except psycopg2.Error:
        stop_server(server)
        raise
    (base_dir / STATE_FILE).write_text(server.to_json(), encoding="utf-8")
    return server


def stop_server(server: PgServer) -> None:
    """Stop the server (``pg_ctl stop -m fast``) and delete its data dir."""
    data_dir = server.data_dir
    if (data_dir / "postmaster.pid").exists():
        bin_dir = _require_pg_bin()
        as_postgres = is_root()
        cmd = [bin_dir / "pg_ctl", "stop", "-D", data_dir, "-m", "fast", "-w"]
        proc = _run([*cmd, "-t", "60"], as_postgres=as_postgres, timeout=90)
        if proc.returncode != 0 and _server_running(bin_dir, data_dir, as_postgres):
            raise PostgresError(f"pg_ctl stop failed:\n{proc.stdout}")
    shutil.rmtree(data_dir, ignore_errors=True)
    if server.scratch_dir is not None:
        shutil.rmtree(server.scratch_dir, ignore_errors=True)


def read_state(base_dir: Path) -> PgServer:
    """The server that :func:`start_server` started in ``base_dir``."""
    state = Path(base_dir) / STATE_FILE
    try:
        return PgServer.from_json(state.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PostgresError(f"no server state in {state}") from exc


def with_hash_key(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` with the key of the keyed email hash (TIERING_HASH_KEY) passed to PostgreSQL as
    the session setting tiering.hash_key (libpq's PGOPTIONS), so that it never appears in SQL."""
    found = dict(environ)
    key = found.get(HASH_KEY_VARIABLE)
    if key:
        escaped = key.replace("\\", "\\\\").replace(" ", "\\ ")
        found["PGOPTIONS"] = f"{found.get('PGOPTIONS', '')} -c tiering.hash_key={escaped}".strip()
    return found


def dsn_from_env(environ: Mapping[str, str] | None = None) -> str:
    """A DSN from the TIERING_PG_* variables (with the documented defaults)."""
    env = os.environ if environ is None else environ
    params = {
        "host": env.get(f"{ENV_PREFIX}HOST") or LOCALHOST,
        "port": env.get(f"{ENV_PREFIX}PORT") or "5432",
        "user": env.get(f"{ENV_PREFIX}USER") or SUPERUSER,
        "dbname": env.get(f"{ENV_PREFIX}DBNAME") or DEFAULT_DBNAME,
    }
    password = env.get(f"{ENV_PREFIX}PASSWORD")
    if password:
        params["password"] = password
    return make_dsn(**params)


def _python_codec(encoding: str) -> str:
    """The Python codec for a PostgreSQL encoding name (``WIN1252`` -> cp1252)."""
    name = re.sub(r"^win(?=\d)", "cp", encoding.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


@dataclass(frozen=True)
class _CsvFormat:
    """Delimiter and encoding of a CSV file, checked on creation."""

    delimiter: str = ","
    encoding: str = "UTF8"
    codec: str = field(init=False)

    def __post_init__(self) -> None:
        if len(self.delimiter) != 1 or not self.delimiter.isascii():
            raise ValueError(f"delimiter must be one ASCII character, got {self.delimiter!r}")
        if self.delimiter in '"\r\n':
            raise ValueError(f"delimiter cannot be {self.delimiter!r}")
        object.__setattr__(self, "codec", _python_codec(self.encoding))


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    """The lines of a decoded file, minus a byte order mark at its start."""
    lines = iter(lines)
    first = next(lines, None)
    if first is not None:
        yield first.removeprefix(_BOM)
        yield from lines


def _read_header(path: Path, fmt: _CsvFormat) -> list[str]:
    """Column names from a CSV header: stripped, lower-cased, unique."""
    with Path(path).open(newline="", encoding=fmt.codec) as fh:
        header = next(csv.reader(_without_bom(fh), delimiter=fmt.delimiter), None)
    if not header:
        raise ValueError(f"{path}: empty file, expected a CSV header")
    columns = [name.strip().lower() for name in header]
    if any(not name for name in columns):
        raise ValueError(f"{path}: blank column name in header {header!r}")
    duplicates = sorted({name for name in columns if columns.count(name) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate column names {duplicates}")
    return columns


def read_csv_header(path: Path, *, delimiter: str = ",", encoding: str = "UTF8") -> list[str]:
    """Column names from a CSV header: stripped, lower-cased, unique.

    ``delimiter`` and ``encoding`` (a PostgreSQL encoding name) are those of
    :func:`load_csv_tables`; a leading BOM is ignored.
    """
    return _read_header(path, _CsvFormat(delimiter, encoding))


def _data_columns(path: Path, fmt: _CsvFormat) -> list[str]:
    """The header's columns, refused if one clashes with the row number column."""
    columns = _read_header(path, fmt)
    for name in LOADER_COLUMNS:
        if name in columns:
            raise ValueError(
                f"{path}: the header has a column named {name!r}, which the loader adds "
                "itself (the file, its version and the row's position in it); rename that column"
            )
    return columns


def file_version(path: Path) -> str:
    """The file's size and modification time (microseconds), as DuckDB's reader names them."""
    status = Path(path).stat()
    return f"{status.st_size}-{status.st_mtime_ns // 1000}"


def _load_table(
    cur: psycopg2.extensions.cursor, schema: str, table: str, path: Path, fmt: _CsvFormat
) -> int:
    """Recreate ``schema.table`` (row number + all-text columns) and COPY the CSV in."""
    columns = [sql.Identifier(name) for name in _data_columns(path, fmt)]
    target = sql.Identifier(schema, table)
    column_list = sql.SQL(", ").join(columns)
    definitions = sql.SQL(", ").join(
        [
            sql.SQL("{} bigint generated always as identity").format(
                sql.Identifier(ROW_NUMBER_COLUMN)
            ),
            sql.SQL("{} text default {}").format(
                sql.Identifier(FILE_COLUMN), sql.Literal(Path(path).name)
            ),
            sql.SQL("{} text default {}").format(
                sql.Identifier(FILE_VERSION_COLUMN), sql.Literal(file_version(path))
            ),
            *(sql.SQL("{} text").format(c) for c in columns),
        ]
    )
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(target, definitions))
    # Only the file's columns are listed, so the identity numbers rows in file order.
    copy = sql.SQL(
        "COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER {}, ENCODING {})"
    ).format(target, column_list, sql.Literal(fmt.delimiter), sql.Literal(fmt.encoding))
    with Path(path).open("rb") as fh:
        cur.copy_expert(copy.as_string(cur), fh, size=_COPY_CHUNK)
    return cur.rowcount


def load_csv_tables(
    server_or_dsn: PgServer | str,
    schema: str,
    files: Mapping[str, Path],
    *,
    delimiter: str = ",",
    encoding: str = "UTF8",
) -> dict[str, int]:
    """Load each CSV into ``schema.<table>``; return the row counts.

    Tables are dropped and recreated: ``source_row_number`` (bigint identity,
    1 = first data row, in file order), ``source_file`` (the file's name) and
    ``source_file_version`` (its size and modification time), then the header's columns as
    ``text``, lower-cased and quoted; table names are used as given (quoted).
    ``delimiter`` (one ASCII character) and ``encoding`` (a PostgreSQL name,
    e.g. ``UTF8``, ``GB18030``, ``GBK``) apply to every file; a leading BOM
    never reaches a column name or value.  A header with a column named
    one of those three names is refused with ValueError.  The file is streamed
    with COPY, so size does not matter.  Unquoted empty fields become NULL,
    quoted empty fields (``""``) empty strings.  All tables are loaded in one
    transaction.
    """
    fmt = _CsvFormat(delimiter, encoding)
    dsn = server_or_dsn.dsn if isinstance(server_or_dsn, PgServer) else server_or_dsn
    counts: dict[str, int] = {}
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            for table, path in files.items():
                counts[table] = _load_table(cur, schema, table, Path(path), fmt)
    finally:
        conn.close()
    return counts


def _export_lines(server: PgServer) -> str:
    """``export NAME=value`` lines for ``eval`` in a POSIX shell."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in server.env().items())


def _parse_table_arg(value: str) -> tuple[str, Path]:
    """Parse ``name=path`` from ``--table``."""
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {value!r}")
    return name, Path(path)


def _build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m customer_tiering.postgres",
        description="Throwaway PostgreSQL server and CSV loader for tests.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a server; print export lines")
    start.add_argument("--dir", type=Path, required=True, help="state directory")
    start.add_argument("--port", type=int, default=None, help="default: free port")
    start.add_argument(
        "--collation",
        choices=sorted(_LOCALE_ARGS),
        default="icu",
        help=f"default collation: ICU {ICU_LOCALE} (default) or C (byte order)",
    )
    stop = sub.add_parser("stop", help="stop the server and delete its data")
    stop.add_argument("--dir", type=Path, required=True, help="state directory")
    env = sub.add_parser("env", help="print export lines for a running server")
    env.add_argument("--dir", type=Path, required=True, help="state directory")
    load = sub.add_parser("load", help="load CSV files into all-text tables")
    load.add_argument("--schema", required=True)
    load.add_argument(
        "--table",
        type=_parse_table_arg,
        action="append",
        required=True,
        metavar="NAME=PATH",
        help="repeatable",
    )
    load.add_argument("--delimiter", default=",", help="one ASCII character (default: ,)")
    load.add_argument(
        "--encoding", default="UTF8", help="PostgreSQL encoding name, e.g. GB18030 (default: UTF8)"
    )
    load.add_argument("--dsn", default=None, help="default: from TIERING_PG_*")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m customer_tiering.postgres``."""
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "start":
            server = start_server(args.dir, args.port, collation=args.collation)
            sys.stdout.write(_export_lines(server))
        elif args.command == "stop":
            stop_server(read_state(args.dir))
            (args.dir / STATE_FILE).unlink(missing_ok=True)
        elif args.command == "env":
            sys.stdout.write(_export_lines(read_state(args.dir)))
        else:
            dsn = args.dsn or dsn_from_env()
            counts = load_csv_tables(
                dsn,
                args.schema,
                dict(args.table),
                delimiter=args.delimiter,
                encoding=args.encoding,
            )
            for table, rows in counts.items():
                print(f"{args.schema}.{table}\t{rows}")
    except (PostgresError, ValueError, OSError, psycopg2.Error) as exc:
        _log(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
