"""Certificate PDFs (donation, erasure, recycling, receipt) rendered from plain data; pure.

The caller gathers the data, numbers the certificate, computes its fingerprint with
`content_fingerprint`, renders it once with `render_certificate` and stores the bytes.
The output is deterministic: the same document always gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, TypeAlias
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from collecte.documents import certificate_text as t
from collecte.documents.qr import draw_qr

KINDS = ("donation", "erasure", "recycling", "receipt")
PREFIXES = {"donation": "DON", "erasure": "EFF", "recycling": "RCY", "receipt": "REC"}
CANONICAL_FORMAT = "collecte.certificate/1"  # bump when the canonical content changes shape

# The article is the one found for corporate sponsorship tax credits; the programme must confirm
# it (and its eligibility, via a rescrit) before relying on it, hence the visible caveat.
DEFAULT_LEGAL_MENTION = (
    "Don susceptible d'ouvrir droit au crédit d'impôt au titre du mécénat prévu par l'article "
    "Lp. 37-2 du code des impôts de la Nouvelle-Calédonie, dans les conditions et limites fixées "
    "par ce code et sous réserve de l'éligibilité de l'organisme bénéficiaire. "
    "[Mention à vérifier par le programme.]"
)


@dataclass(frozen=True, kw_only=True)
class ProgrammeInfo:
    """The programme that issues the certificates and heads every page."""

    name: str = "La Grande Collecte Numérique"
    operator: str = "OPEN NC"
    address: str = ""
    ridet: str | None = None
    signatory_name: str = ""
    signatory_title: str = ""
    legal_mention: str = DEFAULT_LEGAL_MENTION
    public_url: str = "http://localhost:8000"


@dataclass(frozen=True, kw_only=True)
class Party:
    """An organisation named on a certificate."""

    name: str
    ridet: str | None = None
    address: str | None = None
    city: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, kw_only=True)
class CertificateDevice:
    """One device line of a certificate; fields a kind does not use are left empty."""

    tag: str
    category: str = "other"
    brand: str | None = None
    model: str | None = None
    serial_number: str | None = None
    declared_value_xpf: int | None = None
    weight_kg: float | None = None
    grade: str | None = None
    storage_serials: tuple[str, ...] = ()
    wipe_method: str | None = None
    wipe_tool: str | None = None
    wipe_verified: bool | None = None
    wipe_result: str | None = None
    destination: str | None = None
    erasure_certificates: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CertificateDocument:
    """Everything printed on one certificate."""

    kind: str
    number: str
    issued_at: datetime
    language: str = "fr"
    programme: ProgrammeInfo
    recipient: Party
    donor: Party | None = None
    reconditioner: Party | None = None
    association: Party | None = None
    operator_name: str | None = None
    handover_date: date | None = None
    channel: str | None = None
    received_by: str | None = None
    place: str | None = None
    devices: tuple[CertificateDevice, ...] = ()
    verify_url: str = ""
    content_fingerprint: str = ""


def _check(doc: CertificateDocument) -> None:
    """Refuse a document that would print a wrong or incomplete certificate."""
    if doc.kind not in KINDS:
        raise ValueError(f"kind: unknown certificate kind {doc.kind!r}")
    if doc.language not in t.LANGUAGES:
        raise ValueError(f"language: expected one of {t.LANGUAGES}, got {doc.language!r}")
    if not doc.number.startswith(PREFIXES[doc.kind] + "-"):
        raise ValueError(
            f"number: a {doc.kind} certificate number starts with {PREFIXES[doc.kind]}-"
        )
    t.to_noumea(doc.issued_at)
    if doc.kind == "recycling" and not doc.channel:
        raise ValueError("channel: a recycling certificate names its treatment organisation")
    for device in doc.devices:
        if device.declared_value_xpf is not None and device.declared_value_xpf < 0:
            raise ValueError(f"declared_value_xpf: negative for device {device.tag}")
        if device.weight_kg is not None and device.weight_kg < 0:
            raise ValueError(f"weight_kg: negative for device {device.tag}")


def canonical_content(doc: CertificateDocument) -> bytes:
    """Return the deterministic JSON of everything on the certificate except its fingerprint."""
    _check(doc)
    data: dict[str, Any] = asdict(doc)
    del data["content_fingerprint"]
    # One instant, one text: the same moment given in any time zone hashes the same.
    data["issued_at"] = doc.issued_at.astimezone(UTC).isoformat()
    data["handover_date"] = doc.handover_date.isoformat() if doc.handover_date else None
    payload = {"format": CANONICAL_FORMAT, "certificate": data}
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def content_fingerprint(doc: CertificateDocument) -> str:
    """Return the SHA-256 hex digest of the certificate's canonical content."""
    return hashlib.sha256(canonical_content(doc)).hexdigest()


