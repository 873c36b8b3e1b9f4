"""Moving devices through the lifecycle, one at a time or as an all-or-nothing batch.

Each call is atomic: the status update is conditioned on the status the rules were checked
against (`UPDATE … WHERE status = expected`), so two scanners racing on one device give one
success and one 409, never two events.

A single-device action without a certificate is the scanners' hot path: one statement reads the
device with its history, one statement moves it and logs the event (`collecte.db.device_sql`), and
the answer is built from the rows in hand. Actions that issue a certificate run in one write
transaction, since the number, the PDF and the events that cite it commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from collecte.db.device_sql import move_device, move_device_by_tag, read_device
from collecte.db.engine import current_engine
from collecte.db.tables import Device, DeviceEvent, Organization
from collecte.db.transactions import retry_on_conflict, write_transaction
from collecte.domain import tags
from collecte.domain.access import Principal, can_see_device
from collecte.domain.clock import now
from collecte.domain.errors import BatchRejected, Conflict, Invalid, NotFound
from collecte.domain.lifecycle import (
    RULES,
    Action,
    InvalidData,
    LifecycleError,
    NotYourDevice,
    Role,
    RoleNotAllowed,
    Status,
    WrongStatus,
    certificate_for,
    check_transition,
    parse_action,
    validate_data,
)
from collecte.services.certificates import LANGUAGES, Issued, issue_for_transition
from collecte.services.custody import event_fields
from collecte.services.devices import (
    device_select,
    device_summary,
    event_view,
    parse_code,
    state_of,
)
from collecte.settings import Settings

# The organisation an action's data points at, and the kind it must be.
_TARGETS = {
    "reconditioner_id": Role.RECONDITIONER,
    "association_id": Role.ASSOCIATION,
}


async def _check_targets(data: dict[str, Any]) -> dict[str, str]:
    """Check the organisations the data points at; return their names by field."""
    names = {}
    for field, kind in _TARGETS.items():
        target = data.get(field)
        if target is None:
            continue
        row = (
            await Organization.select(Organization.kind, Organization.name)
            .where(Organization.id == target)
            .first()
        )
        if row is None or row["kind"] != kind.value:
            raise Invalid(f"Le champ « {field} » ne désigne pas un(e) {kind.value}.", field)
        names[field] = row["name"]
    return names


def _changes(action: Action, to_status: Status, data: dict[str, Any], at: datetime) -> dict:
    """The device columns an action sets, beyond its status."""
    changes: dict[Any, Any] = {
        Device.status: to_status.value,
        Device.updated_at: at,
        getattr(Device, f"{to_status.value}_at"): at,
    }
    if action is Action.COLLECT:
        changes[Device.reconditioner] = data["reconditioner_id"]
    elif action is Action.REFURBISH:
        changes[Device.grade] = data["grade"]
    elif action is Action.ALLOCATE:
        changes[Device.association] = data["association_id"]
    elif action is Action.RECYCLE and data.get("weight_kg") is not None:
        changes[Device.weight_kg] = float(data["weight_kg"])
        changes[Device.weight_estimated] = False
    return changes


def _event_fields(
    principal: Principal,
    action: Action,
    from_status: Status,
    to_status: Status,
    data: dict[str, Any],
    at: datetime,
    certificate_number: str | None = None,
) -> dict[str, Any]:
    """The columns of the event a transition appends, but its device."""
    return event_fields(
        principal, action.value, from_status.value, to_status.value, data, at, certificate_number
    )


async def _lost_race(ids: Sequence[int]) -> Conflict:
    """The 409 for devices another scanner moved between our read and our update."""
    current = await Device.select(Device.tag, Device.status).where(Device.id.is_in(list(ids)))
    detail = ", ".join(f"{tags.display(r['tag'])} ({r['status']})" for r in current)
    return Conflict(
        f"Un autre scan vient de modifier : {detail}. Rien n’a été enregistré.",
        "tags",
        code="wrong_status",
        current_status=current[0]["status"] if current else None,
    )


@dataclass(frozen=True)
class Context:
    """What a transition needs beyond the request: settings and the certificate language."""

    settings: Settings
    language: str | None = None


async def _apply(
    principal: Principal,
    rows: Sequence[dict[str, Any]],
    action: Action,
    data: dict[str, Any],
    context: Context,
) -> tuple[list[int], list[Issued]]:
    """Update the devices conditionally, issue certificates and append the events citing them.

    Call inside a write transaction, after the rules accepted every device; raise Conflict on a
    lost race, which rolls everything back.
    """
    at = now()
    by_status: dict[Status, list[dict[str, Any]]] = {}
    targets: dict[int, Status] = {}
    for row in rows:
        by_status.setdefault(Status(row["status"]), []).append(row)
        targets[row["id"]] = check_transition(state_of(row), principal.actor, action)
    for from_status, group in by_status.items():
        ids = [row["id"] for row in group]
        to_status = targets[ids[0]]
        updated = await (
            Device.update(_changes(action, to_status, data, at))
            .where(Device.id.is_in(ids) & (Device.status == from_status.value))
            .returning(Device.id)
        )
        if len(updated) != len(ids):
            raise await _lost_race(sorted(set(ids) - {r["id"] for r in updated}))
    issued = await issue_for_transition(
        principal, action, rows, data, at, context.settings, context.language
    )
    number_of = {device_id: item.number for item in issued for device_id in item.device_ids}
    await DeviceEvent.insert(
        *[
            DeviceEvent(
                device=row["id"],
                **_event_fields(
                    principal,
                    action,
                    Status(row["status"]),
                    targets[row["id"]],
                    data,
                    at,
                    number_of.get(row["id"]),
                ),
            )
            for row in rows
        ]
    )
    return [row["id"] for row in rows], issued


async def _checked_data(
    principal: Principal, action: Action, payload: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The action's cleaned data, checked after the rules so 403/409 come before 422, and the
    names of the organisations it points at."""
    data = validate_data(action, payload, principal.actor)
    return data, await _check_targets(data)


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise Invalid("Le paramètre « lang » doit valoir fr ou en.", "lang")


