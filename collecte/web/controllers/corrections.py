"""Corrections of typed data: a device's fields, an organisation's details, an empty donation."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, patch
from litestar.params import JSONBody, PathParameter

from collecte.services import corrections, donations
from collecte.web.auth import principal_of
from collecte.web.correction_responses import OrganizationEditOut
from collecte.web.openapi_bodies import json_body
from collecte.web.responses import DeviceOut, OrganizationOut
from collecte.web.schemas import MAX_ID, DeviceEdit, OrganizationEdit, Tag

PositiveId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@patch(
    "/api/devices/{tag:str}",
    tags=["devices"],
    summary="Correct a device's fields",
    operation_class=json_body(DeviceEdit),
)
async def edit_device(
    request: Request[Any, Any, Any],
    tag: Tag,
    data: JSONBody[dict[str, Any]],
) -> DeviceOut:
    """Its donor or a coordinator. The body holds only the fields to correct (the device
    fields but `tag`; null clears an optional one). Appends an `edit` event recording each
    field's old and new value; a body that changes nothing answers 200 without an event.
    Issued certificates keep what they printed."""
    found = await corrections.edit_device(principal_of(request), tag, data)
    return msgspec.convert(found, DeviceOut)


@patch(
    "/api/organizations/{organization_id:int}",
    tags=["organizations"],
    summary="Correct an organisation's details",
    operation_class=json_body(OrganizationEdit, minProperties=1),
)
async def edit_organization(
    request: Request[Any, Any, Any],
    organization_id: PositiveId,
    data: JSONBody[dict[str, Any]],
) -> OrganizationOut:
    """Coordinators only: name, short_name, ridet, email, phone, address, city, language (not
    kind). Each change is kept in the organisation's history."""
    found = await corrections.edit_organization(principal_of(request), organization_id, data)
    return msgspec.convert(found, OrganizationOut)


@get(
    "/api/organizations/{organization_id:int}/history",
    tags=["organizations"],
    summary="An organisation's corrections",
)
async def organization_history(
    request: Request[Any, Any, Any], organization_id: PositiveId
) -> list[OrganizationEditOut]:
    """Coordinators only: every correction, oldest first, with who, when and old → new."""
    found = await corrections.organization_history(principal_of(request), organization_id)
    return msgspec.convert(found, list[OrganizationEditOut])


@delete("/api/donations/{donation_id:int}", tags=["donations"], summary="Delete an empty donation")
async def delete_donation(request: Request[Any, Any, Any], donation_id: PositiveId) -> None:
    """Its donor or a coordinator, only while it has no device (409 otherwise) → 204."""
    await donations.delete_donation(principal_of(request), donation_id)
