"""The coordinators' second factor over the API, with real codes computed by pyotp from the key
the API gave: enrolment, sign-in with and without a code, a wrong or reused code, turning it
off, the other roles refused, and the security log."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pyotp
import pytest

from collecte.db.tables import LoginAttempt, SecurityLogEntry, User
from collecte.domain.vocabulary import Role
from tests.factory import PASSWORD, Account, make_account

TOTP_REQUIRED = "Saisissez le code à 6 chiffres de votre application d’authentification."
BAD_SIGN_IN_CODE = (
    "Code de double authentification incorrect ou déjà utilisé : saisissez le code que votre "
    "application affiche maintenant."
)
BAD_CODE = (
    "Code incorrect ou déjà utilisé : saisissez le code à 6 chiffres que votre application "
    "affiche maintenant."
)


def code(secret: str, offset: int = 0) -> str:
    """The code of the step `offset` steps from now (±1 is inside the accepted window)."""
    return pyotp.TOTP(secret).at(time.time(), offset)


def wrong_code(secret: str) -> str:
    """A well-formed code that no step near now gives."""
    near = {code(secret, offset) for offset in range(-3, 4)}
    return next(c for c in (f"{n:06d}" for n in range(0, 1_000_000, 7919)) if c not in near)


async def enrol(client: httpx.AsyncClient, account: Account) -> str:
    """Start and confirm the second factor with the current step's code; the key.

    Started well inside a 30-second step, so the test that follows sees the same step: a step
    turning over mid-test would make "the current code" a fresh one."""
    left = 30 - time.time() % 30
    if left < 12:
        await asyncio.sleep(left + 0.2)
    started = await client.post("/api/auth/totp", headers=account.headers)
    assert started.status_code == 200, started.text
    secret = str(started.json()["secret"])
    confirmed = await client.post(
        "/api/auth/totp/confirm", json={"code": code(secret)}, headers=account.headers
    )
    assert confirmed.status_code == 204, confirmed.text
    return secret


async def login(client: httpx.AsyncClient, account: Account, **extra: Any) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD, **extra}
    )


def refusal(response: httpx.Response) -> tuple[int, str, str, str | None]:
    body = response.json()
    return (response.status_code, body["extra"]["code"], body["detail"], body["extra"].get("field"))


async def test_enrolment_gives_a_key_and_its_uri_and_turns_on_with_a_right_code(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)

    started = await client.post("/api/auth/totp", headers=coordinator.headers)

    assert started.status_code == 200
    body = started.json()
    assert set(body) == {"secret", "otpauth_uri"}
    uri = urlparse(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/La Grande Collecte Numérique:{coordinator.email}"
    query = parse_qs(uri.query)
    assert query["secret"] == [body["secret"]]
    assert query["issuer"] == ["La Grande Collecte Numérique"]
    # Pending only: signing in still needs the password alone.
    assert (await login(client, coordinator)).status_code == 200
    row = await User.select(User.totp_secret, User.totp_pending).where(
        User.id == coordinator.user_id
    )
    assert row == [{"totp_secret": None, "totp_pending": body["secret"]}]

    wrong = await client.post(
        "/api/auth/totp/confirm",
        json={"code": wrong_code(body["secret"])},
        headers=coordinator.headers,
    )
    assert refusal(wrong) == (422, "bad_totp", BAD_CODE, "code")
    right = await client.post(
        "/api/auth/totp/confirm",
        json={"code": code(body["secret"])},
        headers=coordinator.headers,
    )
    assert right.status_code == 204
    assert refusal(await login(client, coordinator))[:2] == (401, "totp_required")


async def test_enrolment_refusals_say_why(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)

    early = await client.post(
        "/api/auth/totp/confirm", json={"code": "123456"}, headers=coordinator.headers
    )
    off = await client.post(
        "/api/auth/totp/disable", json={"code": "123456"}, headers=coordinator.headers
    )
    malformed = await client.post(
        "/api/auth/totp/confirm", json={"code": "12345"}, headers=coordinator.headers
    )
    await enrol(client, coordinator)
    again = await client.post("/api/auth/totp", headers=coordinator.headers)

    assert refusal(early)[:2] == (409, "totp_not_started")
    assert "commencez par demander une nouvelle clé" in early.json()["detail"]
    assert refusal(off)[:2] == (409, "totp_not_enabled")
    assert malformed.status_code == 422 and malformed.json()["extra"]["field"] == "code"
    assert refusal(again)[:2] == (409, "totp_already_enabled")
    assert "désactivez-la d’abord" in again.json()["detail"]


@pytest.mark.parametrize("role", [Role.DONOR, Role.RECONDITIONER, Role.ASSOCIATION])
async def test_only_coordinators_may_turn_it_on(client: httpx.AsyncClient, role: Role) -> None:
    user = await make_account(role)

    answers = [
        await client.post("/api/auth/totp", headers=user.headers),
        await client.post("/api/auth/totp/confirm", json={"code": "123456"}, headers=user.headers),
        await client.post("/api/auth/totp/disable", json={"code": "123456"}, headers=user.headers),
    ]

    for answer in answers:
        assert refusal(answer) == (
            403,
            "totp_coordinators_only",
            "La double authentification est réservée à la coordination du programme.",
            None,
        )
    assert await User.count().where(User.totp_pending.is_not_null()) == 0


async def test_sign_in_asks_for_the_code_and_never_takes_one_twice(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    secret = await enrol(client, coordinator)  # the current step's code is used up

    missing = await login(client, coordinator)
    wrong = await login(client, coordinator, totp=wrong_code(secret))
    reused = await login(client, coordinator, totp=code(secret))
    signed = await login(client, coordinator, totp=code(secret, 1))
    replayed = await login(client, coordinator, totp=code(secret, 1))
    older = await login(client, coordinator, totp=code(secret))

    assert refusal(missing) == (401, "totp_required", TOTP_REQUIRED, "totp")
    assert refusal(wrong) == (401, "bad_totp", BAD_SIGN_IN_CODE, "totp")
    assert refusal(reused) == (401, "bad_totp", BAD_SIGN_IN_CODE, "totp")
    assert signed.status_code == 200, signed.text
    assert signed.json()["user_id"] == coordinator.user_id
    assert refusal(replayed)[:2] == (401, "bad_totp")
    assert refusal(older)[:2] == (401, "bad_totp")
    attempts = await LoginAttempt.select(LoginAttempt.succeeded).order_by(LoginAttempt.id)
    assert [row["succeeded"] for row in attempts] == [False] * 3 + [True] + [False] * 2


async def test_a_blank_code_is_missing_and_a_wrong_password_says_nothing_of_the_code(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    secret = await enrol(client, coordinator)

    blank = await login(client, coordinator, totp=" ")
    wrong_password = await client.post(
        "/api/auth/login",
        json={"email": coordinator.email, "password": "pas-le-bon", "totp": code(secret, 1)},
    )

    assert refusal(blank) == (401, "totp_required", TOTP_REQUIRED, "totp")
    # The code is asked only once the password is right: a guesser learns nothing of it.
    assert refusal(wrong_password)[:2] == (401, "bad_credentials")
    # Nor is the code used up by a wrong password: it still signs in.
    assert (await login(client, coordinator, totp=code(secret, 1))).status_code == 200


async def test_codes_spaced_as_apps_show_them_are_read(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    secret = await enrol(client, coordinator)
    typed = code(secret, 1)

    signed = await login(client, coordinator, totp=f" {typed[:3]} {typed[3:]} ")

    assert signed.status_code == 200, signed.text


async def test_missing_and_wrong_codes_count_toward_the_lock(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    secret = await enrol(client, coordinator)

    failures = [(await login(client, coordinator)).status_code for _ in range(3)]
    failures += [
        (await login(client, coordinator, totp=wrong_code(secret))).status_code for _ in range(2)
    ]
    locked = await login(client, coordinator, totp=code(secret, 1))

    assert failures == [401] * 5
    assert locked.status_code == 429


async def test_turning_it_off_needs_a_valid_unused_code(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    secret = await enrol(client, coordinator)

    wrong = await client.post(
        "/api/auth/totp/disable", json={"code": wrong_code(secret)}, headers=coordinator.headers
    )
    reused = await client.post(
        "/api/auth/totp/disable", json={"code": code(secret)}, headers=coordinator.headers
    )
    still_on = await login(client, coordinator)
    off = await client.post(
        "/api/auth/totp/disable", json={"code": code(secret, 1)}, headers=coordinator.headers
    )

    assert refusal(wrong) == (422, "bad_totp", BAD_CODE, "code")
    assert refusal(reused) == (422, "bad_totp", BAD_CODE, "code")
    assert refusal(still_on)[:2] == (401, "totp_required")
    assert off.status_code == 204
    assert (await login(client, coordinator)).status_code == 200
    row = await User.select(User.totp_secret, User.totp_pending, User.totp_last_step).where(
        User.id == coordinator.user_id
    )
    assert row == [{"totp_secret": None, "totp_pending": None, "totp_last_step": None}]
    # On again, with a new key: the old one's codes no longer serve.
    new_secret = await enrol(client, coordinator)
    assert new_secret != secret
    assert refusal(await login(client, coordinator, totp=code(secret, 1)))[:2] == (
        401,
        "bad_totp",
    )


async def test_the_security_log_records_turning_it_on_and_off_and_refused_codes(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    secret = await enrol(client, coordinator)
    await login(client, coordinator)
    await login(client, coordinator, totp=code(secret))
    await client.post(
        "/api/auth/totp/disable", json={"code": code(secret, 1)}, headers=coordinator.headers
    )

    rows = await SecurityLogEntry.select(
        SecurityLogEntry.kind,
        SecurityLogEntry.email,
        SecurityLogEntry.actor_user,
        SecurityLogEntry.detail,
    ).order_by(SecurityLogEntry.id)
    assert rows == [
        {
            "kind": "totp_enabled",
            "email": coordinator.email,
            "actor_user": coordinator.user_id,
            "detail": "",
        },
        {
            "kind": "sign_in_failed",
            "email": coordinator.email,
            "actor_user": None,
            "detail": "totp_required",
        },
        {
            "kind": "sign_in_failed",
            "email": coordinator.email,
            "actor_user": None,
            "detail": "bad_totp",
        },
        {
            "kind": "totp_disabled",
            "email": coordinator.email,
            "actor_user": coordinator.user_id,
            "detail": "",
        },
    ]
    listed = await client.get(
        "/api/security-log", params={"kind": "totp_enabled"}, headers=coordinator.headers
    )
    assert listed.status_code == 200 and listed.json()["total"] == 1
