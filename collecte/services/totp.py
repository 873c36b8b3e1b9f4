"""The coordinators' optional second factor: enrolment, turning it off, and the code at sign-in.

A key is first kept pending and turned on only once a code computed from it is confirmed, so a
half-done enrolment never locks anyone out. Every accepted code moves `totp_last_step` forward
with a conditional update: of two uses of one code, even at once, one only is accepted.
"""

from __future__ import annotations

from typing import Any

from collecte.auth import totp
from collecte.db.tables import User
from collecte.db.transactions import write_transaction
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.errors import Conflict, Forbidden, Invalid, Unauthenticated
from collecte.domain.vocabulary import Role, SecurityEvent, SessionEnd
from collecte.i18n import msg
from collecte.services.security_log import record
from collecte.services.sessions import end_user_sessions


def _require_coordinator(principal: Principal) -> None:
    if principal.role is not Role.COORDINATOR:
        raise Forbidden(
            msg("La double authentification est réservée à la coordination du programme."),
            code="totp_coordinators_only",
        )


def _bad_code() -> Invalid:
    return Invalid(
        msg(
            "Code incorrect ou déjà utilisé : saisissez le code à 6 chiffres que votre "
            "application affiche maintenant."
        ),
        "code",
        code="bad_totp",
    )


async def _keys(user_id: int) -> dict[str, Any]:
    row = (
        await User.select(User.totp_secret, User.totp_pending, User.totp_last_step)
        .where(User.id == user_id)
        .first()
    )
    return row or {"totp_secret": None, "totp_pending": None, "totp_last_step": None}


async def state(principal: Principal) -> dict[str, Any]:
    """For the account page: whether it is on, and the key being enrolled with its URI."""
    if principal.role is not Role.COORDINATOR:
        return {"available": False, "enabled": False, "pending": None, "otpauth_uri": None}
    keys = await _keys(principal.user_id)
    pending = keys["totp_pending"] if not keys["totp_secret"] else None
    return {
        "available": True,
        "enabled": bool(keys["totp_secret"]),
        "pending": pending,
        "otpauth_uri": totp.provisioning_uri(pending, principal.email) if pending else None,
    }


async def start_enrolment(principal: Principal) -> dict[str, str]:
    """A new key, kept pending until a code confirms it: `{"secret", "otpauth_uri"}`.

    Refused while it is on: replacing the key would let a stolen session drop the second factor.
    """
    _require_coordinator(principal)
    secret = totp.new_secret()
    async with write_transaction():
        started = await (
            User.update({User.totp_pending: secret})
            .where((User.id == principal.user_id) & User.totp_secret.is_null())
            .returning(User.id)
        )
    if not started:
        raise Conflict(
            msg(
                "La double authentification est déjà activée : désactivez-la d’abord pour "
                "changer d’application."
            ),
            code="totp_already_enabled",
        )
    return {"secret": secret, "otpauth_uri": totp.provisioning_uri(secret, principal.email)}


async def confirm_enrolment(principal: Principal, code: str, keep_session: str | None) -> None:
    """Turn the pending key on when `code` comes from it (422 `code` otherwise).

    Every other session of the account ends: one opened with the password alone (perhaps by
    whoever made the user turn the factor on) must not outlive it. `keep_session` goes on.
    """
    _require_coordinator(principal)
    keys = await _keys(principal.user_id)
    pending = keys["totp_pending"]
    if keys["totp_secret"] or not pending:
        raise Conflict(
            msg("Aucune activation en cours : commencez par demander une nouvelle clé."),
            code="totp_not_started",
        )
    step = totp.matching_step(pending, code, now(), None)
    if step is None:
        raise _bad_code()
    async with write_transaction():
        # Conditioned on the same key still pending: a restarted enrolment is not turned on.
        done = await (
            User.update(
                {User.totp_secret: pending, User.totp_pending: None, User.totp_last_step: step}
            )
            .where(
                (User.id == principal.user_id)
                & (User.totp_pending == pending)
                & User.totp_secret.is_null()
            )
            .returning(User.id)
        )
        if not done:
            raise Conflict(
                msg("L’activation a changé entre-temps : recommencez-la."),
                code="totp_not_started",
            )
        await end_user_sessions(principal.user_id, SessionEnd.TOTP_ENABLED, keep=keep_session)
        await record(SecurityEvent.TOTP_ENABLED, principal.email, actor=principal)


async def disable(principal: Principal, code: str) -> None:
    """Turn the second factor off, with a valid code of the current key (422 `code` otherwise)."""
    _require_coordinator(principal)
    keys = await _keys(principal.user_id)
    secret = keys["totp_secret"]
    if not secret:
        raise Conflict(
            msg("La double authentification n’est pas activée sur ce compte."),
            code="totp_not_enabled",
        )
    step = totp.matching_step(secret, code, now(), keys["totp_last_step"])
    if step is None:
        raise _bad_code()
    async with write_transaction():
        if not await _consume(principal.user_id, secret, step):
            raise _bad_code()
        await User.update(
            {User.totp_secret: None, User.totp_pending: None, User.totp_last_step: None}
        ).where(User.id == principal.user_id)
        await record(SecurityEvent.TOTP_DISABLED, principal.email, actor=principal)


async def _consume(user_id: int, secret: str, step: int) -> bool:
    """Record `step` as the last accepted, unless it (or a later one) already was."""
    moved = await (
        User.update({User.totp_last_step: step})
        .where(
            (User.id == user_id)
            & (User.totp_secret == secret)
            & (User.totp_last_step.is_null() | (User.totp_last_step < step))
        )
        .returning(User.id)
    )
    return bool(moved)


def code_required() -> Unauthenticated:
    """The sign-in of an account with the second factor on, without its code."""
    return Unauthenticated(
        msg("Saisissez le code à 6 chiffres de votre application d’authentification."),
        "totp",
        code="totp_required",
    )


def code_refused() -> Unauthenticated:
    """The sign-in with a wrong, or already used, code."""
    return Unauthenticated(
        msg(
            "Code de double authentification incorrect ou déjà utilisé : saisissez le code "
            "que votre application affiche maintenant."
        ),
        "totp",
        code="bad_totp",
    )


async def second_factor(
    user_id: int, secret: str, last_step: int | None, code: str | None
) -> Unauthenticated | None:
    """Check a sign-in's code (inside its transaction); the refusal, or None when accepted."""
    if not totp.normalise(code):
        return code_required()
    step = totp.matching_step(secret, code or "", now(), last_step)
    if step is None or not await _consume(user_id, secret, step):
        return code_refused()
    return None
