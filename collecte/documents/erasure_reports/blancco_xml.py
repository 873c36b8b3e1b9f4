"""Blancco's XML report: named `entry` values grouped in named `entries`.

    <root><report><blancco_data>
      <description>… product_name, product_version …</description>
      <blancco_erasure_report><entries name="erasures">
        <entries name="erasure">
          <entry name="erasure_standard_name">NIST 800-88 Purge</entry>
          <entry name="state">Successful</entry>
          <entry name="start_time">…</entry> <entry name="end_time">…</entry>
          <entry name="verification">100%</entry>
          <entries name="target"> serial, model, vendor, type, interface_type, capacity </entries>
        </entries> …
      </entries></blancco_erasure_report>
    </blancco_data></report></root>

Parsed with defusedxml and no DTD at all: a report never needs one, and refusing it refuses
entity expansion (billion laughs) and external entities alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from collecte.documents.erasure_reports.common import (
    ParsedReport,
    aware,
    capacity_gb,
    check_count,
    checked_media,
    clean,
    kind_from,
    unreadable,
)
from collecte.domain.vocabulary import ErasureReportFormat, ErasureResult, Technique, Verification
from collecte.i18n import Message, msg

FORMAT = ErasureReportFormat.BLANCCO_XML

# Blancco's erasure standards, by the words of their names, most specific first. Firmware
# commands purge; every named overwrite pattern (DoD, Gutmann, HMG IS5, BSI, …) clears.
_TECHNIQUES: tuple[tuple[tuple[str, ...], Technique], ...] = (
    (("crypto",), Technique.CRYPTO_ERASE),
    (("sanitize", "block"), Technique.BLOCK_ERASE),
    (("sanitize",), Technique.SANITIZE),
    (("purge",), Technique.SANITIZE),  # NIST 800-88 Purge: the drive's own sanitize commands
    (("secure erase",), Technique.BLOCK_ERASE),
    (("nvme format",), Technique.BLOCK_ERASE),
    (("ssd erasure",), Technique.BLOCK_ERASE),
    (("flash erasure",), Technique.BLOCK_ERASE),
    (("firmware",), Technique.BLOCK_ERASE),
)
_OVERWRITES = (
    "overwrit",
    "zero",
    "clear",
    "dod",
    "gutmann",
    "schneier",
    "hmg",
    "infosec",
    "bsi",
    "vsitr",
    "ops-ii",
    "navso",
    "army",
    "air force",
    "afssi",
    "aggressive",
    "random",
    "gost",
    "nato",
    "itsg",
    "csec",
    "asd",
    "ism",
    "pfitzner",
    "bmb",
    "nist 800-88 clear",
)


def looks_like_blancco(root: Element) -> bool:
    """Whether a parsed XML document holds a Blancco erasure report."""
    return root.tag == "blancco_erasure_report" or bool(root.findall(".//blancco_erasure_report"))


def parse(content: bytes) -> Element:
    """The XML tree, with DTDs and entities refused; a 422 naming the problem otherwise."""
    try:
        root: Element = fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        refused = msg("le XML déclare une DTD ou des entités, refusées par sécurité")
        raise unreadable(FORMAT, refused) from None
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise unreadable(
            FORMAT,
            msg(
                "XML tronqué ou mal formé (ligne {line}, colonne {column})",
                line=line,
                column=column,
            ),
        ) from None
    return root


def read(content: bytes, root: Element | None = None) -> ParsedReport:
    """The media of each erasure a Blancco XML report records."""
    root = parse(content) if root is None else root
    if not looks_like_blancco(root):
        raise unreadable(FORMAT, msg("ce XML n’est pas un rapport d’effacement de Blancco"))
    erasures = [
        erasure
        for report in root.iter("blancco_erasure_report")
        for group in _children(report, "erasures")
        for erasure in _children(group, "erasure")
    ]
    check_count(FORMAT, len(erasures))
    tool, version = _product(root)
    warnings: list[Message] = []
    raw = [
        _medium(erasure, index, tool, version, warnings)
        for index, erasure in enumerate(erasures, 1)
    ]
    return ParsedReport(FORMAT, checked_media(FORMAT, raw), warnings)


def _children(parent: Element, name: str) -> list[Element]:
    return [child for child in parent if child.tag == "entries" and child.get("name") == name]


def _values(group: Element) -> dict[str, str]:
    """A group's own `entry` values by name (first of each)."""
    found: dict[str, str] = {}
    for child in group:
        if child.tag == "entry" and child.get("name"):
            found.setdefault(str(child.get("name")), (child.text or "").strip())
    return found