def with_fingerprint(doc: CertificateDocument) -> CertificateDocument:
    """Return `doc` with its content fingerprint filled in."""
    return replace(doc, content_fingerprint=content_fingerprint(doc))


def verify_url_for(doc: CertificateDocument) -> str:
    """Return the URL the QR code carries: the one given, or the programme's verify page."""
    return doc.verify_url or f"{doc.programme.public_url.rstrip('/')}/verify/{doc.number}"


# ---------------------------------------------------------------------------------------------
# Look

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


def _x(value: str) -> str:
    """Return user text made safe for the standard fonts and for Paragraph markup."""
    return escape(t.pdf_safe(value))


def _p(markup: str, style: str = "cell") -> Paragraph:
    """Return a Paragraph of already-escaped markup."""
    return Paragraph(markup, STYLES[style])


def _fit(text: str, font: str, size: float, width: float, smallest: float = 5.0) -> float:
    """Return the largest font size up to `size` at which `text` fits in `width`."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.25
    return size


# ---------------------------------------------------------------------------------------------
# Page furniture: header on every page (drawn as the page starts), footer once the page count
# is known (drawn by the canvas when the document is saved).


class _NumberedCanvas(Canvas):
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
        super().save()


def _draw_header(canvas: Canvas, doc: CertificateDocument, url: str) -> None:
    """Draw the programme's letterhead, the number and the verification QR code."""
    programme, lang = doc.programme, doc.language
    canvas.saveState()
    left_width = 88 * mm
    y = HEADER_TOP - 11
    canvas.setFillColor(ACCENT)
    canvas.setFont(BOLD, _fit(t.pdf_safe(programme.name), BOLD, 13, left_width))
    canvas.drawString(MARGIN_X, y, t.pdf_safe(programme.name))
    canvas.setFillColor(INK)
    lines = [t.text(lang, "operated_by", operator=programme.operator)]
    lines += [line.strip() for line in programme.address.splitlines() if line.strip()]
    if programme.ridet:
        lines.append(t.text(lang, "ridet", ridet=programme.ridet))
    y -= 13
    for line in lines[:5]:  # the letterhead has room for five lines beside the QR code
        line = t.pdf_safe(line)
        canvas.setFont(FONT, _fit(line, FONT, 8.5, left_width))
        canvas.drawString(MARGIN_X, y, line)
        y -= 10.5

    qr_x = PAGE_WIDTH - MARGIN_X - QR_SIZE
    qr_y = HEADER_TOP - QR_SIZE
    # One form XObject for the QR code, reused by every page: smaller file, same drawing.
    if not canvas.hasForm("verify_qr"):
        canvas.beginForm("verify_qr", 0, 0, QR_SIZE, QR_SIZE)
        draw_qr(canvas, url, 0, 0, QR_SIZE)
        canvas.endForm()
    canvas.saveState()
    canvas.translate(qr_x, qr_y)
    canvas.doForm("verify_qr")
    canvas.restoreState()

    right = qr_x - 1.5 * mm
    width = right - MARGIN_X - left_width - 4 * mm
    number = t.text(lang, "number", number=doc.number)
    canvas.setFont(BOLD, _fit(number, BOLD, 11, width))
    canvas.drawRightString(right, HEADER_TOP - 13, number)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7.5)
    canvas.drawRightString(right, HEADER_TOP - 32, t.text(lang, "verify_online"))
    canvas.drawRightString(right, HEADER_TOP - 41, t.text(lang, "verify_scan"))
    safe_url = t.pdf_safe(url)
    canvas.setFont(FONT, _fit(safe_url, FONT, 7, width))
    canvas.drawRightString(right, HEADER_TOP - 50, safe_url)

    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(1.2)
    rule_y = HEADER_TOP - QR_SIZE - 3 * mm
    canvas.line(MARGIN_X, rule_y, PAGE_WIDTH - MARGIN_X, rule_y)
    canvas.restoreState()


