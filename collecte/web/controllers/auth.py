"""Signing in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, post
from litestar.params import JSONBody

from collecte.auth.tokens import issue_token
from collecte.services.accounts import login
from collecte.web.auth import PUBLIC
from collecte.web.responses import TokenOut
from collecte.web.schemas import LoginIn
from collecte.web.signin import client_address


@post("/api/auth/login", opt=PUBLIC, tags=["auth"], status_code=200, summary="Sign in")
async def sign_in(request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> TokenOut:
    """Exchange e-mail and password for a bearer token; repeated failures answer 429."""
    settings = request.app.state.settings
    policy = request.app.state.login_policy
    principal = await login(data.email, data.password, policy, client_address(request))
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    return TokenOut(
        access_token=issue_token(principal, request.app.state.secret_key, ttl),
        token_type="bearer",
        expires_in=int(ttl.total_seconds()),
        role=principal.role,
        organization_id=principal.organization_id,
        user_id=principal.user_id,
    )
