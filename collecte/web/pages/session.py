"""Page sessions: the API's signed token kept in an HttpOnly cookie.

Page routes skip the bearer middleware (`opt=PUBLIC`); `load_session`, run before each page,
reads the cookie and checks its session is live in the database, as the middleware does for the
API. A page that needs a signed-in user calls `require_principal`, which sends everyone else to
`/connexion?next=…`, and a user whose password is provisional to `/mot-de-passe`.
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
from collecte.services.sessions import live_session
from collecte.web.auth import PROVISIONAL_OK

SESSION_COOKIE = "collecte_session"
# Under HTTPS the cookie is `__Host-` prefixed: browsers then accept it only Secure, on path /
# and without Domain, so neither a sibling sub-domain nor plain HTTP can plant or overwrite it.
# (Browsers refuse such a cookie without Secure, so plain-HTTP development keeps the bare name.)
SECURE_SESSION_COOKIE = "__Host-collecte_session"
PASSWORD_PAGE = "/mot-de-passe"
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


class PasswordChangeRequired(Exception):
    """The user signed in with a provisional password: they choose their own first."""


async def load_session(request: Request[Any, Any, Any]) -> None:
    """Before each page: the cookie's user if its session is live (one indexed read), or none.

    Kept on the request's state, where `current_principal` and `require_principal` read it.
    """
    request.state.principal = None
    request.state.session_key = None
    request.state.password_change_required = False
    token = request.cookies.get(session_cookie_name(request))
    if not token:
        return
    try:
        claims = read_token(token, request.app.state.secret_key)
        session = await live_session(claims.session, claims.principal.user_id)
    except Unauthenticated:
        return
    request.state.principal = session.principal
    request.state.session_key = claims.session
    request.state.password_change_required = session.password_change_required


def current_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The user signed in by the session cookie, or None (no cookie, expired, forged, ended)."""
    principal = request.state.get("principal")
    return principal if isinstance(principal, Principal) else None


def current_session(request: Request[Any, Any, Any]) -> str | None:
    """The key of the live session the cookie names, if any."""
    key = request.state.get("session_key")
    return key if isinstance(key, str) else None


def require_principal(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in user; otherwise raise SignInRequired to come back to this page.

    A user with a provisional password is sent to change it, except on the pages that allow it.
    """
    principal = current_principal(request)
    if principal is None:
        raise SignInRequired(_back_to(request))
    if request.state.get("password_change_required") and not request.route_handler.opt.get(
        PROVISIONAL_OK
    ):
        raise PasswordChangeRequired()
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
