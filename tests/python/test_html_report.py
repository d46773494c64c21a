"""`make report` (customer_tiering.html_report), looked at as a person would: rendered from the
pipeline built on DuckDB in both languages, opened in headless Chromium (Debian's package, no
network), with no console error, every chart drawn, and every number shown equal to the marts
queried here independently. Full-page screenshots go to target/report/screenshot-<lang>.png."""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from customer_tiering import html_report
from customer_tiering.report_data import format_value
from customer_tiering.report_labels import LANGUAGES, section_names
from customer_tiering.report_sections import SECTIONS, nice_step, round_step_up
from customer_tiering.system_packages import SystemPackageError, ensure_debian_package
from engines import DuckDBEngine

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "target" / "report"
CHROMIUM = "/usr/bin/chromium"
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How far a shown text may be from the mart value, per data-format (half its last digit).
TOLERANCE = {"count": 0.5, "share": 0.0005, "money": 0.5, "ratio": 0.005}
BROWSER = pytest.mark.xdist_group("browser")


def _required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    """A missing browser fails the test under CI=true and skips it elsewhere."""
    if _required():
        pytest.fail(f"the browser test cannot run under CI: {reason}")
    pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture(scope="module")
def reports(
    duckdb_engine: DuckDBEngine, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The report of the built pipeline in each language, written by the command line."""
    folder = tmp_path_factory.mktemp("report")
    written: dict[str, Path] = {}
    for language in LANGUAGES:
        out = folder / language / "index.html"
        code = html_report.main(
            ["--duckdb", str(duckdb_engine.database), "--lang", language, "--out", str(out)]
        )
        assert code == 0
        written[language] = out
    return written


# --- the HTML, without a browser --------------------------------------------------------------


def test_every_section_has_labels_in_display_order() -> None:
    assert tuple(SECTIONS) == section_names()


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (1234, "count", "1,234"),
        (0.1234, "share", "12.3%"),
        (Decimal("-0.000001"), "share", "0.0%"),
        (Decimal("-0.4"), "money", "0"),
        (Decimal("1234567.891"), "money", "1,234,568"),
        (28.4849, "ratio", "28.48"),
        (None, "share", "-"),
        (float("nan"), "ratio", "-"),
    ],
)
def test_figures_are_formatted_for_reading(value: object, kind: str, text: str) -> None:
    assert format_value(value, kind) == text


def test_round_steps() -> None:
    assert [round_step_up(edge) for edge in (1, 2, 5, 10, 20, 50)] == [2, 5, 10, 20, 50, 100]
    assert [nice_step(raw) for raw in (0.3, 3, 7, 1200)] == [0.5, 5, 10, 2000]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_section_is_shown_when_its_marts_exist(
    duckdb_engine: DuckDBEngine, language: str
) -> None:
    report = html_report.render(duckdb_engine.database, language)  # type: ignore[arg-type]
    assert report.sections == section_names()
    assert report.not_built == ()
    assert "not-built" not in report.html


def test_the_page_refers_to_no_other_file(reports: dict[str, Path]) -> None:
    for path in reports.values():
        html = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=|url\(|@import|<script|<link""", html, re.I)
        assert not list(path.parent.glob(".*")), "no temporary file left next to the report"


def test_the_languages_differ_only_in_words(reports: dict[str, Path]) -> None:
    figures = {
        language: re.findall(r'data-mart="[^"]*" data-key="[^"]*"', path.read_text("utf-8"))
        for language, path in reports.items()
    }
    assert figures["zh"] == figures["en"]
    assert "客户金字塔" in reports["zh"].read_text("utf-8")
    assert "Customer pyramid" in reports["en"].read_text("utf-8")


def test_the_report_exposure_names_exactly_the_marts_shown(reports: dict[str, Path]) -> None:
    exposures = (REPO / "models/marts/_marts__exposures.yml").read_text("utf-8")
    report = exposures.split("  - name: report\n")[1].split("  - name: ")[0]
    declared = set(re.findall(r"ref\('(\w+)'\)", report))
    shown = set(re.findall(r'data-mart="(\w+)"', reports["en"].read_text("utf-8")))
    assert shown == declared


