"""Security basics beyond tests/api/test_auth.py: token lifetime, passwords kept out of answers
and logs, the sign-in limit across processes and over time, formulas neutralised in the CSV
export whatever their source, and size limits on every kind of body."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from litestar import Litestar

from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.vocabulary import Role
from collecte.services import accounts
from collecte.settings import Settings
from collecte.web.app import create_app
from tests.factory import SECRET, act, make_account, make_donation, make_organization, make_world

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


async def _client_for(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://collecte.test"
    ) as http:
        yield http


@pytest.fixture
async def small_limits(db: Any, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a 20 kB body limit and tokens that expire at once, on the test database."""
    app = create_app(
        settings.with_(max_body_bytes=20_000, token_ttl_minutes=0),
        manage_database=False,
    )
    async for http in _client_for(app):
        yield http


# --- tokens -------------------------------------------------------------------------------


async def test_a_signed_in_token_lives_as_long_as_the_setting_says(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await make_account(Role.DONOR)

    body = (
        await client.post(
            "/api/auth/login", json={"email": account.email, "password": "mot-de-passe-test"}
        )
    ).json()

    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == settings.token_ttl_minutes * 60 == body["expires_in"]


async def test_a_token_stops_working_when_its_lifetime_is_over(
    small_limits: httpx.AsyncClient,
) -> None:
    account = await make_account(Role.DONOR)
    body = (
        await small_limits.post(
            "/api/auth/login", json={"email": account.email, "password": "mot-de-passe-test"}
        )
    ).json()
    await asyncio.sleep(1.1)  # token_ttl_minutes=0: expired as soon as the second turns

    response = await small_limits.get(
        "/api/donations", headers={"Authorization": f"Bearer {body['access_token']}"}
    )

    assert response.status_code == 401
    assert response.json()["extra"]["code"] == "token_expired"  # the reason, for programs
    assert "expirée" in response.json()["detail"]


async def test_a_token_without_expiry_is_refused(client: httpx.AsyncClient) -> None:
    account = await make_account(Role.COORDINATOR)
    claims = {
        "sub": str(account.user_id),
        "email": account.email,
        "name": "",
        "org": account.organization_id,
        "org_name": account.organization_name,
        "role": "coordinator",
    }
    forever = jwt.encode(claims, SECRET, algorithm="HS256")  # right key, no `exp`

    response = await client.get(
        "/api/organizations", headers={"Authorization": f"Bearer {forever}"}
    )

    assert response.status_code == 401


# --- passwords ----------------------------------------------------------------------------


async def test_passwords_never_appear_in_answers_or_logs(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    coordinator = await make_account(Role.COORDINATOR)
    organization = await make_organization(Role.DONOR)
    secret = "Tr0p-Secret-Mot2Passe"
    wrong = "Pas-Le-Bon-Mot2Passe"
    answers: list[httpx.Response] = []

    async def post(path: str, body: Any, headers: dict[str, str] | None = None) -> None:
        answers.append(await client.post(path, json=body, headers=headers or {}))

    new_user = {
        "email": "agent@banque.nc",
        "password": secret,
        "organization_id": organization["id"],
    }
    await post("/api/users", new_user, coordinator.headers)  # created
    await post("/api/users", new_user, coordinator.headers)  # 409: the address exists
    await post("/api/users", {**new_user, "email": "pas-une-adresse"}, coordinator.headers)
    await post("/api/users", {**new_user, "organization_id": 2**31 - 1}, coordinator.headers)
    await post("/api/users", {**new_user, "password": 12345678}, coordinator.headers)
    await post("/api/users", {**new_user, "password": secret + "\x00"}, coordinator.headers)
    await post("/api/auth/login", {"email": "agent@banque.nc", "password": secret})
    await post("/api/auth/login", {"email": "agent@banque.nc", "password": wrong})
    await post("/api/auth/login", {"email": "inconnu@banque.nc", "password": wrong})
    await post("/api/auth/login", {"email": "agent@banque.nc", "password": wrong + "\x00"})
    await post("/api/auth/login", {"email": "agent@banque.nc"})

    assert [a.status_code for a in answers] == [
        201,
        409,
        422,
        404,
        422,
        422,
        200,
        401,
        401,
        422,
        422,
    ]
    for answer in answers:
        assert secret not in answer.text and wrong not in answer.text, answer.text
        assert "$argon2" not in answer.text
        # No password field; `password_change_required` says only whether one must be chosen.
        assert not any(
            "password" in key and key != "password_change_required"
            for key in answer.json()
            if isinstance(answer.json(), dict)
        )
    logged = caplog.text + " ".join(str(record.args) for record in caplog.records)
    assert secret not in logged and wrong not in logged
    # Hashes neither, at any level (aiosqlite's DEBUG lines would show every parameter).
    assert not any("$argon2" in f"{r.getMessage()} {r.exc_text}" for r in caplog.records)
    assert "$argon2" not in logged


# --- sign-in limit ------------------------------------------------------------------------


async def test_the_sign_in_limit_is_shared_by_every_process(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await make_account(Role.DONOR)
    other_process = create_app(settings, manage_database=False)  # same database, own memory
    bad = {"email": account.email.upper(), "password": "pas-le-bon"}  # any case: one address
    for _ in range(settings.login_max_failures):
        assert (await client.post("/api/auth/login", json=bad)).status_code == 401

    async for other in _client_for(other_process):
        refused = await other.post(
            "/api/auth/login", json={"email": account.email, "password": "mot-de-passe-test"}
        )
        unrelated = await other.post(
            "/api/auth/login", json={"email": "quelquun@ailleurs.nc", "password": "x"}
        )

    assert refused.status_code == 429
    assert unrelated.status_code == 401  # another address is not locked out


async def test_unknown_addresses_are_limited_too(client: httpx.AsyncClient) -> None:
    bad = {"email": "personne@nulle.part", "password": "devine"}
    statuses = [(await client.post("/api/auth/login", json=bad)).status_code for _ in range(6)]

    assert statuses[-1] == 429  # no way to tell known from unknown addresses by the limit


async def test_the_sign_in_limit_ends_with_its_window(
    client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await make_account(Role.DONOR)
    bad = {"email": account.email, "password": "pas-le-bon"}
    good = {"email": account.email, "password": "mot-de-passe-test"}
    for _ in range(settings.login_max_failures):
        await client.post("/api/auth/login", json=bad)
    assert (await client.post("/api/auth/login", json=good)).status_code == 429

    later = now() + timedelta(seconds=settings.login_window_seconds + 1)
    monkeypatch.setattr(accounts, "now", lambda: later)

    assert (await client.post("/api/auth/login", json=good)).status_code == 200


# --- the CSV export -----------------------------------------------------------------------


async def test_no_cell_of_devices_csv_is_a_formula_whatever_its_source(
    client: httpx.AsyncClient,
) -> None:
    """Beyond typed-in device fields (tests/api/test_totals.py): imported rows, organisation
    names, and cells starting with a tab or a carriage return."""
    world = await make_world()
    donor = await make_account(Role.DONOR, await make_organization(Role.DONOR, name="=1+1 SARL"))
    workshop = await make_account(
        Role.RECONDITIONER, await make_organization(Role.RECONDITIONER, name="@Atelier")
    )
    donation = await make_donation(client, donor, count=0)
    imported = (
        "category;brand;model;serial_number;condition\n"
        'laptop;"=HYPERLINK(""http://evil.example"")";+1;-1;@A1\n'
        'monitor;"\t=cmd";"\r=cmd";"-";"+"\n'
    )
    response = await client.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=imported.encode(),
        headers={**donor.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    tag = response.json()[0]["tag"]
    assert (await act(client, workshop, tag, "collect")).status_code == 200

    export = await client.get("/api/devices.csv", headers=world.coordinator.headers)

    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert len(rows) == 3
    assert "'=1+1 SARL" in cells and "'@Atelier" in cells
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert not dangerous


# --- size limits --------------------------------------------------------------------------


def _chunks(size: int) -> Any:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // 1000):
            yield b"x" * 1000

    return body()


async def test_bodies_over_the_limit_are_413_on_every_kind_of_upload(
    small_limits: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(small_limits, world.donor, count=1)
    big_json = {"devices": [{"category": "laptop", "brand": "B" * 150}] * 200}  # ~36 kB
    big_csv = "category;brand\n" + "laptop;Dell\n" * 3000  # ~36 kB
    headers = world.donor.headers

    json_body = await small_limits.post("/api/donations", json=big_json, headers=headers)
    csv_body = await small_limits.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=big_csv.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )
    pdf_body = await small_limits.post("/api/verify", content=b"%PDF-" + b"0" * 30_000)
    chunked = await small_limits.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=_chunks(40_000),  # no Content-Length: counted as it arrives
        headers={**headers, "Content-Type": "text/csv"},
    )
    under = await small_limits.post(
        "/api/donations", json={"devices": [{"category": "laptop"}] * 50}, headers=headers
    )

    assert [json_body.status_code, csv_body.status_code, pdf_body.status_code] == [413] * 3
    assert chunked.status_code == 413
    assert under.status_code == 201
    assert json_body.json()["status_code"] == 413


def test_the_default_body_limit_is_applied_to_the_app() -> None:
    settings = Settings(secret_key=SECRET)
    app = create_app(settings, manage_database=False)

    assert app.request_max_body_size == settings.max_body_bytes == 5 * 1024 * 1024


def test_tokens_carry_only_what_the_middleware_needs() -> None:
    principal = Principal(1, "a@b.nc", "A", 2, "Org", Role.DONOR)
    from collecte.auth.tokens import issue_token

    claims = jwt.decode(
        issue_token(principal, SECRET, timedelta(hours=1), "une-session"),
        SECRET,
        algorithms=["HS256"],
    )

    assert set(claims) == {
        "sub",
        "sid",
        "email",
        "name",
        "org",
        "org_name",
        "role",
        "iat",
        "exp",
    }
