"""`render_certificate`: the PDF of a certificate, by one walk over its kind's spec; pure.

The output is deterministic: the same document always gives the same bytes, whatever the host.
"""

from __future__ import annotations

import functools
import io
from dataclasses import replace
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
)
from reportlab.platypus.doctemplate import LayoutError

from collecte.documents import certificate_text as t
from collecte.documents.certificates.bounds import bounded
from collecte.documents.certificates.keeping import KeepWithTable
from collecte.documents.certificates.kinds import spec_for
from collecte.documents.certificates.layout import (
    CONTENT_WIDTH,
    FRAME_BOTTOM,
    FRAME_TOP,
    MARGIN_X,
    MONO,
    PAGE_HEIGHT,
    NumberedCanvas,
    Spacer,
    device_table,
    draw_footer,
    draw_header,
    key_values,
    para,
    parties_table,
    party_box,
    safe,
    signature_block,
    signatures,
)
from collecte.documents.certificates.model import (
    CertificateDocument,
    check,
    content_fingerprint,
    verify_url_for,
)
from collecte.documents.certificates.spec import CertificateSpec, Signature, Wording
from collecte.domain.errors import DocumentTooLarge
from collecte.domain.fields import field_label
from collecte.i18n import msg


def _say(wording: Wording, doc: CertificateDocument) -> str:
    """Return a sentence of the spec, its placeholders filled from the document."""
    return t.text(doc.language, wording.key, **wording.values(doc))


def _parties(spec: CertificateSpec, doc: CertificateDocument) -> list[list[Flowable]]:
    """Return the party boxes of the kind, side by side."""
    boxes = []
    for box in spec.parties:
        party = box.party(doc)
        if party is None and box.optional:
            continue
        label = t.text(doc.language, box.label)
        boxes.append(party_box(label, party, doc.language, box.extra(doc), box.ridet_required))
    return boxes


def _table(spec: CertificateSpec, doc: CertificateDocument, figure: str | None) -> Flowable:
    """The device table: one line a device, or the lines the spec makes of them."""
    if spec.lines is None:
        return device_table(spec.columns, doc.devices, doc.language, figure)
    lines = spec.lines(doc)
    total = spec.lines_total(doc, len(lines)) if spec.lines_total else None
    return device_table(spec.columns, lines, doc.language, figure, total)


def _summary(spec: CertificateSpec, doc: CertificateDocument) -> list[Flowable]:
    """Return the totals block of the kind, and its closing sentence if it has one."""
    rows = []
    for row in spec.summary:
        value = row.value(doc)
        if value is not None:
            rows.append((t.text(doc.language, row.label), value))
    after: list[Flowable] = []
    if spec.summary_note is not None:
        after += [Spacer(1, 2 * mm), para(_say(spec.summary_note, doc), "body")]
    return [KeepTogether([key_values(rows), *after])]


def _signature(signature: Signature | None, doc: CertificateDocument) -> list[Flowable]:
    """Return one signature block, or nothing for an empty column."""
    if signature is None:
        return []
    lang = doc.language
    blank = t.text(lang, "sign_name", name="")  # a name and position to write by hand
    if signature.on_screen and doc.signed_by:
        blank = t.text(lang, "signed_by", name=doc.signed_by)
    lines = [blank if line is None else line for line in signature.lines(doc)]
    heading = _say(signature.heading, doc)
    if signature.on_screen and doc.signed_by:
        note = t.text(lang, "signed_on_screen")
        return signature_block(heading, lines, lang, image=doc.signature_image, note=note)
    if signature.on_screen and doc.closed_unsigned:
        return signature_block(heading, lines, lang, note=t.text(lang, "closed_unsigned"))
    return signature_block(heading, lines, lang)


def _signatures(spec: CertificateSpec, doc: CertificateDocument) -> list[Flowable]:
    """Return the place-and-date line and the signature blocks of the kind."""
    lang = doc.language
    day = t.format_date(t.to_noumea(doc.issued_at).date(), lang)
    made = (
        t.text(lang, "made_at", place=doc.place, date=day)
        if doc.place
        else t.text(lang, "made_on", date=day)
    )
    return signatures(made, [_signature(signature, doc) for signature in spec.signatures])


def _authenticity(doc: CertificateDocument, url: str, fingerprint: str) -> Flowable:
    """Return the verification note: where to check the document, and its fingerprint."""
    lang = doc.language
    label, _, _ = t.text(lang, "fingerprint", fingerprint="|").partition("|")
    return para(
        f"<b>{escape(t.text(lang, 'authenticity'))}.</b> "
        + t.text(lang, "authenticity_text", url=f"<b>{safe(url)}</b>")
        + f" {escape(label)}<font name='{MONO}'>{escape(fingerprint)}</font>",
        "note",
    )


