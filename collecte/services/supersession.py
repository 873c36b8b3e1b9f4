"""Taking devices out of certificates already issued: supersession and revocation.

A certificate is never changed. When a `revert` or a `report_missing` takes a device out of one,
inside the same transaction: the certificate becomes `superseded` and a replacement listing the
remaining devices is issued under the next number of its kind (the same gapless counter),
printing the number it replaces; when no device remains it becomes `revoked`. A device taken out
of a certificate that was already replaced is taken out of its current replacement.

The replacement is the issued content itself (stored as JSON, what the PDF is rendered from)
with the device lines removed, a new number and date: nothing is regenerated from data that may
have changed since. A certificate issued before its content was stored cannot be replaced: it
is revoked, and its reason says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from collecte.db.tables import Certificate, Device, DeviceEvent, Pickup
from collecte.documents.certificates.model import with_fingerprint
from collecte.domain.access import Principal
from collecte.domain.clock import NOUMEA
from collecte.domain.vocabulary import Action, CertificateKind, CertificateStatus, Status
from collecte.services.certificate_files import decode_document, insert_issued
from collecte.services.numbering import next_number

# Bounded by the table's column: a reason is one line of at most 200 characters.
REASON_MAX = 200


async def donation_numbers(device_id: int) -> list[str]:
    """The donation attestations that list a device: its pickup's (version 2), or the one its
    `collect` event cites (version 1, before pickups)."""
    rows = await DeviceEvent.select(DeviceEvent.certificate_number).where(
        (DeviceEvent.device == device_id) & DeviceEvent.certificate_number.is_not_null()
    )
    numbers = {row["certificate_number"] for row in rows}
    device = await Device.select(Device.pickup).where(Device.id == device_id).first()
    if device is not None and device["pickup"] is not None:
        pickup = (
            await Pickup.select(Pickup.certificate_number)
            .where(Pickup.id == device["pickup"])
            .first()
        )
        if pickup is not None and pickup["certificate_number"]:
            numbers.add(pickup["certificate_number"])
    if not numbers:
        return []
    found = await Certificate.select(Certificate.number).where(
        Certificate.number.is_in(sorted(numbers))
        & (Certificate.kind == CertificateKind.DONATION.value)
    )
    return sorted(row["number"] for row in found)


def certificates_to_cut(
    action: Action, from_status: Status, undone: Mapping[str, Any] | None
) -> list[str] | None:
    """Which certificates of a device the action takes it out of: for a `revert`, the one its
    undone step issued; for a `report_missing` before the workshop received the device, its
    donation attestation (None: look it up); otherwise none."""
    if action is Action.REVERT:
        number = (undone or {}).get("certificate_number")
        return [number] if number else []
    if action is Action.REPORT_MISSING and from_status is Status.COLLECTED:
        return None
    return []


async def _current(number: str) -> dict[str, Any] | None:
    """The certificate `number`, or the replacement that now stands for it."""
    seen = set()
    row = await Certificate.select().where(Certificate.number == number).first()
    while row is not None and row["replaced_by"] and row["number"] not in seen:
        seen.add(row["number"])
        row = await Certificate.select().where(Certificate.number == row["replaced_by"]).first()
    return row


async def take_out(
    principal: Principal,
    cuts: Mapping[str, set[str]],
    reason: str,
    at: datetime,
) -> list[dict[str, Any]]:
    """Take the devices (`cuts`: certificate number → device tags) out of their certificates;
    call inside the transition's transaction. Return what became of each certificate:
    `{"number", "status", "replaced_by"}`."""
    merged: dict[str, tuple[dict[str, Any], set[str]]] = {}
    for number in sorted(cuts):
        row = await _current(number)
        if row is None or row["status"] != CertificateStatus.VALID.value:
            continue
        _, tags = merged.setdefault(row["number"], (row, set()))
        tags |= cuts[number]
    outcome = []
    for _, (row, tags) in sorted(merged.items()):
        outcome.append(await _supersede(principal, row, tags, reason[:REASON_MAX], at))
    return outcome


async def _supersede(
    principal: Principal, row: dict[str, Any], tags: set[str], reason: str, at: datetime
) -> dict[str, Any]:
    document = decode_document(row["document"]) if row["document"] else None
    remaining: Sequence[Any] = (
        [line for line in document.devices if line.tag not in tags] if document else []
    )
    if document is None or not remaining:
        await Certificate.update(
            {Certificate.status: CertificateStatus.REVOKED.value, Certificate.reason: reason}
        ).where(Certificate.id == row["id"])
        return {"number": row["number"], "status": CertificateStatus.REVOKED.value,
                "replaced_by": None}  # fmt: skip
    prefix = row["number"].split("-", 1)[0]
    new_number = await next_number(prefix, at.astimezone(NOUMEA).year)
    replacement = with_fingerprint(
        dataclasses.replace(
            document,
            number=new_number,
            issued_at=at,
            devices=tuple(remaining),
            replaces=row["number"],
            verify_url="",
            content_fingerprint="",
        )
    )
    # Rendered once the transaction commits, like every certificate issued.
    await insert_issued(replacement, row["recipient"], row["issuer"], principal.user_id)
    await Certificate.update(
        {
            Certificate.status: CertificateStatus.SUPERSEDED.value,
            Certificate.reason: reason,
            Certificate.replaced_by: new_number,
        }
    ).where(Certificate.id == row["id"])
    # The devices still listed now cite the replacement on their next reading of the log: the
    # events keep the number they were issued with, the chain leads to the current one.
    return {
        "number": row["number"],
        "status": CertificateStatus.SUPERSEDED.value,
        "replaced_by": new_number,
    }
