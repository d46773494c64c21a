"""A self-contained HTML report of the published marts: `python -m customer_tiering.html_report
--duckdb tiering.duckdb --lang zh --out target/report/index.html` (`make report`).

Opens the DuckDB file read-only and reads each mart with plain selects: every figure shown is a
mart column (only the R x F heatmap counts and averages customer_tiers per cell, and the
distributions count customers per bin); the report formats, it never recomputes a tier or a
share. A section whose mart or column is missing is left out and named in the footer. The page
has inline CSS and SVG only: no script, no font, no request to any other file. Every figure
carries data-mart, data-key, data-column and data-value (and data-format) attributes, which
tests/python/test_html_report.py compares with the marts in a headless browser.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

import duckdb

from customer_tiering.report_data import MARTS_SCHEMA, Context, Marts, MissingMart, tier_names
from customer_tiering.report_labels import LANGUAGES, Labels, Language
from customer_tiering.report_sections import SECTIONS

REQUIRED_MART = "customer_tiers"


class ReportError(RuntimeError):
    """Nothing useful to show: no database, or no customer_tiers mart in it."""


# --- the page --------------------------------------------------------------------------------

CSS = """
body{font-family:'Noto Sans CJK SC','Noto Sans SC','Microsoft YaHei',sans-serif;margin:24px auto;
max-width:960px;color:#222;background:#fff;line-height:1.45}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 4px;border-bottom:1px solid #ddd}
.meta,.how,.caption,footer{color:#555;font-size:13px}.how{margin:2px 0 10px}
section{margin-bottom:12px}svg.chart{display:block;max-width:100%;height:auto;margin:8px 0}
table{border-collapse:collapse;font-size:12px;margin:8px 0;width:100%}
th,td{border-bottom:1px solid #e4e4e4;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f6f8;white-space:nowrap}td.name{white-space:nowrap}td.num{text-align:right;white-space:nowrap}td.text{min-width:140px}
footer{margin-top:32px;border-top:1px solid #ddd;padding-top:8px}
"""


@dataclass(frozen=True)
class RenderedReport:
    html: str
    sections: tuple[str, ...]
    not_built: tuple[tuple[str, str], ...]


def render(database: Path, language: Language) -> RenderedReport:
    """The report's HTML, the sections shown and (section, missing relation) left out."""
    if not database.is_file():
        raise ReportError(f"no DuckDB file at {database}: run make build first")
    with duckdb.connect(str(database), read_only=True) as connection:
        marts = Marts(connection)
        if REQUIRED_MART not in marts.columns:
            raise ReportError(
                f"{database} has no mart {MARTS_SCHEMA}.{REQUIRED_MART}: run make build first"
            )
        labels = Labels(language)
        ctx = Context(marts, labels, tier_names(marts, language))
        as_of = marts.rows(f"select max(as_of_date) as day from {MARTS_SCHEMA}.{REQUIRED_MART}")
        shown: list[str] = []
        missing: list[tuple[str, str]] = []
        parts: list[str] = []
        for name, build in SECTIONS.items():
            text = labels.section(name)
            try:
                body = build(ctx)
            except MissingMart as error:
                missing.append((name, str(error)))
                continue
            shown.append(name)
            parts.append(
                f'<section id="{name}" data-section="{name}"><h2>{escape(text.title)}</h2>'
                f'<p class="how">{escape(text.how_to_read)}</p>{body}</section>'
            )
    title = labels.word("report_title")
    footer = ""
    if missing:
        items = "; ".join(
            f"{escape(labels.section(name).title)} ({escape(relation)})"
            for name, relation in missing
        )
        footer = (
            f'<p class="not-built" data-not-built="{escape(" ".join(n for n, _ in missing))}">'
            f"{escape(labels.word('not_built'))}: {items}</p>"
        )
    html = (
        f'<!DOCTYPE html><html lang="{"zh-CN" if language == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><p class="meta">{escape(labels.word("as_of"))} '
        f"{escape(str(as_of[0]['day']))} · {escape(labels.word('source'))} "
        f"{escape(database.name)}</p></header>{''.join(parts)}"
        f"<footer>{footer}</footer></body></html>\n"
    )
    return RenderedReport(html, tuple(shown), tuple(missing))


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file next to `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m customer_tiering.html_report")
    parser.add_argument("--duckdb", type=Path, required=True, help="the built or serving file")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh", help="labels: zh or en")
    parser.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    try:
        report = render(args.duckdb, args.lang)
    except (ReportError, duckdb.Error) as error:
        print(f"html_report: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    write_atomically(args.out, report.html)
    note = f"; not built: {', '.join(n for n, _ in report.not_built)}" if report.not_built else ""
    print(f"Report written to {args.out} ({len(report.sections)} sections{note})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
