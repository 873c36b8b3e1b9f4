"""How a certificate looks, whatever its kind: styles, page furniture and the generic blocks.

The page furniture is the letterhead with the verification QR code (drawn as each page starts)
and the footer with "page N / M" (drawn once the page count is known, by `NumberedCanvas`). The
blocks are the party boxes, the labelled values, the device table and the signature blocks; each
takes what it prints as arguments and knows nothing of certificate kinds.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias
from xml.sax.saxutils import escape

from reportlab import platypus
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFDocument, PDFFormXObject, PDFStream, PDFZCompress
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, KeepTogether

from collecte.documents import certificate_text as t
from collecte.documents.certificates.bounds import wrap
from collecte.documents.certificates.grid import Grid, Padding, Rule
from collecte.documents.certificates.model import CertificateDevice, CertificateDocument, Party
from collecte.documents.certificates.table import DeviceTable, RowStyle, TableData, row
from collecte.documents.certificates.text import Line, TextBlock, plain_lines, text_at
from collecte.documents.certificates.text import width as text_width
from collecte.documents.qr import ERROR_CORRECT_M, encode, pdf_operators

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
HEADER_TOP = PAGE_HEIGHT - 12 * mm
QR_SIZE = 22 * mm
FRAME_TOP = HEADER_TOP - QR_SIZE - 7 * mm
FRAME_BOTTOM = 24 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = colors.HexColor("#1d2733")
ACCENT = colors.HexColor("#1f4e79")
MUTED = colors.HexColor("#5b6673")
RULE = colors.HexColor("#a9b3bf")
ZEBRA = colors.HexColor("#f2f5f8")
PANEL = colors.HexColor("#f7f9fb")

FONT, BOLD, MONO = "Helvetica", "Helvetica-Bold", "Courier"

STYLES = {
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=17, leading=21, textColor=ACCENT),
    "subtitle": ParagraphStyle("subtitle", fontName=FONT, fontSize=9.5, leading=13, textColor=INK),
    "body": ParagraphStyle(
        "body", fontName=FONT, fontSize=9, leading=12.2, textColor=INK, alignment=TA_JUSTIFY
    ),
    "label": ParagraphStyle("label", fontName=BOLD, fontSize=7, leading=9, textColor=MUTED),
    "party": ParagraphStyle("party", fontName=BOLD, fontSize=9.5, leading=12, textColor=INK),
    "small": ParagraphStyle("small", fontName=FONT, fontSize=8, leading=10.2, textColor=INK),
    "note": ParagraphStyle(
        "note", fontName=FONT, fontSize=7.5, leading=9.6, textColor=MUTED, alignment=TA_JUSTIFY
    ),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9, textColor=INK),
    "cell_mono": ParagraphStyle("cell_mono", fontName=MONO, fontSize=7.5, leading=9, textColor=INK),
    "cell_head": ParagraphStyle(
        "cell_head", fontName=BOLD, fontSize=7.5, leading=9, textColor=colors.white
    ),
    "cell_head_right": ParagraphStyle(
        "cell_head_right",
        fontName=BOLD,
        fontSize=7.5,
        leading=9,
        textColor=colors.white,
        alignment=TA_RIGHT,
    ),
    "key": ParagraphStyle("key", fontName=BOLD, fontSize=8, leading=10.2, textColor=INK),
}


class Spacer(platypus.Spacer):  # type: ignore[misc]
    """Vertical space that draws nothing, without platypus's saving and restoring the canvas
    state (and formatting a translation) to do so."""

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        return None


def safe(value: str) -> str:
    """Return user text made safe for the standard fonts and for Paragraph markup."""
    return escape(t.pdf_safe(value))


def para(markup: str, style: str = "cell") -> TextBlock:
    """Return a paragraph of already-escaped markup (`text.TextBlock`, set as Paragraph would)."""
    return TextBlock(markup, STYLES[style])


def mono(value: str) -> str:
    """Return markup setting user text in the monospace font."""
    return f"<font name='{MONO}'>{safe(value)}</font>"


def fit(text: str, font: str, size: float, width: float, smallest: float = 5.0) -> float:
    """Return the largest font size up to `size` at which `text` fits in `width`."""
    while size > smallest and text_width(text, font, size) > width:
        size -= 0.25
    return size


# ---------------------------------------------------------------------------------------------
# Page furniture


class NumberedCanvas(Canvas):
    """A canvas that holds its pages back until save, so each footer can say "page N / M"."""

    def __init__(
        self,
        *args: Any,
        footer: Callable[[Canvas, int, int], None],
        issued_at: datetime,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._held_pages: list[dict[str, Any]] = []
        self._date_document(issued_at)

    def _date_document(self, moment: datetime) -> None:
        """Date the PDF at the issue time and derive its ID from it, whatever the host says.

        reportlab's invariant mode still honours SOURCE_DATE_EPOCH from the environment, which
        would make the bytes depend on the machine; this mirrors its own initialisation instead.
        """
        seconds = moment.timestamp()
        stamp = self._doc._timeStamp
        stamp.t, stamp.lt = seconds, time.gmtime(seconds)
        stamp.YMDhms, stamp.dhh, stamp.dmm, stamp.tzname = tuple(stamp.lt)[:6], 0, 0, "UTC"
        signature = self._doc.signature = hashlib.md5(usedforsecurity=False)
        signature.update(b"a reportlab document")
        signature.update(ascii(seconds).encode("ascii"))

    def showPage(self) -> None:
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self._footer(self, number, total)
            super().showPage()
        _deflate_only(self._doc)
        super().save()


def _deflate_only(document: PDFDocument) -> None:
    """Give the pages' and forms' streams Flate alone.

    reportlab wraps every deflated stream in ASCII85 too, a quarter larger and a pure-Python
    pass over it (1 ms of a one-page certificate), unless its process-wide `rl_config.useA85`
    is off: a setting that would change every other PDF the process writes with reportlab.
    A stream given before the document is written is kept as it is.
    """
    for page in document.Pages.pages:
        if page.Contents is None and page.stream:
            page.Contents = PDFStream(content=page.stream, filters=[PDFZCompress])
    for item in document.idToObject.values():
        if isinstance(item, PDFFormXObject) and item.Contents is None and item.stream:
            item.compression = 0  # else the form sets its filters again, ASCII85 included
            item.Contents = PDFStream(content=item.stream, filters=[PDFZCompress])


def draw_header(canvas: Canvas, doc: CertificateDocument, url: str) -> None:
    """Draw the programme's letterhead, the number and the verification QR code: the same on
    every page, so one form XObject drawn by each (smaller file, same drawing)."""
    if not canvas.hasForm("letterhead"):
        canvas.beginForm("letterhead", 0, 0, PAGE_WIDTH, PAGE_HEIGHT)
        canvas._code.append(_letterhead(canvas, doc, url))
        canvas.endForm()
    canvas.doForm("letterhead")


def _letterhead(canvas: Canvas, doc: CertificateDocument, url: str) -> str:
    """Return the operators of the header: letterhead, number, QR code and rule."""
    programme, lang = doc.programme, doc.language
    left_width = 88 * mm
    y = HEADER_TOP - 11
    name = t.pdf_safe(programme.name)
    ops = [text_at(canvas, name, BOLD, fit(name, BOLD, 13, left_width), MARGIN_X, y, ACCENT)]
    lines = [t.text(lang, "operated_by", operator=programme.operator)]
    lines += [line.strip() for line in programme.address.splitlines() if line.strip()]
    if programme.ridet:
        lines.append(t.text(lang, "ridet", ridet=programme.ridet))
    y -= 13
    for line in lines[:5]:  # the letterhead has room for five lines beside the QR code
        line = t.pdf_safe(line)
        ops.append(text_at(canvas, line, FONT, fit(line, FONT, 8.5, left_width), MARGIN_X, y, INK))
        y -= 10.5

    qr_x = PAGE_WIDTH - MARGIN_X - QR_SIZE
    qr_y = HEADER_TOP - QR_SIZE
    ops.append(pdf_operators(encode(url, ERROR_CORRECT_M), qr_x, qr_y, QR_SIZE))

    right = qr_x - 1.5 * mm
    width = right - MARGIN_X - left_width - 4 * mm
    number = t.pdf_safe(t.text(lang, "number", number=doc.number))
    size = fit(number, BOLD, 11, width)
    ops.append(text_at(canvas, number, BOLD, size, right, HEADER_TOP - 13, INK, right=True))
    for text, below in (("verify_online", 32), ("verify_scan", 41)):
        said = t.pdf_safe(t.text(lang, text))
        ops.append(text_at(canvas, said, FONT, 7.5, right, HEADER_TOP - below, MUTED, right=True))
    safe_url = t.pdf_safe(url)
    size = fit(safe_url, FONT, 7, width)
    ops.append(text_at(canvas, safe_url, FONT, size, right, HEADER_TOP - 50, MUTED, right=True))

    rule_y = HEADER_TOP - QR_SIZE - 3 * mm
    ops.append(_rule(MARGIN_X, PAGE_WIDTH - MARGIN_X, rule_y, 1.2, ACCENT))
    return " ".join(ops)


def _rule(left: float, right: float, y: float, width: float, color: colors.Color) -> str:
    """Return the operators of a horizontal line."""
    stroke = f"{color.red:.3f} {color.green:.3f} {color.blue:.3f} RG"
    return f"q {width:g} w {stroke} {left:.2f} {y:.2f} m {right:.2f} {y:.2f} l S Q"


def draw_footer(
    canvas: Canvas, title: str, doc: CertificateDocument, fingerprint: str, page: int, pages: int
) -> None:
    """Draw the title, number, fingerprint and "page N / M"."""
    lang = doc.language
    line = t.pdf_safe(t.text(lang, "fingerprint", fingerprint=fingerprint))
    right = PAGE_WIDTH - MARGIN_X
    said = t.pdf_safe(t.text(lang, "page", page=page, pages=pages))
    ops = [
        _rule(MARGIN_X, right, 18 * mm, 0.5, RULE),
        text_at(canvas, t.pdf_safe(f"{title} · {doc.number}"), FONT, 7.5, MARGIN_X, 14 * mm, INK),
        text_at(canvas, said, BOLD, 7.5, right, 14 * mm, INK, right=True),
        text_at(canvas, line, MONO, fit(line, MONO, 6.5, CONTENT_WIDTH), MARGIN_X, 10 * mm, MUTED),
    ]
    canvas._code.append(" ".join(ops))


# ---------------------------------------------------------------------------------------------
# Blocks


# A party box is a third of the page wide at the narrowest; each of its values is wrapped to
# a few lines of it, so the boxes stay well within a page.
PARTY_WIDTH = CONTENT_WIDTH / 3 - 12
PARTY_NAME_LINES, PARTY_LINE_LINES = 3, 2


def _wrapped(value: str, style: str, max_lines: int) -> str:
    """Return user text as escaped markup, wrapped to the party box in at most `max_lines`."""
    font = STYLES[style]
    lines = wrap(t.pdf_safe(value), font.fontName, font.fontSize, PARTY_WIDTH, max_lines)
    return "<br/>".join(escape(line) for line in lines)


def party_box(
    label: str,
    party: Party | None,
    lang: str,
    extra: Sequence[str] = (),
    ridet_required: bool = False,
) -> list[Flowable]:
    """Return the flowables describing one party, under its role label."""
    items: list[Flowable] = [para(escape(label.upper()), "label")]
    if party is None:
        items.append(para(escape(t.text(lang, "not_given")), "small"))
        return items
    items.append(para(_wrapped(party.name, "party", PARTY_NAME_LINES), "party"))
    lines = []
    if party.ridet:
        lines.append(_wrapped(t.text(lang, "ridet", ridet=party.ridet), "small", PARTY_LINE_LINES))
    elif ridet_required:
        lines.append(escape(t.text(lang, "ridet_unknown")))
    lines += [
        _wrapped(line, "small", PARTY_LINE_LINES)
        for line in (party.address or "").splitlines()
        if line.strip()
    ]
    if party.city:
        lines.append(_wrapped(party.city, "small", PARTY_LINE_LINES))
    contact = " · ".join(v for v in (party.email, party.phone) if v)
    if contact:
        lines.append(_wrapped(contact, "small", PARTY_LINE_LINES))
    lines += [_wrapped(line, "small", PARTY_LINE_LINES) for line in extra]
    if lines:
        items.append(para("<br/>".join(lines), "small"))
    return items


def parties_table(boxes: list[list[Flowable]]) -> Grid:
    """Return the party boxes side by side."""
    width = CONTENT_WIDTH / len(boxes)
    return Grid(
        [boxes],
        [width] * len(boxes),
        Padding(left=6, right=6, top=5, bottom=6),
        fill=PANEL,
        box=Rule(0.5, RULE),
        after_columns=Rule(0.5, RULE),
    )


def key_values(rows: list[tuple[str, str]], key_width: float = 52 * mm) -> Grid:
    """Return a two-column table of labelled values (values already escaped)."""
    data = [[[para(escape(key), "key")], [para(value, "small")]] for key, value in rows]
    return Grid(
        data,
        [key_width, CONTENT_WIDTH - key_width],
        Padding(left=2),
        below_rows=Rule(0.25, RULE),
    )


# A cell is raw text (laid out as plain lines, far cheaper than a Paragraph, wrapped to its
# column) or a ready-made flowable for mixed styles, whose texts the cell keeps short.
Cell: TypeAlias = str | Flowable
CELL_SIZE, CELL_PADDING = 7.5, 3
CELL_LINES = 6  # a longer value is shortened with "…": no row grows taller than a page


@dataclass(frozen=True)
class Column:
    """One column of a device table: its heading, width and how to fill a cell."""

    heading: str  # key into the wording
    width: float  # in mm
    cell: Callable[[int, CertificateDevice, str], Cell]
    align: Literal["left", "right"] = "left"
    font: Literal["text", "mono"] = "text"

    @property
    def right(self) -> bool:
        """Whether the column is aligned right (figures)."""
        return self.align == "right"

    @property
    def mono(self) -> bool:
        """Whether the column is set in the monospace font (codes, serials)."""
        return self.font == "mono"

    def layout(self, value: Cell) -> Cell:
        """Return a text cell as plain lines that fit the column: wrapped, at most `CELL_LINES`
        of them, the last shortened with "…" if need be (a flowable is kept as it is)."""
        if not isinstance(value, str):
            return value
        text = t.pdf_safe(value) or "—"
        font = MONO if self.mono else FONT
        room = self.width * mm - 2 * CELL_PADDING
        return "\n".join(wrap(text, font, CELL_SIZE, room, CELL_LINES))


# How the device table's rows are set: header, device lines (the line number muted), total.
HEADER_ROW = RowStyle(CELL_SIZE, 9, 2.5, 3, (colors.white,))
DEVICE_ROW = RowStyle(CELL_SIZE, 9, 2.5, 3, (MUTED, INK))
TOTAL_ROW = RowStyle(8, 9, 4, 4, (INK,))


def _cell_lines(value: Cell, font: str, room: float) -> list[Line]:
    """Return a laid-out cell's lines: a text cell's own lines, a paragraph wrapped to `room`."""
    if isinstance(value, TextBlock):
        return value.lines(room)
    if isinstance(value, str):
        return plain_lines(value, font, CELL_SIZE)
    raise TypeError(f"a device table cell is text or a paragraph, not {value!r}")


def device_table(
    columns: Sequence[Column],
    devices: Sequence[CertificateDevice],
    lang: str,
    figure: str | None,
    total: str | None = None,
) -> DeviceTable:
    """Return the device table, header repeated on every page, total row last.

    `figure` (a total value or weight) ends the total row under the last column, if given;
    `total` words the total row (default: the number of lines, as devices).
    """
    rooms = [c.width * mm - 2 * CELL_PADDING for c in columns]
    header = row(
        [
            para(
                escape(t.text(lang, c.heading)), "cell_head_right" if c.right else "cell_head"
            ).lines(room)
            for c, room in zip(columns, rooms, strict=True)
        ],
        HEADER_ROW,
    )
    fonts = [MONO if c.mono else FONT for c in columns]
    rows = tuple(
        row(
            [
                _cell_lines(c.layout(c.cell(i, d, lang)), font, room)
                for c, font, room in zip(columns, fonts, rooms, strict=True)
            ],
            DEVICE_ROW,
        )
        for i, d in enumerate(devices, start=1)
    )
    words = f"{t.text(lang, 'total')} · {total or t.plural(lang, len(devices))}"
    total_cells = [plain_lines(t.pdf_safe(words), BOLD, TOTAL_ROW.size)]
    if figure is not None:
        total_cells.append(plain_lines(t.pdf_safe(figure), BOLD, TOTAL_ROW.size))
    grid = TableData(
        widths=tuple(c.width * mm for c in columns),
        right=tuple(c.right for c in columns),
        padding=CELL_PADDING,
        header=header,
        header_style=HEADER_ROW,
        header_fill=ACCENT,
        rows=rows,
        row_style=DEVICE_ROW,
        zebra=ZEBRA,
        rule=RULE,
        total=row(total_cells, TOTAL_ROW),
        total_style=TOTAL_ROW,
        total_rule=ACCENT,
        total_span=len(columns) - 1 if figure is not None else len(columns),
    )
    return DeviceTable(grid)


def signature_block(
    heading: str,
    lines: Sequence[str],
    lang: str,
    image: bytes | None = None,
    note: str | None = None,
) -> list[Flowable]:
    """Return one signature block: who signs, then a box for date, signature and stamp; a
    signature drawn on screen (`image`, a PNG) is drawn in the box, a `note` says how it was
    signed (or not)."""
    content: list[Flowable] = [para(escape(note or t.text(lang, "sign_hint")), "note")]
    if image is not None:
        drawn = Image(io.BytesIO(image), width=60 * mm, height=12 * mm, kind="proportional")
        drawn.hAlign = "LEFT"
        content.append(drawn)
    box = Grid(
        [[content]],
        [80 * mm],
        box=Rule(0.5, RULE),
        height=18 * mm if image is None else 20 * mm,
    )
    return [
        para(f"<b>{safe(heading)}</b>", "small"),
        *[para(safe(line), "small") for line in lines if line],
        Spacer(1, 1.5 * mm),
        box,
    ]


def signatures(made: str, blocks: list[list[Flowable]]) -> list[Flowable]:
    """Return the place-and-date line over two columns of signature blocks, kept together."""
    table = Grid([blocks], [CONTENT_WIDTH / 2] * 2, Padding(left=0))
    return [KeepTogether([para(escape(made), "small"), Spacer(1, 3 * mm), table])]
