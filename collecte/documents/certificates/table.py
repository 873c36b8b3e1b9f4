"""The device table as one flowable: every row measured once, split at any row, drawn as PDF
operators; pure.

A platypus Table re-measures the rows it still holds at every page break (so a table of n rows
costs about n² / rows-per-page), and its cells are Paragraphs. Here the rows are laid out once
into lines (`text.Line`), their heights summed once, and a part of the table is a range of rows:
finding where a page turns is a bisection, and a part draws its header, its zebra rows and rules
and its cells' lines in a handful of operators.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from collecte.documents.certificates.text import Line, operators, rgb


@dataclass(frozen=True)
class RowStyle:
    """How a kind of row (header, device line, total) sets its cells."""

    size: float
    leading: float
    top: float  # padding above the first line
    bottom: float  # padding below the last line
    colors: tuple[Color, ...]  # of each cell's text


@dataclass(frozen=True)
class Row:
    """One row: the lines of each cell and its height, paddings included."""

    cells: tuple[Sequence[Line], ...]
    height: float


@dataclass(frozen=True)
class TableData:
    """What every part of one table shares: columns, header, device lines and total row."""

    widths: tuple[float, ...]
    right: tuple[bool, ...]  # columns aligned right
    padding: float  # left and right of each cell
    header: Row
    header_style: RowStyle
    header_fill: Color
    rows: tuple[Row, ...]
    row_style: RowStyle
    zebra: Color  # the fill of every second device line
    rule: Color  # the rules under the lines and the box around the table
    total: Row  # its first cell spans the columns before the figure, or all of them
    total_style: RowStyle
    total_rule: Color
    total_span: int  # how many columns the first cell of the total row spans

    @property
    def width(self) -> float:
        """The table's width."""
        return sum(self.widths)

    @cached_property
    def tops(self) -> list[float]:
        """Where each device line starts below the header: the running sum of their heights."""
        return [0.0, *accumulate(line.height for line in self.rows)]

    @cached_property
    def lefts(self) -> list[float]:
        """Where each column starts, from the table's left edge."""
        return [0.0, *accumulate(self.widths)]


def row(cells: Sequence[Sequence[Line]], style: RowStyle) -> Row:
    """Return a row of laid-out cells, as tall as its tallest cell."""
    lines = max((len(cell) for cell in cells), default=1)
    return Row(tuple(cells), style.top + lines * style.leading + style.bottom)


class DeviceTable(Flowable):  # type: ignore[misc]
    """Device lines `start` to `stop` of a grid under its header, and its total row if `total`."""

    def __init__(
        self, grid: TableData, start: int = 0, stop: int | None = None, total: bool = True
    ):
        super().__init__()
        self.grid = grid
        self.start = start
        self.stop = len(grid.rows) if stop is None else stop
        self.total = total
        self._tops = grid.tops

    @property
    def lines(self) -> int:
        """The number of device lines in this part."""
        return self.stop - self.start

    def _height(self, stop: int, total: bool) -> float:
        grid = self.grid
        body = self._tops[stop] - self._tops[self.start]
        return grid.header.height + body + (grid.total.height if total else 0.0)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = self.grid.width
        self.height = self._height(self.stop, self.total)
        return self.width, self.height

    def fitting(self, available_height: float) -> int:
        """Return how many of the part's device lines fit `available_height` under the header
        (the total row not counted)."""
        target = available_height - self.grid.header.height + self._tops[self.start]
        last = bisect_right(self._tops, target, self.start, self.stop + 1) - 1
        return max(last - self.start, 0)

    def cut(self, lines: int) -> tuple[DeviceTable, DeviceTable]:
        """Return the part's first `lines` device lines, and the rest with the total row."""
        middle = self.start + lines
        return (
            DeviceTable(self.grid, self.start, middle, total=False),
            DeviceTable(self.grid, middle, self.stop, self.total),
        )

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        if self._height(self.stop, self.total) <= available_height:
            return [self]
        lines = self.fitting(available_height)
        return [*self.cut(lines)] if lines else []

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        canvas._code.append(self._operators(canvas, x, y + self._height(self.stop, self.total)))

    def _operators(self, canvas: Canvas, x: float, top: float) -> str:
        grid = self.grid
        width = grid.width
        rows = grid.rows[self.start : self.stop]
        header = grid.header.height
        ops = [
            "q",
            rgb(grid.header_fill),
            f"{x:.2f} {top - header:.2f} {width:.2f} {header:.2f} re f",
        ]
        # Rows are tinted by their place in the whole table, so a page break keeps the rhythm.
        zebra = []
        y = top - header
        bottoms = []
        for index, line in enumerate(rows, start=self.start):
            y -= line.height
            bottoms.append(y)
            if index % 2:
                zebra.append(f"{x:.2f} {y:.2f} {width:.2f} {line.height:.2f} re")
        if zebra:
            ops += [rgb(grid.zebra), *zebra, "f"]
        ops.append(_cells(canvas, grid, grid.header, grid.header_style, x, top))
        y = top - header
        for line in rows:
            ops.append(_cells(canvas, grid, line, grid.row_style, x, y))
            y -= line.height
        bottom = y
        if self.total:
            bottom -= grid.total.height
            ops.append(_cells(canvas, grid, grid.total, grid.total_style, x, y, grid.total_span))
        stroke = grid.rule
        ops.append(f"{stroke.red:.3f} {stroke.green:.3f} {stroke.blue:.3f} RG 0.25 w")
        ops += [f"{x:.2f} {b:.2f} m {x + width:.2f} {b:.2f} l" for b in bottoms]
        ops.append("S")
        if self.total:
            total = grid.total_rule
            ops.append(f"{total.red:.3f} {total.green:.3f} {total.blue:.3f} RG 1 w")
            ops.append(f"{x:.2f} {y:.2f} m {x + width:.2f} {y:.2f} l S")
            ops.append(f"{stroke.red:.3f} {stroke.green:.3f} {stroke.blue:.3f} RG")
        ops.append(f"0.5 w {x:.2f} {bottom:.2f} {width:.2f} {top - bottom:.2f} re S Q")
        return " ".join(ops)

    def __repr__(self) -> str:
        return f"DeviceTable(lines {self.start}-{self.stop}, total={self.total})"

    def identity(self, maxLen: int | None = None) -> str:
        return repr(self)


def _cells(
    canvas: Canvas,
    grid: TableData,
    line: Row,
    style: RowStyle,
    x: float,
    top: float,
    span: int = 1,
) -> str:
    """Return the operators drawing a row's cells, whose top is `top`; the first cell spans
    `span` columns."""
    parts = []
    baseline = top - style.top - style.size
    column = 0
    for index, cell in enumerate(line.cells):
        columns = span if index == 0 else 1
        left = x + grid.lefts[column]
        room = grid.lefts[column + columns] - grid.lefts[column] - 2 * grid.padding
        if cell:
            parts.append(
                operators(
                    canvas,
                    cell,
                    left + grid.padding,
                    baseline,
                    style.size,
                    style.leading,
                    style.colors[min(index, len(style.colors) - 1)],
                    room,
                    TA_RIGHT if grid.right[column] else TA_LEFT,
                )
            )
        column += columns
    return " ".join(parts)
