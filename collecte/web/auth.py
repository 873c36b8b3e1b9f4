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
from collecte.domain.errors import Unauthenticated
from collecte.i18n import msg

PUBLIC = {"exclude_from_auth": True}


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Reads `Authorization: Bearer …`; the token carries the principal, no lookup needed."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                msg("Authentification requise : en-tête « Authorization: Bearer <jeton> »."),
                code="missing_token",
            )
        # An expired or forged token raises Unauthenticated, answered 401 in the reader's words.
        principal = read_token(token.strip(), connection.app.state.secret_key)
        return AuthenticationResult(user=principal, auth=token)


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in user of a request that passed the middleware."""
    user = request.user
    assert isinstance(user, Principal)
    return user
