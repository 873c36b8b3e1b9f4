"""Draw the installable app's icons (PNG) from the favicon's design, with Pillow.

Run from the project root when the design changes: `.venv/bin/python scripts/make-app-icons.py`.
Writes collecte/web/static/icons/: icon-192.png and icon-512.png (the rounded square, as the
favicon), icon-maskable-512.png (full bleed, the mark inside the safe circle Android crops to)
and apple-touch-icon.png (180 px, opaque: iOS rounds the corners itself).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "collecte" / "web" / "static" / "icons"
# collecte/web/static/favicon.svg, on its 32-unit grid.
BACKGROUND = "#063f4f"
LOWER = ("#35b3d4", [(6, 26), (26, 6), (26, 26)])
UPPER = ("#8fe0c0", [(6, 6), (26, 6), (6, 26)])
SUPERSAMPLE = 4


def around(value: float, scale: float) -> float:
    """`value` on the 32-unit grid, moved towards the centre by `scale`."""
    return 16 + (value - 16) * scale


def draw(size: int, *, rounded: bool, scale: float = 1.0) -> Image.Image:
    """The mark at `size` pixels; `scale` shrinks it around the centre (maskable icons)."""
    big = size * SUPERSAMPLE
    unit = big / 32
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=7 * unit, fill=BACKGROUND)
    else:
        pen.rectangle((0, 0, big, big), fill=BACKGROUND)
    for colour, points in (LOWER, UPPER):
        placed = [(around(x, scale) * unit, around(y, scale) * unit) for x, y in points]
        pen.polygon(placed, fill=colour)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every icon."""
    ICONS.mkdir(parents=True, exist_ok=True)
    draw(192, rounded=True).save(ICONS / "icon-192.png", optimize=True)
    draw(512, rounded=True).save(ICONS / "icon-512.png", optimize=True)
    draw(512, rounded=False, scale=0.8).save(ICONS / "icon-maskable-512.png", optimize=True)
    draw(180, rounded=False, scale=0.9).convert("RGB").save(
        ICONS / "apple-touch-icon.png", optimize=True
    )


if __name__ == "__main__":
    main()
