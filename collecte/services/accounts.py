"""Organisations, users, signing in, and the first coordinator of a new database."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
from piccolo.engine.postgres import PostgresEngine

from collecte.auth.passwords import (
    HashGate,
    hash_password,
    new_password,
    new_secret_key,
    verify_password,
)
from collecte.db.engine import current_engine
from collecte.db.tables import AppSecret, LoginAttempt, Organization, User
from collecte.db.transactions import write_transaction
from collecte.domain import organization_input, text
from collecte.domain.access import Principal, require_coordinator
from collecte.domain.clock import now
from collecte.domain.errors import (
    Conflict,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from collecte.domain.fields import field_label
from collecte.domain.passwords import check_new_password
from collecte.domain.vocabulary import Role, SecurityEvent, SessionEnd
from collecte.i18n import msg
from collecte.services.security_log import record
from collecte.services.sessions import end_all_sessions
from collecte.services.totp import second_factor
from collecte.settings import Settings

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ORGANIZATION_FIELDS = ("name", "kind", "short_name", "ridet", "email", "phone", "address", "city")


def organization_view(row: dict[str, Any]) -> dict[str, Any]:
    """The JSON shape of an organisation."""
    return {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "short_name": row["short_name"],
        "ridet": row["ridet"],
        "email": row["email"],
        "phone": row["phone"],
        "address": row["address"],
        "city": row["city"],
        "language": row["language"],
        "created_at": row["created_at"],
    }


async def create_organization(principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Create an organisation (coordinators only)."""
    require_coordinator(principal)
    name = organization_input.name(data.get("name"))
    kind = organization_input.kind(data.get("kind"))
    ridet = organization_input.ridet(data.get("ridet"))
    email = organization_input.email(data.get("email"))
    language = organization_input.language(data.get("language"))
    async with write_transaction():
        if await Organization.exists().where(Organization.name == name):
            raise Conflict(msg("Une organisation s’appelle déjà « {name} ».", name=name), "name")
        row = Organization(
            name=name,
            kind=kind.value,
            short_name=text.single_line("short_name", data.get("short_name"), 60),
            ridet=ridet,
            email=email,
            phone=text.single_line("phone", data.get("phone"), 40),
            address=text.address("address", data.get("address")),
            city=text.single_line("city", data.get("city"), 100),
            language=language,
            created_at=now(),
        )
        await row.save()
    return organization_view(row.to_dict())


async def list_organizations(principal: Principal, kind: str | None = None) -> list[dict[str, Any]]:
    """Every organisation, by name (coordinators only)."""
    require_coordinator(principal)
    query = Organization.select().order_by(Organization.name)
    if kind:
        try:
            query = query.where(Organization.kind == Role(kind).value)
        except ValueError:
            raise Invalid(
                msg("Type d’organisation « {kind} » inconnu.", kind=kind), "kind"
            ) from None
    return [organization_view(row) for row in await query]


async def get_organization(organization_id: int) -> dict[str, Any]:
    """One organisation by id, or NotFound."""
    row = await Organization.select().where(Organization.id == organization_id).first()
    if row is None:
        raise NotFound(
            msg("Organisation {organization_id} introuvable.", organization_id=organization_id),
            "organization_id",
        )
    return row


def _user_view(row: dict[str, Any], organization: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "email": row["email"],
        "full_name": row["full_name"],
        "role": organization["kind"],
        "organization_id": organization["id"],
        "organization_name": organization["name"],
        "is_active": row["is_active"],
        "password_change_required": row["password_provisional"],
    }


