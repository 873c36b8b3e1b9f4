"""Reading devices: loading, scoping to the caller, and their JSON shape."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from piccolo.query import Select

from collecte.db.chunks import each_chunk
from collecte.db.device_sql import read_device
from collecte.db.tables import BlankTag, Device, DeviceEvent
from collecte.domain import tags
from collecte.domain.access import Principal, can_see_device
from collecte.domain.errors import Invalid, NotFound
from collecte.domain.fields import field_label
from collecte.domain.lifecycle import Actor, DeviceState, allowed_actions
from collecte.domain.vocabulary import Role, Status
from collecte.i18n import msg


def parse_code(code: object, field: str = "code") -> str:
    """Return the canonical tag in a scanned or typed code, or raise Invalid naming `field`."""
    if not isinstance(code, str) or not code.strip():
        raise Invalid(
            msg(
                "Le champ « {field} » est obligatoire (étiquette ou adresse).",
                field=field_label(field),
            ),
            field,
        )
    try:
        return tags.parse(code)
    except tags.TagError as error:
        raise Invalid(error.sentence, field, code="invalid_tag") from None


def not_visible(tag: str) -> NotFound:
    """The 404 for a device that does not exist or that the caller may not see (no leak)."""
    return NotFound(
        msg("Aucun appareil visible avec l’étiquette {tag}.", tag=tags.display(tag)), "tag"
    )


async def is_unbound_blank(tag: str) -> bool:
    """Whether `tag` is a blank label printed ahead of time and not bound to a device yet."""
    return bool(await BlankTag.exists().where((BlankTag.tag == tag) & BlankTag.device.is_null()))


def blank_label(tag: str) -> NotFound:
    """The 404 for a blank label: no device yet, and who can change that."""
    return NotFound(
        msg(
            "L’étiquette {tag} est une étiquette vierge, associée à aucun appareil pour "
            "l’instant : le donateur ou la coordination l’associe en la scannant.",
            tag=tags.display(tag),
        ),
        "tag",
        code="blank_tag",
    )


def device_select() -> Select:
    """A select of devices with the names the views show."""
    return Device.select(
        *Device.all_columns(),
        Device.donation.number.as_alias("donation_number"),
        Device.donor.name.as_alias("donor_name"),
        Device.donor.short_name.as_alias("donor_short_name"),
        Device.reconditioner.name.as_alias("reconditioner_name"),
        Device.association.name.as_alias("association_name"),
    )


def visible_to(principal: Principal) -> Any:
    """A where-clause restricting devices to those `principal` may see (None: all)."""
    org = principal.organization_id
    if principal.role is Role.COORDINATOR:
        return None
    if principal.role is Role.DONOR:
        return Device.donor == org
    if principal.role is Role.RECONDITIONER:
        return (Device.reconditioner == org) | (Device.status == Status.REGISTERED.value)
    return Device.association == org


def visible_sql(principal: Principal, alias: str, first: int) -> tuple[str, list[Any]]:
    """`visible_to` as hand-written SQL on the device table `alias`: (condition, arguments),
    placeholders numbered from `$first` (for the export's PostgreSQL path)."""
    org = principal.organization_id
    if principal.role is Role.COORDINATOR:
        return "true", []
    if principal.role is Role.DONOR:
        return f"{alias}.donor = ${first}", [org]
    if principal.role is Role.RECONDITIONER:
        return (
            f"({alias}.reconditioner = ${first} OR {alias}.status = ${first + 1})",
            [org, Status.REGISTERED.value],
        )
    return f"{alias}.association = ${first}", [org]


def state_of(row: dict[str, Any]) -> DeviceState:
    """The lifecycle's view of a device row."""
    return DeviceState(
        status=Status(row["status"]),
        has_storage=bool(row["has_storage"]),
        donor_id=row["donor"],
        reconditioner_id=row["reconditioner"],
        association_id=row["association"],
        previous_status=Status(row["previous_status"]) if row.get("previous_status") else None,
    )


def _party(row: dict[str, Any], key: str) -> dict[str, Any] | None:
    if row[key] is None:
        return None
    return {"id": row[key], "name": row[f"{key}_name"]}


# The rules are pure, and a list of thousands of devices (an import, a batch) holds a handful of
# states: each is asked once (the refusals the rules raise cost as much as the rest of the row).
@lru_cache(maxsize=4096)
def _allowed(state: DeviceState, actor: Actor) -> tuple[str, ...]:
    return tuple(action.value for action in allowed_actions(state, actor))


def device_summary(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """The JSON shape of a device without its history."""
    return {
        "id": row["id"],
        "tag": row["tag"],
        "label": tags.display(row["tag"]),
        "status": row["status"],
        "category": row["category"],
        "brand": row["brand"],
        "model": row["model"],
        "serial_number": row["serial_number"],
        "year": row["year"],
        "has_storage": row["has_storage"],
        "condition": row["condition"],
        "estimated_value_xpf": row["estimated_value_xpf"],
        "weight_kg": row["weight_kg"],
        "weight_estimated": row["weight_estimated"],
        "grade": row["grade"],
        "donation": {"id": row["donation"], "number": row["donation_number"]},
        "donor": {
            "id": row["donor"],
            "name": row["donor_name"],
            "short_name": row["donor_short_name"],
        },
        "reconditioner": _party(row, "reconditioner"),
        "association": _party(row, "association"),
        "dates": {status.value: row[f"{status.value}_at"] for status in Status},
        "updated_at": row["updated_at"],
        "allowed_actions": list(_allowed(state_of(row), principal.actor)),
    }


def event_view(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON shape of one custody-log event."""
    return {
        "id": row["id"],
        "action": row["action"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "at": row["created_at"],
        "actor": {
            "user_id": row["actor_user"],
            "name": row["actor_name"],
            "organization_id": row["actor_organization"],
            "organization_name": row["actor_organization_name"],
            "role": row["actor_role"],
        },
        "data": row["data"],
        "certificate_number": row["certificate_number"],
    }


async def load_device_row(tag: str) -> dict[str, Any] | None:
    """The device row for a canonical tag, with its names, or None."""
    return await device_select().where(Device.tag == tag).first()


async def device_view(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """The JSON shape of a device with its history, oldest event first."""
    events = (
        await DeviceEvent.select()
        .where(DeviceEvent.device == row["id"])
        .order_by(DeviceEvent.id)
        .output(load_json=True)
    )
    return {**device_summary(row, principal), "events": [event_view(e) for e in events]}


async def get_visible_row(principal: Principal, tag: str) -> dict[str, Any]:
    """The device row for `tag` if `principal` may see it; NotFound otherwise (no leak)."""
    row = await load_device_row(tag)
    if row is None or not can_see_device(principal, state_of(row)):
        raise not_visible(tag)
    return row


async def get_device(principal: Principal, code: object, field: str = "tag") -> dict[str, Any]:
    """A device by tag or label URL, with its history and the caller's allowed actions."""
    tag = parse_code(code, field)
    found = await read_device(tag)  # one statement: the scan that precedes every action
    if found is None and await is_unbound_blank(tag):
        raise blank_label(tag)
    if found is None or not can_see_device(principal, state_of(found[0])):
        raise not_visible(tag)
    row, events = found
    return {**device_summary(row, principal), "events": [event_view(e) for e in events]}


async def summaries(principal: Principal, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The devices `ids` as `device_summary` shows them, by increasing id.

    Read and shaped in pieces (an `IN` list has a bounded length), so that the event loop
    serves other requests between two pieces of a 5,000-device answer.
    """

    async def piece(part: list[int]) -> list[dict[str, Any]]:
        shaped = []
        for row in await device_select().where(Device.id.is_in(part)).order_by(Device.id):
            shaped.append(device_summary(row, principal))
            await in_turn()
        return shaped

    return await each_chunk(sorted(ids), piece)


_TURN = 50
_turns = itertools.count()


async def in_turn() -> None:
    """Let the event loop serve the other requests every `_TURN` calls: shaping thousands of
    devices in one go would hold up every request of the process meanwhile."""
    if next(_turns) % _TURN == 0:
        await asyncio.sleep(0)
