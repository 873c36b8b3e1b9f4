"""What each kind of certificate takes from the devices and the transition, one entry per kind.

`issue_for_transition` reads this table instead of asking which kind it issues: who receives the
certificate, how devices are grouped into certificates, and which fields of a device go on its
line. A new field on a kind's device line is one change here and one in its certificate spec
(`collecte.documents.certificates.kinds`). Pure: rows in, plain data out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from collecte.documents.certificates.model import CertificateDevice, CertificateMedium
from collecte.domain.actions import ActionData, Recycle, Wipe, own_serial
from collecte.domain.erasure import MediumRecord, certified
from collecte.domain.vocabulary import CertificateKind

Row = Mapping[str, Any]  # a device as it was before the action
CERTIFICATE_MEDIUM_FIELDS = tuple(
    f.name for f in dataclasses.fields(CertificateMedium) if f.name != "certified"
)
Data = ActionData  # the data the action took: one struct per action


def _line(row: Row, **fields: Any) -> CertificateDevice:
    """Return a device line: what every kind prints, then the kind's own `fields`."""
    common: dict[str, Any] = {
        "tag": row["tag"],
        "category": row["category"],
        "brand": row["brand"],
        "model": row["model"],
        "serial_number": row["serial_number"],
        "weight_kg": row["weight_kg"],
    }
    return CertificateDevice(**{**common, **fields})


def donation_line(
    row: Row, _data: Data, _language: str, _erasures: tuple[str, ...]
) -> CertificateDevice:
    """Return a donated device with the value its donor declared."""
    return _line(row, declared_value_xpf=row["estimated_value_xpf"])


def erasure_line(
    row: Row, data: Data, language: str, _erasures: tuple[str, ...]
) -> CertificateDevice:
    """Return a wiped device with the record of each of its media, and its destination."""
    assert isinstance(data, Wipe)
    media = tuple(_medium(record) for record in data.records(own_serial(row)))
    return _line(row, media=media, destination=data.destination.value if data.destination else None)


def _medium(record: MediumRecord) -> CertificateMedium:
    """A medium's record as the certificate prints it, and whether it may be certified erased."""
    data = record.as_data()
    return CertificateMedium(
        **{key: data[key] for key in CERTIFICATE_MEDIUM_FIELDS}, certified=certified(record)
    )


def recycling_line(
    row: Row, data: Data, _language: str, _erasures: tuple[str, ...]
) -> CertificateDevice:
    """Return a recycled device and how its weight is known: weighed at the recycling (which
    replaces any other), declared when it was registered, or its category's average."""
    assert isinstance(data, Recycle)
    if data.weight_kg is not None:
        return _line(row, weight_kg=float(data.weight_kg), weight_source="weighed")
    if row["weight_kg"] is None:
        return _line(row)
    return _line(row, weight_source="estimated" if row["weight_estimated"] else "declared")


def receipt_line(
    row: Row, _data: Data, _language: str, erasures: tuple[str, ...]
) -> CertificateDevice:
    """Return a received device with its grade and the erasure certificates that cover it."""
    return _line(row, grade=row["grade"], erasure_certificates=erasures)


def donor_id(row: Row, _data: Data) -> int:
    """Return the donor of the device."""
    return int(row["donor"])


def association_id(row: Row, _data: Data) -> int:
    """Return the association the device was allocated to."""
    return int(row["association"])


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where one kind of certificate takes its recipient, its grouping and its device lines."""

    recipient: Callable[[Row, Data], int]  # the organisation the certificate goes to
    recipient_is: Literal["donor", "association"]  # the role the recipient is named in
    # One certificate per recipient and workshop (the workshop attests), or per recipient only.
    per_workshop: bool
    line: Callable[[Row, Data, str, tuple[str, ...]], CertificateDevice]
    erasure_numbers: bool = False  # look up the erasure certificates that cover each device
    handover_on_issue: bool = False  # the handover date is the issue date
    place_is_city: bool = False  # the place printed is the recipient's city


SOURCES: Mapping[CertificateKind, Source] = {
    CertificateKind.DONATION: Source(
        recipient=donor_id,
        recipient_is="donor",
        per_workshop=True,
        line=donation_line,
        handover_on_issue=True,
    ),
    CertificateKind.ERASURE: Source(
        recipient=donor_id, recipient_is="donor", per_workshop=True, line=erasure_line
    ),
    CertificateKind.RECYCLING: Source(
        recipient=donor_id, recipient_is="donor", per_workshop=True, line=recycling_line
    ),
    # An association signs one receipt, whatever workshops prepared the devices.
    CertificateKind.RECEIPT: Source(
        recipient=association_id,
        recipient_is="association",
        per_workshop=False,
        line=receipt_line,
        erasure_numbers=True,
        place_is_city=True,
    ),
}
