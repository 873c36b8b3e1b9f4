"""Bearer-token authentication for every route not marked public."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)

from collecte.auth.tokens import read_token
from collecte.domain.access import Principal
from collecte.domain.errors import Forbidden, Unauthenticated
from collecte.i18n import msg
from collecte.services.sessions import live_session

PUBLIC = {"exclude_from_auth": True}
# Routes a user whose password is provisional may still call: changing it, and leaving.
PROVISIONAL_OK = "provisional_password_ok"
ALLOWED_WITH_PROVISIONAL_PASSWORD = {PROVISIONAL_OK: True}


def password_change_required() -> Forbidden:
    """The refusal of everything but the password change to a provisional password."""
    return Forbidden(
        msg(
            "Mot de passe provisoire : choisissez votre propre mot de passe "
            "(POST /api/auth/password) avant de continuer."
        ),
        code="password_change_required",
    )


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Reads `Authorization: Bearer …`, then checks its session is live (one indexed read)."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                msg("Authentification requise : en-tête « Authorization: Bearer <jeton> »."),
                code="missing_token",
            )
        # An expired or forged token raises Unauthenticated, answered 401 in the reader's words;
        # so does one whose session ended (logout, deactivation, password change).
        claims = read_token(token.strip(), connection.app.state.secret_key)
        session = await live_session(claims.session, claims.principal.user_id)
        if session.password_change_required and not connection.route_handler.opt.get(
            PROVISIONAL_OK
        ):
            raise password_change_required()
        return AuthenticationResult(user=session.principal, auth=claims.session)


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in user of a request that passed the middleware."""
    user = request.user
    assert isinstance(user, Principal)
    return user


def session_of(request: Request[Any, Any, Any]) -> str:
    """The sign-in session key of a request that passed the middleware."""
    auth = request.auth
    assert isinstance(auth, str)
    return auth
