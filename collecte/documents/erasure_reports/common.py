"""What the readers of erasure reports share: the limits, the refusals, and a medium checked.

A report comes from outside (an operator's USB stick), so every reader treats it as hostile:
bounded in size, parsed without network or entity expansion, and each value checked by the
same `Medium` struct the wipe form uses. A value the tool does not state is never guessed in
the direction that would open the reuse gate: no verification unless the report names one, no
"erased" unless the report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from collecte.domain.erasure import MAX_MEDIA, TEXT_MAX, Medium, decode_media
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import ErasureReportFormat, MediumKind
from collecte.i18n import Message, msg

MAX_REPORT_BYTES = 10 * 1024 * 1024
# nwipe's single-disc PDF holds the erasure on page 1 and smart data after it: a few pages.
MAX_PDF_PAGES = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class ParsedReport:
    """What a tool's report says: its format, one medium per disk, and what to check by hand."""

    format: ErasureReportFormat
    media: list[Medium]
    warnings: list[Message] = field(default_factory=list)


def unreadable(report: ErasureReportFormat, problem: Message) -> Invalid:
    """The 422 for a report that claims a format but does not hold to it."""
    return Invalid(
        msg("{report} illisible : {problem}", report=report, problem=problem),
        "file",
        code="unreadable_report",
    )


def clean(value: object) -> str | None:
    """A report's text as one line (control characters become spaces), or None when empty."""
    if value is None or isinstance(value, dict | list):
        return None
    text = _CONTROL.sub(" ", str(value)).strip()
    return text[:TEXT_MAX] or None


def capacity_gb(size_bytes: object) -> float | None:
    """Bytes as decimal gigabytes (the unit drives are sold in), or None when not a size."""
    try:
        size = int(str(size_bytes).strip())
    except (TypeError, ValueError):
        return None
    return round(size / 1e9, 1) if size > 0 else None


def kind_from(*hints: str | None) -> MediumKind:
    """The kind of medium a report's words (device name, bus, type) point to; `other` when they
    do not say (a SATA disk may be an HDD or an SSD: the operator picks on the form)."""
    words = " ".join(hint.casefold() for hint in hints if hint)
    if "nvme" in words:
        return MediumKind.NVME
    if "emmc" in words or "mmcblk" in words or re.search(r"\bmmc\b", words):
        return MediumKind.EMMC
    if "ssd" in words or "solid state" in words:
        return MediumKind.SSD
    if "hdd" in words or "hard disk" in words or "rotational" in words:
        return MediumKind.HDD
    if "usb" in words or "flash" in words:
        return MediumKind.FLASH
    return MediumKind.OTHER


def check_count(report: ErasureReportFormat, count: int) -> None:
    """Refuse a report naming no medium, or more than one wipe records."""
    if not count:
        raise unreadable(report, msg("le rapport ne décrit aucun support effacé"))
    if count > MAX_MEDIA:
        raise unreadable(
            report,
            msg("le rapport décrit {count} supports, {max} au plus", count=count, max=MAX_MEDIA),
        )


def checked_media(report: ErasureReportFormat, raw: list[dict[str, Any]]) -> list[Medium]:
    """The media `raw` describes, checked like the wipe form's."""
    check_count(report, len(raw))
    try:
        return decode_media(raw)
    except msgspec.ValidationError as error:
        raise unreadable(report, msg("valeur refusée ({error})", error=str(error))) from None


def aware(moment: datetime | None) -> datetime | None:
    """`moment` when it carries its time zone; None otherwise (a time without its zone would
    be hours off in Nouméa)."""
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment
