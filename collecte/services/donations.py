"""Registering donations and their devices (typed in or imported from CSV)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import anyio
import asyncpg

from collecte.db.chunks import each_chunk, insert_rows
from collecte.db.tables import BlankTag, Device, DeviceEvent, Donation, Organization
from collecte.db.transactions import write_transaction
from collecte.domain import tags, text
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.device_csv import parse_devices_csv, template
from collecte.domain.device_input import DeviceInput, parse_device
from collecte.domain.errors import Conflict, Forbidden, Invalid, NotFound
from collecte.domain.fields import field_label
from collecte.domain.vocabulary import REGISTER_EVENT, Role, Status
from collecte.i18n import LANGUAGES, msg
from collecte.services.custody import event_fields
from collecte.services.devices import (
    device_select,
    device_summary,
    in_turn,
    summaries,
    visible_to,
)
from collecte.services.exports import headers as export_headers
from collecte.services.fresh_tags import new_tags
from collecte.services.numbering import next_number


def _donor_for(principal: Principal, donor_id: object) -> int:
    """The donor organisation a new donation belongs to, given who registers it."""
    if principal.role is Role.DONOR:
        if donor_id not in (None, principal.organization_id):
            raise Forbidden(
                msg("Un donateur ne peut enregistrer un don que pour sa propre organisation.")
            )
        return principal.organization_id
    if principal.role is Role.COORDINATOR:
        if donor_id is None:
            raise Invalid(
                msg(
                    "Le champ « {field} » est obligatoire pour la coordination.",
                    field=field_label("donor_id"),
                ),
                "donor_id",
            )
        if isinstance(donor_id, bool) or not isinstance(donor_id, int):
            raise Invalid(
                msg(
                    "Le champ « {field} » doit être un identifiant entier.",
                    field=field_label("donor_id"),
                ),
                "donor_id",
            )
        return donor_id
    raise Forbidden(msg("Seuls les donateurs et la coordination enregistrent des dons."))


async def _check_donor(donor_id: int) -> None:
    row = await Organization.select(Organization.kind).where(Organization.id == donor_id).first()
    if row is None:
        raise Invalid(msg("Organisation {donor_id} introuvable.", donor_id=donor_id), "donor_id")
    if row["kind"] != Role.DONOR.value:
        raise Invalid(
            msg("L’organisation {donor_id} n’est pas un donateur.", donor_id=donor_id), "donor_id"
        )


def parse_device_list(raw: object, max_devices: int) -> list[DeviceInput]:
    """Validate a JSON list of devices; errors name the index (`devices[2].category`)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Invalid(
            msg("Le champ « {field} » doit être une liste.", field=field_label("devices")),
            "devices",
        )
    if len(raw) > max_devices:
        raise Invalid(
            msg("Au plus {max_devices} appareils par requête.", max_devices=max_devices), "devices"
        )
    devices = []
    for index, item in enumerate(raw):
        try:
            devices.append(parse_device(item))
        except Invalid as error:
            field = f"devices[{index}].{error.field}" if error.field else f"devices[{index}]"
            raise Invalid(
                msg("Appareil n° {number} : {problem}", number=index + 1, problem=error.sentence),
                field,
            ) from None
    seen: set[str] = set()
    for index, device in enumerate(devices):
        if device.tag and device.tag in seen:
            raise Invalid(
                msg(
                    "Appareil n° {number} : étiquette {tag} en double.",
                    number=index + 1,
                    tag=tags.display(device.tag),
                ),
                f"devices[{index}].tag",
            )
        if device.tag:
            seen.add(device.tag)
    return devices


