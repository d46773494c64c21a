"""The sections of the HTML report (customer_tiering.html_report), one function each: it reads its
marts (report_data) and returns the section's HTML (charts from customer_tiering.charts, tables),
or raises MissingMart when a mart or column it needs does not exist. Figures are mart values,
formatted; only the R x F heatmap and the histograms aggregate, for display.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from datetime import date
from html import escape

from customer_tiering import charts
from customer_tiering.charts import Bin, Cell, Mark, Marker, Series
from customer_tiering.report_data import Context, Figure, Marts, MissingMart, Row, format_value

PYRAMID_TIERS = ("A", "B", "C", "D")
SCHEME_ORDER = (
    "pyramid_tier",
    "rfm_segment",
    "lifecycle_stage",
    "value_loyalty_grade",
    "b2b_segment",
    "clv_band",
    "cluster",
)


# --- sections --------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _th(text: str) -> str:
    return f'<td class="name">{escape(text)}</td>'


def section_pyramid(ctx: Context) -> str:
    columns = ("customers", "customer_share", "revenue", "revenue_share")
    ctx.marts.require(
        "pyramid_summary", "pyramid_tier", "tier_order", *columns, "cumulative_revenue_share"
    )
    rows = ctx.marts.rows(
        "select pyramid_tier, customers, customer_share, revenue, revenue_share, "
        "cumulative_revenue_share from marts.pyramid_summary order by tier_order, pyramid_tier"
    )
    words = ctx.labels.word

    def fig(row: Row, column: str, kind: str) -> Figure:
        return Figure("pyramid_summary", str(row["pyramid_tier"]), column, row[column], kind)

    tiered = [row for row in rows if row["pyramid_tier"] in PYRAMID_TIERS]
    chart = charts.bar_chart(
        ctx.labels.section("pyramid").title,
        [ctx.tier("pyramid_tier", row["pyramid_tier"]) for row in tiered],
        [
            Series(words(column), [fig(row, column, "share").mark() for row in tiered])
            for column in ("customer_share", "revenue_share")
        ],
    )
    kinds = {"customers": "count", "revenue": "money", "cumulative_revenue_share": "share"}
    shown = (*columns, "cumulative_revenue_share")
    table = _table(
        [words("tier"), *(words(column) for column in shown)],
        [
            [
                _th(ctx.tier("pyramid_tier", row["pyramid_tier"])),
                *(fig(row, column, kinds.get(column, "share")).td() for column in shown),
            ]
            for row in rows
        ],
    )
    return chart + table


def section_pareto(ctx: Context) -> str:
    ctx.marts.require(
        "customer_tiers", "customer_id", "percent_rank", "cumulative_revenue_share", "revenue_rank"
    )
    rows = ctx.marts.rows(
        "select customer_id, percent_rank, cumulative_revenue_share from marts.customer_tiers "
        "where revenue_rank is not null "
        "order by cumulative_revenue_share, percent_rank, customer_id"
    )
    step = max(1, len(rows) // 200)
    sampled = rows[::step] + ([rows[-1]] if rows and (len(rows) - 1) % step else [])
    mart, column = "customer_tiers", "cumulative_revenue_share"
    curve = Series(
        ctx.labels.word("cumulative_revenue_share"),
        [Figure(mart, row["customer_id"], column, row[column], "share").mark() for row in sampled],
        [float(row["percent_rank"]) for row in sampled],
    )
    # The 80/20 point: the first customer, in revenue order, at or past 20 % of the customers.
    top = ctx.marts.rows(
        "select customer_id, percent_rank, cumulative_revenue_share from marts.customer_tiers "
        "where revenue_rank is not null and percent_rank >= 0.2 "
        "order by revenue_rank, customer_id limit 1"
    )
    markers: list[Marker] = []
    caption = ""
    if top and top[0]["cumulative_revenue_share"] is not None:
        key = str(top[0]["customer_id"])
        customers = Figure(mart, key, "percent_rank", top[0]["percent_rank"], "share")
        revenue = Figure(mart, key, column, top[0]["cumulative_revenue_share"], "share")
        words = ctx.labels.word
        markers.append(
            Marker(
                float(customers.value),  # type: ignore[arg-type]
                float(revenue.value),  # type: ignore[arg-type]
                f"{customers.text} → {revenue.text}",
                (customers.ref, revenue.ref),
            )
        )
        caption = (
            f'<p class="caption">{escape(words("cumulative_customer_share"))} {customers.span()}'
            f" · {escape(words('top_20'))} {revenue.span()} {escape(words('of_revenue'))}</p>"
        )
    ticks = [(value / 5, f"{20 * value}%") for value in range(6)]
    chart = charts.line_chart(
        ctx.labels.section("pareto").title,
        [curve],
        x_range=(0.0, 1.0),
        y_range=(0.0, 1.0),
        x_ticks=ticks,
        y_ticks=ticks,
        markers=markers,
        diagonal=True,
        point_radius=1.6,
        height=340,
    )
    return chart + caption


def section_rfm_heatmap(ctx: Context) -> str:
    ctx.marts.require("customer_tiers", "r_score", "f_score", "monetary")
    rows = ctx.marts.rows(
        "select r_score, f_score, count(*) as customers, avg(monetary) as mean_monetary "
        "from marts.customer_tiers where r_score is not null and f_score is not null "
        "group by r_score, f_score"
    )
    highest = max((float(row["mean_monetary"] or 0) for row in rows), default=0.0) or 1.0
    cells: dict[tuple[int, int], Cell] = {}
    for row in rows:
        key = f"r{row['r_score']}f{row['f_score']}"
        mean = Figure("customer_tiers", key, "avg(monetary)", row["mean_monetary"], "money")
        count = Figure("customer_tiers", key, "count(*)", row["customers"], "count")
        cells[(5 - row["r_score"], row["f_score"] - 1)] = Cell(
            float(row["mean_monetary"] or 0) / highest, (mean.mark(), count.mark()), key
        )
    return charts.heatmap(
        ctx.labels.section("rfm_heatmap").title,
        [f"R{score}" for score in range(5, 0, -1)],
        [f"F{score}" for score in range(1, 6)],
        cells,
        row_title=ctx.labels.word("r_score"),
        column_title=ctx.labels.word("f_score"),
        cell_width=92,
    )


def _scheme_rows(ctx: Context, scheme: str) -> list[Row]:
    ctx.marts.require(
        "tier_strategies",
        "strategy_key",
        "scheme",
        "tier_code",
        "tier_order",
        "customers",
        "customer_share",
        "revenue_share",
    )
    rows = ctx.marts.rows(
        "select strategy_key, tier_code, customers, customer_share, revenue_share "
        "from marts.tier_strategies where scheme = ? order by tier_order, tier_code",
        [scheme],
    )
    if not rows:
        raise MissingMart(f"tier_strategies (scheme {scheme})")
    return rows


def _strategy_figure(row: Row, column: str, kind: str) -> Figure:
    return Figure("tier_strategies", row["strategy_key"], column, row[column], kind)


def _share_table(ctx: Context, scheme: str, rows: Sequence[Row]) -> str:
    words = ctx.labels.word
    return _table(
        [words("tier"), words("customers"), words("customer_share"), words("revenue_share")],
        [
            [
                _th(ctx.tier(scheme, row["tier_code"])),
                _strategy_figure(row, "customers", "count").td(),
                _strategy_figure(row, "customer_share", "share").td(),
                _strategy_figure(row, "revenue_share", "share").td(),
            ]
            for row in rows
        ],
    )


def section_lifecycle(ctx: Context) -> str:
    rows = _scheme_rows(ctx, "lifecycle_stage")
    chart = charts.funnel(
        ctx.labels.section("lifecycle").title,
        [
            (
                ctx.tier("lifecycle_stage", row["tier_code"]),
                _strategy_figure(row, "customers", "count").mark(),
            )
            for row in rows
        ],
    )
    return chart + _share_table(ctx, "lifecycle_stage", rows)


VALUE_LOYALTY_CELLS = {"A": (0, 0), "B": (0, 1), "C": (1, 0), "D": (1, 1), "E": (2, 0), "F": (2, 1)}


def section_value_loyalty(ctx: Context) -> str:
    rows = _scheme_rows(ctx, "value_loyalty_grade")
    highest = max((float(row["customers"] or 0) for row in rows), default=0.0) or 1.0
    cells: dict[tuple[int, int], Cell] = {}
    for row in rows:
        position = VALUE_LOYALTY_CELLS.get(row["tier_code"])
        if position is None:
            continue
        name = ctx.tier("value_loyalty_grade", row["tier_code"])
        count = _strategy_figure(row, "customers", "count")
        share = _strategy_figure(row, "revenue_share", "share")
        cells[position] = Cell(
            0.15 + 0.6 * float(row["customers"] or 0) / highest,
            (Mark(None, name), count.mark(), share.mark()),
            name,
        )
    words = ctx.labels.word
    return charts.heatmap(
        ctx.labels.section("value_loyalty").title,
        [words("value_high"), words("value_low"), words("outside_grid")],
        [words("loyalty_high"), words("loyalty_low")],
        cells,
        cell_width=230,
        cell_height=62,
    ) + _share_table(ctx, "value_loyalty_grade", rows)


def section_migrations(ctx: Context) -> str:
    ctx.marts.require(
        "tier_migrations",
        "scheme",
        "from_as_of_date",
        "to_as_of_date",
        "from_segment",
        "to_segment",
        "customers",
    )
    rows = ctx.marts.rows(
        "select from_as_of_date, to_as_of_date, from_segment, to_segment, customers "
        "from marts.tier_migrations where scheme = 'pyramid_tier' and to_as_of_date = "
        "(select max(to_as_of_date) from marts.tier_migrations where scheme = 'pyramid_tier')"
    )
    if not rows:
        raise MissingMart("tier_migrations (scheme pyramid_tier)")
    codes: list[str | None] = [*PYRAMID_TIERS, None]
    highest = max(float(row["customers"]) for row in rows) or 1.0
    period = f"{rows[0]['from_as_of_date']} → {rows[0]['to_as_of_date']}"
    cells: dict[tuple[int, int], Cell] = {}
    for row in rows:
        if row["from_segment"] not in codes or row["to_segment"] not in codes:
            continue
        key = f"{row['to_as_of_date']}|{row['from_segment']}->{row['to_segment']}"
        count = Figure("tier_migrations", key, "customers", row["customers"], "count")
        cells[(codes.index(row["from_segment"]), codes.index(row["to_segment"]))] = Cell(
            math.sqrt(float(row["customers"]) / highest), (count.mark(),), key
        )
    names = [ctx.tier("pyramid_tier", code) for code in codes]
    words = ctx.labels.word
    chart = charts.heatmap(
        ctx.labels.section("migrations").title,
        names,
        names,
        cells,
        row_title=words("from_tier"),
        column_title=words("to_tier"),
        cell_width=max(96, max(charts.text_width(name) for name in names) + 12),
        cell_height=34,
    )
    return f'<p class="caption">{escape(words("migration_period"))}: {escape(period)}</p>' + chart


def _period_ticks(dates: Sequence[date]) -> list[tuple[float, str]]:
    every = max(1, math.ceil(len(dates) / 8))
    return [(float(index), str(day)[:7]) for index, day in enumerate(dates) if index % every == 0]


def _value_ticks(values: Sequence[float], kind: str) -> list[tuple[float, str]]:
    highest = max([*values, 0.0])
    step = nice_step(highest / 4) if highest > 0 else 1.0
    return [(step * index, format_value(step * index, kind)) for index in range(5)]


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `raw` (> 0)."""
    power = 10 ** math.floor(math.log10(raw))
    return next(factor * power for factor in (1, 2, 2.5, 5, 10) if factor * power >= raw)


