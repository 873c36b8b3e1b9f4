"""Bearer tokens: signed (HS256), expiring, carrying who the user is so no lookup is needed."""

from __future__ import annotations

from datetime import timedelta

import jwt

from collecte.access import Principal
from collecte.clock import now
from collecte.errors import Unauthenticated
from collecte.lifecycle import Role

_ALGORITHM = "HS256"


def issue_token(principal: Principal, secret: str, ttl: timedelta) -> str:
    """Return a signed token for `principal`, valid for `ttl`."""
    issued = now()
    claims = {
        "sub": str(principal.user_id),
        "email": principal.email,
        "name": principal.full_name,
        "org": principal.organization_id,
        "org_name": principal.organization_name,
        "role": principal.role.value,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(token: str, secret: str) -> Principal:
    """Return the principal a token carries, or raise Unauthenticated."""
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["exp"]})
        return Principal(
            user_id=int(claims["sub"]),
            email=str(claims["email"]),
            full_name=str(claims["name"]),
            organization_id=int(claims["org"]),
            organization_name=str(claims["org_name"]),
            role=Role(claims["role"]),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("Session expirée : reconnectez-vous.", code="token_expired") from None
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        raise Unauthenticated("Jeton d’authentification invalide.", code="invalid_token") from None
