"""Personal data: the email is kept only as a keyed hash (HMAC-SHA256 with the secret
TIERING_HASH_KEY), equal on both engines to Python's hmac, and the key never reaches the SQL that
dbt writes to target/ and logs/."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from conftest import ON_POSTGRES
from customer_tiering.generate import GeneratedFiles
from engines import (
    TEST_HASH_KEY,
    DuckDBEngine,
    Engine,
    PostgresEngine,
    build,
    keyed_email_hash,
)


def _expected_hashes(customers_path: Path) -> dict[str, str | None]:
    """Every customer's HMAC of its trimmed, lower-cased email (the first listing of a customer
    listed twice has the earliest signup in the fixture; the check below skips such ids)."""
    found: dict[str, list[str | None]] = {}
    with customers_path.open(encoding="utf-8") as infile:
        for row in csv.DictReader(infile):
            found.setdefault(row["customer_id"].strip(" "), []).append(
                keyed_email_hash(row.get("email"))
            )
    return {customer: digests[0] for customer, digests in found.items() if len(digests) == 1}


def _check(engine: Engine, customers_path: Path) -> None:
    expected = _expected_hashes(customers_path)
    rows = engine.fetch("select customer_id, email_hash from staging.stg_customers")
    got = {row["customer_id"]: row["email_hash"] for row in rows}
    assert sum(1 for digest in expected.values() if digest) > 1000
    wrong = [customer for customer, digest in expected.items() if got.get(customer) != digest]
    assert not wrong, wrong[:5]


def test_duckdb_keeps_only_the_keyed_hash_of_the_email(
    duckdb_engine: DuckDBEngine, fixture_files: GeneratedFiles
) -> None:
    assert fixture_files.customers_path is not None
    _check(duckdb_engine, fixture_files.customers_path)
    written = [
        path
        for folder in ("target", "logs")
        for path in (duckdb_engine.work_dir / folder).rglob("*")
        if path.is_file() and TEST_HASH_KEY.encode() in path.read_bytes()
    ]
    assert not written, written[:3]


@ON_POSTGRES
def test_postgres_keeps_only_the_keyed_hash_of_the_email(
    postgres_engine: PostgresEngine, fixture_files: GeneratedFiles
) -> None:
    assert fixture_files.customers_path is not None
    _check(postgres_engine, fixture_files.customers_path)


def test_without_a_key_no_hash_is_kept(duckdb_copy: DuckDBEngine) -> None:
    """A build without TIERING_HASH_KEY keeps no hash (never an unkeyed one)."""
    without_key = replace(duckdb_copy, hash_key="")
    build(without_key, "run", "--select", "stg_customers", "--full-refresh")
    (row,) = without_key.fetch(
        "select count(*) as customers, count(email_hash) as hashed from staging.stg_customers"
    )
    assert row["customers"] > 1000 and row["hashed"] == 0
