"""Tests for the throwaway PostgreSQL server and the CSV loader."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2.extensions import make_dsn

from customer_tiering.postgres import (
    PgServer,
    file_version,
    forced_parallel_settings,
    install_postgresql,
    load_csv_tables,
    pg_major_version,
    read_csv_header,
    start_server,
    stop_server,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

CSV_TEXT = 'ID,Customer Name,Note\n1,"Smith, John",\n2,张三,"含逗号,的文本"\n3,,""\n'
EXPECTED_ROWS = [
    ("1", "Smith, John", None),
    ("2", "张三", "含逗号,的文本"),
    ("3", None, ""),
]
CHINESE_CSV_TEXT = '编号;姓名;备注\n1;张三;"甲;乙"\n2;李四,王五;\n'
CHINESE_COLUMNS = ["编号", "姓名", "备注"]
CHINESE_ROWS = [(1, "1", "张三", "甲;乙"), (2, "2", "李四,王五", None)]
# Byte order puts upper case first; ICU en-US sorts case-insensitively first
# (b before C), lower case before upper case at equal letters (c1 before C1),
# and '_' before '-' before digits.
SORT_SAMPLE = ["c1", "C_3", "C1", "b", "c-2"]
BYTE_ORDER = ["C1", "C_3", "b", "c-2", "c1"]
ICU_EN_US_ORDER = ["b", "C_3", "c-2", "c1", "C1"]


@pytest.fixture(scope="module", autouse=True)
def postgresql_installed() -> None:
    """Install PostgreSQL if needed; skip locally, fail on CI if impossible."""
    if install_postgresql():
        return
    message = (
        "PostgreSQL server binaries (initdb/pg_ctl) are missing and could not "
        "be installed (needs root and apt-get; see stderr). Install the "
        "Debian 'postgresql' package to run these tests."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    """A tiny CSV with an empty field, a quoted comma and Chinese text."""
    path = tmp_path / "customers.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """One default (ICU en-US) server shared by the tests that only query or load."""
    started = start_server(tmp_path_factory.mktemp("shared") / "pg")
    yield started
    stop_server(started)


@pytest.fixture(scope="module")
def parallel_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """A server that runs every query it can with parallel workers."""
    settings = forced_parallel_settings(pg_major_version())
    started = start_server(tmp_path_factory.mktemp("parallel") / "pg", settings=settings)
    yield started
    stop_server(started)


def port_is_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def fetch_rows(dsn: str, *statements: str) -> list[tuple[object, ...]]:
    """Run statements in one transaction (rolled back); return the last one's rows."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchall()
    finally:
        conn.close()


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` in ``encoding`` (a Python codec name)."""
    path.write_bytes(text.encode(encoding))
    return path


def server_order(dsn: str, collate: str = "") -> list[str]:
    """SORT_SAMPLE as the server orders it, optionally with a COLLATE clause."""
    values = ", ".join(f"('{value}')" for value in SORT_SAMPLE)
    rows = fetch_rows(dsn, f"select v from (values {values}) as t(v) order by v {collate}")
    return [str(row[0]) for row in rows]


def table_rows(dsn: str, table: str) -> list[tuple[object, ...]]:
    """Every row of ``raw.<table>`` in source_row_number order, without the file columns."""
    rows = fetch_rows(dsn, f"select * from raw.{table} order by source_row_number")
    return [(row[0], *row[3:]) for row in rows]


def test_start_load_stop(tmp_path: Path, csv_file: Path) -> None:
    server = start_server(tmp_path / "pg")
    try:
        assert port_is_open(server.port)
        assert server.env()["TIERING_PG_PORT"] == str(server.port)
        assert server.env()["TIERING_PG_PASSWORD"] == ""
        counts = load_csv_tables(server, "raw", {"raw_customers": csv_file})
        assert counts == {"raw_customers": 3}
        columns = fetch_rows(
            server.dsn,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'raw_customers' "
            "order by ordinal_position",
        )
        assert columns == [
            ("source_row_number", "bigint"),
            ("source_file", "text"),
            ("source_file_version", "text"),
            ("id", "text"),
            ("customer name", "text"),
            ("note", "text"),
        ]
        rows = fetch_rows(server.dsn, "select * from raw.raw_customers order by 1")
        version = file_version(csv_file)
        assert rows == [
            (number, csv_file.name, version, *row) for number, row in enumerate(EXPECTED_ROWS, 1)
        ]
        # Reloading replaces the table instead of appending to it.
        assert load_csv_tables(server.dsn, "raw", {"raw_customers": csv_file}) == {
            "raw_customers": 3
        }
    finally:
        stop_server(server)
    assert not port_is_open(server.port)
    assert not server.data_dir.exists()


def test_two_servers_side_by_side(tmp_path: Path) -> None:
    servers: list[PgServer] = []
    try:
        servers.append(start_server(tmp_path / "one"))
        servers.append(start_server(tmp_path / "two"))
        assert servers[0].port != servers[1].port
        for server in servers:
            assert fetch_rows(server.dsn, "select current_database()") == [("tiering",)]
    finally:
        for server in servers:
            stop_server(server)
    assert not any(port_is_open(server.port) for server in servers)


def run_cli(*args: str, env: dict[str, str] | None = None) -> str:
    """Run ``python -m customer_tiering.postgres`` and return its stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "customer_tiering.postgres", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def parse_exports(text: str) -> dict[str, str]:
    """Parse ``export NAME=value`` lines as a shell would."""
    exports = {}
    for line in text.splitlines():
        keyword, assignment = shlex.split(line)
        assert keyword == "export"
        name, _, value = assignment.partition("=")
        exports[name] = value
    return exports


def test_cli_start_load_stop(tmp_path: Path, csv_file: Path) -> None:
    state_dir = tmp_path / "cli"
    exports = parse_exports(run_cli("start", "--dir", str(state_dir)))
    assert set(exports) == {
        "TIERING_PG_HOST",
        "TIERING_PG_PORT",
        "TIERING_PG_USER",
        "TIERING_PG_PASSWORD",
        "TIERING_PG_DBNAME",
    }
    port = int(exports["TIERING_PG_PORT"])
    try:
        env = {**os.environ, **exports}
        out = run_cli("load", "--schema", "raw", "--table", f"raw_customers={csv_file}", env=env)
        assert out.split() == ["raw.raw_customers", "3"]
    finally:
        run_cli("stop", "--dir", str(state_dir))
    assert not port_is_open(port)


def test_cli_collation_c_and_gb18030_semicolon_load(tmp_path: Path) -> None:
    state_dir = tmp_path / "cli"
    csv_file = write_csv(tmp_path / "kunden.csv", CHINESE_CSV_TEXT, "gb18030")
    exports = parse_exports(run_cli("start", "--dir", str(state_dir), "--collation", "c"))
    try:
        env = {**os.environ, **exports}
        table_arg = f"raw_customers={csv_file}"
        options = ["--delimiter", ";", "--encoding", "GB18030", "--table", table_arg]
        out = run_cli("load", "--schema", "raw", *options, env=env)
        assert out.split() == ["raw.raw_customers", "2"]
        dsn = make_dsn(
            host=exports["TIERING_PG_HOST"],
            port=exports["TIERING_PG_PORT"],
            user=exports["TIERING_PG_USER"],
            dbname=exports["TIERING_PG_DBNAME"],
        )
        assert table_rows(dsn, "raw_customers") == CHINESE_ROWS
        assert server_order(dsn) == BYTE_ORDER
    finally:
        run_cli("stop", "--dir", str(state_dir))


def test_default_server_sorts_text_like_icu_en_us(server: PgServer) -> None:
    assert sorted(SORT_SAMPLE) == BYTE_ORDER  # Python compares code points, i.e. UTF-8 bytes
    assert server_order(server.dsn) == ICU_EN_US_ORDER
    assert server_order(server.dsn, 'collate "en-US-x-icu"') == ICU_EN_US_ORDER
    assert server_order(server.dsn, 'collate "C"') == BYTE_ORDER


@pytest.mark.parametrize(
    "options",
    [
        {"collation": "en_US"},
        {"settings": {"port": "5432"}},
        {"settings": {"work_mem": "4MB\nport = 5432"}},
        {"settings": {"work mem": "4MB"}},
    ],
)
def test_start_server_refuses_bad_options(tmp_path: Path, options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        start_server(tmp_path / "pg", **options)  # type: ignore[arg-type]
    assert not (tmp_path / "pg").exists()


def test_pg_major_version_is_the_running_servers(server: PgServer) -> None:
    [(version_num,)] = fetch_rows(server.dsn, "show server_version_num")
    assert pg_major_version() == int(str(version_num)) // 10_000


def test_forced_parallel_settings_use_the_switch_of_the_version() -> None:
    costs = {
        "parallel_setup_cost": "0",
        "parallel_tuple_cost": "0",
        "min_parallel_table_scan_size": "0",
        "min_parallel_index_scan_size": "0",
    }
    assert forced_parallel_settings(15) == {"force_parallel_mode": "on", **costs}
    assert forced_parallel_settings(16) == {"debug_parallel_query": "on", **costs}


SMALL_TABLE = "create table small (v text); insert into small values ('1'), ('2'), ('x')"
TRY_INTEGER = """
create function try_integer(value text) returns integer language plpgsql {label} as $$
begin
    return value::integer;
exception when others then
    return null;
end $$
"""


def test_forced_parallel_server_plans_a_gather_for_a_small_table(
    parallel_server: PgServer,
) -> None:
    switch = next(iter(forced_parallel_settings(pg_major_version())))
    assert fetch_rows(parallel_server.dsn, f"show {switch}") == [("on",)]
    plan = fetch_rows(parallel_server.dsn, SMALL_TABLE, "explain select * from small")
    assert any("Gather" in str(line) for (line,) in plan), plan


def test_exception_block_in_parallel_safe_function_fails_in_parallel_plan(
    parallel_server: PgServer,
) -> None:
    """The bug the project fixes: such a function must not be marked parallel safe."""
    function = TRY_INTEGER.format(label="parallel safe")
    with pytest.raises(psycopg2.Error, match="cannot start subtransactions during a parallel"):
        fetch_rows(parallel_server.dsn, SMALL_TABLE, function, "select try_integer(v) from small")


def test_exception_block_in_parallel_unsafe_function_works_in_parallel_server(
    parallel_server: PgServer,
) -> None:
    function = TRY_INTEGER.format(label="parallel unsafe")
    rows = fetch_rows(
        parallel_server.dsn, SMALL_TABLE, function, "select try_integer(v) from small"
    )
    assert sorted(rows, key=str) == [(1,), (2,), (None,)]


def test_gb18030_file_with_chinese_text(server: PgServer, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "customers.csv", CHINESE_CSV_TEXT, "gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert read_csv_header(path, delimiter=";", encoding="GB18030") == CHINESE_COLUMNS
    counts = load_csv_tables(server, "raw", {"gb": path}, delimiter=";", encoding="GB18030")
    assert counts == {"gb": 2}
    assert table_rows(server.dsn, "gb") == CHINESE_ROWS


def test_semicolon_delimiter_keeps_commas_in_values(server: PgServer, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "amounts.csv", 'id;amount\n1;1,50\n2;"3;4"\n')
    assert read_csv_header(path, delimiter=";") == ["id", "amount"]
    load_csv_tables(server, "raw", {"semicolon": path}, delimiter=";")
    assert table_rows(server.dsn, "semicolon") == [(1, "1", "1,50"), (2, "2", "3;4")]


@pytest.mark.parametrize("encoding", ["UTF8", "GB18030"])
def test_bom_reaches_neither_column_names_nor_values(
    server: PgServer, tmp_path: Path, encoding: str
) -> None:
    codec = {"UTF8": "utf-8", "GB18030": "gb18030"}[encoding]
    path = write_csv(tmp_path / "bom.csv", '\ufeff"ID",name\n1,a\n', codec)
    assert read_csv_header(path, encoding=encoding) == ["id", "name"]
    load_csv_tables(server, "raw", {"bom": path}, encoding=encoding)
    assert table_rows(server.dsn, "bom") == [(1, "1", "a")]


def test_source_row_number_counts_rows_in_file_order(server: PgServer, tmp_path: Path) -> None:
    count = 500
    lines = [f'{count - index},"line\nbreak"\n' for index in range(count)]
    path = write_csv(tmp_path / "rows.csv", "id,note\n" + "".join(lines))
    assert load_csv_tables(server, "raw", {"numbered": path}) == {"numbered": count}
    rows = fetch_rows(server.dsn, "select source_row_number, id from raw.numbered order by 1")
    assert rows == [(number, str(count - number + 1)) for number in range(1, count + 1)]
    identity = fetch_rows(
        server.dsn,
        "select ordinal_position, identity_generation from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'numbered' "
        "and column_name = 'source_row_number'",
    )
    assert identity == [(1, "ALWAYS")]


@pytest.mark.parametrize("column", ["Source_Row_Number", "source_file", "SOURCE_FILE_VERSION"])
def test_header_with_a_loader_column_is_refused(
    server: PgServer, tmp_path: Path, column: str
) -> None:
    good = write_csv(tmp_path / "good.csv", "id\n1\n")
    bad = write_csv(tmp_path / "bad.csv", f"id, {column}\n1,2\n")
    with pytest.raises(ValueError, match=column.lower()):
        load_csv_tables(server, "raw", {"loaded_first": good, "refused": bad})
    # All tables load in one transaction: nothing of the failed call remains.
    assert fetch_rows(server.dsn, "select to_regclass('raw.loaded_first')") == [(None,)]


@pytest.mark.parametrize(
    "options", [{"delimiter": ";;"}, {"delimiter": '"'}, {"encoding": "NO_SUCH_ENCODING"}]
)
def test_bad_delimiter_or_encoding_is_refused_before_connecting(
    tmp_path: Path, options: dict[str, str]
) -> None:
    path = write_csv(tmp_path / "any.csv", "id\n1\n")
    with pytest.raises(ValueError):
        load_csv_tables("host=/nonexistent", "raw", {"any": path}, **options)
    with pytest.raises(ValueError):
        read_csv_header(path, **options)
