"""Erasure that holds up to an audit: one record per storage medium, and the gates it opens.

NIST SP 800-88 Rev. 2 and IEEE 2883-2022 judge a sanitisation medium by medium: what technique
was applied (and so which class it reaches: clear, purge or destruct), whether it succeeded, and
how it was verified. A device's state is the latest record of each of its media; the gates say
what stands between that state and reuse or recycling. Pure: no web, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from collecte.domain.errors import Invalid
from collecte.domain.text import FILLED_LINE, SINGLE_LINE
from collecte.domain.vocabulary import (
    ErasureResult,
    MediumKind,
    MethodClass,
    Technique,
    Verification,
    WipeMethod,
)
from collecte.i18n import N_, Message, msg

TEXT_MAX = 200
MAX_MEDIA = 32
MAX_CAPACITY_GB = 1_000_000  # a petabyte: more is a typo

Line = Annotated[str, Meta(min_length=1, max_length=TEXT_MAX, pattern=SINGLE_LINE)]


def _form(label: str, **more: Any) -> dict[str, Any]:
    return {"label": label, **more}


class Medium(Struct, kw_only=True, forbid_unknown_fields=False):
    """One storage medium's erasure, as the operator or a tool's report states it."""

    serial: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=TEXT_MAX,
                pattern=SINGLE_LINE,
                description="The medium's serial; absent: the device's own (embedded storage, "
                "or each device of a batch)",
                extra=_form(N_("N° de série du support (vide : celui de l’appareil)")),
            ),
        ]
        | None
    ) = None
    kind: Annotated[MediumKind, Meta(extra=_form(N_("Type de support")))]
    capacity_gb: (
        Annotated[
            float,
            Meta(
                gt=0,
                le=MAX_CAPACITY_GB,
                extra=_form(N_("Capacité (Go)")),
                # Litestar leaves a bound of 0 out of the document: restated.
                extra_json_schema={"extra": {"exclusiveMinimum": 0}},
            ),
        ]
        | None
    ) = None
    technique: Annotated[Technique, Meta(extra=_form(N_("Technique")))]
    tool: Annotated[
        str,
        Meta(min_length=1, max_length=TEXT_MAX, pattern=FILLED_LINE, extra=_form(N_("Outil"))),
    ]
    tool_version: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=TEXT_MAX,
            pattern=FILLED_LINE,
            extra=_form(N_("Version de l’outil")),
        ),
    ]
    started_at: Annotated[datetime, Meta(tz=True, extra=_form(N_("Début")))] | None = None
    ended_at: Annotated[datetime, Meta(tz=True, extra=_form(N_("Fin")))] | None = None
    result: Annotated[ErasureResult, Meta(extra=_form(N_("Résultat")))]
    verification: Annotated[Verification, Meta(extra=_form(N_("Vérification")))]

    @property
    def method_class(self) -> MethodClass:
        """The class the technique reaches."""
        return self.technique.method_class


@dataclass(frozen=True)
class MediumRecord:
    """One erasure record as the custody log keeps it (a Medium, or version 1's shorthand)."""

    serial: str
    kind: MediumKind | None
    capacity_gb: float | None
    technique: Technique | None  # None: version 1's shorthand named only the class
    method_class: MethodClass
    tool: str
    tool_version: str
    started_at: str | None  # ISO 8601, as stored
    ended_at: str | None
    result: ErasureResult
    verification: Verification

    def as_data(self) -> dict[str, Any]:
        """The record as the custody log stores it."""
        return {
            "serial": self.serial,
            "kind": self.kind.value if self.kind else None,
            "capacity_gb": self.capacity_gb,
            "technique": self.technique.value if self.technique else None,
            "method_class": self.method_class.value,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "result": self.result.value,
            "verification": self.verification.value,
        }


def record_of(medium: Medium, device_serial: str) -> MediumRecord:
    """The record of a medium stated in full (its serial, or else the device's own)."""
    return MediumRecord(
        serial=medium.serial or device_serial,
        kind=medium.kind,
        capacity_gb=medium.capacity_gb,
        technique=medium.technique,
        method_class=medium.method_class,
        tool=medium.tool,
        tool_version=medium.tool_version,
        started_at=medium.started_at.isoformat() if medium.started_at else None,
        ended_at=medium.ended_at.isoformat() if medium.ended_at else None,
        result=medium.result,
        verification=medium.verification,
    )


# Version 1 named a NIST SP 800-88 Rev. 1 method; its "destroy" is today's "destruct".
_SHORTHAND_CLASS = {
    WipeMethod.CLEAR: MethodClass.CLEAR,
    WipeMethod.PURGE: MethodClass.PURGE,
    WipeMethod.DESTROY: MethodClass.DESTRUCT,
}


def shorthand_records(
    method: WipeMethod, tool: str, verified: bool, serials: Sequence[str], device_serial: str
) -> list[MediumRecord]:
    """Version 1's wipe (`method`, `tool`, `verified`, `storage_serials`): one record per serial,
    or one for the device's own storage when no serial was given. A verified wipe counts as
    sampled: version 1 did not say how much was read back."""
    return [
        MediumRecord(
            serial=serial,
            kind=None,
            capacity_gb=None,
            technique=None,
            method_class=_SHORTHAND_CLASS[method],
            tool=tool,
            tool_version="",
            started_at=None,
            ended_at=None,
            result=ErasureResult.ERASED,
            verification=Verification.SAMPLE if verified else Verification.NONE,
        )
        for serial in (serials or [device_serial])
    ]


def records_in(data: Mapping[str, Any]) -> list[MediumRecord]:
    """The media records a wipe event's data holds (version 2's `media`, or version 1's
    shorthand as it was stored then)."""
    if "media" in data:
        return [
            MediumRecord(
                serial=str(item["serial"]),
                kind=MediumKind(item["kind"]) if item.get("kind") else None,
                capacity_gb=item.get("capacity_gb"),
                technique=Technique(item["technique"]) if item.get("technique") else None,
                method_class=MethodClass(item["method_class"]),
                tool=str(item.get("tool") or ""),
                tool_version=str(item.get("tool_version") or ""),
                started_at=item.get("started_at"),
                ended_at=item.get("ended_at"),
                result=ErasureResult(item["result"]),
                verification=Verification(item["verification"]),
            )
            for item in data["media"]
        ]
    if "method" in data:  # a version 1 wipe, stored before media existed
        return shorthand_records(
            WipeMethod(data["method"]),
            str(data.get("tool") or ""),
            bool(data.get("verified")),
            list(data.get("storage_serials") or []),
            "",
        )
    return []


def latest_by_medium(records: Iterable[MediumRecord]) -> dict[str, MediumRecord]:
    """Each medium's latest record, oldest first: a later pass replaces an earlier one."""
    latest: dict[str, MediumRecord] = {}
    for record in records:
        latest.pop(record.serial, None)
        latest[record.serial] = record
    return latest


@dataclass(frozen=True)
class Gap:
    """What stands between one medium (or the device) and a gate."""

    serial: str | None  # None: the device as a whole (no medium recorded)
    sentence: Message


def reuse_gaps(records: Iterable[MediumRecord], minimum: MethodClass) -> list[Gap]:
    """What keeps a data-bearing device from reuse: every medium's latest record must be
    erased, verified (full or sample) and at least `minimum`."""
    latest = latest_by_medium(records)
    if not latest:
        return [Gap(None, msg("aucun support effacé n’est enregistré"))]
    gaps = []
    for serial, record in latest.items():
        if record.result is not ErasureResult.ERASED:
            gaps.append(Gap(serial, msg("{serial} : {result}", serial=serial,
                                        result=record.result)))  # fmt: skip
        elif record.verification is Verification.NONE:
            gaps.append(Gap(serial, msg("{serial} : effacement non vérifié", serial=serial)))
        elif record.method_class.rank < minimum.rank:
            gaps.append(
                Gap(
                    serial,
                    msg(
                        "{serial} : {method} ne suffit pas pour le réemploi (minimum : {minimum})",
                        serial=serial,
                        method=record.method_class,
                        minimum=minimum,
                    ),
                )
            )
    return gaps


def check_wipe_minimum(
    media: Sequence[Medium], method: WipeMethod | None, minimum: MethodClass | None
) -> None:
    """Refuse a wipe that records a method class below the programme's minimum (a setting; None:
    any), naming the field at fault: a medium's `technique`, or version 1's `method`."""
    if minimum is None:
        return
    stated = [(f"media[{i}].technique", m.method_class) for i, m in enumerate(media)]
    if method is not None:
        stated.append(("method", _SHORTHAND_CLASS[method]))
    for field, method_class in stated:
        if method_class.rank < minimum.rank:
            raise Invalid(
                msg(
                    "La méthode d’effacement {method} est en dessous du minimum fixé par le "
                    "programme ({minimum}) : effacez avec une méthode au moins équivalente.",
                    method=method_class,
                    minimum=minimum,
                ),
                field,
                code="erasure_below_minimum",
                method=method_class.value,
                minimum=minimum.value,
            )


def recycling_gaps(records: Iterable[MediumRecord]) -> list[Gap]:
    """What keeps a data-bearing device from recycling: every medium erased or destructed."""
    latest = latest_by_medium(records)
    if not latest:
        return [Gap(None, msg("aucun support effacé ou détruit n’est enregistré"))]
    return [
        Gap(serial, msg("{serial} : {result}", serial=serial, result=record.result))
        for serial, record in latest.items()
        if not _gone(record)
    ]


def _gone(record: MediumRecord) -> bool:
    """Whether a medium's data is gone enough to recycle it: erased, or destructed (a failed
    destruction is no destruction)."""
    if record.result is ErasureResult.ERASED:
        return True
    return record.method_class is MethodClass.DESTRUCT and record.result is not ErasureResult.FAILED


def certified(record: MediumRecord) -> bool:
    """Whether an erasure certificate may certify this medium erased: erased and verified."""
    return record.result is ErasureResult.ERASED and record.verification is not Verification.NONE


def decode_media(raw: object) -> list[Medium]:
    """Media as a report or a form gives them (for the tests and the parsers)."""
    return msgspec.convert(raw, list[Medium])