async def _claim_blank_tags(devices: Sequence[DeviceInput]) -> dict[str, int]:
    """Check that every scanned tag is an unbound blank tag; return tag → blank tag id."""
    wanted = {device.tag: index for index, device in enumerate(devices) if device.tag}
    if not wanted:
        return {}
    on_devices = await each_chunk(
        list(wanted), lambda part: Device.select(Device.tag).where(Device.tag.is_in(part))
    )
    if on_devices:
        taken = min(on_devices, key=lambda row: wanted[row["tag"]])["tag"]
        raise Conflict(
            msg("L’étiquette {taken} est déjà attribuée à un appareil.", taken=tags.display(taken)),
            f"devices[{wanted[taken]}].tag",
        )
    rows = await each_chunk(
        list(wanted),
        lambda part: BlankTag.select(BlankTag.id, BlankTag.tag, BlankTag.device).where(
            BlankTag.tag.is_in(part)
        ),
    )
    known = {row["tag"]: row["id"] for row in rows if row["device"] is None}
    unknown = [tag for tag in wanted if tag not in known]
    if unknown:
        raise Invalid(
            msg(
                "Étiquette {tag} inconnue : seules les étiquettes vierges imprimées par la "
                "coordination peuvent être associées à un appareil.",
                tag=tags.display(unknown[0]),
            ),
            f"devices[{wanted[unknown[0]]}].tag",
        )
    return known


# Binds each blank tag to the device that now carries it (found by the tag, unique on both
# tables), unless another registration bound it first.
_BIND_BLANK_TAGS = (
    "UPDATE blank_tag SET device = (SELECT device.id FROM device WHERE device.tag = blank_tag.tag)"
    " WHERE blank_tag.device IS NULL AND blank_tag.tag IN ({tags}) RETURNING tag"
)


async def _bind_blank_tags(blank: dict[str, int]) -> None:
    """Bind the blank tags just put on new devices; Conflict if one was bound meanwhile."""

    async def bind(part: list[str]) -> list[dict[str, Any]]:
        sql = _BIND_BLANK_TAGS.format(tags=", ".join("{}" for _ in part))
        rows: list[dict[str, Any]] = await BlankTag.raw(sql, *part)
        return rows

    bound = {row["tag"] for row in await each_chunk(sorted(blank), bind)}
    lost = [tag for tag in blank if tag not in bound]
    if lost:
        raise Conflict(
            msg("L’étiquette {tag} vient d’être attribuée.", tag=tags.display(lost[0])), "tag"
        )


async def _insert_devices(
    principal: Principal, donation_id: int, donor_id: int, devices: Sequence[DeviceInput]
) -> list[int]:
    """Insert devices and their registration events; call inside a write transaction."""
    blank = await _claim_blank_tags(devices)
    fresh = iter(await new_tags(sum(1 for d in devices if not d.tag)))
    moment: datetime = now()
    rows = [
        {
            "tag": device.tag or next(fresh),
            "donation": donation_id,
            "donor": donor_id,
            "category": device.category.value,
            "brand": device.brand,
            "model": device.model,
            "serial_number": device.serial_number,
            "year": device.year,
            "has_storage": device.has_storage,
            "condition": device.condition,
            "estimated_value_xpf": device.estimated_value_xpf,
            "weight_kg": device.weight_kg,
            "weight_estimated": device.weight_estimated,
            "status": Status.REGISTERED.value,
            "registered_at": moment,
            "updated_at": moment,
        }
        for device in devices
    ]
    if not rows:
        return []
    inserted = await insert_rows(Device, rows, returning=("id", "tag"))
    ids = {row["tag"]: row["id"] for row in inserted}
    fields = event_fields(principal, REGISTER_EVENT, None, Status.REGISTERED.value, {}, moment)
    await insert_rows(DeviceEvent, [{"device": ids[row["tag"]], **fields} for row in rows])
    await _bind_blank_tags(blank)
    return [ids[row["tag"]] for row in rows]


