"""Accounts: who sees whom, and what the coordination manages."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, patch, post
from litestar.params import JSONBody, PathParameter

from collecte.services import users
from collecte.web.auth import principal_of
from collecte.web.responses import ResetLinkOut, UserOut
from collecte.web.schemas import MAX_ID, UserPatchIn

UserId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@get("/api/users", tags=["users"], summary="List users")
async def list_users(request: Request[Any, Any, Any]) -> list[UserOut]:
    """The coordination sees every account; anyone else those of their organisation."""
    found = await users.list_users(principal_of(request))
    return msgspec.convert(found, list[UserOut])


@patch("/api/users/{user_id:int}", tags=["users"], summary="Change a user")
async def update_user(
    request: Request[Any, Any, Any], user_id: UserId, data: JSONBody[UserPatchIn]
) -> UserOut:
    """Coordination only: `is_active` (false ends the user's sessions), `full_name`, and
    `organization_id` (a move to another organisation, hence role: the user's sessions end)."""
    changed = await users.update_user(principal_of(request), user_id, msgspec.structs.asdict(data))
    return msgspec.convert(changed, UserOut)


@post("/api/users/{user_id:int}/reset", tags=["users"], summary="Issue a password reset link")
async def issue_reset_link(request: Request[Any, Any, Any], user_id: UserId) -> ResetLinkOut:
    """Coordination only: a one-time link valid 24 hours, to hand to the user; shown once."""
    link = await users.issue_reset_link(
        principal_of(request), user_id, request.app.state.settings.public_url
    )
    return msgspec.convert(link, ResetLinkOut)