async def create_user(principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Create a user in an organisation (coordinators only); the role is the organisation's kind.

    The password is provisional: the coordinator chose it, so the user changes it at sign-in.
    """
    require_coordinator(principal)
    organization_id = data.get("organization_id")
    if isinstance(organization_id, bool) or not isinstance(organization_id, int):
        raise Invalid(
            msg(
                "Le champ « {field} » est obligatoire (entier).",
                field=field_label("organization_id"),
            ),
            "organization_id",
        )
    organization = await get_organization(organization_id)
    return await add_user(
        organization,
        str(data.get("email") or ""),
        str(data.get("password") or ""),
        str(data.get("full_name") or ""),
        provisional=True,
        actor=principal,
    )


async def add_user(
    organization: dict[str, Any],
    email: str,
    password: str,
    full_name: str = "",
    *,
    provisional: bool,
    actor: Principal | None = None,
) -> dict[str, Any]:
    """Create a user in `organization` after checking e-mail and password.

    `provisional`: someone else chose the password, so the user must change it at sign-in.
    `actor` is who creates it, for the security log (None: the command line).
    """
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise Invalid(msg("Adresse e-mail invalide."), "email")
    check_new_password(password)
    full_name = text.single_line("full_name", full_name) or ""
    # Argon2 is slow on purpose: hash in a worker thread, outside the transaction.
    password_hash = await anyio.to_thread.run_sync(hash_password, password)
    async with write_transaction():
        if await User.exists().where(User.email == email):
            raise Conflict(msg("Un compte existe déjà pour {email}.", email=email), "email")
        user = User(
            email=email,
            password_hash=password_hash,
            full_name=full_name,
            organization=organization["id"],
            is_active=True,
            password_provisional=provisional,
            created_at=now(),
        )
        await user.save()
        detail = role_detail(organization["name"], organization["kind"])
        await record(SecurityEvent.USER_CREATED, email, actor=actor, detail=detail)
    return _user_view(user.to_dict(), organization)


def role_detail(organization_name: str, kind: str) -> str:
    """The security log's detail of an account's organisation and role (code)."""
    return f"{organization_name} ({kind})"


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed sign-ins an e-mail, and a client address, may make in a window."""

    max_failures: int
    window: timedelta
    max_failures_per_client: int = 20
    # Shared by every sign-in of the process: build the policy once per app.
    hashes: HashGate = field(default_factory=HashGate)


# Any constant: the PostgreSQL advisory lock that serialises the reservation of sign-in attempts.
_SIGN_IN_LOCK = 0x5167_6E31


async def _wait_before(attempts: Any, limit: int, at: datetime, window: timedelta) -> int | None:
    """Seconds until `attempts` (failures in the window) fall below `limit`, or None if below."""
    since = at - window
    failures = await LoginAttempt.count().where(attempts & (LoginAttempt.created_at >= since))
    if failures < limit:
        return None
    # The failure whose expiry brings the count below the limit.
    row = (
        await LoginAttempt.select(LoginAttempt.created_at)
        .where(attempts & (LoginAttempt.created_at >= since))
        .order_by(LoginAttempt.created_at)
        .offset(failures - limit)
        .first()
    )
    oldest = row["created_at"] if row else at
    return max(1, math.ceil((oldest + window - at).total_seconds()))


async def _reserve_attempt(email: str, client: str, policy: LoginPolicy) -> int:
    """Record an attempt as failed before the password is checked; 429 when over a limit.

    Counting and recording happen in one write transaction that excludes every other: SQLite's
    BEGIN IMMEDIATE (across processes too), an advisory lock on PostgreSQL. Parallel guesses
    therefore see each other, and at most `max_failures` of them ever reach Argon2.
    """
    at = now()
    failed = LoginAttempt.succeeded.eq(False)
    limits = [(LoginAttempt.email == email, policy.max_failures)]
    if client:
        limits.append((LoginAttempt.client == client, policy.max_failures_per_client))
    async with write_transaction():
        if isinstance(current_engine(), PostgresEngine):
            await LoginAttempt.raw("SELECT pg_advisory_xact_lock({})", _SIGN_IN_LOCK)
        waits = [
            await _wait_before(whose & failed, limit, at, policy.window) for whose, limit in limits
        ]
        wait = max((w for w in waits if w is not None), default=None)
        attempt = LoginAttempt(email=email, client=client, succeeded=False, created_at=at)
        if wait is None:
            await attempt.save()
    # Outside the transaction: the refusal is logged, nothing else is written.
    if wait is not None:
        await record(SecurityEvent.SIGN_IN_LOCKED, email)
        raise TooManyAttempts(
            msg("Trop de tentatives de connexion échouées : réessayez dans quelques minutes."),
            retry_after=wait,
        )
    return int(attempt.id)


async def login(
    email: str, password: str, policy: LoginPolicy, client: str = "", totp: str | None = None
) -> Principal:
    """Return the principal for valid credentials; failures are counted and limited.

    `client` is the caller's address, limited beside the e-mail (empty: the e-mail alone).
    `totp` is the code of an account with the second factor on: missing (401 `totp_required`)
    or wrong (401 `bad_totp`), the attempt stays failed, as with a wrong password; it is only
    asked once the password is right, so it says nothing to someone who guesses passwords.
    """
    email = (email or "").strip().lower()[:254]
    client = client[:64]
    async with policy.hashes.slot():
        attempt_id = await _reserve_attempt(email, client, policy)
        row = (
            await User.select(
                User.id,
                User.email,
                User.full_name,
                User.password_hash,
                User.is_active,
                User.totp_secret,
                User.totp_last_step,
                User.organization.id.as_alias("org_id"),
                User.organization.name.as_alias("org_name"),
                User.organization.kind.as_alias("org_kind"),
            )
            .where(User.email == email)
            .first()
        )
        # Argon2 takes ~0.1 s by design: verify off the event loop so other requests go on. An
        # unknown e-mail is verified against a dummy hash: the same cost, so timing reveals
        # nothing.
        valid = await policy.hashes.run(
            verify_password, row["password_hash"] if row else None, password or ""
        )
    valid = valid and row is not None and row["is_active"]
    principal = _principal(row) if valid and row is not None else None
    refusal: Unauthenticated | None = None
    async with write_transaction():
        if principal is not None and row is not None and row["totp_secret"]:
            refusal = await second_factor(
                row["id"], row["totp_secret"], row["totp_last_step"], totp
            )
            if refusal is not None:
                principal = None
        if principal is not None:
            await LoginAttempt.update({LoginAttempt.succeeded: True}).where(
                LoginAttempt.id == attempt_id
            )
        detail = refusal.code if refusal is not None else ""
        await record(_sign_in_event(principal), email, actor=principal, detail=detail)
    if refusal is not None:
        raise refusal
    if principal is None:
        raise Unauthenticated(msg("E-mail ou mot de passe incorrect."), code="bad_credentials")
    return principal


async def confirm_password(
    principal: Principal, password: str, policy: LoginPolicy, client: str = ""
) -> bool:
    """Whether `password` is the signed-in user's own, checked as a sign-in is checked.

    The same limits (a wrong one counts as a failed sign-in of the e-mail and of the address;
    429 past them) and the same hashing gate: a session left open on a shared computer must not
    become an unlimited way to guess the password behind it.
    """
    async with policy.hashes.slot():
        attempt_id = await _reserve_attempt(principal.email, client[:64], policy)
        row = await User.select(User.password_hash).where(User.id == principal.user_id).first()
        valid = await policy.hashes.run(
            verify_password, row["password_hash"] if row else None, password or ""
        )
    async with write_transaction():
        if valid:
            await LoginAttempt.update({LoginAttempt.succeeded: True}).where(
                LoginAttempt.id == attempt_id
            )
        else:
            await record(SecurityEvent.PASSWORD_CHANGE_REFUSED, principal.email, actor=principal)
    return bool(valid)


def _principal(row: dict[str, Any]) -> Principal:
    return Principal(
        user_id=row["id"],
        email=row["email"],
        full_name=row["full_name"],
        organization_id=row["org_id"],
        organization_name=row["org_name"],
        role=Role(row["org_kind"]),
    )


def _sign_in_event(principal: Principal | None) -> SecurityEvent:
    return SecurityEvent.SIGN_IN if principal else SecurityEvent.SIGN_IN_FAILED


async def signing_secret() -> str:
    """The token signing key kept in the database, created on first use."""
    row = await AppSecret.select(AppSecret.value).where(AppSecret.name == "token").first()
    if row:
        return str(row["value"])
    async with write_transaction():
        # Another process may have created it meanwhile: keep whichever came first.
        await AppSecret.raw(
            "INSERT INTO app_secret (name, value) VALUES ({}, {}) ON CONFLICT (name) DO NOTHING",
            "token",
            new_secret_key(),
        )
    row = await AppSecret.select(AppSecret.value).where(AppSecret.name == "token").first()
    assert row is not None
    return str(row["value"])


async def rotate_signing_key(settings: Settings) -> int:
    """Replace the token signing key kept in the database and end every live session at once
    (a leaked key then signs nothing that is accepted); return how many sessions ended.

    Each server process keeps the key it read at start-up: restart them all afterwards, so new
    sign-ins are signed with the new key. A key given by COLLECTE_SECRET_KEY is the operator's
    to change, not this command's.
    """
    if settings.secret_key is not None:
        raise Conflict(
            msg(
                "La clé de signature vient de COLLECTE_SECRET_KEY : remplacez cette variable "
                "(32 octets au moins), puis redémarrez le service."
            ),
            "COLLECTE_SECRET_KEY",
        )
    await signing_secret()  # created first if it never was, so the rotation has one to replace
    async with write_transaction():
        await AppSecret.update({AppSecret.value: new_secret_key()}).where(AppSecret.name == "token")
        ended = await end_all_sessions(SessionEnd.KEY_ROTATED)
        await record(SecurityEvent.KEY_ROTATED, detail=f"{ended} session(s) terminée(s)")
    return ended


async def find_or_create_organization(name: str, kind: Role) -> dict[str, Any]:
    """The organisation called `name`, created with `kind` if missing (command line use)."""
    row = await Organization.select().where(Organization.name == name).first()
    if row is not None:
        if row["kind"] != kind.value:
            raise Conflict(
                msg(
                    "L’organisation « {name} » est de type {kind}, pas {value}.",
                    name=name,
                    kind=row["kind"],
                    value=kind.value,
                ),
                "role",
            )
        return row
    async with write_transaction():
        organization = Organization(name=name, kind=kind.value, language="fr", created_at=now())
        await organization.save()
    return organization.to_dict()


FIRST_COORDINATOR_EMAIL = "coordination@collecte.local"
FIRST_ORGANIZATION = "OPEN NC"


async def ensure_first_coordinator() -> tuple[str, str] | None:
    """On a database without any user, create a coordinator; return (e-mail, password) once."""
    if await User.count() > 0:
        return None
    organization = await find_or_create_organization(FIRST_ORGANIZATION, Role.COORDINATOR)
    password = new_password()
    try:
        await add_user(
            organization, FIRST_COORDINATOR_EMAIL, password, "Coordination", provisional=True
        )
    except Conflict:
        return None  # another process got there first
    return FIRST_COORDINATOR_EMAIL, password
