"""A QR code as an inline SVG, for a page to show (the second factor's key, to scan once).

Inline, so the page needs no image route and the key never sits in a URL or a cache; one path
of row runs, crisp at any zoom, drawn with the project's own encoder.
"""

from __future__ import annotations

from html import escape
from itertools import groupby

from collecte.documents.qr import ERROR_CORRECT_M, QUIET_ZONE_MODULES, encode


def qr_svg(data: str, title: str, error_correction: int = ERROR_CORRECT_M) -> str:
    """An `<svg>` element of the QR code for `data`, quiet zone included; `title` names it
    for screen readers."""
    rows = encode(data, error_correction).rows()
    side = len(rows) + 2 * QUIET_ZONE_MODULES
    runs = []
    for y, row in enumerate(rows, start=QUIET_ZONE_MODULES):
        x = QUIET_ZONE_MODULES
        for dark, group in groupby(row):
            length = len(list(group))
            if dark:
                runs.append(f"M{x} {y}h{length}v1h-{length}z")
            x += length
    label = escape(title)
    return (
        f'<svg class="qr" viewBox="0 0 {side} {side}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg" shape-rendering="crispEdges">'
        f"<title>{label}</title>"
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