def _period_series(
    mart: str,
    rows: Sequence[Row],
    dates: Sequence[date],
    column: str,
    kind: str,
    name: str,
    key: Callable[[Row], str],
) -> Series:
    index = {day: position for position, day in enumerate(dates)}
    return Series(
        name,
        [Figure(mart, key(row), column, row[column], kind).mark() for row in rows],
        [float(index[row["as_of_date"]]) for row in rows],
    )


def section_flows(ctx: Context) -> str:
    columns = ("new_customers", "retained_customers", "reactivated_customers", "lost_customers")
    ctx.marts.require("customer_flows", "as_of_date", *columns)
    rows = ctx.marts.rows(
        f"select as_of_date, {', '.join(columns)} from marts.customer_flows order by as_of_date"
    )
    if not rows:
        raise MissingMart("customer_flows (no period)")
    dates = [row["as_of_date"] for row in rows]
    series = [
        _period_series(
            "customer_flows",
            rows,
            dates,
            column,
            "count",
            ctx.labels.word(column),
            lambda row: str(row["as_of_date"]),
        )
        for column in columns
    ]
    values = [float(row[column] or 0) for row in rows for column in columns]
    return charts.line_chart(
        ctx.labels.section("flows").title,
        series,
        width=860,
        height=300,
        x_ticks=_period_ticks(dates),
        y_ticks=_value_ticks(values, "count"),
        y_range=(0.0, _value_ticks(values, "count")[-1][0]),
    )


