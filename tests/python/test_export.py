"""`make export`: the CRM lists per strategy, checked against the marts and the input file."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from customer_tiering import export as export_module
from customer_tiering.export import MANIFEST, export, main
from customer_tiering.generate import GeneratedFiles
from engines import DuckDBEngine

PERSONAL = ("name", "email", "phone")
BOM = b"\xef\xbb\xbf"


def _manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def _listed(folder: Path) -> list[dict[str, Any]]:
    """The manifest's strategies that have files."""
    return [item for item in _manifest(folder)["strategies"] if item["csv"] is not None]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    # What Excel does with a UTF-8 file that starts with a byte-order mark.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _all_rows(folder: Path) -> list[dict[str, str]]:
    return [row for item in _listed(folder) for row in _csv_rows(folder / item["csv"]["file"])]


def _as_csv(value: object) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _fail(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command expecting a failure; returns its one line on stderr."""
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Export failed: ")
    return lines[0]


@pytest.fixture(scope="module")
def exported(duckdb_engine: DuckDBEngine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "lists"
    export(duckdb_engine.database, folder)
    return folder


@pytest.fixture(scope="module")
def with_contacts(
    duckdb_engine: DuckDBEngine,
    fixture_files: GeneratedFiles,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    folder = tmp_path_factory.mktemp("export-contacts") / "lists"
    export(duckdb_engine.database, folder, contacts=fixture_files.customers_path)
    return folder


@pytest.fixture
def database_copy(duckdb_engine: DuckDBEngine, tmp_path: Path) -> Path:
    """A private copy of the built file, for tests that break the marts."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(duckdb_engine.database, copy)
    return copy


def test_counts_equal_tier_strategies(exported: Path, duckdb_engine: DuckDBEngine) -> None:
    assigned = {
        row["strategy_key"]: row["assigned_customers"]
        for row in duckdb_engine.fetch(
            "select strategy_key, assigned_customers from marts.tier_strategies"
        )
    }
    manifest = _manifest(exported)
    assert {item["strategy_key"] for item in manifest["strategies"]} == set(assigned)
    listed = _listed(exported)
    assert {item["strategy_key"] for item in listed} == {k for k, n in assigned.items() if n > 0}
    for item in listed:
        rows = _csv_rows(exported / item["csv"]["file"])
        assert len(rows) == item["customers"] == assigned[item["strategy_key"]]
        assert {row["strategy_key"] for row in rows} == {item["strategy_key"]}
        assert pq.ParquetFile(exported / item["parquet"]["file"]).metadata.num_rows == len(rows)
    assert sorted(path.name for path in exported.iterdir()) == sorted(
        [MANIFEST]
        + [item["csv"]["file"] for item in listed]
        + [item["parquet"]["file"] for item in listed]
    )


def test_every_customer_is_in_exactly_one_list(exported: Path, duckdb_engine: DuckDBEngine) -> None:
    tiers = {
        row["customer_id"]: row
        for row in duckdb_engine.fetch(
            "select customer_id, strategy_key, monetary, pyramid_tier from marts.customer_tiers"
        )
    }
    rows = _all_rows(exported)
    counts = Counter(row["customer_id"] for row in rows)
    assert set(counts) == set(tiers)
    assert set(counts.values()) == {1}
    assert _manifest(exported)["customers"] == len(tiers)
    for row in rows:
        tier = tiers[row["customer_id"]]
        assert row["strategy_key"] == tier["strategy_key"]
        assert row["pyramid_tier"] == _as_csv(tier["pyramid_tier"])
        assert row["monetary"] == _as_csv(tier["monetary"])


def test_file_names_are_safe_and_rows_ordered(exported: Path) -> None:
    for item in _listed(exported):
        stem = item["strategy_key"].replace(":", "__")
        assert item["csv"]["file"] == f"{stem}.csv"
        assert item["parquet"]["file"] == f"{stem}.parquet"
        assert all(c.isalnum() or c in "_-." for c in item["csv"]["file"])
        rows = _csv_rows(exported / item["csv"]["file"])
        keys = [(-Decimal(row["monetary"] or "-Infinity"), row["customer_id"]) for row in rows]
        assert keys == sorted(keys)


def test_csv_has_bom_crlf_and_decodes_chinese(exported: Path, duckdb_engine: DuckDBEngine) -> None:
    names = {
        row["strategy_key"]: row["tier_name_zh"]
        for row in duckdb_engine.fetch(
            "select strategy_key, tier_name_zh from marts.tier_strategies"
        )
    }
    assert any(ord(c) > 0x4E00 for c in "".join(names.values()))
    for item in _listed(exported):
        raw = (exported / item["csv"]["file"]).read_bytes()
        assert raw.startswith(BOM) and not raw.startswith(BOM * 2)
        assert raw.count(b"\r\n") == item["customers"] + 1
        assert raw.count(b"\n") == raw.count(b"\r\n")
        text = raw.decode("utf-8-sig")
        assert text.startswith("strategy_key,")
        rows = _csv_rows(exported / item["csv"]["file"])
        assert {row["tier_name_zh"] for row in rows} == {names[item["strategy_key"]]}


def test_parquet_holds_what_the_csv_holds(exported: Path) -> None:
    manifest = _manifest(exported)
    for item in _listed(exported):
        table = pq.read_table(exported / item["parquet"]["file"])
        assert table.column_names == manifest["columns"]
        parquet_rows = [
            {name: _as_csv(value) for name, value in row.items()} for row in table.to_pylist()
        ]
        assert parquet_rows == _csv_rows(exported / item["csv"]["file"])


def test_value_columns_when_the_value_marts_exist(exported: Path) -> None:
    columns = _manifest(exported)["columns"]
    for column in ("clv_band", "simple_clv", "p_alive", "expected_purchases", "predicted_clv"):
        assert column in columns
    assert "actions" not in columns
    assert all(item["actions"] for item in _listed(exported))


def test_manifest_hashes_match_the_files(exported: Path) -> None:
    for item in _listed(exported):
        for kind in ("csv", "parquet"):
            data = (exported / item[kind]["file"]).read_bytes()
            assert item[kind]["bytes"] == len(data)
            assert item[kind]["sha256"] == hashlib.sha256(data).hexdigest()


def test_rerun_is_byte_identical(
    duckdb_engine: DuckDBEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches and row groups that do not divide each other: several row groups per file.
    monkeypatch.setattr(export_module, "BATCH_ROWS", 97)
    monkeypatch.setattr(export_module, "ROW_GROUP_ROWS", 250)
    export(duckdb_engine.database, tmp_path / "first")
    export(duckdb_engine.database, tmp_path / "second")
    first = _files(tmp_path / "first")
    assert first == _files(tmp_path / "second")
    export(duckdb_engine.database, tmp_path / "first")  # over the earlier export
    assert _files(tmp_path / "first") == first
    largest = max(_listed(tmp_path / "first"), key=lambda item: item["customers"])
    metadata = pq.ParquetFile(tmp_path / "first" / largest["parquet"]["file"]).metadata
    assert metadata.num_row_groups == -(-largest["customers"] // 250) > 1
    assert set(metadata.metadata) == {b"ARROW:schema"}
    assert metadata.created_by.startswith("parquet-cpp-arrow version ")
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_no_personal_field_without_opt_in(exported: Path, fixture_files: GeneratedFiles) -> None:
    assert not set(PERSONAL) & set(_manifest(exported)["columns"])
    assert _manifest(exported)["personal_data"] is False
    with fixture_files.customers_path.open(encoding="utf-8", newline="") as handle:
        people = list(csv.DictReader(handle))
    values = {person[column] for person in people for column in PERSONAL if person[column]}
    text = "".join(
        (exported / item["csv"]["file"]).read_text(encoding="utf-8-sig")
        for item in _listed(exported)
    )
    assert not [value for value in values if value in text]


def test_contacts_join_the_right_person(
    with_contacts: Path, exported: Path, fixture_files: GeneratedFiles
) -> None:
    with fixture_files.customers_path.open(encoding="utf-8", newline="") as handle:
        people = {
            row["customer_id"].strip(): tuple(row[column] for column in PERSONAL)
            for row in csv.DictReader(handle)
        }
    manifest = _manifest(with_contacts)
    assert manifest["personal_data"] is True
    assert manifest["columns"][-3:] == list(PERSONAL)
    rows = _all_rows(with_contacts)
    matched = 0
    for row in rows:
        expected = people.get(row["customer_id"], ("", "", ""))
        assert tuple(row[column] for column in PERSONAL) == expected, row["customer_id"]
        matched += row["customer_id"] in people
    assert matched == len(set(people) & {row["customer_id"] for row in rows}) > 2_000
    # Apart from the personal columns, the lists are those of the export without contacts.
    without = {row["customer_id"]: row for row in _all_rows(exported)}
    assert [{k: v for k, v in row.items() if k not in PERSONAL} for row in rows] == [
        without[row["customer_id"]] for row in rows
    ]


def test_contacts_in_gb18030(
    duckdb_engine: DuckDBEngine,
    fixture_files: GeneratedFiles,
    with_contacts: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    contacts = tmp_path / "customers.gb18030.csv"
    text = fixture_files.customers_path.read_text(encoding="utf-8")
    contacts.write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
    args = ["--duckdb", str(duckdb_engine.database), "--contacts", str(contacts)]
    line = _fail([*args, "--out", str(tmp_path / "plain")], capsys)
    assert "not UTF-8 encoded" in line and "--contacts-encoding" in line
    assert not (tmp_path / "plain").exists()
    out = tmp_path / "converted"
    assert main([*args, "--out", str(out), "--contacts-encoding", "gb18030"]) == 0
    assert "personal data" in capsys.readouterr().out
    assert _files(out) == _files(with_contacts)
    assert not [path for path in tmp_path.rglob("*.utf8.csv")]


def test_contacts_with_conflicting_copies_fail(
    duckdb_engine: DuckDBEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("customer_id,name\nC0001,A\nC0001,B\n", encoding="utf-8")
    argv = ["--duckdb", str(duckdb_engine.database), "--out", str(tmp_path / "out")]
    assert "C0001 more than once" in _fail([*argv, "--contacts", str(contacts)], capsys)
    contacts.write_text("customer_id,region\nC0001,x\n", encoding="utf-8")
    assert "none of the columns" in _fail([*argv, "--contacts", str(contacts)], capsys)


def test_missing_database_or_marts_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "out")
    assert "no DuckDB file" in _fail(
        ["--duckdb", str(tmp_path / "none.duckdb"), "--out", out], capsys
    )
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    line = _fail(["--duckdb", str(empty), "--out", out], capsys)
    assert "marts.customer_tiers not found" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("delete from marts.customer_tiers", "has no customer"),
        (
            "update marts.tier_strategies set assigned_customers = assigned_customers + 1"
            " where strategy_key = 'pyramid_tier:A'",
            "pyramid_tier:A: ",
        ),
        (
            "update marts.customer_tiers set strategy_key = null"
            " where customer_id = (select min(customer_id) from marts.customer_tiers)",
            "have no strategy_key",
        ),
        ("drop table marts.tier_strategies", "marts.tier_strategies not found"),
    ],
)
def test_broken_marts_fail_and_keep_the_last_export(
    database_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    damage: str,
    message: str,
) -> None:
    out = tmp_path / "out"
    assert main(["--duckdb", str(database_copy), "--out", str(out)]) == 0
    before = _files(out)
    with duckdb.connect(str(database_copy)) as connection:
        connection.execute(damage)
    assert message in _fail(["--duckdb", str(database_copy), "--out", str(out)], capsys)
    assert _files(out) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([database_copy.name, "out"])


def test_without_the_value_marts(database_copy: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(database_copy)) as connection:
        connection.execute("drop table marts.customer_value_predictions")
        connection.execute("drop table marts.customer_value")
    result = export(database_copy, tmp_path / "out")
    assert "p_alive" not in result.columns and "clv_band" not in result.columns
    assert result.columns[-1] == "lifecycle_stage"
    assert sum(item.rows for item in result.strategies) == result.customers


def test_refuses_to_replace_a_folder_that_is_not_an_export(
    duckdb_engine: DuckDBEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "daily.csv").write_text("keep me", encoding="utf-8")
    line = _fail(["--duckdb", str(duckdb_engine.database), "--out", str(tmp_path / "mine")], capsys)
    assert "not an export" in line or "holds no manifest.json" in line
    assert (tmp_path / "mine" / "daily.csv").read_text(encoding="utf-8") == "keep me"


def test_reads_the_database_only(database_copy: Path, tmp_path: Path) -> None:
    before = (database_copy.read_bytes(), database_copy.stat().st_mtime_ns)
    export(database_copy, tmp_path / "out")
    assert (database_copy.read_bytes(), database_copy.stat().st_mtime_ns) == before
    assert not database_copy.with_name(database_copy.name + ".wal").exists()


def test_contacts_from_parquet(
    duckdb_engine: DuckDBEngine,
    fixture_files: GeneratedFiles,
    with_contacts: Path,
    tmp_path: Path,
) -> None:
    contacts = tmp_path / "customers.parquet"
    source = str(fixture_files.customers_path).replace("'", "''")
    duckdb.execute(f"copy (select * from read_csv('{source}', all_varchar = true)) to '{contacts}'")
    export(duckdb_engine.database, tmp_path / "out", contacts=contacts)
    assert _files(tmp_path / "out") == _files(with_contacts)
