"""Organisations and users (coordinators)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, QueryParameter

from collecte.services import accounts
from collecte.web.auth import principal_of
from collecte.web.responses import OrganizationOut, UserOut
from collecte.web.schemas import Kind, OrganizationIn, UserIn


@post("/api/organizations", tags=["organizations"], summary="Create an organisation")
async def create_organization(
    request: Request[Any, Any, Any], data: JSONBody[OrganizationIn]
) -> OrganizationOut:
    """Coordinators only."""
    created = await accounts.create_organization(
        principal_of(request), msgspec.structs.asdict(data)
    )
    return msgspec.convert(created, OrganizationOut)


@get("/api/organizations", tags=["organizations"], summary="List organisations")
async def list_organizations(
    request: Request[Any, Any, Any],
    kind: Annotated[Kind | None, QueryParameter(required=False)] = None,
) -> list[OrganizationOut]:
    """Coordinators only; `?kind=` filters."""
    found = await accounts.list_organizations(principal_of(request), kind)
    return msgspec.convert(found, list[OrganizationOut])


@post("/api/users", tags=["users"], summary="Create a user")
async def create_user(request: Request[Any, Any, Any], data: JSONBody[UserIn]) -> UserOut:
    """Coordinators only; the role is the organisation's kind."""
    created = await accounts.create_user(principal_of(request), msgspec.structs.asdict(data))
    return msgspec.convert(created, UserOut)
