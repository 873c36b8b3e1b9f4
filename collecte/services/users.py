"""Managing accounts: who sees whom, deactivation, password changes and one-time reset links.

Every change that should cut a user off (deactivation, a new password) ends that user's
sessions in the same transaction, so their tokens are refused from the next request on.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import anyio

from collecte.auth.passwords import hash_password
from collecte.db.tables import Organization, PasswordReset, User
from collecte.db.transactions import write_transaction
from collecte.domain import text
from collecte.domain.access import Principal
from collecte.domain.actions import MAX_ID
from collecte.domain.clock import now
from collecte.domain.errors import Conflict, Invalid, NotFound
from collecte.domain.passwords import check_new_password
from collecte.domain.vocabulary import Role, SecurityEvent, SessionEnd
from collecte.i18n import Message, msg
from collecte.services.accounts import (
    LoginPolicy,
    confirm_password,
    require_coordinator,
    role_detail,
)
from collecte.services.security_log import record
from collecte.services.sessions import end_user_sessions

RESET_LINK_TTL = timedelta(hours=24)
RESET_PATH = "/mot-de-passe/lien/"
_USER_COLUMNS = (
    User.id,
    User.email,
    User.full_name,
    User.organization.kind.as_alias("role"),
    User.organization.id.as_alias("organization_id"),
    User.organization.name.as_alias("organization_name"),
    User.is_active,
    User.password_provisional.as_alias("password_change_required"),
)


def _user_not_found(user_id: int) -> NotFound:
    return NotFound(msg("Compte {user_id} introuvable.", user_id=user_id), "user_id")


async def list_users(principal: Principal) -> list[dict[str, Any]]:
    """The accounts the caller may see: all for the coordination, else their organisation's."""
    query = User.select(*_USER_COLUMNS).order_by(User.organization.name).order_by(User.email)
    if principal.role is not Role.COORDINATOR:
        query = query.where(User.organization == principal.organization_id)
    return list(await query)


async def get_user(user_id: int) -> dict[str, Any]:
    """One account as `list_users` shows it, or NotFound."""
    row = await User.select(*_USER_COLUMNS).where(User.id == user_id).first()
    if row is None:
        raise _user_not_found(user_id)
    return row


def _own_account(sentence: Message, field: str) -> Conflict:
    return Conflict(sentence, field, code="own_account")