KPI_COLUMNS = (
    ("active_customers", "count"),
    ("retention_rate", "share"),
    ("average_order_value", "money"),
    ("revenue_share", "share"),
)


def section_kpis(ctx: Context) -> str:
    columns = [column for column, _ in KPI_COLUMNS]
    ctx.marts.require("tier_kpis", "as_of_date", "scheme", "segment", *columns)
    rows = ctx.marts.rows(
        f"select as_of_date, segment, {', '.join(columns)} from marts.tier_kpis "
        "where scheme = 'pyramid_tier' and segment is not null order by as_of_date, segment"
    )
    if not rows:
        raise MissingMart("tier_kpis (scheme pyramid_tier)")
    dates = sorted({row["as_of_date"] for row in rows})
    tiers = sorted({row["segment"] for row in rows})
    panels: list[tuple[str, str]] = []
    for column, kind in KPI_COLUMNS:
        series = [
            _period_series(
                "tier_kpis",
                [row for row in rows if row["segment"] == tier],
                dates,
                column,
                kind,
                ctx.tier("pyramid_tier", tier),
                lambda row: f"{row['as_of_date']}|{row['segment']}",
            )
            for tier in tiers
        ]
        values = [float(row[column]) for row in rows if row[column] is not None]
        ticks = _value_ticks(values, kind)
        title = ctx.labels.word(column)
        panels.append(
            (
                title,
                charts.line_chart(
                    title,
                    series,
                    width=430,
                    height=220,
                    x_ticks=_period_ticks(dates)[::2],
                    y_ticks=ticks,
                    y_range=(0.0, ticks[-1][0]),
                    point_radius=1.8,
                    legend=False,
                ),
            )
        )
    return charts.small_multiples(
        ctx.labels.section("kpis").title,
        panels,
        columns=2,
        legend=[ctx.tier("pyramid_tier", tier) for tier in tiers],
    )


