"""Sign-in limits that hold under parallel guesses: per e-mail, per client address, and a bounded
number of Argon2 hashes at once (the attacker's report of issue 15)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from piccolo.engine.base import Engine

from collecte.auth.passwords import HashGate
from collecte.db.tables import LoginAttempt
from collecte.domain.errors import Unavailable
from collecte.domain.vocabulary import Role
from collecte.services import accounts
from collecte.settings import Settings
from collecte.web.app import create_app
from tests.factory import PASSWORD, make_account

LOCKED = "Trop de tentatives de connexion échouées : réessayez dans quelques minutes."
BUSY = "Trop de connexions en cours : réessayez dans un instant."
WRONG = {"password": "pas-le-bon-mdp"}


@asynccontextmanager
async def client_for(
    settings: Settings, peer: str = "127.0.0.1", **changes: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with some settings changed, calling from `peer`."""
    app = create_app(settings.with_(**changes), manage_database=False)
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://collecte.test") as http:
        yield http


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The hashes Argon2 verified during the test (None: the dummy hash of an unknown e-mail)."""
    seen: list[str | None] = []
    real = accounts.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    return seen


def sign_in(http: httpx.AsyncClient, email: str, password: str, **headers: str) -> Any:
    return http.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )


async def test_parallel_guesses_reach_argon2_at_most_five_times(
    db: Engine, settings: Settings, verifications: list[str | None]
) -> None:
    account = await make_account(Role.DONOR)

    # A queue long enough for all 100 to reach the database together: the race of the report.
    async with client_for(settings, password_hash_queue=200) as http:
        answers = await asyncio.gather(
            *[sign_in(http, account.email, WRONG["password"]) for _ in range(100)]
        )
        right = await sign_in(http, account.email, PASSWORD)

    assert Counter(answer.status_code for answer in answers) == {401: 5, 429: 95}
    assert len(verifications) == 5
    assert right.status_code == 429
    assert right.json()["detail"] == LOCKED
    assert right.json()["extra"]["code"] == "too_many_attempts"
    assert 0 < int(right.headers["retry-after"]) <= settings.login_window_seconds
    assert await LoginAttempt.count() == 5


async def test_a_full_hashing_queue_answers_503_without_hashing(
    db: Engine, settings: Settings, verifications: list[str | None]
) -> None:
    # No account needed: an unknown e-mail verifies against the dummy hash, at the shipped cost.
    unknown = "personne@exemple.nc"

    async with client_for(settings) as http:  # the default gate: 2 hashing, 8 waiting
        answers = await asyncio.gather(
            *[sign_in(http, unknown, WRONG["password"]) for _ in range(100)]
        )

    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {401, 429, 503} and statuses[401] <= 5 and statuses[503] > 0
    assert len(verifications) == statuses[401]
    busy = next(answer for answer in answers if answer.status_code == 503)
    assert busy.json()["detail"] == BUSY and busy.headers["retry-after"] == "1"


async def test_the_queue_admits_up_to_its_length_and_refuses_the_next(
    db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await make_account(Role.DONOR)
    release = threading.Event()
    real = accounts.verify_password

    def held(password_hash: str | None, password: str) -> bool:
        release.wait(10)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", held)
    app = create_app(
        settings.with_(password_hash_concurrency=1, password_hash_queue=1), manage_database=False
    )
    gate: HashGate = app.state.login_policy.hashes
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collecte.test") as http:
        hashing = asyncio.create_task(sign_in(http, account.email, "faux-1"))
        waiting = asyncio.create_task(sign_in(http, account.email, "faux-2"))
        while gate.admitted < 2:
            await asyncio.sleep(0.01)
        refused = await sign_in(http, account.email, PASSWORD)
        release.set()
        first, second = await hashing, await waiting

    assert refused.status_code == 503 and refused.json()["detail"] == BUSY
    assert refused.headers["retry-after"] == "1"
    assert (first.status_code, second.status_code) == (401, 401)
    assert gate.admitted == 0


async def test_the_gate_holds_concurrency_plus_queue_and_no_more() -> None:
    gate = HashGate(concurrency=2, queue=1)
    entered = asyncio.Event()
    leave = asyncio.Event()

    async def hold() -> None:
        async with gate.slot():
            entered.set()
            await leave.wait()

    holders = [asyncio.create_task(hold()) for _ in range(3)]
    while gate.admitted < 3:
        await asyncio.sleep(0)
    with pytest.raises(Unavailable) as refused:
        async with gate.slot():
            pass
    leave.set()
    await asyncio.gather(*holders)

    assert refused.value.retry_after == 1 and refused.value.message == BUSY
    async with gate.slot():  # room again once they left
        assert gate.admitted == 1


async def test_an_unknown_email_still_costs_one_verification(
    client: httpx.AsyncClient, verifications: list[str | None]
) -> None:
    response = await sign_in(client, "personne@nulle.part", "faux-mdp-123")

    assert response.status_code == 401
    assert verifications == [None]


async def test_a_success_is_recorded_as_such_and_does_not_count(
    client: httpx.AsyncClient,
) -> None:
    account = await make_account(Role.DONOR)
    for _ in range(4):
        assert (await sign_in(client, account.email, "faux-mdp-123")).status_code == 401

    assert (await sign_in(client, account.email, PASSWORD)).status_code == 200
    assert (await sign_in(client, account.email, "faux-mdp-123")).status_code == 401
    assert (await sign_in(client, account.email, PASSWORD)).status_code == 429
    assert await LoginAttempt.count().where(LoginAttempt.succeeded.eq(True)) == 1


async def _age_attempts(by: timedelta) -> None:
    for row in await LoginAttempt.select(LoginAttempt.id, LoginAttempt.created_at):
        await LoginAttempt.update({LoginAttempt.created_at: row["created_at"] - by}).where(
            LoginAttempt.id == row["id"]
        )


async def test_one_address_guessing_many_emails_is_limited_for_a_window(
    db: Engine, settings: Settings
) -> None:
    limited = {"login_max_failures_per_client": 3}
    async with client_for(settings, "203.0.113.7", **limited) as attacker:
        statuses = [
            (await sign_in(attacker, f"victime{n}@exemple.nc", "faux")).status_code
            for n in range(4)
        ]
        locked = await sign_in(attacker, "autre@exemple.nc", "faux")
    async with client_for(settings, "203.0.113.8", **limited) as neighbour:
        elsewhere = await sign_in(neighbour, "victime9@exemple.nc", "faux")

    assert statuses == [401, 401, 401, 429]
    assert locked.status_code == 429 and locked.json()["detail"] == LOCKED
    assert elsewhere.status_code == 401

    # Ten minutes later the lock has five minutes left (less the test's own seconds).
    await _age_attempts(timedelta(minutes=10))
    async with client_for(settings, "203.0.113.7", **limited) as attacker:
        still = await sign_in(attacker, "encore@exemple.nc", "faux")
    assert still.status_code == 429
    assert 240 <= int(still.headers["retry-after"]) <= 300

    # Once the window has passed, the address may try again.
    await _age_attempts(timedelta(minutes=5, seconds=1))
    async with client_for(settings, "203.0.113.7", **limited) as attacker:
        again = await sign_in(attacker, "encore@exemple.nc", "faux")
    assert again.status_code == 401


PROXY = {
    "trusted_proxies": (ipaddress.ip_network("10.0.0.0/8"),),
    "login_max_failures_per_client": 2,
}


async def _statuses(http: httpx.AsyncClient, forwarded: list[str]) -> list[int]:
    return [
        (
            await sign_in(http, f"cible{n}@exemple.nc", "faux", **{"X-Forwarded-For": hop})
        ).status_code
        for n, hop in enumerate(forwarded)
    ]


async def test_a_trusted_proxy_names_the_client(db: Engine, settings: Settings) -> None:
    async with client_for(settings, "10.0.0.2", **PROXY) as proxy:
        statuses = await _statuses(
            proxy,
            [
                "198.51.100.1",
                "198.51.100.1",
                # A client writing its own X-Forwarded-For: the proxy appends the real address.
                "192.0.2.99, 198.51.100.1",
                "198.51.100.2",
                # Behind two proxies of the trusted network, the first untrusted hop is the client.
                "198.51.100.3, 10.1.2.3",
            ],
        )

    assert statuses == [401, 401, 429, 401, 401]
    clients = {row["client"] for row in await LoginAttempt.select(LoginAttempt.client)}
    assert clients == {"198.51.100.1", "198.51.100.2", "198.51.100.3"}


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    db: Engine, settings: Settings
) -> None:
    async with client_for(settings, "203.0.113.7", **PROXY) as direct:
        statuses = await _statuses(direct, ["198.51.100.1", "198.51.100.2", "198.51.100.3"])

    assert statuses == [401, 401, 429]
    assert {row["client"] for row in await LoginAttempt.select(LoginAttempt.client)} == {
        "203.0.113.7"
    }


async def test_the_sign_in_page_shares_the_limits(client: httpx.AsyncClient) -> None:
    account = await make_account(Role.DONOR)
    for _ in range(5):
        await sign_in(client, account.email, "faux-mdp-123")
    page = await client.get("/connexion")
    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]

    response = await client.post(
        "/connexion",
        data={"email": account.email, "password": PASSWORD, "_csrf_token": token},
    )

    assert response.status_code == 429
    assert "Trop de tentatives" in response.text
    assert "collecte_session" not in response.headers.get("set-cookie", "")
