"""Erasure tools' reports read into media records: nwipe's JSON and PDF, Blancco's XML.

`read_report` tells the format by the content (a PDF starts with `%PDF-`, JSON with `{` or `[`,
XML with `<`), never by the file's name, and answers the media found, ready to confirm on the
wipe form (`form_fields`). Pure: no web, no database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from collecte.documents.erasure_reports import blancco_xml, nwipe_json, nwipe_pdf
from collecte.documents.erasure_reports.common import MAX_REPORT_BYTES, ParsedReport
from collecte.domain.clock import NOUMEA
from collecte.domain.erasure import Medium
from collecte.domain.errors import Invalid, TooLarge, UnsupportedFormat
from collecte.domain.vocabulary import ErasureReportFormat
from collecte.i18n import msg

__all__ = [
    "MAX_REPORT_BYTES",
    "MEDIA_TYPES",
    "ParsedReport",
    "form_fields",
    "read_report",
]

MEDIA_TYPES = {
    ErasureReportFormat.NWIPE_JSON: "application/json",
    ErasureReportFormat.NWIPE_PDF: "application/pdf",
    ErasureReportFormat.BLANCCO_XML: "application/xml",
}
_BOM = b"\xef\xbb\xbf"


def too_large(limit: int = MAX_REPORT_BYTES) -> TooLarge:
    """The 413 naming the limit, in megabytes."""
    return TooLarge(
        msg("Rapport trop volumineux : {limit} Mo au plus.", limit=limit // (1024 * 1024)), "file"
    )


def detect(content: bytes) -> ErasureReportFormat:
    """The report's format, from its first bytes; 415 when it is none collecte reads."""
    start = content[:1024].removeprefix(_BOM).lstrip()
    if start.startswith(b"%PDF-"):
        return ErasureReportFormat.NWIPE_PDF
    if start[:1] in (b"{", b"["):
        return ErasureReportFormat.NWIPE_JSON
    if start[:1] == b"<":
        return ErasureReportFormat.BLANCCO_XML
    raise UnsupportedFormat(
        msg(
            "Format de rapport non reconnu : déposez le rapport JSON ou PDF de nwipe, ou le "
            "rapport XML de Blancco."
        ),
        "file",
    )


def read_report(content: bytes, filename: str | None = None) -> ParsedReport:
    """The media a tool's report records; 413, 415 or 422 (naming the problem) otherwise.

    `filename` is only named in the refusals: the content alone decides the format.
    """
    if len(content) > MAX_REPORT_BYTES:
        raise too_large()
    if not content.strip():
        raise Invalid(msg("Le fichier est vide."), "file", code="empty_file")
    found = detect(content)
    try:
        if found is ErasureReportFormat.NWIPE_PDF:
            return nwipe_pdf.read(content)
        if found is ErasureReportFormat.BLANCCO_XML:
            return blancco_xml.read(content.removeprefix(_BOM))
        return nwipe_json.read(content.removeprefix(_BOM))
    except Invalid as error:
        if filename:
            error.extra["filename"] = filename
        raise


def form_fields(media: list[Medium]) -> dict[str, str]:
    """The media as the wipe form posts them (`media-0-serial`, `media-0-kind`, …), to pre-fill
    it: blanks for what the report does not say, times as Nouméa's `datetime-local`."""
    fields: dict[str, str] = {}
    for index, medium in enumerate(media):
        for name, value in _form_values(medium).items():
            fields[f"media-{index}-{name}"] = value
    return fields


def _form_values(medium: Medium) -> dict[str, str]:
    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(NOUMEA).strftime("%Y-%m-%dT%H:%M")
        if isinstance(value, float):
            return f"{value:g}"
        return str(getattr(value, "value", value))

    return {
        name: text(getattr(medium, name))
        for name in (
            "serial",
            "kind",
            "capacity_gb",
            "technique",
            "tool",
            "tool_version",
            "started_at",
            "ended_at",
            "result",
            "verification",
        )
    }
