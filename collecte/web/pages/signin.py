"""Signing in and out of the pages, with the API's accounts and rate limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from collecte.domain.errors import TooManyAttempts, Unauthenticated, Unavailable
from collecte.services.accounts import login
from collecte.services.sessions import end_session, open_session
from collecte.web.pages.rendering import render
from collecte.web.pages.session import (
    PASSWORD_PAGE,
    current_principal,
    current_session,
    expired_session_cookie,
    home_for,
    safe_next,
    session_cookie,
)
from collecte.web.signin import client_address
from collecte.web.statuses import status_of

# The refusals that mean "the password was right: now the app's code".
SECOND_FACTOR_CODES = {"totp_required", "bad_totp"}


@get("/", name="home", sync_to_thread=False)
def home(request: Request[Any, Any, Any]) -> Redirect:
    """The user's own home page, or the sign-in page."""
    principal = current_principal(request)
    return Redirect(home_for(principal) if principal else "/connexion", status_code=303)


@get("/connexion", name="sign_in_page", sync_to_thread=False)
def sign_in_page(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Response:
    """The sign-in form; an already signed-in user goes straight on."""
    principal = current_principal(request)
    target = safe_next(next)
    if principal is not None:
        return Redirect(target or home_for(principal), status_code=303)
    return render(request, "session/sign_in.html", next=target or "", email="")


@post("/connexion", name="sign_in", status_code=303)
async def sign_in(request: Request[Any, Any, Any]) -> Response:
    """Check e-mail and password with the API's rules (and rate limit); set the session cookie."""
    form = await request.form()
    email = str(form.get("email") or "")
    target = safe_next(str(form.get("next") or ""))
    settings = request.app.state.settings
    policy = request.app.state.login_policy
    password = str(form.get("password") or "")
    code = str(form.get("totp") or "")
    try:
        principal = await login(email, password, policy, client_address(request), totp=code)
    except (Unauthenticated, TooManyAttempts, Unavailable) as error:
        status = status_of(error)
        # The code field appears once the server asks for it (or refused one); the password
        # is asked again, never written back into the page.
        page: Template = render(
            request,
            "session/sign_in.html",
            status_code=status,
            next=target or "",
            email=email,
            error=error.message,
            ask_totp=error.code in SECOND_FACTOR_CODES or bool(code),
        )
        return page
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    opened = await open_session(principal, request.app.state.secret_key, ttl)
    # A provisional password is replaced first; the change page then goes on to the home page.
    destination = PASSWORD_PAGE if opened.password_change_required else target
    return Redirect(
        destination or home_for(principal),
        status_code=303,
        cookies=[session_cookie(request, opened.token, ttl)],
    )


@post("/deconnexion", name="sign_out", status_code=303)
async def sign_out(request: Request[Any, Any, Any]) -> Redirect:
    """End the session (its token is refused from now on) and forget the cookie."""
    key = current_session(request)
    if key is not None:
        await end_session(key)
    return Redirect("/connexion", status_code=303, cookies=[expired_session_cookie(request)])


ROUTES = [home, sign_in_page, sign_in, sign_out]
