"""Passwords and accounts: everyone's password page, the reset-link page, the coordination's
accounts page (deactivate, reactivate, issue a reset link shown once)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from collecte.documents.qr_svg import qr_svg
from collecte.domain.access import Principal
from collecte.domain.errors import Invalid
from collecte.i18n import msg, say
from collecte.services import accounts, sessions, totp, users
from collecte.web.auth import ALLOWED_WITH_PROVISIONAL_PASSWORD, PUBLIC
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.forms import integer
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import (
    PASSWORD_PAGE,
    home_for,
    require_principal,
    session_cookie,
)
from collecte.web.signin import client_address
from collecte.web.statuses import status_of

ACCOUNTS_PAGE = "/coordination/comptes"
# The page routes are already public to the bearer middleware; these also let a user whose
# password is provisional in (the password page is where `require_principal` sends them).
_PROVISIONAL_OK = {**PUBLIC, **ALLOWED_WITH_PROVISIONAL_PASSWORD}
_QR_TITLE = msg("QR code de la clé de double authentification")


async def password_page_with(
    request: Request[Any, Any, Any], principal: Principal, *, status_code: int = 200, **context: Any
) -> Template:
    """The account page: the password form, and the second factor's section for coordinators."""
    second_factor = await totp.state(principal)
    uri = second_factor["otpauth_uri"]
    return render(
        request,
        "session/password.html",
        status_code=status_code,
        principal=principal,
        required=bool(request.state.get("password_change_required")),
        second_factor=second_factor,
        totp_qr=qr_svg(uri, say(language_of(request), _QR_TITLE)) if uri else None,
        totp_done=request.query_params.get("totp"),
        **context,
    )


@get(PASSWORD_PAGE, name="password_page", opt=_PROVISIONAL_OK)
async def password_page(request: Request[Any, Any, Any]) -> Template:
    """Change one's password (where a provisional password sends its user); coordinators also
    manage their second factor here."""
    return await password_page_with(request, require_principal(request))


@post(PASSWORD_PAGE, name="change_password", opt=_PROVISIONAL_OK, status_code=303)
async def change_password(request: Request[Any, Any, Any]) -> Response[Any]:
    """Check the current password, set the new one; the user's other sessions end."""
    principal = require_principal(request)
    form = await request.form()
    new = str(form.get("new") or "")
    if new != str(form.get("confirm") or ""):
        return await password_page_with(
            request,
            principal,
            status_code=422,
            error=message_of(request, _mismatch()),
        )
    try:
        await users.change_password(
            principal,
            str(form.get("current") or ""),
            new,
            request.app.state.login_policy,
            client_address(request),
        )
    except PAGE_ERRORS as error:
        return await password_page_with(
            request, principal, status_code=status_of(error), error=message_of(request, error)
        )
    # Every session ended with the change, this one too: the browser gets a new one.
    ttl = timedelta(minutes=request.app.state.settings.token_ttl_minutes)
    opened = await sessions.open_session(principal, request.app.state.secret_key, ttl)
    return Redirect(
        home_for(principal),
        status_code=303,
        cookies=[session_cookie(request, opened.token, ttl)],
    )


def _mismatch() -> Invalid:
    return Invalid(
        msg("Les deux saisies du nouveau mot de passe diffèrent : retapez-le deux fois."),
        "confirm",
    )


@get(users.RESET_PATH + "{token:str}", name="reset_page")
async def reset_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    """The form a reset link opens; a used, expired or unknown link says so and what to do."""
    try:
        link = await users.reset_link_user(token)
    except PAGE_ERRORS as error:
        return render(
            request,
            "session/reset.html",
            status_code=status_of(error),
            token=None,
            error=message_of(request, error),
        )
    return render(request, "session/reset.html", token=token, email=link["email"])


@post(users.RESET_PATH + "{token:str}", name="reset_password", status_code=200)
async def reset_password(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    """Set the chosen password; every session of the user ends; then sign in with it."""
    form = await request.form()
    new = str(form.get("new") or "")
    try:
        if new != str(form.get("confirm") or ""):
            raise _mismatch()
        email = await users.reset_password(token, new)
    except PAGE_ERRORS as error:
        link_error = getattr(error, "field", None) == "token"
        return render(
            request,
            "session/reset.html",
            status_code=status_of(error),
            token=None if link_error else token,
            error=message_of(request, error),
        )
    return render(request, "session/reset.html", token=None, done=True, email=email)


async def _accounts_page(
    request: Request[Any, Any, Any], principal: Principal, *, status_code: int = 200, **context: Any
) -> Template:
    return render(
        request,
        "coordinator/accounts.html",
        status_code=status_code,
        principal=principal,
        accounts=await users.list_users(principal),
        organizations=await accounts.list_organizations(principal),
        **context,
    )


def _coordinator(request: Request[Any, Any, Any]) -> Principal:
    principal = require_principal(request)
    accounts.require_coordinator(principal)
    return principal


@get(ACCOUNTS_PAGE, name="accounts_page")
async def accounts_page(request: Request[Any, Any, Any]) -> Template:
    """Every account: who, which organisation, active or not, a provisional password or not."""
    return await _accounts_page(request, _coordinator(request))


@post(ACCOUNTS_PAGE + "/{user_id:int}/actif", name="set_active", status_code=200)
async def set_active(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Deactivate (its sessions end at once) or reactivate an account."""
    principal = _coordinator(request)
    form = await request.form()
    active = str(form.get("is_active") or "") == "1"
    try:
        await users.update_user(principal, user_id, {"is_active": active})
    except PAGE_ERRORS as error:
        return await _accounts_page(
            request, principal, status_code=status_of(error), error=message_of(request, error)
        )
    return Redirect(ACCOUNTS_PAGE, status_code=303)


@post(ACCOUNTS_PAGE + "/{user_id:int}/organisation", name="move_account", status_code=200)
async def move_account(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Response[Any]:
    """Move an account to another organisation (its role follows); its sessions end at once."""
    principal = _coordinator(request)
    form = await request.form()
    # Nothing chosen is a choice to make, not "no change".
    chosen = integer(form.get("organization_id")) or ""
    try:
        await users.update_user(principal, user_id, {"organization_id": chosen})
    except PAGE_ERRORS as error:
        return await _accounts_page(
            request, principal, status_code=status_of(error), error=message_of(request, error)
        )
    return Redirect(ACCOUNTS_PAGE, status_code=303)


@post(ACCOUNTS_PAGE + "/{user_id:int}/lien", name="issue_reset_link", status_code=200)
async def issue_reset_link(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template:
    """A one-time reset link, shown on this answer only, to copy and hand to the user."""
    principal = _coordinator(request)
    try:
        link = await users.issue_reset_link(
            principal, user_id, request.app.state.settings.public_url
        )
    except PAGE_ERRORS as error:
        return await _accounts_page(
            request, principal, status_code=status_of(error), error=message_of(request, error)
        )
    return await _accounts_page(request, principal, link=link)


ROUTES = [
    password_page,
    change_password,
    reset_page,
    reset_password,
    accounts_page,
    set_active,
    move_account,
    issue_reset_link,
]