async def create_donation(
    principal: Principal, data: dict[str, Any], max_devices: int, csv: bytes | None = None
) -> dict[str, Any]:
    """Register a donation and its devices in one transaction.

    `csv`, when given, adds the devices of a CSV file after those of `data`; any refusal (a row,
    a line of the file, a tag) and nothing is created, not even the donation.
    """
    donor_id = _donor_for(principal, data.get("donor_id"))
    await _check_donor(donor_id)
    pickup_address = text.address("pickup_address", data.get("pickup_address"))
    notes = text.notes("notes", data.get("notes"))
    # Thousands of devices take a good part of a second to check: in a worker thread.
    devices = await anyio.to_thread.run_sync(parse_device_list, data.get("devices"), max_devices)
    if csv:
        devices += await read_devices_csv(csv, max_devices)
        if len(devices) > max_devices:
            raise Invalid(
                msg("Au plus {max_devices} appareils par requête.", max_devices=max_devices),
                "devices",
            )
    async with write_transaction():
        donation = Donation(
            number=await next_number("LOT"),
            donor=donor_id,
            pickup_address=pickup_address,
            notes=notes,
            created_by=principal.user_id,
            created_at=now(),
        )
        await donation.save()
        await _insert_devices(principal, donation.id, donor_id, devices)
    return await get_donation(principal, donation.id)


async def _owned_donation(principal: Principal, donation_id: int) -> dict[str, Any]:
    """The donation if `principal` may add devices to it (its donor or a coordinator)."""
    row = await Donation.select().where(Donation.id == donation_id).first()
    visible = row is not None and (
        principal.role is Role.COORDINATOR
        or (principal.role is Role.DONOR and row["donor"] == principal.organization_id)
    )
    if not visible or row is None:
        if row is not None and principal.role is not Role.DONOR:
            raise Forbidden(msg("Seuls le donateur et la coordination ajoutent des appareils."))
        raise NotFound(msg("Don {donation_id} introuvable.", donation_id=donation_id), "id")
    return row


async def add_devices(
    principal: Principal, donation_id: int, devices: Sequence[DeviceInput]
) -> list[dict[str, Any]]:
    """Add devices to an existing donation, all or none."""
    donation = await _owned_donation(principal, donation_id)
    async with write_transaction():
        ids = await _insert_devices(principal, donation["id"], donation["donor"], devices)
    return await summaries(principal, ids)


async def add_device(
    principal: Principal, donation_id: int, data: dict[str, Any]
) -> dict[str, Any]:
    """Add one device to a donation."""
    device = parse_device(data)
    return (await add_devices(principal, donation_id, [device]))[0]


async def import_devices_csv(
    principal: Principal, donation_id: int, body: bytes, max_devices: int
) -> list[dict[str, Any]]:
    """Add every device of a CSV file to a donation; any bad row and nothing is added."""
    await _owned_donation(principal, donation_id)
    devices = await read_devices_csv(body, max_devices)
    return await add_devices(principal, donation_id, devices)


@cache
def _export_columns() -> tuple[str, ...]:
    """The devices export's columns in every language: those that are not device fields
    (status, lot, dates…) are read past on import, so that an export, edited, imports as is."""
    return tuple(header for language in LANGUAGES for header in export_headers(language))


def _devices_of_file(body: bytes, max_devices: int) -> list[DeviceInput]:
    return parse_devices_csv(decode_csv(body), max_devices, ignored=_export_columns())


async def read_devices_csv(body: bytes, max_devices: int) -> list[DeviceInput]:
    """The devices of an uploaded CSV file, or Invalid naming the line at fault.

    Parsed in a worker thread: 5,000 lines take a good second of CPU, during which the event
    loop keeps answering every other request.
    """
    return await anyio.to_thread.run_sync(_devices_of_file, body, max_devices)


def csv_template(language: str) -> tuple[str, bytes]:
    """The import template in `language` (its file name and content): the header, then one
    example line to replace by the donation's devices."""
    name = "modele-import-appareils.csv" if language == "fr" else "device-import-template.csv"
    return name, template(language).encode("utf-8")