def section_backtest(ctx: Context) -> str:
    columns = ("customers", "customer_share", "next_revenue_share", "retention_rate", "lift")
    ctx.marts.require(
        "tier_backtest",
        "as_of_date",
        "scheme",
        "segment",
        "is_horizon_complete",
        "horizon_periods",
        *columns,
    )
    rows = ctx.marts.rows(
        f"select as_of_date, horizon_periods, segment, {', '.join(columns)} "
        "from marts.tier_backtest where scheme = 'pyramid_tier' and segment is not null "
        "and as_of_date = (select max(as_of_date) from marts.tier_backtest "
        "where scheme = 'pyramid_tier' and is_horizon_complete) order by segment"
    )
    if not rows:
        raise MissingMart("tier_backtest (no complete horizon)")
    words = ctx.labels.word
    kinds = {"customers": "count", "lift": "ratio"}

    def fig(row: Row, column: str) -> Figure:
        key = f"{row['as_of_date']}|{row['segment']}"
        return Figure("tier_backtest", key, column, row[column], kinds.get(column, "share"))

    names = [ctx.tier("pyramid_tier", row["segment"]) for row in rows]
    chart = charts.bar_chart(
        ctx.labels.section("backtest").title,
        names,
        [Series(words("lift"), [fig(row, "lift").mark() for row in rows])],
        reference=1.0,
        reference_text=words("lift_reference"),
    )
    caption = (
        f'<p class="caption">{escape(words("backtest_window"))} {rows[0]["as_of_date"]}, '
        f"{escape(words('horizon'))} {rows[0]['horizon_periods']}</p>"
    )
    headers = [
        words("tier"),
        words("customers"),
        words("customer_share"),
        words("revenue_share"),
        words("retention_rate"),
        words("lift"),
    ]
    table = _table(
        headers,
        [
            [_th(name), *(fig(row, column).td() for column in columns)]
            for name, row in zip(names, rows, strict=True)
        ],
    )
    return caption + chart + table


def histogram_bins(marts: Marts, mart: str, column: str, edges: Sequence[float]) -> list[Bin]:
    """Customers per bin [low, high) of a mart column (the last bin includes its high edge)."""
    pairs = list(itertools.pairwise(float(edge) for edge in edges))
    values = ", ".join(
        f"({index}, cast({low!r} as double), cast({high!r} as double))"
        for index, (low, high) in enumerate(pairs)
    )
    rows = marts.rows(
        f"select bins.position, count(data.x) as customers "
        f"from (values {values}) as bins (position, low, high) "
        f"left join (select {column} as x from marts.{mart} where {column} is not null) as data "
        f"on data.x >= bins.low and (data.x < bins.high or "
        f"(bins.position = {len(pairs) - 1} and data.x <= bins.high)) "
        f"group by bins.position order by bins.position"
    )
    return [
        Bin(low, high, Figure(mart, f"{low!r}..{high!r}", column, row["customers"], "count").mark())
        for (low, high), row in zip(pairs, rows, strict=True)
    ]