def _story(
    spec: CertificateSpec, doc: CertificateDocument, url: str, fingerprint: str
) -> list[Flowable]:
    """Return the flowables of the whole certificate."""
    lang = doc.language
    when = t.format_datetime(doc.issued_at, lang)
    number = escape(t.text(lang, "number", number=doc.number))
    issued = escape(t.text(lang, spec.issued, when=when))
    figure = spec.table_total(doc) if spec.table_total else None
    story: list[Flowable] = [
        para(escape(t.title(spec.title, lang)), "title"),
        Spacer(1, 1 * mm),
        para(f"<b>{number}</b> · {issued}", "subtitle"),
        *(
            [para(escape(t.text(lang, "replaces", number=doc.replaces)), "subtitle")]
            if doc.replaces
            else []
        ),
        Spacer(1, 4 * mm),
        para(_say(spec.intro, doc), "body"),
        Spacer(1, 4 * mm),
        parties_table(_parties(spec, doc)),
        Spacer(1, 3 * mm),
        key_values(
            [
                (t.text(lang, fact.label), value)
                for fact in spec.facts
                if (value := fact.value(doc)) is not None
            ]
        ),
        Spacer(1, 5 * mm),
    ]
    ending: list[Flowable] = [Spacer(1, 3 * mm), *_summary(spec, doc)]
    if spec.legal_mention and doc.programme.legal_mention:
        legal = f"<b>{escape(t.text(lang, 'legal'))}.</b> {safe(doc.programme.legal_mention)}"
        ending += [Spacer(1, 2.5 * mm), para(legal, "note")]
    ending += [Spacer(1, 2.5 * mm), _authenticity(doc, url, fingerprint), Spacer(1, 5 * mm)]
    ending += _signatures(spec, doc)
    # The signatures never stand alone on a page: the table's last rows go with them.
    return [*story, KeepWithTable(_table(spec, doc, figure), ending)]


def render_certificate(doc: CertificateDocument) -> bytes:
    """Return the PDF of the certificate; the same document always gives the same bytes.

    Every text is first kept within bounds (`bounds.bounded`), so any document the services
    build fits its pages; one that still does not raises DocumentTooLarge naming the device
    and field at fault, never reportlab's LayoutError.
    """
    check(doc)
    fingerprint = doc.content_fingerprint or content_fingerprint(doc)
    shown = bounded(doc)
    try:
        return _build(shown, fingerprint)
    except LayoutError:
        tag, field = _culprit(shown, fingerprint)
        raise too_large(doc.number, tag, field) from None


def too_large(number: str, tag: str | None, field: str | None) -> DocumentTooLarge:
    """The refusal of a certificate that cannot be laid out, naming what to shorten."""
    if tag:
        sentence = msg(
            "Le certificat {number} ne tient pas sur ses pages : le champ « {field} » de "
            "l’appareil {tag} est trop long.",
            number=number,
            field=field_label(field or "?"),
            tag=t.format_tag(tag),
        )
        return DocumentTooLarge(sentence, field, tag=tag)
    sentence = msg(
        "Le certificat {number} ne tient pas sur ses pages : le champ « {field} » est trop long.",
        number=number,
        field=field_label(field or "?"),
    )
    return DocumentTooLarge(sentence, field)


def _fits(doc: CertificateDocument, fingerprint: str) -> bool:
    try:
        _build(doc, fingerprint)
    except LayoutError:
        return False
    return True


def _culprit(doc: CertificateDocument, fingerprint: str) -> tuple[str | None, str | None]:
    """The device tag (None: not a device's) and the field whose value keeps `doc` from fitting
    its pages, found by emptying values one at a time (only on this rare path)."""
    for device in doc.devices:
        alone = replace(doc, devices=(device,))
        if _fits(alone, fingerprint):
            continue
        for name in ("brand", "model", "serial_number", "grade", "destination"):
            if getattr(device, name) and _fits(
                replace(alone, devices=(replace(device, **{name: None}),)),  # type: ignore[arg-type]
                fingerprint,
            ):
                return device.tag, name
        if device.media and _fits(
            replace(alone, devices=(replace(device, media=()),)), fingerprint
        ):
            return device.tag, "media"
        return device.tag, None
    for name in ("recipient", "donor", "reconditioner", "association"):
        party = getattr(doc, name)
        if party is None:
            continue
        for part in ("name", "address", "city", "email", "phone"):
            if getattr(party, part) and _fits(
                replace(doc, **{name: replace(party, **{part: "-"})}), fingerprint
            ):
                return None, f"{name}.{part}"
    for name in ("operator_name", "verified_by", "channel", "received_by", "place"):
        shortened = replace(doc, **{name: "-"})  # type: ignore[arg-type]
        if getattr(doc, name) and _fits(shortened, fingerprint):
            return None, name
    return None, None


def _build(doc: CertificateDocument, fingerprint: str) -> bytes:
    """Lay the certificate out and return its PDF bytes (LayoutError when it does not fit)."""
    spec = spec_for(doc)
    url = verify_url_for(doc)
    title = t.title(spec.title, doc.language)
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
                onPage=lambda canvas, _template: draw_header(canvas, doc, url),
            )
        ]
    )
    footer = functools.partial(draw_footer, title=title, doc=doc, fingerprint=fingerprint)
    template.build(
        _story(spec, doc, url, fingerprint),
        canvasmaker=functools.partial(
            NumberedCanvas,
            issued_at=doc.issued_at,
            footer=lambda canvas, page, pages: footer(canvas, page=page, pages=pages),
        ),
    )
    return buffer.getvalue()
