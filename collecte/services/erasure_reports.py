"""Erasure tools' reports: filed for a device, kept byte for byte with their SHA-256, and read
into the media a wipe records, so the wipe form is filled from the tool's own words."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from collecte.db.tables import ErasureReport
from collecte.documents.erasure_reports import MEDIA_TYPES, form_fields, read_report
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.erasure import Medium
from collecte.domain.errors import NotFound
from collecte.domain.lifecycle import check_may_record_erasure
from collecte.domain.vocabulary import ErasureReportFormat
from collecte.i18n import Message, msg
from collecte.services.devices import get_visible_row, parse_code, state_of
from collecte.services.erasure_records import check_report_names_the_device

_EXTENSIONS = {
    ErasureReportFormat.NWIPE_JSON: "json",
    ErasureReportFormat.NWIPE_PDF: "pdf",
    ErasureReportFormat.BLANCCO_XML: "xml",
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/]+")
_COLUMNS = (
    ErasureReport.id,
    ErasureReport.format,
    ErasureReport.filename,
    ErasureReport.sha256,
    ErasureReport.size,
    ErasureReport.uploaded_at,
    ErasureReport.uploaded_by_name,
    ErasureReport.media,
)


@dataclass(frozen=True)
class StoredFile:
    """A stored report, ready to download."""

    filename: str
    media_type: str
    content: bytes


def clean_filename(filename: str | None, found: ErasureReportFormat) -> str:
    """The name a report was uploaded with, without its folders or unsafe characters."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = _UNSAFE.sub("_", name).strip(" .")[:200]
    return name or f"rapport.{_EXTENSIONS[found]}"


async def upload_report(
    principal: Principal, tag: object, content: bytes, filename: str | None
) -> dict[str, Any]:
    """File a report for a device: those who may wipe it; the rules speak before the file
    (404, 403), then the file (413, 415, 422 naming the problem)."""
    row = await get_visible_row(principal, parse_code(tag, "tag"))
    check_may_record_erasure(state_of(row), principal.actor)
    parsed = read_report(content, filename)
    await check_report_names_the_device(row, [medium.serial for medium in parsed.media])
    record = {
        "format": parsed.format.value,
        "filename": clean_filename(filename, parsed.format),
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "uploaded_at": now(),
        "uploaded_by_name": principal.display_name[:200],
        "media": msgspec.to_builtins(parsed.media),
    }
    inserted = await ErasureReport.insert(
        ErasureReport(device=row["id"], content=content, uploaded_by=principal.user_id, **record)
    ).returning(ErasureReport.id)
    return _view({"id": inserted[0]["id"], **record}, parsed.warnings)


async def list_reports(principal: Principal, tag: object) -> list[dict[str, Any]]:
    """A device's reports, oldest first, for whoever may see the device."""
    row = await get_visible_row(principal, parse_code(tag, "tag"))
    found = (
        await ErasureReport.select(*_COLUMNS)
        .where(ErasureReport.device == row["id"])
        .order_by(ErasureReport.id)
        .output(load_json=True)
    )
    return [_view(report, []) for report in found]


async def report_file(principal: Principal, tag: object, report_id: int) -> StoredFile:
    """The stored bytes of one of a device's reports, exactly as uploaded."""
    row = await get_visible_row(principal, parse_code(tag, "tag"))
    found = (
        await ErasureReport.select(
            ErasureReport.filename, ErasureReport.format, ErasureReport.content
        )
        .where((ErasureReport.id == report_id) & (ErasureReport.device == row["id"]))
        .first()
    )
    if found is None:
        raise NotFound(
            msg("Aucun rapport d’effacement n° {id} pour cet appareil.", id=report_id), "id"
        )
    kind = ErasureReportFormat(found["format"])
    return StoredFile(found["filename"], MEDIA_TYPES[kind], bytes(found["content"]))


def _view(report: dict[str, Any], warnings: list[Message]) -> dict[str, Any]:
    """The JSON shape of a report: its record, the media read from it, and the wipe form's
    fields to pre-fill (`warnings`: what to check by hand, said at the edge)."""
    media = msgspec.convert(report["media"], list[Medium], strict=False)
    return {
        "id": report["id"],
        "format": report["format"],
        "filename": report["filename"],
        "sha256": report["sha256"],
        "size": report["size"],
        "uploaded_at": report["uploaded_at"],
        "uploaded_by": report["uploaded_by_name"],
        "media": media,
        "form": form_fields(media),
        "warnings": warnings,
    }