def clv_edges(marts: Marts, mart: str, column: str) -> list[float]:
    """Bin edges 0, 1, 2, 5, 10, 20, 50, ... up to the highest value (CLV is skewed: most
    customers are worth little, a few a lot); a first bin from the lowest value to 0 when some
    are negative. The last edge is the highest value."""
    found = marts.rows(f"select min({column}) as low, max({column}) as top from marts.{mart}")[0]
    if found["low"] is None:
        return [0.0, 1.0]
    low, top = float(found["low"]), float(found["top"])
    edges = [math.floor(low)] if low < 0 else []
    edge = 0.0
    while edge < top:
        edges.append(edge)
        edge = 1.0 if edge == 0 else round_step_up(edge)
    return [*edges, top] if len(edges) > 0 else [low, top + 1.0]


def round_step_up(edge: float) -> float:
    """The next of 1, 2, 5 times a power of ten after `edge` (> 0)."""
    power = 10 ** math.floor(math.log10(edge) + 1e-9)
    return next(factor * power for factor in (2, 5, 10) if factor * power > edge * (1 + 1e-9))


def section_value_distributions(ctx: Context) -> str:
    mart = "customer_value_predictions"
    ctx.marts.require(mart, "predicted_clv", "p_alive")
    words = ctx.labels.word
    clv = histogram_bins(
        ctx.marts, mart, "predicted_clv", clv_edges(ctx.marts, mart, "predicted_clv")
    )
    alive = histogram_bins(ctx.marts, mart, "p_alive", [index / 10 for index in range(11)])
    return charts.small_multiples(
        ctx.labels.section("value_distributions").title,
        [
            (
                words("predicted_clv"),
                charts.histogram(
                    words("predicted_clv"), clv, width=860, height=200, tick_format="{:,.0f}"
                ),
            ),
            (
                words("p_alive"),
                charts.histogram(
                    words("p_alive"), alive, width=860, height=200, tick_format="{:.1f}"
                ),
            ),
        ],
        columns=1,
    )


def section_strategies(ctx: Context) -> str:
    text_columns = ("core_goal", "owner_role", "contact_cadence")
    ctx.marts.require(
        "tier_strategies",
        "strategy_key",
        "scheme",
        "tier_code",
        "tier_order",
        *text_columns,
        "customers",
        "customer_share",
        "revenue_share",
    )
    rows = ctx.marts.rows(
        f"select strategy_key, scheme, tier_code, {', '.join(text_columns)}, customers, "
        "customer_share, revenue_share from marts.tier_strategies order by scheme, tier_order"
    )
    rows.sort(key=lambda row: (_scheme_position(row["scheme"]), row["scheme"]))
    words = ctx.labels.word
    headers = [
        words("scheme"),
        words("tier"),
        *(words(column) for column in text_columns),
        words("customers"),
        words("customer_share"),
        words("revenue_share"),
    ]
    return _table(
        headers,
        [
            [
                _th(ctx.labels.scheme(row["scheme"])),
                _th(ctx.tier(row["scheme"], row["tier_code"])),
                *(f'<td class="text">{escape(row[column] or "")}</td>' for column in text_columns),
                _strategy_figure(row, "customers", "count").td(),
                _strategy_figure(row, "customer_share", "share").td(),
                _strategy_figure(row, "revenue_share", "share").td(),
            ]
            for row in rows
        ],
    )


def _scheme_position(scheme: str) -> int:
    return SCHEME_ORDER.index(scheme) if scheme in SCHEME_ORDER else len(SCHEME_ORDER)


SECTIONS: dict[str, Callable[[Context], str]] = {
    "pyramid": section_pyramid,
    "pareto": section_pareto,
    "rfm_heatmap": section_rfm_heatmap,
    "lifecycle": section_lifecycle,
    "value_loyalty": section_value_loyalty,
    "migrations": section_migrations,
    "flows": section_flows,
    "kpis": section_kpis,
    "backtest": section_backtest,
    "value_distributions": section_value_distributions,
    "strategies": section_strategies,
}
