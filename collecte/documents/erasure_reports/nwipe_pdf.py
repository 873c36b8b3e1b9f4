"""nwipe's single-disc PDF certificate (src/create_single_disc_pdf.c): page 1, read as text.

Page 1 prints fixed labels, each followed by its value: "Make/Model:", "Serial:", "Bus:",
"Size(Apparent):", "Size(Real):", "Start time:", "End time:", "Status:" (ERASED, FAILED,
ABORTED…), "Method:", "Verify Pass(Last/All/None):", "Errors(pass/sync/verify):", with
"See Warning !" beside an ERASED status when hidden sectors (HPA/DCO) were not erased or could
not be checked, and the footer "Disc Erasure by NWIPE version …". Only page 1 is read; the
smart data pages that follow are the drive's, not the erasure's.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

from pypdf import PdfReader

from collecte.documents.erasure_reports import nwipe_words
from collecte.documents.erasure_reports.common import (
    ParsedReport,
    capacity_gb,
    checked_media,
    clean,
    kind_from,
    unreadable,
)
from collecte.domain.clock import NOUMEA
from collecte.domain.vocabulary import ErasureReportFormat, ErasureResult, Technique, Verification
from collecte.i18n import Message, msg

FORMAT = ErasureReportFormat.NWIPE_PDF
MAX_TEXT = 100_000  # page 1 holds about 2,000 characters

FOOTER = "Disc Erasure by NWIPE version"
# Page 1's labels in nwipe's order; the text between one label and the next is its value.
LABELS = (
    FOOTER,
    "Disk Model:",
    "Disk S/N:",
    "System S/N:",
    "System uuid:",
    "Tag:",
    "Disk Erasure Report",
    "System Erasure Report",
    "Page 1 - Erasure Status",
    "Organisation Performing The Disk Erasure",
    "Business Name:",
    "Business Address:",
    "Contact Name:",
    "Contact Phone:",
    "Customer Details",
    "Name:",
    "Address:",
    "Disk Information",
    "Make/Model:",
    "Serial:",
    "Bus:",
    "Size(Apparent):",
    "Size(Real):",
    "Disk Erasure Details",
    "Start time:",
    "End time:",
    "Duration:",
    "Status:",
    "See Warning !",
    "Method:",
    "PRNG algorithm:",
    "Final Pass(Zeros/Ones/None):",
    "Verify Pass(Last/All/None):",
    "*Bytes Erased:",
    "Rounds(completed/requested):",
    "HPA/DCO Size:",
    "HPA/DCO:",
    "Throughput:",
    "Errors(pass/sync/verify):",
    "Information:",
    "* bytes erased:",
    "Technician/Operator ID",
    "Name/ID:",
    "Signature:",
)
# Longest first, so that "Contact Name:" is one label and not "Contact " then "Name:".
_SPLIT = re.compile("(" + "|".join(map(re.escape, sorted(LABELS, key=len, reverse=True))) + ")")
_TIME = "%Y/%m/%d %H:%M:%S"


def page_one_text(content: bytes) -> str:
    """The text of page 1, or a 422 when the file is not a readable PDF."""
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
        text = (reader.pages[0].extract_text() or "") if pages else ""
    # pypdf raises many kinds of errors on a truncated or hostile file (PdfReadError, but also
    # KeyError, ValueError, TypeError, RecursionError…): any of them means "unreadable".
    except Exception:
        raise unreadable(FORMAT, msg("PDF tronqué ou mal formé")) from None
    if encrypted:
        raise unreadable(FORMAT, msg("le PDF est chiffré"))
    if not pages:
        raise unreadable(FORMAT, msg("le PDF n’a aucune page"))
    return text[:MAX_TEXT]


def fields(text: str) -> dict[str, str]:
    """Each label's value (the first one, when a label appears twice), spaces collapsed."""
    parts = _SPLIT.split(text)
    found: dict[str, str] = {}
    for label, value in zip(parts[1::2], parts[2::2], strict=True):
        found.setdefault(label, " ".join(value.split()))
    return found


