"""Text on a certificate without platypus's Paragraph: the markup the certificates use, wrapped
at spaces and drawn as PDF operators; pure.

Paragraph parses its markup with an HTML parser, re-measures every word at every wrap and draws
through reportlab's text objects: most of a certificate's rendering time, and what a table of a
thousand rows repeats a thousand times. The certificates use little of it: `<b>`, `<font
name='Courier'>`, `<br/>` and the escaped entities, in the standard fonts. `TextBlock` sets that
markup (left, right or justified, as Paragraph did), measuring each character once per font from
the standard font metrics, and `operators` draws lines in one text object.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_JUSTIFY, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from collecte.documents.certificate_text import pdf_safe

Run = tuple[str, str]  # a font and text set in it

# The bold and monospace faces of each standard family, keyed by (bold, monospace).
_FACES = {
    (False, False): "Helvetica",
    (True, False): "Helvetica-Bold",
    (False, True): "Courier",
    (True, True): "Courier-Bold",
}
_TOKENS = re.compile(r"<b>|</b>|<font name='([^']*)'>|</font>|<br/>|[^<]+")
SPACE_SHRINKAGE = rl_config.spaceShrinkage  # 0.05
_SPACES = re.compile(r"[ \t\r\n]+")  # what Paragraph folds to one space; a no-break space stays
# A PDF literal string holds bytes: the text is Windows-1252, escaped as reportlab does.
_ESCAPE = str.maketrans(
    {
        char: (
            f"\\{code:03o}" if code < 32 or code >= 127 else "\\" + char if char in "\\()" else char
        )
        for code in range(256)
        if (char := bytes([code]).decode("cp1252", errors="ignore"))
    }
)


class _Widths(dict[str, float]):
    """Advances by character; one the font lacks (never drawn: see `parse`) measures nothing."""

    def __missing__(self, char: str) -> float:
        return 0.0


@cache
def char_widths(font: str) -> dict[str, float]:
    """Return the advance of every character the standard font `font` draws, in font units."""
    widths = getFont(font).widths
    table = _Widths()
    for code in range(256):
        char = bytes([code]).decode("cp1252", errors="ignore")
        if char:
            table[char] = float(widths[code])
    return table


def units(text: str, font: str) -> float:
    """Return the width of `text` (Windows-1252 characters) in the standard font `font`, in
    thousandths of the font size: a sum of whole numbers, exact whatever the order."""
    return sum(map(char_widths(font).__getitem__, text))


def width(text: str, font: str, size: float) -> float:
    """Return the width of `text` (Windows-1252 characters) in the standard font `font`."""
    return sum(map(char_widths(font).__getitem__, text)) * size / 1000


@dataclass(frozen=True, slots=True)
class Line:
    """One line laid out: its runs, its width at the size it was laid out for, its spaces (which
    justification widens), and whether it ends a paragraph or a `<br/>` (never justified)."""

    runs: tuple[Run, ...]
    width: float
    spaces: int = 0
    last: bool = True


def plain_lines(text: str, font: str, size: float) -> list[Line]:
    """Return text already broken into lines (at its line breaks) as lines of one font."""
    return [Line(((font, line),), width(line, font, size)) for line in text.split("\n")]


def parse(markup: str, font: str) -> list[list[Run]]:
    """Return the lines (split at `<br/>`) of markup as runs of one font each, entities decoded
    and white space folded; `font` is the regular face of the family used."""
    family_mono = font.startswith("Courier")
    lines: list[list[Run]] = [[]]
    bold = font.endswith("-Bold")
    monos: list[bool] = []
    for match in _TOKENS.finditer(markup):
        token = match.group(0)
        if token == "<b>":
            bold = True
        elif token == "</b>":
            bold = font.endswith("-Bold")
        elif token == "<br/>":
            lines.append([])
        elif token == "</font>":
            if monos:
                monos.pop()
        elif match.group(1) is not None:
            monos.append(match.group(1).startswith("Courier"))
        else:
            if "&" in token:
                token = html.unescape(token)
            if not token.isascii():
                token = pdf_safe(token)
            text = _SPACES.sub(" ", token)
            face = _FACES[(bold, monos[-1] if monos else family_mono)]
            lines[-1].append((face, text))
    for runs in lines:  # no space at either end of a line, as Paragraph
        while runs and not runs[0][1].strip(" "):
            runs.pop(0)
        while runs and not runs[-1][1].strip(" "):
            runs.pop()
        if runs:
            runs[0] = (runs[0][0], runs[0][1].lstrip(" "))
            runs[-1] = (runs[-1][0], runs[-1][1].rstrip(" "))
    return lines


def _words(runs: Sequence[Run]) -> list[tuple[str | None, list[Run]]]:
    """Return the words of a line of runs, each with the font of the space before it (None for
    the first): a word may mix fonts ("<b>3</b>." is one word)."""
    words: list[tuple[str | None, list[Run]]] = [(None, [])]
    for font, text in runs:
        for index, part in enumerate(text.split(" ")):
            if index and words[-1][1]:
                words.append((font, []))
            if part:
                words[-1][1].append((font, part))
    return [word for word in words if word[1]]


def _append(runs: list[Run], font: str, text: str) -> None:
    """Add text to a line's runs, in the last run when it is of the same font."""
    if runs and runs[-1][0] == font:
        runs[-1] = (font, runs[-1][1] + text)
    else:
        runs.append((font, text))


def _break_word(word: list[Run], size: float, room: float) -> list[tuple[list[Run], float]]:
    """Cut a word wider than `room` into pieces that each fit, as Paragraph splits long words."""
    pieces: list[tuple[list[Run], float]] = []
    current: list[Run] = []
    used = 0.0
    for font, text in word:
        table = char_widths(font)
        for char in text:
            advance = table.get(char, 0.0) * size / 1000
            if current and used + advance > room:
                pieces.append((current, used))
                current, used = [], 0.0
            _append(current, font, char)
            used += advance
    if current:
        pieces.append((current, used))
    return pieces


def break_lines(lines: Sequence[Sequence[Run]], size: float, room: float) -> list[Line]:
    """Return `lines` wrapped at spaces to `room` points; a word wider than that is cut."""
    out: list[Line] = []
    for runs in lines:
        whole = sum(width(text, font, size) for font, text in runs)
        if whole <= room:  # most texts: one line as it is
            spaces = sum(text.count(" ") for _, text in runs)
            out.append(Line(tuple(runs), whole, spaces, last=True))
            continue
        current: list[Run] = []
        used, spaces, gaps = 0.0, 0, 0.0
        for space_font, word in _words(runs):
            word_width = sum(width(text, font, size) for font, text in word)
            gap = width(" ", space_font, size) if current and space_font else 0.0
            # As Paragraph: a line may run over by 5 % of its spaces, which justification
            # then narrows (reportlab's spaceShrinkage).
            if current and used + gap + word_width <= room + SPACE_SHRINKAGE * (gaps + gap):
                _append(current, space_font or word[0][0], " ")
                for font, text in word:
                    _append(current, font, text)
                used, spaces, gaps = used + gap + word_width, spaces + 1, gaps + gap
                continue
            if current:
                out.append(Line(tuple(current), used, spaces, last=False))
            pieces = [(word, word_width)] if word_width <= room else _break_word(word, size, room)
            for piece, piece_width in pieces[:-1]:
                out.append(Line(tuple(piece), piece_width, 0, last=False))
            current, used, spaces, gaps = list(pieces[-1][0]), pieces[-1][1], 0, 0.0
        out.append(Line(tuple(current), used, spaces, last=True))
    return out


@lru_cache(maxsize=4096)
def laid_out(markup: str, font: str, size: float, room: float) -> tuple[Line, ...]:
    """Return markup wrapped to `room` points: a pure function of its arguments, kept for the
    texts every certificate of a kind repeats (headings, labels, notes, column titles)."""
    return tuple(break_lines(parse(markup, font), size, room))