def _draw_footer(
    canvas: Canvas, doc: CertificateDocument, fingerprint: str, page: int, pages: int
) -> None:
    """Draw the title, number, fingerprint and "page N / M"."""
    lang = doc.language
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN_X, 18 * mm, PAGE_WIDTH - MARGIN_X, 18 * mm)
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(MARGIN_X, 14 * mm, f"{t.title(doc.kind, lang)} · {doc.number}")
    canvas.setFont(BOLD, 7.5)
    canvas.drawRightString(
        PAGE_WIDTH - MARGIN_X, 14 * mm, t.text(lang, "page", page=page, pages=pages)
    )
    canvas.setFillColor(MUTED)
    line = t.text(lang, "fingerprint", fingerprint=fingerprint)
    canvas.setFont(MONO, _fit(line, MONO, 6.5, CONTENT_WIDTH))
    canvas.drawString(MARGIN_X, 10 * mm, line)
    canvas.restoreState()


# ---------------------------------------------------------------------------------------------
# Story blocks


def _party_box(
    label: str,
    party: Party | None,
    lang: str,
    extra: Sequence[str] = (),
    ridet_required: bool = False,
) -> list[Flowable]:
    """Return the flowables describing one party, under its role label."""
    items: list[Flowable] = [_p(escape(label.upper()), "label")]
    if party is None:
        items.append(_p(escape(t.text(lang, "not_given")), "small"))
        return items
    items.append(_p(_x(party.name), "party"))
    lines = []
    if party.ridet:
        lines.append(_x(t.text(lang, "ridet", ridet=party.ridet)))
    elif ridet_required:
        lines.append(escape(t.text(lang, "ridet_unknown")))
    lines += [_x(line) for line in (party.address or "").splitlines() if line.strip()]
    if party.city:
        lines.append(_x(party.city))
    contact = " · ".join(_x(v) for v in (party.email, party.phone) if v)
    if contact:
        lines.append(contact)
    lines += [_x(line) for line in extra]
    if lines:
        items.append(_p("<br/>".join(lines), "small"))
    return items


