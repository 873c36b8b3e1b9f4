"""Charts drawn by the server as inline SVG: no chart library, no JavaScript, crisp on phones."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

from collecte.i18n import N_

# (key in each month, CSS class, label); the classes carry the colours in app.css.
SERIES = (
    ("collected", "bar-collected", N_("Collectés")),
    ("delivered", "bar-delivered", N_("Remis")),
    ("recycled", "bar-recycled", N_("Recyclés")),
)
_WIDTH, _HEIGHT = 640, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 28, 30


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so the axis reads in round numbers."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def monthly_chart(months: Sequence[Mapping[str, Any]], translate: Callable[[str], str]) -> Markup:
    """Grouped bars of collected / delivered / recycled per month, with axis and legend."""
    highest = max([1, *(int(m[key]) for m in months for key, _, _ in SERIES)])
    step = _nice_ceiling(-(-highest // 4))  # four gridlines above zero, at round numbers
    peak = 4 * step
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    title = escape(translate(N_("Mois par mois")))
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
        f'aria-label="{title}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(5):
        value = step * tick
        y = _TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    slot = plot_w / max(1, len(months))
    bar = slot * 0.8 / len(SERIES)
    for index, month in enumerate(months):
        x0 = _LEFT + index * slot + slot * 0.1
        for offset, (key, css, label) in enumerate(SERIES):
            count = int(month[key])
            height = plot_h * count / peak
            x = x0 + offset * bar
            parts.append(
                f'<rect class="{css}" x="{x:.1f}" y="{_TOP + plot_h - height:.1f}" '
                f'width="{bar - 1:.1f}" height="{height:.1f}">'
                f"<title>{escape(str(month['month']))} · {escape(translate(label))} : "
                f"{count}</title>"
                "</rect>"
            )
        parts.append(
            f'<text class="tick" x="{x0 + slot * 0.4:.1f}" y="{_HEIGHT - 10}" '
            f'text-anchor="middle">{escape(str(month["month"])[2:])}</text>'
        )
    for offset, (_, css, label) in enumerate(SERIES):
        x = _LEFT + offset * 130
        parts.append(
            f'<rect class="{css}" x="{x}" y="6" width="12" height="12"/>'
            f'<text class="legend" x="{x + 18}" y="16">{escape(translate(label))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
