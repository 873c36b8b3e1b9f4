"""nwipe's JSON report (src/create_json.c): one disk per report.

    {"report_metadata": {"generated_at", "software": "nwipe", "version"},
     "organization": {"business_name"},
     "device": {"name", "model", "serial_no", "size_bytes", "size_text"},
     "wipe_result": {"status": "success" | "failure", "rounds_requested", "pass_errors",
                     "verify_errors", "start_time", "end_time", "duration_seconds"}}

Several disks' reports gathered in one JSON array are read as one medium each. The report names
neither the method nor the verification: the method is an overwrite (every nwipe method but
the drive commands, which the operator then picks on the form) and the verification is none
unless a `method`/`verify` key says otherwise, so that the form asks for them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from collecte.documents.erasure_reports import nwipe_words
from collecte.documents.erasure_reports.common import (
    ParsedReport,
    capacity_gb,
    check_count,
    checked_media,
    clean,
    kind_from,
    unreadable,
)
from collecte.domain.vocabulary import (
    ErasureReportFormat,
    ErasureResult,
    Technique,
    Verification,
)
from collecte.i18n import Message, msg

FORMAT = ErasureReportFormat.NWIPE_JSON


def read(content: bytes) -> ParsedReport:
    """The media of an nwipe JSON report (or an array of them)."""
    try:
        data = json.loads(content)
    except UnicodeDecodeError:
        raise unreadable(FORMAT, msg("le texte n’est pas en UTF-8")) from None
    except json.JSONDecodeError as error:
        raise unreadable(
            FORMAT,
            msg(
                "JSON tronqué ou mal formé (ligne {line}, colonne {column})",
                line=error.lineno,
                column=error.colno,
            ),
        ) from None
    except RecursionError:
        raise unreadable(FORMAT, msg("JSON imbriqué trop profondément")) from None
    reports = data if isinstance(data, list) else [data]
    check_count(FORMAT, len(reports))
    warnings: list[Message] = []
    raw = [_medium(report, index, warnings) for index, report in enumerate(reports, 1)]
    return ParsedReport(FORMAT, checked_media(FORMAT, raw), warnings)


def is_nwipe(data: object) -> bool:
    """Whether decoded JSON is nwipe's report (or an array of them)."""
    first = data[0] if isinstance(data, list) and data else data
    return (
        isinstance(first, dict)
        and isinstance(first.get("report_metadata"), dict)
        and str(first["report_metadata"].get("software", "")).casefold() == "nwipe"
    )


def _section(report: dict[str, Any], name: str, index: int) -> dict[str, Any]:
    section = report.get(name)
    if not isinstance(section, dict):
        raise unreadable(
            FORMAT, msg("rapport n° {index} : la section « {name} » manque", index=index, name=name)
        )
    return section


def _medium(report: object, index: int, warnings: list[Message]) -> dict[str, Any]:
    if not isinstance(report, dict) or not is_nwipe(report):
        raise unreadable(
            FORMAT, msg("rapport n° {index} : ce n’est pas un rapport de nwipe", index=index)
        )
    metadata = _section(report, "report_metadata", index)
    device = _section(report, "device", index)
    result = _section(report, "wipe_result", index)
    serial = clean(device.get("serial_no"))
    if serial is None or serial.casefold() == "unknown":
        serial = None
        warnings.append(
            msg("Rapport n° {index} : nwipe n’a pas lu le numéro de série du disque.", index=index)
        )
    return {
        "serial": serial,
        "kind": kind_from(clean(device.get("name")), clean(device.get("model"))),
        "capacity_gb": capacity_gb(device.get("size_bytes")),
        "technique": _technique(result, index, warnings),
        "tool": "nwipe",
        "tool_version": clean(metadata.get("version")) or "?",
        "started_at": _moment(result.get("start_time")),
        "ended_at": _moment(result.get("end_time")),
        "result": _result(result),
        "verification": _verification(result, index, warnings),
    }


def _technique(result: dict[str, Any], index: int, warnings: list[Message]) -> Technique:
    method = clean(result.get("method"))
    if method is None:
        warnings.append(
            msg(
                "Rapport n° {index} : le rapport JSON de nwipe ne nomme pas la "
                "méthode ; réécriture retenue, à corriger s’il s’agit d’une commande "
                "du disque.",
                index=index,
            )
        )
        return Technique.OVERWRITE
    words = nwipe_words.key(method)
    if words in nwipe_words.VERIFY_ONLY:
        raise unreadable(
            FORMAT, msg("« {method} » vérifie le disque sans l’effacer", method=method)
        )
    if words not in nwipe_words.METHODS:
        raise unreadable(FORMAT, msg("méthode inconnue « {method} »", method=method))
    return nwipe_words.METHODS[words]


def _verification(result: dict[str, Any], index: int, warnings: list[Message]) -> Verification:
    verify = clean(result.get("verify"))
    found = nwipe_words.VERIFY.get(nwipe_words.key(verify)) if verify else None
    if found is None:
        warnings.append(
            msg(
                "Rapport n° {index} : le rapport ne dit pas si l’effacement a été "
                "vérifié ; « non vérifié » retenu.",
                index=index,
            )
        )
        return Verification.NONE
    return found


def _result(result: dict[str, Any]) -> ErasureResult:
    """ "success" with no pass or verification error is erased; "success" with errors is erased
    with exceptions; anything else is a failure."""
    if str(result.get("status", "")).strip().casefold() != "success":
        return ErasureResult.FAILED
    errors = [result.get("pass_errors"), result.get("verify_errors")]
    if any(not isinstance(count, int) or count != 0 for count in errors):
        return ErasureResult.ERASED_WITH_EXCEPTIONS
    return ErasureResult.ERASED


def _moment(seconds: object) -> datetime | None:
    """A Unix time (nwipe's `time_t`) as a UTC moment; 0 or nonsense is no time at all."""
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
