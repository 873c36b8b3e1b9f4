"""The server-drawn monthly chart: one bar per month and series, scaled to a round axis."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from collecte.web.pages.charts import _nice_ceiling, monthly_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_are_proportional_to_the_counts() -> None:
    months = [
        {"month": "2026-10", "collected": 40, "delivered": 10, "recycled": 0},
        {"month": "2026-11", "collected": 20, "delivered": 30, "recycled": 5},
    ]

    root = ET.fromstring(str(monthly_chart(months, lambda text: text)))

    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 6
    heights = {r.find(f"{SVG}title").text: float(r.get("height")) for r in bars}  # type: ignore[union-attr]
    assert heights["2026-10 · Collectés : 40"] == 2 * heights["2026-11 · Collectés : 20"]
    assert heights["2026-10 · Recyclés : 0"] == 0


def test_empty_months_still_draw_an_axis() -> None:
    root = ET.fromstring(str(monthly_chart([], lambda text: text)))

    assert root.get("role") == "img"
    assert [t.text for t in root.iter(f"{SVG}text")][:5] == ["0", "1", "2", "3", "4"]


def test_axis_ceiling_is_round() -> None:
    assert [_nice_ceiling(v) for v in (1, 3, 7, 12, 180, 901)] == [1, 5, 10, 20, 200, 1000]
