"""The SVG builders of the HTML report: well-formed, proportional, escaped, and honest about the
figures they carry (customer_tiering.charts)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest

from customer_tiering import charts
from customer_tiering.charts import Bin, Cell, Mark, Marker, Ref, Series

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    """The chart as XML (fails on anything not well-formed)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def marks(root: ET.Element) -> list[ET.Element]:
    return [element for element in root.iter() if "mark" in element.get("class", "").split()]


def ref(value: object, key: str = "k") -> Ref:
    return Ref("mart", key, "column", value, "count")


def test_bars_are_proportional_to_their_values() -> None:
    series = Series("s", [Mark(value, str(value), ref(value)) for value in (1.0, 2.0, 4.0)])
    root = parse(charts.bar_chart("bars", ["a", "b", "c"], [series]))
    widths = [float(rect.get("width", "0")) for rect in marks(root)]
    assert len(widths) == 3
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.01)
    assert widths[2] == pytest.approx(4 * widths[0], rel=0.01)
    assert [rect.get("data-value") for rect in marks(root)] == ["1.0", "2.0", "4.0"]


def test_a_reference_line_and_negative_bars_stay_inside_the_chart() -> None:
    series = Series("lift", [Mark(-0.5, "-0.50"), Mark(2.0, "2.00")])
    root = parse(charts.bar_chart("lift", ["x", "y"], [series], reference=1.0, reference_text="1"))
    width = float(root.get("width", "0"))
    for rect in marks(root):
        x, size = float(rect.get("x", "0")), float(rect.get("width", "0"))
        assert x >= 0 and x + size <= width


def test_text_is_escaped() -> None:
    name = '<script>alert("x")</script> & co'
    series = Series(name, [Mark(1.0, "<1>", ref("<v>", key='"k"'))])
    svg = charts.bar_chart(name, [name], [series])
    assert "<script>" not in svg
    root = parse(svg)
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert name in texts and "<1>" in texts
    assert marks(root)[0].get("data-key") == '"k"'
    assert marks(root)[0].get("data-value") == "<v>"


@pytest.mark.parametrize(
    "svg",
    [
        charts.bar_chart("empty", [], []),
        charts.funnel("empty", []),
        charts.line_chart("empty", [Series("s", [Mark(None, "-")], [0.0])]),
        charts.heatmap("empty", [], [], {}),
        charts.histogram("empty", []),
        charts.small_multiples("empty", []),
    ],
)
def test_empty_data_gives_an_empty_chart_not_an_error(svg: str) -> None:
    root = parse(svg)
    assert marks(root) == []


def test_raw_values_are_written_as_the_mart_holds_them() -> None:
    assert charts.raw_value(None) == ""
    assert charts.raw_value(Decimal("1234.500000")) == "1234.500000"
    assert charts.raw_value(0.1) == "0.1"
    assert charts.raw_value(True) == "true"
    assert charts.raw_value(date(2026, 6, 30)) == "2026-06-30"
    assert 'data-format="share"' in Ref("m", "k", "c", 0.5, "share").attributes()


def test_a_line_chart_draws_every_point_with_its_figure_and_the_markers() -> None:
    points = Series("curve", [Mark(y, f"{y}", ref(y, str(y))) for y in (0.0, 0.5, 1.0)], [0, 1, 2])
    marker = Marker(1.0, 0.5, "20 % -> 80 %", (ref(0.8, "C"),))
    root = parse(charts.line_chart("line", [points], markers=[marker], diagonal=True))
    circles = marks(root)
    assert [circle.get("data-value") for circle in circles] == ["0.0", "0.5", "1.0"]
    ys = [float(circle.get("cy", "0")) for circle in circles]
    assert ys[0] > ys[1] > ys[2]  # higher values are drawn higher
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2])
    assert any(element.get("class") == "marker" for element in root.iter())
    assert any(element.get("data-key") == "C" for element in root.iter())


def test_a_heatmap_shades_cells_and_leaves_missing_ones_blank() -> None:
    cells = {
        (0, 0): Cell(0.0, (Mark(1.0, "1", ref(1)),)),
        (1, 1): Cell(1.0, (Mark(9.0, "9", ref(9)),)),
    }
    root = parse(charts.heatmap("heat", ["r1", "r2"], ["c1", "c2"], cells))
    drawn = marks(root)
    assert len(drawn) == 2
    assert drawn[0].get("fill") != drawn[1].get("fill")
    blank = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "cell"]
    assert len(blank) == 2 and all(e.get("data-mart") is None for e in blank)


def test_a_histogram_has_one_column_per_bin_proportional_to_its_count() -> None:
    bins = [
        Bin(index, index + 1.0, Mark(count, str(count), ref(count)))
        for index, count in enumerate((10.0, 5.0, 0.0))
    ]
    heights = [float(rect.get("height", "0")) for rect in marks(parse(charts.histogram("h", bins)))]
    assert len(heights) == 3
    assert heights[0] == pytest.approx(2 * heights[1])


def test_a_funnel_centres_its_stages() -> None:
    stages = [("a", Mark(100.0, "100")), ("b", Mark(50.0, "50"))]
    rects = marks(parse(charts.funnel("f", stages)))
    centres = [float(r.get("x", "0")) + float(r.get("width", "0")) / 2 for r in rects]
    assert centres[0] == pytest.approx(centres[1])
    assert float(rects[1].get("width", "0")) == pytest.approx(float(rects[0].get("width", "0")) / 2)


def test_small_multiples_nest_the_panels_under_one_legend() -> None:
    panel = charts.bar_chart("p", ["a"], [Series("s", [Mark(1.0, "1", ref(1))])])
    root = parse(charts.small_multiples("m", [("one", panel), ("two", panel)], legend=["s"]))
    assert len(root.findall(f"{SVG}svg")) == 2
    assert len(marks(root)) == 2


def test_wide_characters_are_measured_wider() -> None:
    assert charts.text_width("客户") > charts.text_width("ab")
