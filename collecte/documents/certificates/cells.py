"""The device table's cells: what each column prints for one device; pure.

A cell function takes the line number, the device and the language, and returns the text of the
cell (laid out by its column) or a flowable when the cell mixes styles.
"""

from __future__ import annotations

from collecte.documents import certificate_text as t
from collecte.documents.certificates.bounds import shorten
from collecte.documents.certificates.layout import Cell, mono, para, safe
from collecte.documents.certificates.model import CertificateDevice, CertificateMedium

# Values set inside a mixed-style paragraph cell are cut to a few lines of their narrow column.
PARAGRAPH_VALUE_MAX = 60


def _model(device: CertificateDevice) -> str:
    """Return "Brand Model", or a dash."""
    return " ".join(v for v in (device.brand, device.model) if v) or "—"


def index(i: int, _d: CertificateDevice, _lang: str) -> Cell:
    """Return the line number."""
    return str(i)


def tag(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the tag as printed."""
    return t.format_tag(d.tag)


def category(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the category in words."""
    return t.category_label(d.category, lang)


def make_model(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the make and model."""
    return _model(d)


def serial(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the serial number."""
    return d.serial_number or "—"


def declared_value(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the declared value in francs CFP, or a dash."""
    return "—" if d.declared_value_xpf is None else t.format_xpf(d.declared_value_xpf, lang)


def weight(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the weight in kilograms, or a dash."""
    return "—" if d.weight_kg is None else t.format_kg(d.weight_kg, lang)


def weight_source(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return whether the weight was weighed, declared or estimated, or a dash."""
    if d.weight_source is None or d.weight_kg is None:
        return "—"
    return t.text(lang, f"weight_{d.weight_source}")


def erasure_device(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the category, make/model and serial of a wiped device, and where it goes next."""
    lines = [f"<b>{safe(t.category_label(d.category, lang))}</b>"]
    lines.append(safe(shorten(_model(d), PARAGRAPH_VALUE_MAX)))
    if d.serial_number:
        lines.append(safe(d.serial_number))  # whole: an audit reads it
    if d.destination:
        destination = t.destination_label(d.destination, lang)
        lines.append(safe(t.text(lang, "destination_is", value=destination)))
    return para("<br/>".join(lines))


def _medium(d: CertificateDevice) -> CertificateMedium:
    """The one medium of an erasure line (the spec makes one line a medium)."""
    return d.media[0]


def medium(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the medium's serial, then its type and capacity."""
    m = _medium(d)
    detail = [t.medium_kind_label(m.kind, lang)] if m.kind else []
    if m.capacity_gb is not None:
        detail.append(t.format_capacity(m.capacity_gb, lang))
    serial = shorten(m.serial, PARAGRAPH_VALUE_MAX)
    return para(f"{mono(serial)}<br/>{safe(' · '.join(detail) or '—')}")


def technique(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the technique applied, and the class it reaches (NIST SP 800-88 / IEEE 2883)."""
    m = _medium(d)
    technique_words = t.technique_label(m.technique, lang) if m.technique else None
    lines = [f"<b>{safe(t.method_class_label(m.method_class, lang))}</b>"]
    if technique_words:
        lines.append(safe(technique_words))
    return para("<br/>".join(lines))


def tool(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the erasure tool and its version."""
    m = _medium(d)
    return " ".join(part for part in (m.tool, m.tool_version) if part) or "—"


def when(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return when the erasure started and ended, as recorded (Nouméa time)."""
    m = _medium(d)
    if not m.started_at and not m.ended_at:
        return t.text(lang, "not_given")
    none = t.text(lang, "none")
    return "\n".join(
        [
            t.text(lang, "medium_started", when=t.format_moment(m.started_at, lang) or none),
            t.text(lang, "medium_ended", when=t.format_moment(m.ended_at, lang) or none),
        ]
    )


def outcome(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the result, how it was verified, and whether the certificate attests it."""
    m = _medium(d)
    verdict = t.text(lang, "medium_certified" if m.certified else "medium_not_certified")
    result = safe(t.result_label(m.result, lang))
    verification = safe(t.verification_label(m.verification, lang))
    return para(f"{result}<br/>{verification}<br/><b>{safe(verdict)}</b>")


def destination(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return where the device goes next (reuse or recycling)."""
    return t.destination_label(d.destination, lang)


def grade(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the refurbishment grade."""
    return d.grade or "—"


def erasure_certificates(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the numbers of the erasure certificates covering the device, one a line."""
    return "\n".join(d.erasure_certificates) or "—"
