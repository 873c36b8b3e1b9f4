"""Small tables of flowables (the party boxes, the labelled values, the signature blocks): cells
set from the top, padded, filled, boxed and ruled, in a few operators; pure.

They did what a platypus Table does for them, at a fraction of its cost: a Table resolves its
style commands cell by cell and saves the canvas state around everything it draws, several
milliseconds a certificate for half a dozen small tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

Cell = Sequence[Flowable]  # what one cell holds, from the top


@dataclass(frozen=True)
class Padding:
    """The space inside each cell, in points (platypus's defaults)."""

    left: float = 6
    right: float = 6
    top: float = 3
    bottom: float = 3


@dataclass(frozen=True)
class Rule:
    """A line: its width and colour."""

    width: float
    color: Color

    def stroke(self) -> str:
        """Return the operators setting this line's width and colour."""
        c = self.color
        return f"{self.width:g} w {c.red:.3f} {c.green:.3f} {c.blue:.3f} RG"


class Grid(Flowable):  # type: ignore[misc]
    """Rows of cells of the given column widths, each cell's flowables set from its top.

    `fill` paints the whole table, `box` frames it, `after_columns` rules between columns and
    `below_rows` under every row; a row is as tall as its tallest cell, or `height` if given.
    A grid taller than the page splits between rows.
    """

    def __init__(
        self,
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        padding: Padding = Padding(),
        fill: Color | None = None,
        box: Rule | None = None,
        after_columns: Rule | None = None,
        below_rows: Rule | None = None,
        height: float | None = None,
    ) -> None:
        super().__init__()
        self.rows = [list(row) for row in rows]
        self.widths = list(widths)
        self.padding = padding
        self.fill = fill
        self.box = box
        self.after_columns = after_columns
        self.below_rows = below_rows
        self.row_height = height
        self._heights: list[float] = []
        self._sizes: list[list[list[float]]] = []  # each flowable's height, by row and cell

    def _measure(self) -> list[float]:
        """Lay every cell out in its column and return the rows' heights."""
        pad = self.padding
        heights = []
        self._sizes = []
        for row in self.rows:
            tallest = 0.0
            sizes = []
            for cell, width in zip(row, self.widths, strict=True):
                room = width - pad.left - pad.right
                cell_sizes = [f.wrapOn(self.canv, room, 0xFFFFFF)[1] for f in cell]
                sizes.append(cell_sizes)
                tallest = max(tallest, sum(cell_sizes))
            self._sizes.append(sizes)
            heights.append(self.row_height or tallest + pad.top + pad.bottom)
        return heights

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self._heights = self._measure()
        self.width = sum(self.widths)
        self.height = sum(self._heights)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        if not self._heights:
            self.wrap(available_width, available_height)
        used, count = 0.0, 0
        for height in self._heights:
            if used + height > available_height:
                break
            used, count = used + height, count + 1
        if count == 0 or count == len(self.rows):
            return [] if count == 0 else [self]
        return [self._part(self.rows[:count]), self._part(self.rows[count:])]

    def _part(self, rows: list[list[Cell]]) -> Grid:
        """A grid of some of these rows, styled the same."""
        return Grid(
            rows,
            self.widths,
            self.padding,
            self.fill,
            self.box,
            self.after_columns,
            self.below_rows,
            self.row_height,
        )

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        top = y + self.height
        width = self.width
        code = canvas._code
        if self.fill is not None:
            f = self.fill
            code.append(
                f"q {f.red:.3f} {f.green:.3f} {f.blue:.3f} rg "
                f"{x:.2f} {y:.2f} {width:.2f} {self.height:.2f} re f Q"
            )
        pad = self.padding
        row_top = top
        bottoms = []
        for row, sizes, height in zip(self.rows, self._sizes, self._heights, strict=True):
            left = x
            for cell, cell_sizes, column in zip(row, sizes, self.widths, strict=True):
                cursor = row_top - pad.top
                for flowable, size in zip(cell, cell_sizes, strict=True):
                    cursor -= size
                    flowable.drawOn(canvas, left + pad.left, cursor)
                left += column
            row_top -= height
            bottoms.append(row_top)
        lines = []
        if self.after_columns is not None:
            lines.append(self.after_columns.stroke())
            left = x
            for column in self.widths[:-1]:
                left += column
                lines.append(f"{left:.2f} {y:.2f} m {left:.2f} {top:.2f} l")
            lines.append("S")
        if self.below_rows is not None:
            lines.append(self.below_rows.stroke())
            lines += [f"{x:.2f} {b:.2f} m {x + width:.2f} {b:.2f} l" for b in bottoms]
            lines.append("S")
        if self.box is not None:
            lines.append(self.box.stroke())
            lines.append(f"{x:.2f} {y:.2f} {width:.2f} {self.height:.2f} re S")
        if lines:
            code.append(" ".join(["q", *lines, "Q"]))

    def __repr__(self) -> str:
        return f"Grid({len(self.rows)} rows, widths {self.widths})"

    def identity(self, maxLen: int | None = None) -> str:
        return repr(self)