def decode_csv(body: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8, or the Windows code page older Excel saves."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return body.decode("cp1252")  # what older French Excel saves as "CSV"
        except UnicodeDecodeError:
            raise Invalid(msg("Le fichier CSV doit être encodé en UTF-8."), "csv") from None


async def delete_donation(principal: Principal, donation_id: int) -> None:
    """Delete a donation that has no device (its donor, or a coordinator); 409 otherwise."""
    if principal.role not in (Role.DONOR, Role.COORDINATOR):
        raise Forbidden(msg("Seuls le donateur et la coordination suppriment un don."))
    async with write_transaction():
        donation = await _owned_donation(principal, donation_id)
        count = await Device.count().where(Device.donation == donation_id)
        if count:
            raise Conflict(
                msg(
                    "Le don {number} compte {count} appareil(s) : seul un don vide peut être "
                    "supprimé (retirez plutôt ses appareils du don).",
                    number=donation["number"],
                    count=count,
                ),
                "id",
                code="donation_not_empty",
            )
        try:
            await Donation.delete().where(Donation.id == donation_id)
        except (asyncpg.ForeignKeyViolationError, sqlite3.IntegrityError):
            # A device added at the same moment, or another record made for it (a pickup).
            raise Conflict(
                msg(
                    "Le don {number} est utilisé par ailleurs (un appareil vient d’y être "
                    "ajouté ?) : il ne peut pas être supprimé.",
                    number=donation["number"],
                ),
                "id",
                code="donation_not_empty",
            ) from None


def _donation_view(row: dict[str, Any], devices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "number": row["number"],
        "donor_id": row["donor"],
        "donor": {"id": row["donor"], "name": row["donor_name"]},
        "pickup_address": row["pickup_address"],
        "notes": row["notes"],
        "created_at": row["created_at"],
        "device_count": len(devices),
        "devices": devices,
    }


def _donation_select() -> Any:
    return Donation.select(*Donation.all_columns(), Donation.donor.name.as_alias("donor_name"))


async def _visible_devices(
    principal: Principal, donation_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    scope = visible_to(principal)

    def devices_of(part: list[int]) -> Any:
        query = device_select().where(Device.donation.is_in(part)).order_by(Device.id)
        return query if scope is None else query.where(scope)

    by_donation: dict[int, list[dict[str, Any]]] = {i: [] for i in donation_ids}
    # Each donation's devices come whole from one piece, in the order of their ids.
    for row in await each_chunk(donation_ids, devices_of):
        by_donation[row["donation"]].append(device_summary(row, principal))
        await in_turn()
    return by_donation


async def get_donation(principal: Principal, donation_id: int) -> dict[str, Any]:
    """A donation with the devices the caller may see; NotFound if it may see none of it."""
    row = await _donation_select().where(Donation.id == donation_id).first()
    if row is None:
        raise NotFound(msg("Don {donation_id} introuvable.", donation_id=donation_id), "id")
    devices = (await _visible_devices(principal, [donation_id]))[donation_id]
    owner = principal.role is Role.COORDINATOR or (
        principal.role is Role.DONOR and row["donor"] == principal.organization_id
    )
    if not owner and not devices:
        raise NotFound(msg("Don {donation_id} introuvable.", donation_id=donation_id), "id")
    return _donation_view(row, devices)


async def list_donations(principal: Principal, limit: int, offset: int) -> list[dict[str, Any]]:
    """The donations the caller may see, newest first, each with its visible devices."""
    query = _donation_select().order_by(Donation.id, ascending=False)
    if principal.role is Role.DONOR:
        query = query.where(Donation.donor == principal.organization_id)
    elif principal.role is not Role.COORDINATOR:
        scope = visible_to(principal)
        visible_ids = Device.select(Device.donation).where(scope)
        query = query.where(Donation.id.is_in(visible_ids))
    rows = await query.limit(limit).offset(offset)
    devices = await _visible_devices(principal, [r["id"] for r in rows]) if rows else {}
    return [_donation_view(row, devices[row["id"]]) for row in rows]
