"""Pickups (enlèvements): open, list, look at expected vs received, close with a signature."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from collecte.services import pickups, reconciliation
from collecte.services.transitions import Context
from collecte.web.auth import principal_of
from collecte.web.pickup_responses import (
    PickupClosedOut,
    PickupCloseIn,
    PickupDetailOut,
    PickupIn,
    PickupOut,
    ReconciledOut,
)
from collecte.web.schemas import MAX_ID, Lang, PickupStatusName

PickupId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@post("/api/pickups", tags=["pickups"], summary="Open a pickup for a donation")
async def open_pickup(request: Request[Any, Any, Any], data: JSONBody[PickupIn]) -> PickupOut:
    """A reconditioner for itself, or the coordinator naming the workshop; 409 when one is
    already open for that donation and workshop."""
    opened = await pickups.open_pickup(
        principal_of(request), data.donation_id, data.reconditioner_id
    )
    return msgspec.convert(opened, PickupOut)


@get("/api/pickups", tags=["pickups"], summary="List pickups")
async def list_pickups(
    request: Request[Any, Any, Any],
    status: Annotated[PickupStatusName | None, QueryParameter(required=False)] = None,
    donation_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, required=False)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500, required=False)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000, required=False)] = 0,
) -> list[PickupOut]:
    """Donors see theirs, workshops theirs, the coordination all; newest first."""
    found = await pickups.list_pickups(principal_of(request), status, donation_id, limit, offset)
    return msgspec.convert(found, list[PickupOut])


@get("/api/pickups/{pickup_id:int}", tags=["pickups"], summary="One pickup, expected vs received")
async def get_pickup(request: Request[Any, Any, Any], pickup_id: PickupId) -> PickupDetailOut:
    """The devices collected in it, and which the workshop has received."""
    found = await pickups.get_pickup(principal_of(request), pickup_id)
    return msgspec.convert(found, PickupDetailOut)


@post(
    "/api/pickups/{pickup_id:int}/close",
    tags=["pickups"],
    status_code=200,
    summary="Close a pickup: one donation attestation for its devices",
)
async def close_pickup(
    request: Request[Any, Any, Any],
    pickup_id: PickupId,
    data: JSONBody[PickupCloseIn],
    lang: Annotated[
        Lang | None,
        QueryParameter(required=False, description="Certificate language: fr (default) or en"),
    ] = None,
) -> PickupClosedOut:
    """The pickup's workshop or the coordinator; the donor's representative signs (`name`, and
    `image`, a PNG data URL of at most 100 KB, drawn on screen)."""
    closed = await pickups.close_pickup(
        principal_of(request),
        pickup_id,
        msgspec.to_builtins(data),
        request.app.state.settings,
        lang,
    )
    return msgspec.convert(closed, PickupClosedOut)


@post(
    "/api/pickups/{pickup_id:int}/reconcile",
    tags=["pickups"],
    status_code=200,
    summary="Report missing every device of a pickup the workshop has not received",
)
async def reconcile_pickup(request: Request[Any, Any, Any], pickup_id: PickupId) -> ReconciledOut:
    """The pickup's workshop or the coordinator: every device collected in it and not received
    yet becomes `missing`, in one transaction; the answer lists their tags."""
    context = Context(request.app.state.settings, None)
    found = await reconciliation.reconcile_pickup(principal_of(request), pickup_id, context)
    return msgspec.convert(found, ReconciledOut)
