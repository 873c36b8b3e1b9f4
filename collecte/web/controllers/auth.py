"""Signing in and out, changing one's password, and using a reset link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, post
from litestar.params import JSONBody

from collecte.domain.access import Principal
from collecte.services import sessions, totp, users
from collecte.services.accounts import login
from collecte.web.auth import (
    ALLOWED_WITH_PROVISIONAL_PASSWORD,
    PUBLIC,
    principal_of,
    session_of,
)
from collecte.web.responses import TokenOut, TotpEnrolmentOut
from collecte.web.schemas import LoginIn, PasswordChangeIn, PasswordResetIn, TotpCodeIn
from collecte.web.signin import client_address


async def _new_session(request: Request[Any, Any, Any], principal: Principal) -> TokenOut:
    """Open a session for `principal` and answer its token (sign-in, password change)."""
    ttl = timedelta(minutes=request.app.state.settings.token_ttl_minutes)
    opened = await sessions.open_session(principal, request.app.state.secret_key, ttl)
    return TokenOut(
        access_token=opened.token,
        token_type="bearer",
        expires_in=int(ttl.total_seconds()),
        role=principal.role,
        organization_id=principal.organization_id,
        user_id=principal.user_id,
        password_change_required=opened.password_change_required,
    )


@post("/api/auth/login", opt=PUBLIC, tags=["auth"], status_code=200, summary="Sign in")
async def sign_in(request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> TokenOut:
    """Exchange e-mail and password for a bearer token; repeated failures answer 429.

    With `password_change_required`, the token serves only to change the password or sign out.
    An account with the second factor on also needs `totp`: without it 401 `totp_required`,
    wrong or already used 401 `bad_totp` (both count as failed attempts).
    """
    policy = request.app.state.login_policy
    principal = await login(
        data.email, data.password, policy, client_address(request), totp=data.totp
    )
    return await _new_session(request, principal)


@post(
    "/api/auth/logout",
    opt=ALLOWED_WITH_PROVISIONAL_PASSWORD,
    tags=["auth"],
    status_code=204,
    summary="Sign out",
)
async def sign_out(request: Request[Any, Any, Any]) -> None:
    """End this token's session: it is refused from now on, by every process."""
    await sessions.end_session(session_of(request))


@post(
    "/api/auth/password",
    opt=ALLOWED_WITH_PROVISIONAL_PASSWORD,
    tags=["auth"],
    status_code=200,
    summary="Change my password",
)
async def change_password(
    request: Request[Any, Any, Any], data: JSONBody[PasswordChangeIn]
) -> TokenOut:
    """Check `current`, set `new`; every session of the user ends, this answer brings a new one."""
    principal = principal_of(request)
    policy = request.app.state.login_policy
    await users.change_password(principal, data.current, data.new, policy, client_address(request))
    return await _new_session(request, principal)


@post(
    "/api/auth/reset",
    opt=PUBLIC,
    tags=["auth"],
    status_code=204,
    summary="Choose a new password with a reset link",
)
async def reset_password(data: JSONBody[PasswordResetIn]) -> None:
    """`token` is the end of the link's address; a used or expired link answers 409."""
    await users.reset_password(data.token, data.new)


@post("/api/auth/totp", tags=["auth"], status_code=200, summary="Start the second factor")
async def start_totp(request: Request[Any, Any, Any]) -> TotpEnrolmentOut:
    """A new key for the authenticator app (coordinators), pending until a code confirms it;
    409 while the second factor is on."""
    return TotpEnrolmentOut(**await totp.start_enrolment(principal_of(request)))


@post(
    "/api/auth/totp/confirm",
    tags=["auth"],
    status_code=204,
    summary="Turn the second factor on",
)
async def confirm_totp(request: Request[Any, Any, Any], data: JSONBody[TotpCodeIn]) -> None:
    """Turn the pending key on with a code the app computed from it (wrong: 422 `code`); every
    other session of the account ends, this one goes on."""
    await totp.confirm_enrolment(principal_of(request), data.code, session_of(request))


@post(
    "/api/auth/totp/disable",
    tags=["auth"],
    status_code=204,
    summary="Turn the second factor off",
)
async def disable_totp(request: Request[Any, Any, Any], data: JSONBody[TotpCodeIn]) -> None:
    """Turn the second factor off with a valid code of the current key (wrong: 422 `code`)."""
    await totp.disable(principal_of(request), data.code)