def _copy_without(
    database: Path, folder: Path, drop: tuple[str, ...], drop_columns: tuple[tuple[str, str], ...]
) -> Path:
    copy = folder / "tiering.duckdb"
    shutil.copy(database, copy)
    with duckdb.connect(str(copy)) as connection:
        for table in drop:
            connection.execute(f"drop table marts.{table}")
        for table, column in drop_columns:
            connection.execute(f"alter table marts.{table} drop column {column}")
    return copy


def test_sections_whose_marts_are_missing_are_left_out_and_named(
    duckdb_engine: DuckDBEngine, tmp_path: Path
) -> None:
    copy = _copy_without(
        duckdb_engine.database,
        tmp_path,
        drop=("tier_migrations", "customer_value_predictions", "tier_backtest"),
        drop_columns=(("tier_kpis", "retention_rate"),),
    )
    out = tmp_path / "report" / "index.html"
    assert html_report.main(["--duckdb", str(copy), "--lang", "en", "--out", str(out)]) == 0
    html = out.read_text("utf-8")
    missing = {"migrations", "value_distributions", "backtest", "kpis"}
    for name in section_names():
        assert (f'id="{name}"' in html) == (name not in missing), name
    footer = html[html.index("<footer>") :]
    for relation in (
        "tier_migrations",
        "customer_value_predictions",
        "tier_backtest",
        "tier_kpis.retention_rate",
    ):
        assert relation in footer


def test_a_missing_database_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "index.html"
    code = html_report.main(["--duckdb", str(tmp_path / "none.duckdb"), "--out", str(out)])
    assert code != 0
    assert "no DuckDB file" in capsys.readouterr().err
    assert not out.exists()


