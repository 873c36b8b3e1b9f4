"""Pickups (enlèvements): the devices a workshop collects at a donor in one run, attested by one
donation certificate (DON) when the pickup closes.

A pickup is opened by a reconditioner (for itself) or the coordinator, or on the fly by the
first `collect` of a donation for a workshop; at most one is open per donation and workshop (a
partial unique index). Closing it, with the signature of the donor's representative, issues one
DON listing every device collected in it, in the same transaction. A pickup still open at the
end of the Nouméa day is closed unsigned by the service itself (`close_overdue_pickups`).

Locking: a collect "touches" its pickup's row (`UPDATE … WHERE status = 'open'`) and the close
moves it with the same condition, so a collect and a close racing on one pickup are serialised
on PostgreSQL; the close then lists the devices the collect committed, or the collect gets a 409.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

import anyio
import msgspec

from collecte.db.tables import Device, Donation, Organization, Pickup
from collecte.db.transactions import retry_on_conflict, write_transaction
from collecte.documents.certificates.model import CertificateDocument, with_fingerprint
from collecte.domain import programme as programme_rules
from collecte.domain import tags
from collecte.domain.access import Principal
from collecte.domain.actions import Collect
from collecte.domain.clock import NOUMEA, Clock, noumea_day_start, now
from collecte.domain.errors import Conflict, Forbidden, Invalid, NotFound
from collecte.domain.fields import field_label
from collecte.domain.lifecycle import CERTIFICATE_PREFIX
from collecte.domain.signature import Signature, parse_signature
from collecte.domain.vocabulary import CertificateKind, PickupStatus, Role
from collecte.i18n import msg
from collecte.services.certificate_sources import donation_line
from collecte.services.certificates import (
    LANGUAGES,
    Issued,
    language_for,
    party_of,
    programme_of,
    store_certificate,
)
from collecte.services.numbering import next_number
from collecte.services.programme import with_current_programme
from collecte.settings import Settings

PICKUP_PREFIX = "ENL"


def _scope(principal: Principal) -> Any:
    """Donors see their pickups, workshops theirs, the coordination all; associations none."""
    org = principal.organization_id
    if principal.role is Role.COORDINATOR:
        return None
    if principal.role is Role.DONOR:
        return Pickup.donor == org
    if principal.role is Role.RECONDITIONER:
        return Pickup.reconditioner == org
    return Pickup.id < 0


def _select() -> Any:
    return Pickup.select(
        *[c for c in Pickup.all_columns() if c._meta.name != "signature_image"],
        Pickup.donation.number.as_alias("donation_number"),
        Pickup.donor.name.as_alias("donor_name"),
        Pickup.reconditioner.name.as_alias("reconditioner_name"),
    )


def _view(row: Mapping[str, Any], device_count: int) -> dict[str, Any]:
    """The JSON shape of a pickup, without its devices."""
    return {
        "id": row["id"],
        "number": row["number"],
        "status": row["status"],
        "donation_id": row["donation"],
        "donation_number": row["donation_number"],
        "donor_id": row["donor"],
        "donor_name": row["donor_name"],
        "reconditioner_id": row["reconditioner"],
        "reconditioner_name": row["reconditioner_name"],
        "opened_at": row["opened_at"],
        "opened_by_name": row["opened_by_name"],
        "closed_at": row["closed_at"],
        "closed_by_name": row["closed_by_name"] or None,
        "closed_automatically": bool(row["closed_automatically"]),
        "signature_name": row["signature_name"],
        "certificate_number": row["certificate_number"],
        "device_count": device_count,
    }


def _not_found(pickup_id: int) -> NotFound:
    return NotFound(msg("Enlèvement {id} introuvable.", id=pickup_id), "pickup_id")


async def _visible(principal: Principal, pickup_id: int) -> dict[str, Any]:
    query = _select().where(Pickup.id == pickup_id)
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    row = await query.first()
    if row is None:
        raise _not_found(pickup_id)
    return dict(row)


async def _counts(ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await Device.raw(
        "SELECT pickup, COUNT(*) AS n FROM device WHERE pickup IN ("
        + ", ".join("{}" for _ in ids)
        + ") GROUP BY pickup",
        *ids,
    )
    return {row["pickup"]: row["n"] for row in rows}


async def _insert_open(
    donation: Mapping[str, Any],
    reconditioner_id: int,
    principal: Principal,
    at: datetime,
) -> int | None:
    """Open a pickup unless one is open for the donation and workshop; its id, or None.

    Inserted under a provisional number first: when the index finds an open one, no number has
    been taken, so numbers stay gapless; the real number follows in the same transaction.
    """
    inserted = await (
        Pickup.insert(
            Pickup(
                number=f"~{secrets.token_hex(9)}",
                donation=donation["id"],
                donor=donation["donor"],
                reconditioner=reconditioner_id,
                status=PickupStatus.OPEN.value,
                opened_at=at,
                opened_by=principal.user_id,
                opened_by_name=principal.display_name,
            )
        )
        .on_conflict(action="DO NOTHING")
        .returning(Pickup.id)
    )
    if not inserted:
        return None
    pickup_id = int(inserted[0]["id"])
    number = await next_number(PICKUP_PREFIX, at.astimezone(NOUMEA).year)
    await Pickup.update({Pickup.number: number}).where(Pickup.id == pickup_id)
    return pickup_id


async def _open_one(donation_id: int, reconditioner_id: int) -> dict[str, Any] | None:
    row = (
        await Pickup.select(Pickup.id, Pickup.number)
        .where(
            (Pickup.donation == donation_id)
            & (Pickup.reconditioner == reconditioner_id)
            & (Pickup.status == PickupStatus.OPEN.value)
        )
        .first()
    )
    return dict(row) if row else None


async def _check_reconditioner(reconditioner_id: int) -> None:
    row = await Organization.select(Organization.kind).where(Organization.id == reconditioner_id)
    if not row or row[0]["kind"] != Role.RECONDITIONER.value:
        raise Invalid(
            msg("Le champ « {field} » ne désigne pas un(e) {kind}.",
                field=field_label("reconditioner_id"), kind=Role.RECONDITIONER),
            "reconditioner_id",
        )  # fmt: skip


def _destination(principal: Principal, reconditioner_id: int | None) -> int:
    """The workshop a pickup is for: a reconditioner's own; the coordinator must name one."""
    if principal.role is Role.RECONDITIONER:
        if reconditioner_id not in (None, principal.organization_id):
            raise Forbidden(
                msg("Un atelier n’ouvre un enlèvement que pour lui-même."), "reconditioner_id"
            )
        return principal.organization_id
    if principal.role is not Role.COORDINATOR:
        raise Forbidden(
            msg("Seuls un atelier ou la coordination peuvent ouvrir un enlèvement."), "role"
        )
    if reconditioner_id is None:
        raise Invalid(
            msg("Le champ « {field} » est obligatoire pour cette action.",
                field=field_label("reconditioner_id")),
            "reconditioner_id",
        )  # fmt: skip
    return reconditioner_id


