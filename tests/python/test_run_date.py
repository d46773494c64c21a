"""The rule for future-dated rows uses the business's date (var timezone), not the machine's UTC
date: a run at 02:30 in UTC+8 keeps that morning's rows."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engines import DuckDBEngine, build

STAGING_ONLY = ("run", "--select", "staging")


def _date_in(zone: str) -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date().isoformat()


@pytest.fixture
def engine(tmp_path: Path) -> DuckDBEngine:
    """Purchases of 2025, a row dated today in UTC+14 (the latest date on Earth) and one dated
    the day after it."""
    latest = datetime.fromisoformat(_date_in("Etc/GMT-14"))
    path = tmp_path / "transactions.csv"
    with path.open("w", encoding="utf-8", newline="") as outfile:
        writer = csv.writer(outfile)
        writer.writerow(["transaction_id", "customer_id", "transaction_date", "amount"])
        writer.writerows(
            [f"T{i}", f"C{i % 7}", f"2025-{i % 12 + 1:02d}-10", "10.00"] for i in range(60)
        )
        writer.writerow(["LATEST-TODAY", "C1", latest.date().isoformat(), "5.00"])
        writer.writerow(["TOMORROW", "C1", (latest + timedelta(days=1)).date().isoformat(), "5.00"])
    return DuckDBEngine(tmp_path, path, None)


def _reasons(engine: DuckDBEngine) -> dict[str, str | None]:
    rows = engine.fetch(
        "select transaction_id, reject_reason from staging.base_transactions"
        " where transaction_id in ('LATEST-TODAY', 'TOMORROW')"
    )
    return {row["transaction_id"]: row["reject_reason"] for row in rows}


@pytest.mark.parametrize(
    ("timezone", "today_is_future"),
    [
        pytest.param(None, False, id="no-timezone-latest-date-on-earth"),
        pytest.param("Etc/GMT-14", False, id="utc+14"),
        pytest.param("Etc/GMT+12", True, id="utc-12"),
    ],
)
def test_future_means_after_the_business_date(
    engine: DuckDBEngine, timezone: str | None, today_is_future: bool
) -> None:
    build(engine, *STAGING_ONLY, timezone=timezone)
    future = "transaction_date_in_future"
    assert _reasons(engine) == {
        "LATEST-TODAY": future if today_is_future else None,
        "TOMORROW": future,
    }