def test_a_database_without_customer_tiers_is_an_error(
    duckdb_engine: DuckDBEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy_without(
        duckdb_engine.database, tmp_path, drop=("customer_tiers",), drop_columns=()
    )
    code = html_report.main(["--duckdb", str(copy), "--out", str(tmp_path / "index.html")])
    assert code != 0
    assert "no mart marts.customer_tiers" in capsys.readouterr().err


# --- the page in a browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from Debian (installed with apt-get when missing and possible)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"playwright is not installed ({error})")
    try:
        executable = ensure_debian_package("chromium", CHROMIUM)
        ensure_debian_package("fonts-noto-cjk", CJK_FONT)
    except SystemPackageError as error:
        _unavailable(str(error))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


READ_FIGURES = """() => Array.from(document.querySelectorAll('[data-mart]')).map(e => ({
    tag: e.tagName.toLowerCase(), mart: e.dataset.mart, key: e.dataset.key,
    column: e.dataset.column, value: e.dataset.value, format: e.dataset.format || '',
    text: Array.from(e.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent)
        .join('').trim(),
    section: (e.closest('section') || {}).id}))"""

READ_CHARTS = """() => Array.from(document.querySelectorAll('section svg.chart'))
    .filter(svg => !svg.parentElement.closest('svg'))
    .map(svg => { const box = svg.getBoundingClientRect();
        return {section: svg.closest('section').id, width: box.width, height: box.height,
                marks: svg.querySelectorAll('.mark').length}; })"""


@BROWSER
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_report_in_a_browser(
    browser: Any, reports: dict[str, Path], duckdb_engine: DuckDBEngine, language: str
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(reports[language].as_uri(), wait_until="load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"screenshot-{language}.png"), full_page=True)

    assert errors == []
    assert requests and all(url.startswith("file://") for url in requests), requests

    drawn = page.evaluate(READ_CHARTS)
    charted = {"pyramid", "pareto", "rfm_heatmap", "lifecycle", "value_loyalty", "migrations"}
    charted |= {"flows", "kpis", "backtest", "value_distributions"}
    assert {chart["section"] for chart in drawn} == charted
    for chart in drawn:
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["marks"] > 0, chart

    figures = page.evaluate(READ_FIGURES)
    page.close()
    assert len(figures) > 500
    assert {figure["section"] for figure in figures} == set(section_names())
    with duckdb.connect(str(duckdb_engine.database), read_only=True) as connection:
        wrong = [
            (figure, expected)
            for figure in figures
            for expected in [expected_value(connection, figure)]
            if not value_matches(figure, expected) or not text_matches(figure, expected)
        ]
    assert wrong == [], f"{len(wrong)} of {len(figures)} figures differ from the marts: {wrong[:5]}"


# --- the marts, queried here without the report's code --------------------------------------

PERIOD_SEGMENT = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})\|(?P<segment>.*)")


def expected_value(connection: duckdb.DuckDBPyConnection, figure: dict[str, str]) -> object:
    """The value of the mart that the figure says it shows."""
    mart, key, column = figure["mart"], figure["key"], figure["column"]

    def one(sql: str, *parameters: object) -> object:
        rows = connection.execute(sql, list(parameters)).fetchall()
        assert len(rows) == 1, (figure, rows)
        return rows[0][0]

    if mart == "customer_tiers" and column in ("count(*)", "avg(monetary)"):
        r_score, f_score = (int(x) for x in re.fullmatch(r"r(\d)f(\d)", key).groups())  # type: ignore[union-attr]
        return one(
            f"select {column} from marts.customer_tiers where r_score = ? and f_score = ?",
            r_score,
            f_score,
        )
    if mart == "customer_value_predictions":
        low, high = (float(x) for x in key.split(".."))
        return one(
            f"select count(*) from marts.{mart} where {column} >= ? and ({column} < ? "
            f"or {column} = (select max({column}) from marts.{mart}) and {column} <= ?)",
            low,
            high,
            high,
        )
    keyed = {
        "customer_tiers": "customer_id",
        "pyramid_summary": "pyramid_tier",
        "tier_strategies": "strategy_key",
        "customer_flows": "cast(as_of_date as varchar)",
    }
    if mart in keyed:
        return one(f"select {column} from marts.{mart} where {keyed[mart]} = ?", key)
    if mart == "tier_migrations":
        day, move = key.split("|")
        source, target = (None if code == "None" else code for code in move.split("->"))
        return one(
            f"select {column} from marts.tier_migrations where scheme = 'pyramid_tier' "
            "and cast(to_as_of_date as varchar) = ? and from_segment is not distinct from ? "
            "and to_segment is not distinct from ?",
            day,
            source,
            target,
        )
    if mart in ("tier_kpis", "tier_backtest"):
        found = PERIOD_SEGMENT.fullmatch(key)
        assert found, figure
        return one(
            f"select {column} from marts.{mart} where scheme = 'pyramid_tier' "
            "and cast(as_of_date as varchar) = ? and segment = ?",
            found["day"],
            found["segment"],
        )
    raise AssertionError(f"a figure of an unexpected mart: {figure}")


def _number(value: object) -> float | None:
    if value is None or value == "":
        return None
    return float(value if not isinstance(value, Decimal) else str(value))  # type: ignore[arg-type]


def value_matches(figure: dict[str, str], expected: object) -> bool:
    """data-value holds the mart's value exactly (as printed by Python)."""
    shown, wanted = _number(figure["value"]), _number(expected)
    if shown is None or wanted is None:
        return shown is None and wanted is None
    return math.isclose(shown, wanted, rel_tol=1e-12, abs_tol=1e-12)


def text_matches(figure: dict[str, str], expected: object) -> bool:
    """The text a reader sees rounds the mart's value (only elements that show text)."""
    if figure["tag"] not in ("text", "td", "strong"):
        return True
    text, wanted = figure["text"], _number(expected)
    if wanted is None:
        return text == "-"
    number = float(text.replace(",", "").rstrip("%"))
    if figure["format"] == "share":
        number /= 100
    return abs(number - wanted) <= TOLERANCE[figure["format"]] + 1e-9
