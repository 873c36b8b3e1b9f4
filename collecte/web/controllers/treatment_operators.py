"""Treatment operators: the list recyclings choose their channel from (coordinators)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from collecte.services import treatment_operators
from collecte.web.auth import principal_of
from collecte.web.openapi_bodies import json_body
from collecte.web.responses import TreatmentOperatorOut
from collecte.web.schemas import MAX_ID, TreatmentOperatorEdit, TreatmentOperatorIn

PositiveId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@get("/api/treatment-operators", tags=["treatment operators"], summary="List treatment operators")
async def list_operators(
    request: Request[Any, Any, Any],
    active: Annotated[bool | None, QueryParameter(required=False)] = None,
) -> list[TreatmentOperatorOut]:
    """Coordinators only, by name; `?active=true` (or false) filters."""
    found = await treatment_operators.list_operators(principal_of(request), active)
    return msgspec.convert(found, list[TreatmentOperatorOut])


@post("/api/treatment-operators", tags=["treatment operators"], summary="Add a treatment operator")
async def create_operator(
    request: Request[Any, Any, Any], data: JSONBody[TreatmentOperatorIn]
) -> TreatmentOperatorOut:
    """Coordinators only; a name already in the list (case aside) is a 409."""
    created = await treatment_operators.create_operator(
        principal_of(request), msgspec.structs.asdict(data)
    )
    return msgspec.convert(created, TreatmentOperatorOut)


@patch(
    "/api/treatment-operators/{operator_id:int}",
    tags=["treatment operators"],
    summary="Edit or deactivate a treatment operator",
    operation_class=json_body(TreatmentOperatorEdit, minProperties=1),
)
async def edit_operator(
    request: Request[Any, Any, Any],
    operator_id: PositiveId,
    data: JSONBody[dict[str, Any]],
) -> TreatmentOperatorOut:
    """Coordinators only: name, authorization_number, address, is_active. Certificates already
    issued keep what they printed."""
    found = await treatment_operators.update_operator(principal_of(request), operator_id, data)
    return msgspec.convert(found, TreatmentOperatorOut)