def _parties_table(boxes: list[list[Flowable]]) -> Table:
    """Return the party boxes side by side."""
    width = CONTENT_WIDTH / len(boxes)
    table = Table([boxes], colWidths=[width] * len(boxes), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, -1), PANEL),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LINEAFTER", (0, 0), (-2, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _key_values(rows: list[tuple[str, str]], key_width: float = 52 * mm) -> Table:
    """Return a two-column table of labelled values (values already escaped)."""
    data = [[_p(escape(key), "key"), _p(value, "small")] for key, value in rows]
    table = Table(data, colWidths=[key_width, CONTENT_WIDTH - key_width], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _model(device: CertificateDevice) -> str:
    """Return "Brand Model", or a dash."""
    return " ".join(v for v in (device.brand, device.model) if v) or "—"


def _mono(value: str) -> str:
    """Return markup setting user text in the monospace font."""
    return f"<font name='{MONO}'>{_x(value)}</font>"


# A cell is raw text (laid out as a plain string when it fits its column, far cheaper than a
# Paragraph, or wrapped in one when it does not) or a ready-made flowable for mixed styles.
Cell: TypeAlias = str | Flowable
CELL_SIZE, CELL_PADDING = 7.5, 3


@dataclass(frozen=True)
class _Column:
    """One column of a device table: its heading, width and how to fill a cell."""

    heading: str  # key into the wording
    width: float  # in mm
    cell: Callable[[int, CertificateDevice, str], Cell]
    right: bool = False
    mono: bool = False

    def layout(self, value: Cell) -> Cell:
        """Return the cell as a plain string if every line fits the column, else wrapping."""
        if not isinstance(value, str):
            return value
        text = t.pdf_safe(value) or "—"
        font = MONO if self.mono else FONT
        room = self.width * mm - 2 * CELL_PADDING
        if all(stringWidth(line, font, CELL_SIZE) <= room for line in text.split("\n")):
            return text
        markup = "<br/>".join(escape(line) for line in text.split("\n"))
        return _p(markup, "cell_mono" if self.mono else "cell")


def _index(i: int, _d: CertificateDevice, _lang: str) -> Cell:
    """Return the line number."""
    return str(i)


def _tag(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the tag as printed."""
    return t.format_tag(d.tag)


def _category(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the category in words."""
    return t.category_label(d.category, lang)


def _make_model(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the make and model."""
    return _model(d)


def _serial(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the serial number."""
    return d.serial_number or "—"


def _declared_value(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the declared value in francs CFP, or a dash."""
    return "—" if d.declared_value_xpf is None else t.format_xpf(d.declared_value_xpf, lang)


def _weight(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the weight in kilograms, or a dash."""
    return "—" if d.weight_kg is None else t.format_kg(d.weight_kg, lang)


def _erasure_device(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the category and make/model of a wiped device."""
    return _p(f"<b>{_x(t.category_label(d.category, lang))}</b><br/>{_x(_model(d))}")


def _serial_and_media(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the device serial, then the serial of each storage medium."""
    lines = [_mono(d.serial_number) if d.serial_number else "—"]
    label = _x(t.text(lang, "storage", serial=""))
    lines += [f"{label}{_mono(serial)}" for serial in d.storage_serials]
    return _p("<br/>".join(lines))


def _method(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the NIST SP 800-88 method."""
    return t.wipe_method_label(d.wipe_method, lang)


def _tool(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the erasure tool and its version."""
    return d.wipe_tool or "—"


def _check_and_result(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return whether the erasure was verified, and its result."""
    lines = [t.text(lang, "checked", yesno=t.yes_no(d.wipe_verified, lang))]
    return "\n".join([*lines, d.wipe_result] if d.wipe_result else lines)


def _destination(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return where the device goes next (reuse or recycling)."""
    return t.destination_label(d.destination, lang)


def _grade(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the refurbishment grade."""
    return d.grade or "—"


def _erasure_certificates(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the numbers of the erasure certificates covering the device, one a line."""
    return "\n".join(d.erasure_certificates) or "—"


# Each kind's columns; the widths add up to 174 mm, the A4 width between the margins.
COLUMNS: dict[str, tuple[_Column, ...]] = {
    "donation": (
        _Column("col_index", 9, _index),
        _Column("col_tag", 19, _tag, mono=True),
        _Column("col_category", 28, _category),
        _Column("col_model", 46, _make_model),
        _Column("col_serial", 46, _serial, mono=True),
        _Column("col_value", 26, _declared_value, right=True),
    ),
    "recycling": (
        _Column("col_index", 9, _index),
        _Column("col_tag", 19, _tag, mono=True),
        _Column("col_category", 28, _category),
        _Column("col_model", 46, _make_model),
        _Column("col_serial", 46, _serial, mono=True),
        _Column("col_weight", 26, _weight, right=True),
    ),
    "erasure": (
        _Column("col_index", 8, _index),
        _Column("col_tag", 19, _tag, mono=True),
        _Column("col_device", 32, _erasure_device),
        _Column("col_serial_media", 33, _serial_and_media),
        _Column("col_method", 24, _method),
        _Column("col_tool", 21, _tool),
        _Column("col_check", 19, _check_and_result),
        _Column("col_destination", 18, _destination),
    ),
    "receipt": (
        _Column("col_index", 9, _index),
        _Column("col_tag", 19, _tag, mono=True),
        _Column("col_category", 26, _category),
        _Column("col_model", 40, _make_model),
        _Column("col_serial", 37, _serial, mono=True),
        _Column("col_grade", 12, _grade),
        _Column("col_erasure_cert", 31, _erasure_certificates),
    ),
}


def _table_total(doc: CertificateDocument) -> str | None:
    """Return the figure that ends the last column (value or weight), if the kind has one."""
    if doc.kind == "donation":
        return t.format_xpf(sum(d.declared_value_xpf or 0 for d in doc.devices), doc.language)
    if doc.kind == "recycling":
        weights = [d.weight_kg for d in doc.devices if d.weight_kg is not None]
        return t.format_kg(t.sum_kg(weights), doc.language)
    return None


def _device_table(doc: CertificateDocument) -> Table:
    """Return the device table of the kind, header repeated on every page, total row last."""
    lang, columns = doc.language, COLUMNS[doc.kind]
    header = [
        _p(escape(t.text(lang, c.heading)), "cell_head_right" if c.right else "cell_head")
        for c in columns
    ]
    rows = [
        [c.layout(c.cell(i, d, lang)) for c in columns] for i, d in enumerate(doc.devices, start=1)
    ]
    total_row: list[Cell] = [""] * len(columns)
    total_row[0] = f"{t.text(lang, 'total')} · {t.plural(lang, len(doc.devices))}"
    figure = _table_total(doc)
    if figure is not None:
        total_row[-1] = figure
    style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 1), (-1, -1), FONT),
        ("FONTSIZE", (0, 1), (-1, -1), CELL_SIZE),
        ("LEADING", (0, 1), (-1, -1), 9),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("TEXTCOLOR", (0, 1), (0, -2), MUTED),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, ZEBRA]),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("FONTNAME", (0, -1), (-1, -1), BOLD),
        ("FONTSIZE", (0, -1), (-1, -1), 8),
        ("LINEABOVE", (0, -1), (-1, -1), 1, ACCENT),
        ("TOPPADDING", (0, -1), (-1, -1), 4),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 4),
        ("SPAN", (0, -1), (-2 if figure is not None else -1, -1)),
    ]
    style += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i, c in enumerate(columns) if c.right]
    style += [("FONTNAME", (i, 1), (i, -2), MONO) for i, c in enumerate(columns) if c.mono]
    table = Table(
        [header, *rows, total_row],
        colWidths=[c.width * mm for c in columns],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(TableStyle(style))
    return table


def _parties(doc: CertificateDocument) -> list[list[Flowable]]:
    """Return the party boxes the kind names."""
    lang, kind, programme = doc.language, doc.kind, doc.programme
    donor = doc.donor or (doc.recipient if kind != "receipt" else None)
    if kind == "donation":
        beneficiary = Party(
            name=f"{programme.operator} — {programme.name}",
            ridet=programme.ridet,
            address=programme.address or None,
        )
        return [
            _party_box(t.text(lang, "party_donor"), donor, lang, ridet_required=True),
            _party_box(t.text(lang, "party_beneficiary"), beneficiary, lang),
        ]
    if kind == "erasure":
        extra = (
            [t.text(lang, "operator_person", name=doc.operator_name)] if doc.operator_name else []
        )
        return [
            _party_box(t.text(lang, "party_donor_owner"), donor, lang),
            _party_box(t.text(lang, "party_erasure_operator"), doc.reconditioner, lang, extra),
        ]
    if kind == "recycling":
        boxes = [_party_box(t.text(lang, "party_donor"), donor, lang)]
        if doc.reconditioner:
            boxes.append(_party_box(t.text(lang, "party_reconditioner"), doc.reconditioner, lang))
        boxes.append(_party_box(t.text(lang, "party_channel"), Party(name=doc.channel or ""), lang))
        return boxes
    association = doc.association or doc.recipient
    boxes = [_party_box(t.text(lang, "party_association"), association, lang, ridet_required=True)]
    boxes.append(_party_box(t.text(lang, "party_reconditioner"), doc.reconditioner, lang))
    if doc.donor:
        boxes.append(_party_box(t.text(lang, "party_donor"), doc.donor, lang))
    return boxes


def _intro(doc: CertificateDocument) -> str:
    """Return the certifying sentence of the kind, escaped."""
    lang, programme = doc.language, doc.programme
    donor = (doc.donor or doc.recipient).name
    when = t.format_datetime(doc.issued_at, lang)
    if doc.kind == "donation":
        return t.text(
            lang,
            "intro_donation",
            operator=_x(programme.operator),
            programme=_x(programme.name),
            donor=f"<b>{_x(donor)}</b>",
        )
    if doc.kind == "erasure":
        operator, organisation = doc.operator_name, doc.reconditioner
        if operator and organisation:
            who = t.text(lang, "who_erasure", name=_x(operator), organisation=_x(organisation.name))
        else:
            who = _x(operator or (organisation.name if organisation else programme.operator))
        return t.text(lang, "intro_erasure", who=who, when=when)
    if doc.kind == "recycling":
        day = t.format_date(t.to_noumea(doc.issued_at).date(), lang)
        return t.text(
            lang,
            "intro_recycling",
            operator=_x(programme.operator),
            programme=_x(programme.name),
            donor=_x(donor),
            when=day,
            channel=f"<b>{_x(doc.channel or '')}</b>",
        )
    association = doc.association or doc.recipient
    return t.text(
        lang,
        "intro_receipt",
        association=f"<b>{_x(association.name)}</b>",
        programme=_x(programme.name),
    )


def _details(doc: CertificateDocument) -> list[tuple[str, str]]:
    """Return the labelled facts of the kind (values escaped)."""
    lang = doc.language
    when = escape(t.format_datetime(doc.issued_at, lang))
    missing = escape(t.text(lang, "not_given"))
    if doc.kind == "donation":
        # The handover is the collection, which issues the certificate: its date is the default.
        handover = doc.handover_date or t.to_noumea(doc.issued_at).date()
        return [
            (t.text(lang, "handover_date"), escape(t.format_date(handover, lang))),
            (t.text(lang, "gift_nature"), escape(t.text(lang, "gift_nature_text"))),
        ]
    if doc.kind == "erasure":
        return [
            (t.text(lang, "erasure_when"), when),
            (t.text(lang, "erasure_standard"), escape(t.text(lang, "erasure_standard_text"))),
        ]
    if doc.kind == "recycling":
        return [(t.text(lang, "recycling_when"), when)]
    return [
        (t.text(lang, "receipt_when"), when),
        (t.text(lang, "receipt_place"), _x(doc.place) if doc.place else missing),
        (t.text(lang, "receipt_by"), _x(doc.received_by) if doc.received_by else missing),
    ]


def _summary(doc: CertificateDocument) -> list[Flowable]:
    """Return the totals block of the kind."""
    lang, devices = doc.language, doc.devices
    rows = [(t.text(lang, "total_devices"), escape(t.format_int(len(devices), lang)))]
    after: list[Flowable] = []
    if doc.kind == "donation":
        total = sum(d.declared_value_xpf or 0 for d in devices)
        value = f"<b>{escape(t.format_xpf(total, lang))}</b>"
        missing = sum(d.declared_value_xpf is None for d in devices)
        if missing:
            value += " — " + escape(t.text(lang, "value_missing", count=missing))
        rows.append((t.text(lang, "total_value"), value))
        words = t.text(
            lang,
            "total_value_words",
            words=f"<b>{t.xpf_in_words(total, lang)}</b>",
            figures=escape(t.format_xpf(total, lang)),
        )
        after.append(Spacer(1, 2 * mm))
        after.append(_p(words, "body"))
    elif doc.kind == "erasure":
        media = sum(len(d.storage_serials) for d in devices)
        if media:
            rows.append((t.text(lang, "total_media"), escape(t.format_int(media, lang))))
        methods = Counter(d.wipe_method for d in devices if d.wipe_method)
        if methods:
            order = {"clear": 0, "purge": 1, "destroy": 2}
            listed = " · ".join(
                f"{_x(m.capitalize())}{t.colon(lang)}{c}"
                for m, c in sorted(methods.items(), key=lambda item: order.get(item[0], 3))
            )
            rows.append((t.text(lang, "total_methods"), listed))
        verified = sum(d.wipe_verified is True for d in devices)
        rows.append((t.text(lang, "total_verified"), f"{verified} / {len(devices)}"))
    elif doc.kind == "recycling":
        weights = [d.weight_kg for d in devices if d.weight_kg is not None]
        value = f"<b>{escape(t.format_kg(t.sum_kg(weights), lang))}</b>"
        missing = len(devices) - len(weights)
        if missing:
            value += " — " + escape(t.text(lang, "weight_missing", count=missing))
        rows.append((t.text(lang, "total_weight"), value))
    else:
        grades = Counter(d.grade or "—" for d in devices)
        listed = " · ".join(f"{_x(g)}{t.colon(lang)}{c}" for g, c in sorted(grades.items()))
        rows.append((t.text(lang, "total_grades"), listed))
        if doc.reconditioner:
            rows.append((t.text(lang, "total_reconditioners"), _x(doc.reconditioner.name)))
    return [KeepTogether([_key_values(rows), *after])]


def _signature(heading: str, lines: Sequence[str], lang: str) -> list[Flowable]:
    """Return one signature block: who signs, then a box for date, signature and stamp."""
    box = Table(
        [[_p(escape(t.text(lang, "sign_hint")), "note")]], colWidths=[80 * mm], rowHeights=[18 * mm]
    )
    box.setStyle(
        TableStyle([("BOX", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return [
        _p(f"<b>{_x(heading)}</b>", "small"),
        *[_p(_x(line), "small") for line in lines if line],
        Spacer(1, 1.5 * mm),
        box,
    ]


def _signatures(doc: CertificateDocument) -> list[Flowable]:
    """Return the place-and-date line and the signature blocks the kind asks for."""
    lang, programme = doc.language, doc.programme
    day = t.format_date(t.to_noumea(doc.issued_at).date(), lang)
    made = (
        t.text(lang, "made_at", place=doc.place, date=day)
        if doc.place
        else t.text(lang, "made_on", date=day)
    )
    for_programme = _signature(
        t.text(lang, "sign_for_programme", operator=programme.operator, programme=programme.name),
        [programme.signatory_name, programme.signatory_title],
        lang,
    )
    blank = t.text(lang, "sign_name", name="")
    if doc.kind == "donation":
        donor = doc.donor or doc.recipient
        blocks = [
            _signature(t.text(lang, "sign_for_donor"), [donor.name, blank], lang),
            for_programme,
        ]
    elif doc.kind == "erasure":
        organisation = doc.reconditioner.name if doc.reconditioner else ""
        blocks = [
            [],
            _signature(
                t.text(lang, "sign_for_reconditioner"),
                [organisation, doc.operator_name or blank],
                lang,
            ),
        ]
    elif doc.kind == "recycling":
        blocks = [[], for_programme]
    else:
        association = doc.association or doc.recipient
        blocks = [
            [],
            _signature(
                t.text(lang, "sign_for_association"),
                [association.name, doc.received_by or blank],
                lang,
            ),
        ]
    table = Table([blocks], colWidths=[CONTENT_WIDTH / 2] * 2, hAlign="LEFT")
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    )
    return [KeepTogether([_p(escape(made), "small"), Spacer(1, 3 * mm), table])]


def _authenticity(doc: CertificateDocument, url: str, fingerprint: str) -> Flowable:
    """Return the verification note: where to check the document, and its fingerprint."""
    lang = doc.language
    label, _, _ = t.text(lang, "fingerprint", fingerprint="|").partition("|")
    return _p(
        f"<b>{escape(t.text(lang, 'authenticity'))}.</b> "
        + t.text(lang, "authenticity_text", url=f"<b>{_x(url)}</b>")
        + f" {escape(label)}<font name='{MONO}'>{escape(fingerprint)}</font>",
        "note",
    )


def _story(doc: CertificateDocument, url: str, fingerprint: str) -> list[Flowable]:
    """Return the flowables of the whole certificate."""
    lang = doc.language
    when = t.format_datetime(doc.issued_at, lang)
    number = escape(t.text(lang, "number", number=doc.number))
    story: list[Flowable] = [
        _p(escape(t.title(doc.kind, lang)), "title"),
        Spacer(1, 1 * mm),
        _p(f"<b>{number}</b> · {escape(t.issued(doc.kind, lang, when))}", "subtitle"),
        Spacer(1, 4 * mm),
        _p(_intro(doc), "body"),
        Spacer(1, 4 * mm),
        _parties_table(_parties(doc)),
        Spacer(1, 3 * mm),
        _key_values(_details(doc)),
        Spacer(1, 5 * mm),
        _device_table(doc),
        Spacer(1, 3 * mm),
        *_summary(doc),
    ]
    if doc.kind == "donation" and doc.programme.legal_mention:
        legal = f"<b>{escape(t.text(lang, 'legal'))}.</b> {_x(doc.programme.legal_mention)}"
        story += [Spacer(1, 2.5 * mm), _p(legal, "note")]
    story += [Spacer(1, 2.5 * mm), _authenticity(doc, url, fingerprint), Spacer(1, 5 * mm)]
    story += _signatures(doc)
    return story


def render_certificate(doc: CertificateDocument) -> bytes:
    """Return the PDF of the certificate; the same document always gives the same bytes."""
    _check(doc)
    url = verify_url_for(doc)
    fingerprint = doc.content_fingerprint or content_fingerprint(doc)
    title = t.title(doc.kind, doc.language)
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        invariant=1,
        pageCompression=1,
        title=f"{title} {doc.number}",
        author=t.pdf_safe(doc.programme.operator),
        subject=t.pdf_safe(doc.programme.name),
        creator="collecte",
        lang="fr-FR" if doc.language == "fr" else "en",
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=PAGE_HEIGHT - FRAME_TOP,
        bottomMargin=FRAME_BOTTOM,
    )
    frame = Frame(
        MARGIN_X,
        FRAME_BOTTOM,
        CONTENT_WIDTH,
        FRAME_TOP - FRAME_BOTTOM,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template.addPageTemplates(
        [
            PageTemplate(
                id="certificate",
                frames=[frame],
                onPage=lambda canvas, _template: _draw_header(canvas, doc, url),
            )
        ]
    )
    footer = functools.partial(_draw_footer, doc=doc, fingerprint=fingerprint)
    template.build(
        _story(doc, url, fingerprint),
        canvasmaker=functools.partial(
            _NumberedCanvas,
            issued_at=doc.issued_at,
            footer=lambda canvas, page, pages: footer(canvas, page=page, pages=pages),
        ),
    )
    return buffer.getvalue()
