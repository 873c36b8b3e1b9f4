"""Moving devices through the lifecycle, one at a time or as an all-or-nothing batch.

Each call is one transaction: the status update is conditioned on the status the rules were
checked against (`UPDATE … WHERE status = expected`), so two scanners racing on one device give
one success and one 409, never two events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collecte import tags
from collecte.access import Principal, can_see_device
from collecte.clock import now
from collecte.db import write_transaction
from collecte.errors import BatchRejected, Conflict, Invalid, NotFound
from collecte.lifecycle import (
    Action,
    LifecycleError,
    NotYourDevice,
    Role,
    RoleNotAllowed,
    Status,
    WrongStatus,
    check_transition,
    parse_action,
    validate_data,
)
from collecte.services.certificates import LANGUAGES, Issued, issue_for_transition
from collecte.services.devices import (
    device_select,
    device_summary,
    device_view,
    parse_code,
    state_of,
)
from collecte.settings import Settings
from collecte.tables import Device, DeviceEvent, Organization

# The organisation an action's data points at, and the kind it must be.
_TARGETS = {
    "reconditioner_id": Role.RECONDITIONER,
    "association_id": Role.ASSOCIATION,
}


async def _check_targets(data: dict[str, Any]) -> None:
    for field, kind in _TARGETS.items():
        target = data.get(field)
        if target is None:
            continue
        row = await Organization.select(Organization.kind).where(Organization.id == target).first()
        if row is None or row["kind"] != kind.value:
            raise Invalid(f"Le champ « {field} » ne désigne pas un(e) {kind.value}.", field)


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


def _event(
    principal: Principal,
    device_id: int,
    action: Action,
    from_status: Status,
    to_status: Status,
    data: dict[str, Any],
    at: datetime,
    certificate_number: str | None = None,
) -> DeviceEvent:
    return DeviceEvent(
        device=device_id,
        action=action.value,
        from_status=from_status.value,
        to_status=to_status.value,
        actor_user=principal.user_id,
        actor_name=principal.display_name,
        actor_organization=principal.organization_id,
        actor_organization_name=principal.organization_name,
        actor_role=principal.role.value,
        created_at=at,
        data=data,
        certificate_number=certificate_number,
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
            lost = sorted(set(ids) - {r["id"] for r in updated})
            current = await Device.select(Device.tag, Device.status).where(Device.id.is_in(lost))
            detail = ", ".join(f"{tags.display(r['tag'])} ({r['status']})" for r in current)
            raise Conflict(
                f"Un autre scan vient de modifier : {detail}. Rien n’a été enregistré.",
                "tags",
                code="wrong_status",
                current_status=current[0]["status"] if current else None,
            )
    issued = await issue_for_transition(
        principal, action, rows, data, at, context.settings, context.language
    )
    number_of = {device_id: item.number for item in issued for device_id in item.device_ids}
    await DeviceEvent.insert(
        *[
            _event(
                principal,
                row["id"],
                action,
                Status(row["status"]),
                targets[row["id"]],
                data,
                at,
                number_of.get(row["id"]),
            )
            for row in rows
        ]
    )
    return [row["id"] for row in rows], issued


async def _checked_data(
    principal: Principal, action: Action, payload: dict[str, Any]
) -> dict[str, Any]:
    """The action's cleaned data, checked after the rules so 403/409 come before 422."""
    data = validate_data(action, payload, principal.actor)
    await _check_targets(data)
    return data


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise Invalid("Le paramètre « lang » doit valoir fr ou en.", "lang")


async def transition_device(
    principal: Principal, code: str, payload: dict[str, Any], context: Context
) -> dict[str, Any]:
    """Perform one action on one device; return the device as it now is, and its certificate."""
    _check_language(context.language)
    tag = parse_code(code, "tag")
    action = parse_action(payload.get("action"))
    async with write_transaction():
        row = await device_select().where(Device.tag == tag).first()
        if row is None or not can_see_device(principal, state_of(row)):
            raise NotFound(f"Aucun appareil visible avec l’étiquette {tags.display(tag)}.", "tag")
        check_transition(state_of(row), principal.actor, action)
        data = await _checked_data(principal, action, payload)
        _, issued = await _apply(principal, [row], action, data, context)
        updated = await device_select().where(Device.id == row["id"]).first()
        assert updated is not None
        view = await device_view(updated, principal)
        return {**view, "certificate": issued[0].as_json() if issued else None}


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
        data = await _checked_data(principal, action, payload)
        ids, issued = await _apply(principal, accepted, action, data, context)
        updated = await device_select().where(Device.id.is_in(ids)).order_by(Device.id)
        return {
            "action": action.value,
            "devices": [device_summary(row, principal) for row in updated],
            "certificate": issued[0].as_json() if issued else None,
            "certificates": [item.as_json() for item in issued],
        }