async def open_pickup(
    principal: Principal, donation_id: int, reconditioner_id: int | None
) -> dict[str, Any]:
    """Open a pickup for a donation; 409 naming the one already open for that workshop."""
    workshop = _destination(principal, reconditioner_id)

    async def run() -> dict[str, Any]:
        async with write_transaction():
            donation = (
                await Donation.select(Donation.id, Donation.donor)
                .where(Donation.id == donation_id)
                .first()
            )
            if donation is None:
                raise NotFound(msg("Don {id} introuvable.", id=donation_id), "donation_id")
            await _check_reconditioner(workshop)
            pickup_id = await _insert_open(donation, workshop, principal, now())
            if pickup_id is None:
                existing = await _open_one(donation_id, workshop)
                raise Conflict(
                    msg("Un enlèvement est déjà ouvert pour ce don et cet atelier : {number}.",
                        number=existing["number"] if existing else "?"),
                    "donation_id",
                    code="pickup_already_open",
                )  # fmt: skip
            row = await _select().where(Pickup.id == pickup_id).first()
            assert row is not None
            return _view(row, 0)

    return await retry_on_conflict(run)


async def list_pickups(
    principal: Principal,
    status: str | None = None,
    donation_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The pickups the caller may see, newest first, each with its device count."""
    query = _select().order_by(Pickup.id, ascending=False)
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    if status:
        try:
            query = query.where(Pickup.status == PickupStatus(status).value)
        except ValueError:
            raise Invalid(
                msg("Le paramètre « status » doit valoir open ou closed."), "status"
            ) from None
    if donation_id is not None:
        query = query.where(Pickup.donation == donation_id)
    rows = await query.limit(limit).offset(offset)
    counts = await _counts([row["id"] for row in rows])
    return [_view(row, counts.get(row["id"], 0)) for row in rows]


async def get_pickup(principal: Principal, pickup_id: int) -> dict[str, Any]:
    """A pickup with the devices expected (collected in it), which have been received, and the
    tags of those not received yet."""
    row = await _visible(principal, pickup_id)
    devices = await (
        Device.select(
            Device.tag,
            Device.status,
            Device.category,
            Device.brand,
            Device.model,
            Device.serial_number,
            Device.received_at,
        )
        .where(Device.pickup == pickup_id)
        .order_by(Device.id)
    )
    expected = [
        {
            "tag": d["tag"],
            "label": tags.display(d["tag"]),
            "status": d["status"],
            "category": d["category"],
            "brand": d["brand"],
            "model": d["model"],
            "serial_number": d["serial_number"],
            # Received once it reached the workshop, whatever happened to it since.
            "received": d["received_at"] is not None,
        }
        for d in devices
    ]
    return {
        **_view(row, len(expected)),
        "devices": expected,
        "received_count": sum(1 for d in expected if d["received"]),
        "not_received": [d["tag"] for d in expected if not d["received"]],
    }


# --- collect ---------------------------------------------------------------------------------


async def fill_collect(principal: Principal, data: Collect) -> Collect:
    """A coordinator's collect into a named pickup goes to its workshop when no destination is
    given (a reconditioner's goes to itself, as always: another's pickup is then refused)."""
    if (
        data.pickup_id is None
        or data.reconditioner_id is not None
        or principal.role is not Role.COORDINATOR
    ):
        return data
    row = await Pickup.select(Pickup.reconditioner).where(Pickup.id == data.pickup_id).first()
    if row is None:
        raise _not_found(data.pickup_id)
    return msgspec.structs.replace(data, reconditioner_id=row["reconditioner"])


def _closed(number: str) -> Conflict:
    return Conflict(
        msg("L’enlèvement {number} est clôturé : il n’accepte plus d’appareil.", number=number),
        "pickup_id",
        code="pickup_closed",
        pickup_status=PickupStatus.CLOSED.value,
    )


async def _touch(pickup_id: int) -> bool:
    """Lock an open pickup's row until the transaction ends; False when it is not open."""
    touched = await (
        Pickup.update({Pickup.status: PickupStatus.OPEN.value})
        .where((Pickup.id == pickup_id) & (Pickup.status == PickupStatus.OPEN.value))
        .returning(Pickup.id)
    )
    return bool(touched)


async def pickups_for_collect(
    principal: Principal, rows: Sequence[Mapping[str, Any]], data: Collect, at: datetime
) -> dict[int, tuple[int, str]]:
    """The pickup each collected device joins (device id → pickup id, number); call inside the
    collect's transaction, after the rules accepted every device.

    With `pickup_id`, every device must be of its donation, for its workshop, and the pickup
    open (409 otherwise); without, each donation's open pickup for the workshop, opened on the
    fly when there is none.
    """
    workshop = data.reconditioner_id
    assert workshop is not None  # completed for the actor before
    if data.pickup_id is not None:
        pickup = await (
            Pickup.select(Pickup.id, Pickup.number, Pickup.donation, Pickup.reconditioner)
            .where(Pickup.id == data.pickup_id)
            .first()
        )
        if pickup is None:
            raise _not_found(data.pickup_id)
        if pickup["reconditioner"] != workshop:
            raise Invalid(
                msg("L’enlèvement {number} est celui d’un autre atelier que la destination.",
                    number=pickup["number"]),
                "pickup_id",
            )  # fmt: skip
        others = [row for row in rows if row["donation"] != pickup["donation"]]
        if others:
            raise Invalid(
                msg("L’enlèvement {number} est celui d’un autre don que l’appareil {tag}.",
                    number=pickup["number"], tag=tags.display(others[0]["tag"])),
                "pickup_id",
            )  # fmt: skip
        if not await _touch(pickup["id"]):
            raise _closed(pickup["number"])
        return {row["id"]: (pickup["id"], pickup["number"]) for row in rows}
    found: dict[int, tuple[int, str]] = {}
    donors = {int(row["donation"]): row["donor"] for row in rows}
    for donation_id in sorted(donors):
        donation = {"id": donation_id, "donor": donors[donation_id]}
        pickup_id = await _insert_open(donation, workshop, principal, at)
        if pickup_id is None:
            existing = await _open_one(donation_id, workshop)
            if existing is None or not await _touch(existing["id"]):
                # Closed between our insert and our look: the transaction is retried whole.
                raise Conflict(
                    msg("Un enlèvement vient d’être clôturé ; recommencez le scan."),
                    "pickup_id",
                    code="pickup_closed",
                )
            pickup_id = existing["id"]
        number = await Pickup.select(Pickup.number).where(Pickup.id == pickup_id).first()
        assert number is not None
        found[donation_id] = (pickup_id, number["number"])
    return {row["id"]: found[int(row["donation"])] for row in rows}


# --- close -----------------------------------------------------------------------------------


async def _issue(
    pickup: Mapping[str, Any],
    devices: Sequence[Mapping[str, Any]],
    at: datetime,
    settings: Settings,
    signature: Signature | None,
    operator: str,
    issuer_id: int | None,
    issued_by: int | None,
    language: str | None,
    tax_receipt: bool,
) -> Issued:
    """Number, render and store the pickup's one donation attestation; a tax receipt (the
    programme is eligible) is refused whole while a field of the DSF model is missing."""
    organizations = {
        row["id"]: row
        for row in await Organization.select().where(
            Organization.id.is_in([pickup["donor"], pickup["reconditioner"]])
        )
    }
    donor = organizations[pickup["donor"]]
    if tax_receipt:
        missing = programme_rules.tax_receipt_gaps(
            asdict(settings.programme), donor, signed=signature is not None
        )
        if missing:
            raise programme_rules.tax_receipt_refusal(missing)
    lang = language_for(donor, language)
    programme = programme_of(settings)
    if settings.programme.tax_receipts_eligible and not tax_receipt:
        # An eligible programme's mention is its receipts' (a tax credit): not on a plain one.
        programme = replace(programme, legal_mention="")
    kind = CertificateKind.DONATION
    number = await next_number(CERTIFICATE_PREFIX[kind], at.astimezone(NOUMEA).year)
    party = party_of(donor)
    document = with_fingerprint(
        CertificateDocument(
            kind=kind.value,
            number=number,
            issued_at=at,
            language=lang,
            programme=programme,
            recipient=party,
            donor=party,
            reconditioner=party_of(organizations[pickup["reconditioner"]]),
            operator_name=operator,
            handover_date=pickup["opened_at"].astimezone(NOUMEA).date(),
            devices=tuple(donation_line(row, None, lang, ()) for row in devices),  # type: ignore[arg-type]
            pickup_number=pickup["number"],
            signed_by=signature.name if signature else None,
            signature_image=signature.image if signature else None,
            closed_unsigned=signature is None,
            tax_receipt=tax_receipt,
        )
    )
    return await store_certificate(document, pickup["donor"], issuer_id, issued_by)


async def _close(
    pickup_id: int,
    at: datetime,
    settings: Settings,
    signature: Signature | None,
    principal: Principal | None,
    language: str | None = None,
) -> Issued | None:
    """Close an open pickup and issue its attestation (none when it holds no device); call
    inside a write transaction. Conflict when it is not open any more."""
    moved = await (
        Pickup.update(
            {
                Pickup.status: PickupStatus.CLOSED.value,
                Pickup.closed_at: at,
                Pickup.closed_by: principal.user_id if principal else None,
                Pickup.closed_by_name: principal.display_name if principal else "",
                Pickup.closed_automatically: principal is None,
                Pickup.signature_name: signature.name if signature else None,
                Pickup.signature_image: signature.image if signature else None,
            }
        )
        .where((Pickup.id == pickup_id) & (Pickup.status == PickupStatus.OPEN.value))
        .returning(Pickup.id)
    )
    pickup = await Pickup.select().where(Pickup.id == pickup_id).first()
    assert pickup is not None
    if not moved:
        raise Conflict(
            msg("L’enlèvement {number} est déjà clôturé.", number=pickup["number"]),
            "pickup_id",
            code="pickup_closed",
            pickup_status=pickup["status"],
        )
    devices = await Device.select().where(Device.pickup == pickup_id).order_by(Device.id)
    if not devices:
        if principal is not None:
            raise Conflict(
                msg("L’enlèvement {number} ne contient aucun appareil : rien à attester.",
                    number=pickup["number"]),
                "pickup_id",
                code="pickup_empty",
            )  # fmt: skip
        return None
    if principal is None:
        operator, issuer, issued_by = "", pickup["reconditioner"], None
    else:
        operator = principal.display_name
        if principal.organization_id != pickup["reconditioner"]:
            operator = f"{operator} ({principal.organization_name})"
        issuer, issued_by = principal.organization_id, principal.user_id
    # A tax receipt needs the donor's signature: the close at the day's end, unsigned, issues
    # the plain attestation (values estimated by the donor), so no device is left without one.
    tax_receipt = principal is not None and settings.programme.tax_receipts_eligible
    issued = await _issue(
        pickup, devices, at, settings, signature, operator, issuer, issued_by, language, tax_receipt
    )
    await Pickup.update({Pickup.certificate_number: issued.number}).where(Pickup.id == pickup_id)
    return issued


async def close_pickup(
    principal: Principal,
    pickup_id: int,
    payload: object,
    settings: Settings,
    language: str | None = None,
) -> dict[str, Any]:
    """Close a pickup with the donor representative's signature; issue its one DON."""
    if language is not None and language not in LANGUAGES:
        raise Invalid(msg("Le paramètre « lang » doit valoir fr ou en."), "lang")
    row = await _visible(principal, pickup_id)
    if principal.role is not Role.COORDINATOR and principal.organization_id != row["reconditioner"]:
        raise Forbidden(
            msg("Seuls l’atelier de l’enlèvement ou la coordination peuvent le clôturer."),
            "pickup_id",
        )
    if row["status"] != PickupStatus.OPEN.value:
        raise Conflict(
            msg("L’enlèvement {number} est déjà clôturé.", number=row["number"]),
            "pickup_id",
            code="pickup_closed",
            pickup_status=row["status"],
        )
    if not isinstance(payload, Mapping):
        raise Invalid(msg("Le corps de la requête doit être un objet JSON."), "data")
    signature = parse_signature(payload.get("signature"))

    async def run() -> dict[str, Any]:
        async with write_transaction():
            in_force = await with_current_programme(settings)
            issued = await _close(pickup_id, now(), in_force, signature, principal, language)
            closed = await _select().where(Pickup.id == pickup_id).first()
            assert closed is not None and issued is not None
            count = await Device.count().where(Device.pickup == pickup_id)
            return {"pickup": _view(closed, count), "certificate": issued.as_json()}

    return await retry_on_conflict(run)


async def close_overdue_pickups(settings: Settings, clock: Clock = now) -> list[str]:
    """Close unsigned every pickup opened before today (Nouméa) and still open; return their
    numbers. Each pickup in its own short transaction; one closed meanwhile is skipped."""
    at = clock()
    overdue = await (
        Pickup.select(Pickup.id)
        .where(
            (Pickup.status == PickupStatus.OPEN.value) & (Pickup.opened_at < noumea_day_start(at))
        )
        .order_by(Pickup.id)
    )
    settings = await with_current_programme(settings)
    closed = []
    for row in overdue:
        try:
            async with write_transaction():
                await _close(row["id"], at, settings, None, None)
        except Conflict:
            continue  # closed by hand meanwhile
        number = await Pickup.select(Pickup.number).where(Pickup.id == row["id"]).first()
        closed.append(number["number"] if number else str(row["id"]))
        await anyio.sleep(0)  # let the scans waiting for the writer go first
    return closed
