"""Correcting typed data: a device's fields, an organisation's details. Each edit is recorded.

A device's edit is an `edit` event of its custody log (from = to = its status); an
organisation's edit is a row of `OrganizationEdit`. Issued certificates are stored bytes: a
correction never reaches them, they keep what they printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collecte.db.tables import Device, DeviceEvent, Organization, OrganizationEdit
from collecte.db.transactions import write_transaction
from collecte.domain import organization_input
from collecte.domain.access import Principal, can_see_device
from collecte.domain.clock import now
from collecte.domain.corrections import check_patch, device_changes
from collecte.domain.errors import Conflict, Forbidden, NotFound
from collecte.domain.vocabulary import EDIT_EVENT, Role
from collecte.i18n import msg
from collecte.services.accounts import organization_view, require_coordinator
from collecte.services.custody import event_fields
from collecte.services.devices import (
    get_device,
    load_device_row,
    not_visible,
    parse_code,
    state_of,
)


def may_edit_device(principal: Principal, donor_id: int) -> bool:
    """Whether `principal` may correct a device of `donor_id` (its donor, or a coordinator)."""
    if principal.role is Role.COORDINATOR:
        return True
    return principal.role is Role.DONOR and principal.organization_id == donor_id


def _unchanged(column: Any, value: Any) -> Any:
    return column.is_null() if value is None else column == value


async def edit_device(principal: Principal, code: object, data: object) -> dict[str, Any]:
    """Correct a device's fields; one `edit` event records each old → new (none if no change)."""
    tag = parse_code(code, "tag")
    async with write_transaction():
        row = await load_device_row(tag)
        if row is None or not can_see_device(principal, state_of(row)):
            raise not_visible(tag)
        if not may_edit_device(principal, row["donor"]):
            raise Forbidden(msg("Seuls le donateur et la coordination corrigent un appareil."))
        changes = device_changes(row, data)
        if changes:
            moment = now()
            # Compare and set: the old values the event records are the ones replaced.
            where = (Device.id == row["id"]) & (Device.status == row["status"])
            column = Device._meta.get_column_by_name
            for change in changes:
                where &= _unchanged(column(change["field"]), change["from"])
            values: dict[Any, Any] = {column(c["field"]): c["to"] for c in changes}
            values[Device.updated_at] = moment
            if not await Device.update(values).where(where).returning(Device.id):
                raise Conflict(
                    msg(
                        "L’appareil vient d’être modifié par ailleurs : rechargez-le et "
                        "recommencez."
                    ),
                    "tag",
                    code="edited_meanwhile",
                )
            await DeviceEvent.insert(
                DeviceEvent(
                    device=row["id"],
                    **event_fields(
                        principal,
                        EDIT_EVENT,
                        row["status"],
                        row["status"],
                        {"changes": changes},
                        moment,
                    ),
                )
            )
    return await get_device(principal, tag)


def _organization_not_found(organization_id: int) -> NotFound:
    return NotFound(
        msg("Organisation {organization_id} introuvable.", organization_id=organization_id),
        "organization_id",
    )


def organization_changes(current: Mapping[str, Any], data: object) -> list[dict[str, Any]]:
    """The changes `data` makes to an organisation: `[{"field", "from", "to"}]`, checked."""
    check_patch(
        data,
        organization_input.EDITABLE,
        {
            "kind": msg(
                "Le type d’une organisation ne se corrige pas : c’est le rôle de ses comptes."
            )
        },
    )
    assert isinstance(data, Mapping)
    changes = []
    for field in organization_input.EDITABLE:
        if field not in data:
            continue
        new = organization_input.clean(field, data[field])
        if new != current[field]:
            changes.append({"field": field, "from": current[field], "to": new})
    return changes


async def edit_organization(
    principal: Principal, organization_id: int, data: object
) -> dict[str, Any]:
    """Correct an organisation's details (coordinators); the audit log keeps each old → new."""
    require_coordinator(principal)
    async with write_transaction():
        row = await Organization.select().where(Organization.id == organization_id).first()
        if row is None:
            raise _organization_not_found(organization_id)
        changes = organization_changes(row, data)
        renamed = next((c["to"] for c in changes if c["field"] == "name"), None)
        if renamed is not None and await Organization.exists().where(
            (Organization.name == renamed) & (Organization.id != organization_id)
        ):
            raise Conflict(msg("Une organisation s’appelle déjà « {name} ».", name=renamed), "name")
        if changes:
            await Organization.update(
                {Organization._meta.get_column_by_name(c["field"]): c["to"] for c in changes}
            ).where(Organization.id == organization_id)
            await OrganizationEdit.insert(
                OrganizationEdit(
                    organization=organization_id,
                    actor_user=principal.user_id,
                    actor_name=principal.display_name,
                    actor_organization_name=principal.organization_name,
                    created_at=now(),
                    changes=changes,
                )
            )
            row = {**row, **{c["field"]: c["to"] for c in changes}}
    return organization_view(row)


def _edit_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["created_at"],
        "actor": {
            "user_id": row["actor_user"],
            "name": row["actor_name"],
            "organization_name": row["actor_organization_name"],
        },
        "changes": row["changes"],
    }


async def organization_history(principal: Principal, organization_id: int) -> list[dict[str, Any]]:
    """Every correction of an organisation, oldest first (coordinators)."""
    require_coordinator(principal)
    if not await Organization.exists().where(Organization.id == organization_id):
        raise _organization_not_found(organization_id)
    rows = (
        await OrganizationEdit.select()
        .where(OrganizationEdit.organization == organization_id)
        .order_by(OrganizationEdit.id)
        .output(load_json=True)
    )
    return [_edit_view(row) for row in rows]
