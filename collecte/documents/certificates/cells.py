"""The device table's cells: what each column prints for one device; pure.

A cell function takes the line number, the device and the language, and returns the text of the
cell (laid out by its column) or a flowable when the cell mixes styles.
"""

from __future__ import annotations

from collecte.documents import certificate_text as t
from collecte.documents.certificates.layout import Cell, mono, para, safe
from collecte.documents.certificates.model import CertificateDevice


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


def erasure_device(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the category and make/model of a wiped device."""
    return para(f"<b>{safe(t.category_label(d.category, lang))}</b><br/>{safe(_model(d))}")


def serial_and_media(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the device serial, then the serial of each storage medium."""
    lines = [mono(d.serial_number) if d.serial_number else "—"]
    label = safe(t.text(lang, "storage", serial=""))
    lines += [f"{label}{mono(serial)}" for serial in d.storage_serials]
    return para("<br/>".join(lines))


def method(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return the NIST SP 800-88 method."""
    return t.wipe_method_label(d.wipe_method, lang)


def tool(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the erasure tool and its version."""
    return d.wipe_tool or "—"


def check_and_result(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return whether the erasure was verified, and its result."""
    lines = [t.text(lang, "checked", yesno=t.yes_no(d.wipe_verified, lang))]
    return "\n".join([*lines, d.wipe_result] if d.wipe_result else lines)


def destination(_i: int, d: CertificateDevice, lang: str) -> Cell:
    """Return where the device goes next (reuse or recycling)."""
    return t.destination_label(d.destination, lang)


def grade(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the refurbishment grade."""
    return d.grade or "—"


def erasure_certificates(_i: int, d: CertificateDevice, _lang: str) -> Cell:
    """Return the numbers of the erasure certificates covering the device, one a line."""
    return "\n".join(d.erasure_certificates) or "—"
