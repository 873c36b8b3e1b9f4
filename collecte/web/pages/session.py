"""Page sessions: the API's signed token kept in an HttpOnly cookie.

Page routes skip the bearer middleware (`opt=PUBLIC`) and read the cookie here; a page that needs
a signed-in user calls `require_principal`, which sends everyone else to `/connexion?next=…`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.datastructures import Cookie

from collecte.auth.tokens import read_token
from collecte.domain.access import Principal
from collecte.domain.errors import Unauthenticated
from collecte.domain.vocabulary import Role

SESSION_COOKIE = "collecte_session"
# Under HTTPS the cookie is `__Host-` prefixed: browsers then accept it only Secure, on path /
# and without Domain, so neither a sibling sub-domain nor plain HTTP can plant or overwrite it.
# (Browsers refuse such a cookie without Secure, so plain-HTTP development keeps the bare name.)
SECURE_SESSION_COOKIE = "__Host-collecte_session"
_HOMES = {
    Role.DONOR: "/dons",
    Role.RECONDITIONER: "/atelier",
    Role.ASSOCIATION: "/association",
    Role.COORDINATOR: "/coordination",
}


class SignInRequired(Exception):
    """The page needs a signed-in user; `next` is where to come back to."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def current_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The user signed in by the session cookie, or None (no cookie, expired or forged)."""
    token = request.cookies.get(session_cookie_name(request))
    if not token:
        return None
    try:
        return read_token(token, request.app.state.secret_key)
    except Unauthenticated:
        return None


def require_principal(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in user; otherwise raise SignInRequired to come back to this page."""
    principal = current_principal(request)
    if principal is None:
        raise SignInRequired(_back_to(request))
    return principal


def _back_to(request: Request[Any, Any, Any]) -> str:
    """The page to come back to: this one, or for a form sent after the session ended, its page."""
    if request.method == "GET":
        query = request.url.query
        return f"{request.url.path}?{query}" if query else request.url.path
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path:
        return f"{referer.path}?{referer.query}" if referer.query else referer.path
    return "/"


def sign_in_url(next_path: str) -> str:
    """The sign-in page, coming back to `next_path` afterwards."""
    return f"/connexion?next={quote(next_path, safe='/')}"


def safe_next(value: str | None) -> str | None:
    """`value` if it is a path on this site (no scheme, no host, no `//`), else None."""
    if not value or len(value) > 1000 or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or any(ord(char) < 32 for char in value):
        return None
    return value


def home_for(principal: Principal) -> str:
    """The page a user lands on after signing in."""
    return _HOMES[principal.role]


def secure_cookies(request: Request[Any, Any, Any]) -> bool:
    """Whether cookies get the Secure flag: when the public address is HTTPS."""
    return str(request.app.state.settings.public_url).startswith("https://")


def session_cookie_name(request: Request[Any, Any, Any]) -> str:
    """The session cookie's name: `__Host-` prefixed when the site is served over HTTPS."""
    return SECURE_SESSION_COOKIE if secure_cookies(request) else SESSION_COOKIE


def session_cookie(request: Request[Any, Any, Any], token: str, ttl: timedelta) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when the site is served over HTTPS."""
    return Cookie(
        key=session_cookie_name(request),
        value=token,
        path="/",
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def expired_session_cookie(request: Request[Any, Any, Any]) -> Cookie:
    """A cookie that makes the browser forget the session."""
    return Cookie(
        key=session_cookie_name(request),
        value="",
        path="/",
        max_age=0,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