async def update_user(principal: Principal, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Change an account's `is_active`, `full_name` or `organization_id` (coordination only).

    Deactivating ends the account's sessions, and so does moving it to another organisation (its
    role is the organisation's kind: a token must not carry the old one). A coordinator may
    neither deactivate nor move itself, so the programme always keeps someone who can undo it.
    """
    require_coordinator(principal)
    changes: dict[Any, Any] = {}
    moved_to = data.get("organization_id")
    if moved_to is not None and not _is_id(moved_to):
        raise Invalid(
            msg("Choisissez dans la liste l’organisation où passe le compte."),
            "organization_id",
        )
    if moved_to is not None and user_id == principal.user_id:
        raise _own_account(
            msg(
                "Vous ne pouvez pas changer l’organisation de votre propre compte : "
                "demandez-le à une autre personne de la coordination."
            ),
            "organization_id",
        )
    if data.get("full_name") is not None:
        changes[User.full_name] = text.single_line("full_name", data["full_name"]) or ""
    active = data.get("is_active")
    if active is not None:
        if active is False and user_id == principal.user_id:
            raise _own_account(
                msg(
                    "Vous ne pouvez pas désactiver votre propre compte : "
                    "demandez-le à une autre personne de la coordination."
                ),
                "is_active",
            )
        changes[User.is_active] = bool(active)
    async with write_transaction():
        row = (
            await User.select(
                User.email,
                User.is_active,
                User.organization.id.as_alias("organization_id"),
                User.organization.name.as_alias("organization_name"),
                User.organization.kind.as_alias("role"),
            )
            .where(User.id == user_id)
            .first()
        )
        if row is None:
            raise _user_not_found(user_id)
        move = None
        if moved_to is not None and moved_to != row["organization_id"]:
            move = await _organization(moved_to)
            changes[User.organization] = moved_to
        if changes:
            await User.update(changes).where(User.id == user_id)
        if active is False:
            await end_user_sessions(user_id, SessionEnd.DEACTIVATED)
        elif move is not None:
            await end_user_sessions(user_id, SessionEnd.ROLE_CHANGED)
        if active is not None and bool(active) != row["is_active"]:
            event = SecurityEvent.USER_REACTIVATED if active else SecurityEvent.USER_DEACTIVATED
            await record(event, row["email"], actor=principal)
        if move is not None:
            was = role_detail(row["organization_name"], row["role"])
            await record(
                SecurityEvent.ROLE_CHANGED,
                row["email"],
                actor=principal,
                detail=f"{was} → {role_detail(move['name'], move['kind'])}",
            )
    return await get_user(user_id)


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


async def _organization(organization_id: int) -> dict[str, Any]:
    """The organisation an account moves to, or 422 naming `organization_id`."""
    found = await (
        Organization.select(Organization.name, Organization.kind)
        .where(Organization.id == organization_id)
        .first()
    )
    if found is None:
        raise Invalid(
            msg(
                "Organisation {organization_id} introuvable : choisissez-en une de la liste "
                "des organisations.",
                organization_id=organization_id,
            ),
            "organization_id",
            code="unknown_organization",
        )
    return found


async def _hash_new(password: str, field: str) -> str:
    check_new_password(password, field)
    # Argon2 is slow on purpose: hash in a worker thread, outside the transaction.
    return await anyio.to_thread.run_sync(hash_password, password)


async def change_password(
    principal: Principal, current: str, new: str, policy: LoginPolicy, client: str
) -> None:
    """Replace the caller's password after checking the current one; ends all their sessions.

    The current password is checked under the sign-in limits (`policy`, `client` the caller's
    address): wrong ones count as failed sign-ins.
    """
    if not await confirm_password(principal, current, policy, client):
        raise Invalid(
            msg("Mot de passe actuel incorrect : retapez celui qui vous a servi à vous connecter."),
            "current",
            code="wrong_password",
        )
    if new == current:
        raise Invalid(
            msg("Le nouveau mot de passe doit être différent de l’actuel."),
            "new",
            code="password_unchanged",
        )
    password_hash = await _hash_new(new, "new")
    async with write_transaction():
        await User.update(
            {User.password_hash: password_hash, User.password_provisional: False}
        ).where(User.id == principal.user_id)
        await end_user_sessions(principal.user_id, SessionEnd.PASSWORD_CHANGED)
        await record(SecurityEvent.PASSWORD_CHANGED, principal.email, actor=principal)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_reset_link(principal: Principal, user_id: int, public_url: str) -> dict[str, Any]:
    """A one-time link, valid 24 h, for user `user_id` to choose a new password (coordination).

    Only the link's hash is kept; an earlier unused link of the same user stops working.
    """
    require_coordinator(principal)
    token = secrets.token_urlsafe(32)
    created = now()
    async with write_transaction():
        row = await User.select(User.email).where(User.id == user_id).first()
        if row is None:
            raise _user_not_found(user_id)
        await record(
            SecurityEvent.PASSWORD_RESET,
            row["email"],
            actor=principal,
            detail="Lien de réinitialisation émis (valable 24 h)",
        )
        await PasswordReset.delete().where(
            (PasswordReset.account == user_id) & PasswordReset.used_at.is_null()
        )
        await PasswordReset.insert(
            PasswordReset(
                token_hash=_digest(token),
                account=user_id,
                created_by=principal.user_id,
                created_at=created,
                expires_at=created + RESET_LINK_TTL,
            )
        )
    return {
        "user_id": user_id,
        "url": f"{public_url.rstrip('/')}{RESET_PATH}{token}",
        "expires_at": created + RESET_LINK_TTL,
    }


def _link_used() -> Conflict:
    return Conflict(
        msg("Ce lien de réinitialisation a déjà servi : demandez-en un nouveau à la coordination."),
        "token",
        code="reset_link_used",
    )


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def reset_link_user(token: str) -> dict[str, Any]:
    """The account a usable reset link is for; refuses an unknown, used or expired link."""
    row = (
        await PasswordReset.select(
            PasswordReset.id,
            PasswordReset.account.id.as_alias("user_id"),
            PasswordReset.account.email.as_alias("email"),
            PasswordReset.expires_at,
            PasswordReset.used_at,
        )
        .where(PasswordReset.token_hash == _digest(token))
        .first()
    )
    if row is None:
        raise NotFound(
            msg(
                "Lien de réinitialisation inconnu : vérifiez qu’il est copié en entier, "
                "ou demandez-en un nouveau à la coordination."
            ),
            "token",
            code="reset_link_unknown",
        )
    if row["used_at"] is not None:
        raise _link_used()
    if _moment(row["expires_at"]) <= now():
        raise Conflict(
            msg(
                "Ce lien de réinitialisation a expiré (valable 24 h) : "
                "demandez-en un nouveau à la coordination."
            ),
            "token",
            code="reset_link_expired",
        )
    return row


async def reset_password(token: str, new: str) -> str:
    """Set the new password a reset link's user chose; ends all their sessions; the e-mail."""
    password_hash = await _hash_new(new, "new")
    link = await reset_link_user(token)
    async with write_transaction():
        # Conditioned on the link still unused: of two uses at once, one wins.
        used = await (
            PasswordReset.update({PasswordReset.used_at: now()})
            .where((PasswordReset.id == link["id"]) & PasswordReset.used_at.is_null())
            .returning(PasswordReset.id)
        )
        if not used:
            raise _link_used()
        await User.update(
            {User.password_hash: password_hash, User.password_provisional: False}
        ).where(User.id == link["user_id"])
        await end_user_sessions(link["user_id"], SessionEnd.PASSWORD_RESET)
        await record(
            SecurityEvent.PASSWORD_RESET,
            link["email"],
            detail="Nouveau mot de passe choisi avec le lien",
        )
    return str(link["email"])