async def _read_visible(
    principal: Principal, tag: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    found = await read_device(tag)
    if found is None or not can_see_device(principal, state_of(found[0])):
        raise NotFound(f"Aucun appareil visible avec l’étiquette {tags.display(tag)}.", "tag")
    return found


def _view(
    row: dict[str, Any], events: list[dict[str, Any]], principal: Principal
) -> dict[str, Any]:
    return {**device_summary(row, principal), "events": [event_view(e) for e in events]}


def _answer(
    principal: Principal,
    found: tuple[dict[str, Any], list[dict[str, Any]]],
    changes: dict[str, Any],
    names: dict[str, str],
    event: dict[str, Any],
) -> dict[str, Any]:
    """The device after a move, from the rows in hand: what a re-read would give."""
    row, events = found
    moved = {**row, **changes}
    for field, name in names.items():
        moved[f"{field.removesuffix('_id')}_name"] = name
    return {**_view(moved, [*events, event], principal), "certificate": None}


def _column_changes(action: Action, to_status: Status, data: dict[str, Any], at: datetime) -> dict:
    return {
        column._meta.db_column_name: value
        for column, value in _changes(action, to_status, data, at).items()
    }


async def _move_one_sqlite(
    principal: Principal, tag: str, action: Action, payload: dict[str, Any]
) -> dict[str, Any]:
    """An action without certificate, inside the write transaction: read, check, update."""
    row, events = await _read_visible(principal, tag)
    from_status = Status(row["status"])
    to_status = check_transition(state_of(row), principal.actor, action)
    data, names = await _checked_data(principal, action, payload)
    at = now()
    changes = _column_changes(action, to_status, data, at)
    event = _event_fields(principal, action, from_status, to_status, data, at)
    event_id = await move_device(row["id"], from_status.value, changes, event)
    if event_id is None:
        raise await _lost_race([row["id"]])
    event = {"id": event_id, "device": row["id"], **event}
    return _answer(principal, (row, events), changes, names, event)


async def _move_one_postgres(
    principal: Principal, tag: str, action: Action, payload: dict[str, Any]
) -> dict[str, Any]:
    """An action without certificate in one round trip: the statement checks the rules as SQL
    (derived from them), moves the device and logs the event, and returns the device as it
    was; when nothing moved, the rules say why."""
    try:
        data, names = await _checked_data(principal, action, payload)
    except (InvalidData, Invalid):
        # The rules speak before the data: a 404, 403 or 409 wins over a 422.
        row, _ = await _read_visible(principal, tag)
        check_transition(state_of(row), principal.actor, action)
        raise
    at = now()
    to_status = RULES[action].to_status
    changes = _column_changes(action, to_status, data, at)
    event = _event_fields(principal, action, Status.REGISTERED, to_status, data, at)
    found, event_id = await move_device_by_tag(tag, principal.actor, action, changes, event)
    if found is None or not can_see_device(principal, state_of(found[0])):
        raise NotFound(f"Aucun appareil visible avec l’étiquette {tags.display(tag)}.", "tag")
    row = found[0]
    if event_id is None:
        check_transition(state_of(row), principal.actor, action)
        raise await _lost_race([row["id"]])  # allowed as we saw it: another scan came first
    event = {**event, "id": event_id, "device": row["id"], "from_status": row["status"]}
    return _answer(principal, found, changes, names, event)


async def transition_device(
    principal: Principal, code: str, payload: dict[str, Any], context: Context
) -> dict[str, Any]:
    """Perform one action on one device; return the device as it now is, and its certificate."""
    return await retry_on_conflict(lambda: _transition_device(principal, code, payload, context))


async def _transition_device(
    principal: Principal, code: str, payload: dict[str, Any], context: Context
) -> dict[str, Any]:
    _check_language(context.language)
    tag = parse_code(code, "tag")
    action = parse_action(payload.get("action"))
    if certificate_for(action) is None:
        if isinstance(current_engine(), PostgresEngine):
            # One statement, atomic by itself (it joins the caller's transaction when there is
            # one, as for an Idempotency-Key).
            return await _move_one_postgres(principal, tag, action, payload)
        async with write_transaction():
            return await _move_one_sqlite(principal, tag, action, payload)
    async with write_transaction():
        row, _ = await _read_visible(principal, tag)
        check_transition(state_of(row), principal.actor, action)
        data, _ = await _checked_data(principal, action, payload)
        _, issued = await _apply(principal, [row], action, data, context)
        # Not re-checked for visibility: a reconditioner collecting for another one no longer
        # sees the device, but sees the answer to what it just did.
        found = await read_device(tag)
        assert found is not None
        row, events = found
        return {
            **_view(row, events, principal),
            "certificate": issued[0].as_json() if issued else None,
        }


def _failure(tag: str, status: int, error: Exception, current: str | None = None) -> dict:
    message = error.message if isinstance(error, LifecycleError | Invalid) else str(error)
    failure: dict[str, Any] = {"tag": tag, "status_code": status, "detail": message}
    if current:
        failure["current_status"] = current
    return failure


def _batch_codes(raw: object, max_devices: int) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("Le champ « tags » doit être une liste non vide d’étiquettes.", "tags")
    if len(raw) > max_devices:
        raise Invalid(f"Au plus {max_devices} étiquettes par lot.", "tags")
    return [str(code) if not isinstance(code, str) else code for code in raw]


async def transition_batch(
    principal: Principal, payload: dict[str, Any], context: Context
) -> dict[str, Any]:
    """Perform one action on many devices, all or nothing; any failing tag is listed.

    One certificate per recipient (the donor, or the association for a receipt).
    """
    return await retry_on_conflict(lambda: _transition_batch(principal, payload, context))


async def _transition_batch(
    principal: Principal, payload: dict[str, Any], context: Context
) -> dict[str, Any]:
    _check_language(context.language)
    max_devices = context.settings.max_devices_per_request
    codes = _batch_codes(payload.get("tags"), max_devices)
    action = parse_action(payload.get("action"))
    failures: list[dict[str, Any]] = []
    wanted: dict[str, None] = {}  # ordered set: the same label scanned twice counts once
    for code in codes:
        try:
            tag = tags.parse(code)
        except tags.TagError as error:
            failures.append({"tag": code, "status_code": 422, "detail": str(error)})
            continue
        wanted[tag] = None
    async with write_transaction():
        rows = await device_select().where(Device.tag.is_in(list(wanted))) if wanted else []
        by_tag = {row["tag"]: row for row in rows}
        accepted = []
        for tag in wanted:
            row = by_tag.get(tag)
            if row is None or not can_see_device(principal, state_of(row)):
                failures.append({"tag": tag, "status_code": 404, "detail": "Appareil inconnu."})
                continue
            try:
                check_transition(state_of(row), principal.actor, action)
            except WrongStatus as error:
                failures.append(_failure(tag, 409, error, row["status"]))
            except (RoleNotAllowed, NotYourDevice) as error:
                failures.append(_failure(tag, 403, error))
            else:
                accepted.append(row)
        if failures:
            codes_seen = {f["status_code"] for f in failures}
            status = 422 if codes_seen & {422, 404} else 403 if 403 in codes_seen else 409
            raise BatchRejected(
                f"Lot refusé : {len(failures)} étiquette(s) en défaut, rien n’a été modifié.",
                status,
                failures,
            )
        data, _ = await _checked_data(principal, action, payload)
        ids, issued = await _apply(principal, accepted, action, data, context)
        updated = await device_select().where(Device.id.is_in(ids)).order_by(Device.id)
        return {
            "action": action.value,
            "devices": [device_summary(row, principal) for row in updated],
            "certificate": issued[0].as_json() if issued else None,
            "certificates": [item.as_json() for item in issued],
        }