def read(content: bytes) -> ParsedReport:
    """The medium of nwipe's single-disc PDF certificate."""
    text = page_one_text(content)
    values = fields(text)
    if "System Erasure Report" in values:
        several = msg(
            "le rapport « System Erasure Report » (plusieurs disques) n’est pas lu : déposez "
            "le rapport PDF de chaque disque"
        )
        raise unreadable(FORMAT, several)
    if "Disk Erasure Report" not in values or FOOTER not in values or "Status:" not in values:
        raise unreadable(FORMAT, msg("ce PDF n’est pas un certificat d’effacement de nwipe"))
    warnings: list[Message] = []
    serial = clean(values.get("Serial:")) or clean(values.get("Disk S/N:"))
    if serial is None or serial.casefold() == "unknown":
        serial = None
        warnings.append(msg("nwipe n’a pas lu le numéro de série du disque."))
    started, ended = _moment(values.get("Start time:")), _moment(values.get("End time:"))
    if started or ended:
        warnings.append(
            msg(
                "Le PDF de nwipe donne l’heure sans fuseau : heure de Nouméa retenue, à "
                "corriger si la machine était réglée autrement."
            )
        )
    raw: dict[str, Any] = {
        "serial": serial,
        "kind": kind_from(values.get("Bus:"), values.get("Make/Model:")),
        "capacity_gb": _capacity(values),
        "technique": _technique(values.get("Method:", "")),
        "tool": "nwipe",
        "tool_version": clean((values.get(FOOTER) or "").split(" ")[0]) or "?",
        "started_at": started,
        "ended_at": ended,
        "result": _result(values),
        "verification": _verification(values.get("Verify Pass(Last/All/None):", ""), warnings),
    }
    return ParsedReport(FORMAT, checked_media(FORMAT, [raw]), warnings)


def _capacity(values: dict[str, str]) -> float | None:
    for label in ("Size(Real):", "Size(Apparent):"):
        found = re.search(r"(\d+)\s*(?:bytes|b)\b", values.get(label, ""))
        if found:
            return capacity_gb(found.group(1))
    return None


def _technique(method: str) -> Technique:
    words = nwipe_words.key(method)
    if not words:
        raise unreadable(FORMAT, msg("la méthode d’effacement manque"))
    if words in nwipe_words.VERIFY_ONLY:
        raise unreadable(
            FORMAT, msg("« {method} » vérifie le disque sans l’effacer", method=method)
        )
    if words not in nwipe_words.METHODS:
        raise unreadable(FORMAT, msg("méthode inconnue « {method} »", method=method))
    return nwipe_words.METHODS[words]


def _verification(verify: str, warnings: list[Message]) -> Verification:
    found = nwipe_words.VERIFY.get(nwipe_words.key(verify))
    if found is None:
        warnings.append(
            msg("Le PDF ne dit pas si l’effacement a été vérifié ; « non vérifié » retenu.")
        )
        return Verification.NONE
    return found


def _result(values: dict[str, str]) -> ErasureResult:
    """ERASED is erased, unless nwipe flagged a warning (hidden sectors not erased or unknown)
    or counted errors: then erased with exceptions. Any other status is a failure."""
    status = values.get("Status:", "").split(" ")[0].upper()
    if status != "ERASED":
        return ErasureResult.FAILED
    errors = re.findall(r"\d+", values.get("Errors(pass/sync/verify):", ""))
    flagged = "See Warning !" in values or "Warning" in values.get("Information:", "")
    if flagged or not errors or any(int(count) for count in errors):
        return ErasureResult.ERASED_WITH_EXCEPTIONS
    return ErasureResult.ERASED


def _moment(text: str | None) -> datetime | None:
    """nwipe's local "YYYY/MM/DD HH:MM:SS", read as Nouméa time."""
    try:
        return datetime.strptime((text or "").strip()[:19], _TIME).replace(tzinfo=NOUMEA)
    except ValueError:
        return None