@cache
def rgb(color: Color) -> str:
    """Return the operator setting `color` as the fill colour."""
    return f"{color.red:.3f} {color.green:.3f} {color.blue:.3f} rg"


def operators(
    canvas: Canvas,
    lines: Sequence[Line],
    x: float,
    baseline: float,
    size: float,
    leading: float,
    color: Color,
    room: float = 0.0,
    alignment: int = 0,
) -> str:
    """Return one text object drawing `lines` from the first baseline down, `leading` apart:
    left at `x`, or right or justified within `room` points from it."""
    fonts = canvas._doc.fontMapping  # a font's resource name, once the document uses it
    parts = ["q", rgb(color), "BT"]
    last_x, last_y = 0.0, 0.0
    current = ""
    right = alignment == TA_RIGHT
    justified = alignment == TA_JUSTIFY
    for index, line in enumerate(lines):
        line_x = x + room - line.width if right else x
        line_y = baseline - index * leading
        parts.append(f"{line_x - last_x:.2f} {line_y - last_y:.2f} Td")
        last_x, last_y = line_x, line_y
        justify = justified and not line.last and line.spaces
        if justify:
            parts.append(f"{(room - line.width) / line.spaces:.3f} Tw")
        for font, text in line.runs:
            if font != current:
                name = fonts.get(font) or canvas._doc.getInternalFontName(font)
                parts.append(f"{name} {size:g} Tf")
                current = font
            parts.append(f"({text.translate(_ESCAPE)}) Tj")
        if justify:
            parts.append("0 Tw")
    parts.append("ET Q")
    return " ".join(parts)


def text_at(
    canvas: Canvas,
    text: str,
    font: str,
    size: float,
    x: float,
    y: float,
    color: Color,
    right: bool = False,
) -> str:
    """Return the operators drawing one line of plain text (Windows-1252) on the baseline `y`,
    from `x`, or ending at `x` when `right`."""
    line = Line(((font, text),), width(text, font, size))
    return operators(canvas, [line], x, y, size, size, color, 0.0, TA_RIGHT if right else 0)


class TextBlock(Flowable):  # type: ignore[misc]
    """A paragraph of certificate markup in a ParagraphStyle's font, size, leading, colour and
    alignment (left, right or justified), split between lines across pages."""

    def __init__(self, markup: str, style: ParagraphStyle, lines: list[Line] | None = None):
        super().__init__()
        self.style = style
        self._markup = markup
        self._fixed = lines  # a part of a split block: already laid out
        self._room = -1.0
        self._lines: list[Line] = []

    def lines(self, room: float) -> list[Line]:
        """Return the lines laid out for `room` points, computed once per width."""
        if self._fixed is not None:
            return self._fixed
        if room != self._room:
            style = self.style
            self._lines = list(laid_out(self._markup, style.fontName, style.fontSize, room))
            self._room = room
        return self._lines

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        self.height = len(self.lines(available_width)) * self.style.leading
        return available_width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        lines = self.lines(available_width)
        fit = int(available_height // self.style.leading)
        if fit >= len(lines):
            return [self]
        if fit < 2:  # no orphan: a first line alone at the foot of a page moves on with the rest
            return []
        return [
            TextBlock(self._markup, self.style, lines[:fit]),
            TextBlock(self._markup, self.style, lines[fit:]),
        ]

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        style = self.style
        canvas._code.append(
            operators(
                canvas,
                self.lines(self.width),
                x,
                y + self.height - style.fontSize,
                style.fontSize,
                style.leading,
                style.textColor,
                self.width,
                style.alignment,
            )
        )

    def minWidth(self) -> float:
        return 0.0

    def __repr__(self) -> str:
        return f"TextBlock({self._markup[:40]!r})"

    def identity(self, maxLen: int | None = None) -> str:
        return repr(self)
