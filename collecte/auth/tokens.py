"""Bearer tokens: signed (HS256), expiring, naming their sign-in session (`sid`).

The signature and times say the token is genuine; whether its session is still live (not
ended by a logout, a deactivation or a password change) is the database's answer, asked on
every request by `collecte.services.sessions.live_session`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt

from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.errors import Unauthenticated
from collecte.domain.vocabulary import Role
from collecte.i18n import msg

_ALGORITHM = "HS256"
# Tokens whose signature was checked, kept per process: a scanner sends the same token with
# every scan, and checking the signature again costs more than the rest of the middleware.
# Only the signature is remembered (a pure function of token and secret, so every process
# computes the same); the times are checked on every request, and so is the session, in the
# database: a revocation must reach every process at once (docs/scale-out.md).
_VERIFIED_TOKENS = 4096


@dataclass(frozen=True)
class TokenClaims:
    """What a genuine, unexpired token says: who, and which sign-in session."""

    principal: Principal
    session: str


def issue_token(principal: Principal, secret: str, ttl: timedelta, session: str) -> str:
    """Return a signed token for `principal` in sign-in session `session`, valid for `ttl`."""
    issued = now()
    claims = {
        "sub": str(principal.user_id),
        "sid": session,
        "email": principal.email,
        "name": principal.full_name,
        "org": principal.organization_id,
        "org_name": principal.organization_name,
        "role": principal.role.value,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


@lru_cache(maxsize=_VERIFIED_TOKENS)
def _signed_claims(token: str, secret: str) -> tuple[TokenClaims, int, int | None, int | None]:
    """The claims and the times (exp, iat, nbf) of a token whose signature is good.

    Raises (and so caches nothing) for a bad signature or a malformed token.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=[_ALGORITHM],
        options={
            "require": ["exp", "sid"],
            "verify_exp": False,
            "verify_iat": False,
            "verify_nbf": False,
        },
    )
    principal = Principal(
        user_id=int(claims["sub"]),
        email=str(claims["email"]),
        full_name=str(claims["name"]),
        organization_id=int(claims["org"]),
        organization_name=str(claims["org_name"]),
        role=Role(claims["role"]),
    )
    session = claims["sid"]
    if not isinstance(session, str) or not session:
        raise ValueError("sid")
    iat, nbf = claims.get("iat"), claims.get("nbf")
    return (
        TokenClaims(principal, session),
        int(claims["exp"]),
        None if iat is None else int(iat),
        None if nbf is None else int(nbf),
    )


def read_token(token: str, secret: str) -> TokenClaims:
    """Return what a genuine, unexpired token says, or raise Unauthenticated.

    The session it names may have ended since: `live_session` asks the database.
    """
    try:
        claims, expires, issued, not_before = _signed_claims(token, secret)
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        raise Unauthenticated(
            msg("Jeton d’authentification invalide."), code="invalid_token"
        ) from None
    moment = time.time()
    if expires <= moment:
        raise Unauthenticated(msg("Session expirée : reconnectez-vous."), code="token_expired")
    if (issued is not None and issued > moment) or (not_before is not None and not_before > moment):
        raise Unauthenticated(msg("Jeton d’authentification invalide."), code="invalid_token")
    return claims