def _product(root: Element) -> tuple[str, str]:
    """The product that wrote the report, and its version, from the description."""
    names: dict[str, str] = {}
    for description in root.iter("description"):
        for entry in description.iter("entry"):
            names.setdefault(str(entry.get("name")), (entry.text or "").strip())
    tool = clean(names.get("product_name")) or "Blancco"
    version = clean(names.get("product_version")) or clean(names.get("version")) or "?"
    return tool, version


def _medium(
    erasure: Element, index: int, tool: str, version: str, warnings: list[Message]
) -> dict[str, Any]:
    values = _values(erasure)
    targets = _children(erasure, "target")
    target = _values(targets[0]) if targets else {}
    serial = clean(target.get("serial"))
    if serial is None:
        warnings.append(
            msg(
                "Effacement n° {index} : le rapport ne donne pas le numéro de série du disque.",
                index=index,
            )
        )
    started, ended = _moment(values.get("start_time")), _moment(values.get("end_time"))
    if (values.get("start_time") and not started) or (values.get("end_time") and not ended):
        warnings.append(
            msg("Effacement n° {index} : heure sans fuseau ou illisible, non reprise.", index=index)
        )
    return {
        "serial": serial,
        "kind": kind_from(
            target.get("type"),
            target.get("media_type"),
            target.get("interface_type"),
            target.get("model"),
        ),
        "capacity_gb": capacity_gb(target.get("capacity")),
        "technique": _technique(values.get("erasure_standard_name", ""), index),
        "tool": tool,
        "tool_version": version,
        "started_at": started,
        "ended_at": ended,
        "result": _result(values),
        "verification": _verification(values, index, warnings),
    }


def _technique(standard: str, index: int) -> Technique:
    words = " ".join(standard.split()).casefold()
    if not words:
        raise unreadable(
            FORMAT, msg("effacement n° {index} : la norme d’effacement manque", index=index)
        )
    for needles, technique in _TECHNIQUES:
        if all(needle in words for needle in needles):
            return technique
    if any(needle in words for needle in _OVERWRITES):
        return Technique.OVERWRITE
    unknown = msg("norme d’effacement inconnue « {standard} »", standard=clean(standard) or "")
    raise unreadable(FORMAT, unknown)


def _result(values: dict[str, str]) -> ErasureResult:
    """ "Successful" without errors is erased; "Successful" with errors, or "Successful with
    warnings/exceptions", is erased with exceptions; any other state is a failure."""
    state = " ".join(values.get("state", "").split()).casefold()
    if not state.startswith("successful"):
        return ErasureResult.FAILED
    errors = [values.get("total_errors", "0"), values.get("failed_sectors", "0")]
    if state != "successful" or any(not count.isdigit() or int(count) for count in errors):
        return ErasureResult.ERASED_WITH_EXCEPTIONS
    return ErasureResult.ERASED


def _verification(values: dict[str, str], index: int, warnings: list[Message]) -> Verification:
    """A percentage read back (100: full, less: sample, 0: none) or the words for it."""
    said = next(
        (values[name] for name in ("verification", "verification_percentage") if name in values),
        "",
    )
    words = said.casefold()
    percent = re.fullmatch(r"\s*(\d{1,3}(?:[.,]\d+)?)\s*%?\s*", words)
    if percent:
        share = float(percent.group(1).replace(",", "."))
        if share >= 100:
            return Verification.FULL
        return Verification.SAMPLE if share > 0 else Verification.NONE
    if words.startswith(("full", "complete", "100")):
        return Verification.FULL
    if words.startswith(("sampl", "partial")):
        return Verification.SAMPLE
    if words not in ("none", "no", "disabled", "off"):
        warnings.append(
            msg(
                "Effacement n° {index} : le rapport ne dit pas comment l’effacement "
                "a été vérifié ; « non vérifié » retenu.",
                index=index,
            )
        )
    return Verification.NONE


def _moment(text: str | None) -> datetime | None:
    try:
        return aware(datetime.fromisoformat((text or "").strip()))
    except ValueError:
        return None
