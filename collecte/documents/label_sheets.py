"""QR labels for devices: sheets of stickers or thermal-roll labels, as one PDF.

Pure: no database, no web. The stocks come from `labels/*.toml` (see
`collecte.documents.label_stocks`); the caller supplies each label's payload (the device URL,
upper case) and texts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

from collecte.documents.label_stocks import LABELS_DIR, LabelFormat, load_formats
from collecte.documents.pdf_pages import PdfPages, number, pdf_string
from collecte.documents.qr import ERROR_CORRECT_M, encode, pdf_image_mask
from collecte.domain.tags import display

__all__ = [
    "LABELS_DIR",
    "LABEL_ERROR_CORRECTION",
    "PROGRAMME_NAME",
    "LabelContent",
    "LabelFormat",
    "format_tag",
    "label_box",
    "load_formats",
    "render_labels",
]

MM = 72 / 25.4  # PDF points per millimetre
PROGRAMME_NAME = "La Grande Collecte Numérique"

# Level M (15 % of the codewords recoverable): a device URL then fits in version 2 or 3, so the
# modules stay about 0.8 mm wide even on the 29 mm thermal label, which matters more to a phone
# camera or a 203 dpi print head than extra redundancy. Level Q would cost a version (smaller
# modules) for damage these indoor labels rarely suffer; L would leave scuffs unrecoverable.
LABEL_ERROR_CORRECTION = ERROR_CORRECT_M

# Standard PDF fonts: nothing to embed, and their WinAnsi encoding covers French.
_TAG_FONT = "Courier-Bold"  # monospace, so 0/O-like confusions stay visible
_SERIAL_FONT = "Courier"  # the manufacturer's serial, compared character by character
# The marking manufacturers print on the devices themselves, read the same in both languages.
SERIAL_PREFIX = "S/N "
_TAG_ADVANCE = 0.6  # Courier's advance width, in font sizes
_TAG_TOP = 0.65  # tag glyphs (digits and capitals) reach this high, in font sizes
_BOLD = "Helvetica-Bold"
_REGULAR = "Helvetica"
_TEXT_TOP = 0.95  # accented capitals (É) reach this high above the baseline, in font sizes
_TEXT_BOTTOM = 0.23  # descenders (g, p) go this low
_MIN_TEXT_SIZE = 5.0  # below this a text is cut with an ellipsis rather than shrunk
_MIN_PROGRAMME_SIZE = 4.0
_ELLIPSIS = "…"
_FONTS = (_TAG_FONT, _BOLD, _REGULAR, _SERIAL_FONT)


@dataclass(frozen=True)
class LabelContent:
    """What one label shows; `category` None means a blank tag not yet bound to a device."""

    tag: str  # canonical, 8 characters: printed as 7K3P-9QXM
    payload: str  # the QR text; upper case keeps the code in its compact alphanumeric mode
    category: str | None = None  # in the reader's language
    brand_model: str | None = None
    serial_number: str | None = None  # printed "S/N ...": matches identical laptops to labels
    donor: str | None = None
    blank: bool = False  # a blank tag: `category` and `brand_model` say so


@dataclass(frozen=True)
class _Line:
    """One text slot of a label: font, largest size, baseline and extent, relative to the label."""

    font: str
    size: float
    min_size: float
    x: float
    baseline: float
    width: float


@dataclass(frozen=True)
class _Layout:
    """Where the QR square and the text slots go on a label of one stock."""

    qr_x: float
    qr_y: float
    qr_size: float
    tag: _Line
    category: _Line
    detail: _Line
    serial: _Line
    donor: _Line
    programme: _Line

    def lines(self) -> tuple[_Line, ...]:
        """Return the text slots, tag first."""
        return (self.tag, self.category, self.detail, self.serial, self.donor, self.programme)


# The tag as printed and read aloud (`7K3P-9QXM`): the one spelling of collecte.domain.tags.
format_tag = display


def label_box(fmt: LabelFormat, position: int) -> tuple[float, float, float, float]:
    """Return (x, y, width, height) in points, from the page's lower left, of a label position.

    Positions run row by row from the top left, 0 to `per_page - 1`; the calibration offset
    (positive: right and down) is applied.
    """
    if isinstance(position, bool) or not isinstance(position, int):
        raise TypeError(f"position must be an int, got {position!r}")
    if not 0 <= position < fmt.per_page:
        raise ValueError(f"position must be between 0 and {fmt.per_page - 1}, got {position}")
    row, column = divmod(position, fmt.columns)
    left = fmt.margin_left_mm + column * (fmt.label_width_mm + fmt.gap_x_mm) + fmt.offset_x_mm
    top = fmt.margin_top_mm + row * (fmt.label_height_mm + fmt.gap_y_mm) + fmt.offset_y_mm
    bottom = fmt.page_height_mm - top - fmt.label_height_mm
    return left * MM, bottom * MM, fmt.label_width_mm * MM, fmt.label_height_mm * MM


def render_labels(
    labels: Sequence[LabelContent],
    fmt: LabelFormat,
    skip: int = 0,
    programme_name: str = PROGRAMME_NAME,
    title: str = "",
) -> bytes:
    """Return a PDF of `labels` on `fmt`, the first `skip` positions of the first sheet left empty.

    With no labels the PDF is one empty page.
    """
    if isinstance(skip, bool) or not isinstance(skip, int):
        raise ValueError(f"skip doit être un entier, reçu {skip!r}")
    if not 0 <= skip < fmt.per_page:
        raise ValueError(
            f"skip doit être compris entre 0 et {fmt.per_page - 1} pour ce format "
            f"({fmt.per_page} étiquettes par page), reçu {skip}"
        )
    layout = _layout(fmt)
    boxes = [label_box(fmt, position)[:2] for position in range(fmt.per_page)]
    programme = _fit(_printable(programme_name), layout.programme)
    pages = PdfPages(fmt.page_width_mm * MM, fmt.page_height_mm * MM, _FONTS)
    fonts = {line.font: pages.font(line.font) for line in layout.lines()}
    # A roll prints one label a page, always at the same place: the programme's line, the same
    # on every label, is then one form that each page draws (on a sheet it is drawn with each
    # label, whose page is shared).
    roll_form = None
    if fmt.per_page == 1:
        x, y = boxes[0]
        roll_form = pages.define_form(_text(fonts, [(programme, layout.programme)], x, y))
    page: list[bytes] = []
    position = skip
    for label in labels:
        if position == fmt.per_page:
            pages.add_page(b"".join(page))
            page, position = [], 0
        x, y = boxes[position]
        _draw_label(page, fonts, label, x, y, layout, None if roll_form else programme)
        if roll_form:
            page.append(f"{roll_form} Do\n".encode("ascii"))
        position += 1
    pages.add_page(b"".join(page))
    # No creation date or random id: the same labels give the same bytes.
    return pages.finish(
        title=_printable(title or fmt.name), author=_printable(programme_name), creator="collecte"
    )


def _draw_label(
    page: list[bytes],
    fonts: dict[str, str],
    label: LabelContent,
    x: float,
    y: float,
    layout: _Layout,
    programme: tuple[str, float] | None,
) -> None:
    """Append to `page` the operators drawing one label whose lower-left corner is (x, y); its
    programme line too, unless None (a form draws it)."""
    symbol = encode(label.payload, LABEL_ERROR_CORRECTION)
    page.append(pdf_image_mask(symbol, x + layout.qr_x, y + layout.qr_y, layout.qr_size))
    texts = (
        (format_tag(_printable(label.tag)), layout.tag),
        (label.category, layout.category),
        (label.brand_model, layout.detail),
        (SERIAL_PREFIX + label.serial_number if label.serial_number else None, layout.serial),
        (label.donor, layout.donor),
    )
    fitted = [(_fit(_printable(text), line), line) for text, line in texts if text]
    if programme is not None:
        fitted.append((programme, layout.programme))
    page.append(_text(fonts, fitted, x, y))


def _text(
    fonts: dict[str, str], fitted: list[tuple[tuple[str, float], _Line]], x: float, y: float
) -> bytes:
    """Return one text object drawing fitted texts in their slots of the label at (x, y).

    Each line is placed from the one before: the moves are the same on every label, so they
    cost next to nothing once deflated.
    """
    parts = ["BT"]
    at_x = at_y = 0.0
    for (text, size), line in fitted:
        if text:
            line_x, line_y = float(number(x + line.x)), float(number(y + line.baseline))
            move = f"{number(line_x - at_x)} {number(line_y - at_y)}"
            parts.append(f"{fonts[line.font]} {number(size)} Tf {move} Td {pdf_string(text)} Tj")
            at_x, at_y = line_x, line_y
    parts.append("ET\n")
    return " ".join(parts).encode("cp1252")


def _fit(text: str, line: _Line) -> tuple[str, float]:
    """Return the text and font size that fit the slot: shrunk to the minimum, then cut with …."""
    unit = stringWidth(text, line.font, 1)
    if unit * line.size <= line.width:
        return text, line.size
    if unit * line.min_size <= line.width:
        return text, line.width / unit
    size = line.min_size
    shortest, longest = 0, len(text)
    while shortest < longest:  # the longest prefix that fits with the ellipsis
        middle = (shortest + longest + 1) // 2
        if stringWidth(text[:middle].rstrip() + _ELLIPSIS, line.font, size) <= line.width:
            shortest = middle
        else:
            longest = middle - 1
    cut = text[:shortest].rstrip()
    if stringWidth(cut + _ELLIPSIS, line.font, size) > line.width:
        return "", size  # not even the ellipsis fits: a slot this narrow shows nothing
    return cut + _ELLIPSIS, size


def _printable(text: str) -> str:
    """Return `text` on one line, with what the standard PDF fonts cannot draw approximated."""
    text = " ".join(text.split())
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        if unicodedata.category(char).startswith("C"):
            continue
        try:
            out.append(char.encode("cp1252").decode("cp1252"))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        try:
            out.append(base.encode("cp1252").decode("cp1252") or "?")
        except UnicodeEncodeError:
            out.append("?")  # a glyph the font lacks would print as a black box
    return "".join(out)


def _layout(fmt: LabelFormat) -> _Layout:
    """Place the QR code and the text slots for the stock's label size.

    Wide labels get the QR on the left and the texts on the right; squarish or tall ones get the
    QR on top. Sizes follow the label, within readable bounds, and shrink together if crowded.
    """
    width, height = fmt.label_width_mm * MM, fmt.label_height_mm * MM
    pad = min(max(min(width, height) * 0.06, 1 * MM), 2.5 * MM)
    if width >= 1.35 * height:
        # The square includes the quiet zone, so the QR needs only a small inset of its own.
        qr_size = min(height - pad, width * 0.5)
        qr_x, qr_y = pad / 2, (height - qr_size) / 2
        text_x, text_top = qr_x + qr_size, height - pad
    else:
        qr_size = min(width - pad, height * 0.6)
        qr_x, qr_y = (width - qr_size) / 2, height - pad / 2 - qr_size
        text_x, text_top = pad, qr_y
    text_width = max(width - pad - text_x, 0.0)
    text_bottom = pad
    room = max(text_top - text_bottom, 0.0)
    sizes = [
        min(0.22 * room, 24.0, text_width / (9 * _TAG_ADVANCE)),  # tag: nine characters
        min(0.11 * room, 11.0),  # category
        min(0.10 * room, 10.0),  # brand and model
        min(0.10 * room, 9.0),  # serial number
        min(0.10 * room, 10.0),  # donor
        min(0.075 * room, 7.5),  # programme
    ]
    tops = [_TAG_TOP] + [_TEXT_TOP] * 5
    bottoms = [0.0] + [_TEXT_BOTTOM] * 5
    gaps = [0.3, 0.15, 0.15, 0.15, 0.15]  # between consecutive lines, in the upper line's size
    needed = sum(s * (t + b) for s, t, b in zip(sizes, tops, bottoms, strict=True))
    needed += sum(s * g for s, g in zip(sizes, gaps, strict=False))
    if needed > room > 0:
        sizes = [s * room / needed for s in sizes]
        needed = room
    spare = (room - needed) / len(gaps) if room else 0.0
    baselines = []
    y = text_top
    for index, size in enumerate(sizes):
        baseline = y - tops[index] * size
        baselines.append(baseline)
        if index < len(gaps):
            y = baseline - bottoms[index] * size - gaps[index] * size - spare
    fonts = [_TAG_FONT, _BOLD, _REGULAR, _SERIAL_FONT, _REGULAR, _REGULAR]
    minimums = [0.0, *[_MIN_TEXT_SIZE] * 4, _MIN_PROGRAMME_SIZE]
    lines = [
        _Line(font, size, min(minimum, size), text_x, baseline, text_width)
        for font, size, minimum, baseline in zip(fonts, sizes, minimums, baselines, strict=True)
    ]
    return _Layout(qr_x, qr_y, qr_size, *lines)
