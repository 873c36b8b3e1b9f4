"""Sign-in sessions kept in the database, so ending one refuses its token at once everywhere.

A token names its session (`sid`); every authenticated request, API or page, reads that
session with its user and organisation in one statement on the session's unique key. The
principal comes from that row, not from the token, so a renamed user is named right at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collecte.auth.tokens import issue_token
from collecte.db.engine import backend, fetch
from collecte.db.tables import PasswordReset, User, UserSession
from collecte.db.transactions import write_transaction
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.errors import Unauthenticated
from collecte.domain.vocabulary import Role, SecurityEvent, SessionEnd
from collecte.i18n import msg
from collecte.services.security_log import record

_LOOKUP = """
SELECT a.id AS user_id, a.email, a.full_name, a.is_active, a.password_provisional,
       o.id AS organization_id, o.name AS organization_name, o.kind AS role,
       s.expires_at, s.ended_at
FROM user_session s
JOIN account a ON a.id = s.account
JOIN organization o ON o.id = a.organization
WHERE s.key = {}
"""
_LOOKUP_POSTGRES = _LOOKUP.replace("{}", "$1")


@dataclass(frozen=True)
class LiveSession:
    """The user of a live session, and whether they must change a provisional password."""

    principal: Principal
    password_change_required: bool


@dataclass(frozen=True)
class Opened:
    """A new session's signed token, and whether the user must first change their password."""

    token: str
    password_change_required: bool


async def open_session(principal: Principal, secret: str, ttl: timedelta) -> Opened:
    """Record a new session for `principal` and return its signed token, valid for `ttl`."""
    key = secrets.token_urlsafe(32)
    created = now()
    async with write_transaction():
        await UserSession.insert(
            UserSession(
                key=key,
                account=principal.user_id,
                created_at=created,
                expires_at=created + ttl,
            )
        )
        row = (
            await User.select(User.password_provisional).where(User.id == principal.user_id).first()
        )
    provisional = bool(row and row["password_provisional"])
    return Opened(issue_token(principal, secret, ttl, key), provisional)


def _session_ended() -> Unauthenticated:
    return Unauthenticated(
        msg("Session terminée (déconnexion ou compte modifié) : reconnectez-vous."),
        code="session_ended",
    )


async def _lookup(key: str) -> dict[str, Any] | None:
    if backend() == "postgres":
        records = await fetch(_LOOKUP_POSTGRES, key)
        return dict(records[0]) if records else None
    rows = await UserSession.raw(_LOOKUP, key)
    return rows[0] if rows else None


def _moment(value: Any) -> datetime:
    # SQLite hands back what Piccolo stored; PostgreSQL a datetime.
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def live_session(key: str, user_id: int) -> LiveSession:
    """The session `key` of user `user_id` if it is live and the user active; else 401."""
    row = await _lookup(key)
    if (
        row is None
        or row["user_id"] != user_id
        or row["ended_at"] is not None
        or not row["is_active"]
        or _moment(row["expires_at"]) <= now()
    ):
        raise _session_ended()
    principal = Principal(
        user_id=row["user_id"],
        email=row["email"],
        full_name=row["full_name"],
        organization_id=row["organization_id"],
        organization_name=row["organization_name"],
        role=Role(row["role"]),
    )
    return LiveSession(principal, bool(row["password_provisional"]))


async def end_session(key: str, reason: SessionEnd = SessionEnd.LOGOUT) -> None:
    """End one session (a logout, kept in the security log); ending an ended one changes
    nothing."""
    async with write_transaction():
        ended = await (
            UserSession.update({UserSession.ended_at: now(), UserSession.end_reason: reason.value})
            .where((UserSession.key == key) & UserSession.ended_at.is_null())
            .returning(UserSession.account)
        )
        if ended:
            row = await User.select(User.email).where(User.id == ended[0]["account"]).first()
            await record(SecurityEvent.SIGN_OUT, row["email"] if row else "")


async def end_user_sessions(user_id: int, reason: SessionEnd, keep: str | None = None) -> None:
    """End every live session of a user, but `keep` (the session acting, when it stays);
    call it inside the transaction that changes them."""
    which = (UserSession.account == user_id) & UserSession.ended_at.is_null()
    if keep is not None:
        which &= UserSession.key != keep
    await UserSession.update(
        {UserSession.ended_at: now(), UserSession.end_reason: reason.value}
    ).where(which)


async def end_all_sessions(reason: SessionEnd) -> int:
    """End every live session (the signing key changed); inside the caller's transaction."""
    ended = await (
        UserSession.update({UserSession.ended_at: now(), UserSession.end_reason: reason.value})
        .where(UserSession.ended_at.is_null())
        .returning(UserSession.id)
    )
    return len(ended)


async def purge_sessions(before: datetime) -> int:
    """Delete the sessions expired or ended, and the reset links expired, before `before`;
    return how many sessions went."""
    async with write_transaction():
        await PasswordReset.delete().where(PasswordReset.expires_at < before)
        gone = await (
            UserSession.delete()
            .where(
                (UserSession.expires_at < before)
                | (UserSession.ended_at.is_not_null() & (UserSession.ended_at < before))
            )
            .returning(UserSession.id)
        )
    return len(gone)
