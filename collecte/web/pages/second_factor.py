"""The « Double authentification » section of the account page: start (the key shown as a QR
code and as text), confirm with a code, turn off with a code. Coordinators only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, post
from litestar.response import Redirect

from collecte.domain.access import Principal
from collecte.services import totp
from collecte.web.pages.account import password_page_with
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.session import PASSWORD_PAGE, current_session, require_principal
from collecte.web.statuses import status_of

SECOND_FACTOR = PASSWORD_PAGE + "/double-authentification"


async def _act(
    request: Request[Any, Any, Any],
    step: Callable[[Principal, str], Awaitable[Any]],
    done: str,
) -> Response[Any]:
    """Run one step of the second factor with the form's code; back to the account page, with
    the step's message when it is refused."""
    principal = require_principal(request)
    form = await request.form()
    try:
        await step(principal, str(form.get("code") or ""))
    except PAGE_ERRORS as error:
        return await password_page_with(
            request,
            principal,
            status_code=status_of(error),
            totp_error=message_of(request, error),
        )
    return Redirect(PASSWORD_PAGE + done + "#double-authentification", status_code=303)


async def _start(principal: Principal, _: str) -> Any:
    return await totp.start_enrolment(principal)


@post(SECOND_FACTOR, name="start_totp", status_code=303)
async def start_totp(request: Request[Any, Any, Any]) -> Response[Any]:
    """A new key, pending: the account page then shows its QR code and the field for a code."""
    return await _act(request, _start, "")


@post(SECOND_FACTOR + "/confirmer", name="confirm_totp", status_code=303)
async def confirm_totp(request: Request[Any, Any, Any]) -> Response[Any]:
    """Turn the pending key on with a code of the app; the account's other sessions end."""

    async def confirm(principal: Principal, code: str) -> None:
        await totp.confirm_enrolment(principal, code, current_session(request))

    return await _act(request, confirm, "?totp=on")


@post(SECOND_FACTOR + "/desactiver", name="disable_totp", status_code=303)
async def disable_totp(request: Request[Any, Any, Any]) -> Response[Any]:
    """Turn the second factor off with a code of the app."""
    return await _act(request, totp.disable, "?totp=off")


ROUTES = [start_totp, confirm_totp, disable_totp]
