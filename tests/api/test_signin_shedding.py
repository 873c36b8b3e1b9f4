"""The layer in front of the app that refuses sign-ins while the hashing gate is full: the same
answer as the app's own refusal, nothing else refused, and the refusals counted in the log
instead of one access line each (the storm of `bench/bench_signin.py`)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
from litestar import Litestar
from piccolo.engine.base import Engine

from collecte.domain.vocabulary import Role
from collecte.services import accounts
from collecte.settings import Settings
from collecte.web import edge
from collecte.web.app import create_app
from collecte.web.edge import SIGN_IN_PATH, SignInShedding
from tests.factory import PASSWORD, make_account

BUSY_FR = "Trop de connexions en cours : réessayez dans un instant."
BUSY_EN = "Too many sign-ins in progress: try again in a moment."
# Headers every answer carries whoever makes it (the date and server are uvicorn's).
COMPARED = (
    "content-type",
    "retry-after",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "content-security-policy",
    "cache-control",
    "strict-transport-security",
)


def client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://collecte.test")


@contextmanager
def held_verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Every password verification waits until the event is set (set on leaving, whatever)."""
    release = threading.Event()
    real = accounts.verify_password

    def held(password_hash: str | None, password: str) -> bool:
        release.wait(10)
        return real(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", held)
    try:
        yield release
    finally:
        release.set()


@asynccontextmanager
async def full_gate(app: Litestar, email: str, release: threading.Event) -> AsyncIterator[None]:
    """The app's gate (1 hashing, 1 waiting) filled by two sign-ins held in verification."""
    gate = app.state.login_policy.hashes
    async with client(app) as http:
        held = [
            asyncio.create_task(
                http.post(SIGN_IN_PATH, json={"email": email, "password": f"faux-{n}"})
            )
            for n in (1, 2)
        ]
        while not gate.full:
            await asyncio.sleep(0.01)
        try:
            yield
        finally:
            release.set()
            answers = await asyncio.gather(*held)
    assert [answer.status_code for answer in answers] == [401, 401]


def small_gate_app(settings: Settings) -> Litestar:
    return create_app(
        settings.with_(password_hash_concurrency=1, password_hash_queue=1), manage_database=False
    )


async def test_the_refusal_in_front_is_the_app_s_own_word_for_word(
    db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = await make_account(Role.DONOR)
    with held_verifications(monkeypatch) as release:
        app = small_gate_app(settings.with_(public_url="https://collecte.test"))
        shedding = SignInShedding(app)
        body = {"email": account.email, "password": PASSWORD}
        async with (
            full_gate(app, account.email, release),
            client(app) as inside,
            client(shedding) as front,
        ):
            by_app = await inside.post(SIGN_IN_PATH, json=body)
            in_front = await front.post(SIGN_IN_PATH, json=body)
            english = await front.post(SIGN_IN_PATH, json=body, headers={"Accept-Language": "en"})
            # Everything else goes through while the gate is full.
            health = await front.get("/health")
            page = await front.get("/connexion")

    assert (by_app.status_code, in_front.status_code, english.status_code) == (503, 503, 503)
    assert (
        in_front.json()
        == by_app.json()
        == {
            "status_code": 503,
            "detail": BUSY_FR,
            "extra": {"code": "unavailable", "retry_after": 1},
        }
    )
    assert english.json()["detail"] == BUSY_EN
    for name in COMPARED:
        assert in_front.headers.get(name) == by_app.headers.get(name), name
    assert in_front.headers["strict-transport-security"] == "max-age=31536000"
    assert in_front.headers["content-length"] == str(len(in_front.content))
    assert (health.status_code, page.status_code) == (200, 200)


async def test_sign_ins_go_through_while_the_gate_has_room(db: Engine, settings: Settings) -> None:
    account = await make_account(Role.DONOR)
    body = {"email": account.email, "password": PASSWORD}

    async with client(SignInShedding(create_app(settings, manage_database=False))) as front:
        right = await front.post(SIGN_IN_PATH, json=body)
        wrong = await front.post(SIGN_IN_PATH, json={**body, "password": "pas-le-bon-mdp"})
        # Only POST is refused in front: another method on the path is the app's to answer.
        other = await front.get(SIGN_IN_PATH)

    assert right.status_code == 200 and right.json()["access_token"]
    assert wrong.status_code == 401
    assert other.status_code == 405


async def test_refusals_are_counted_in_one_log_line_not_one_access_line_each(
    db: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = await make_account(Role.DONOR)
    monkeypatch.setattr(edge, "REPORT_EVERY_S", 0.2)
    with held_verifications(monkeypatch) as release:
        app = small_gate_app(settings)
        shedding = SignInShedding(app)
        body = {"email": account.email, "password": PASSWORD}
        async with full_gate(app, account.email, release), client(shedding) as front:
            refused = [(await front.post(SIGN_IN_PATH, json=body)).status_code for _ in range(7)]
            with caplog.at_level(logging.WARNING, logger="collecte"):
                await asyncio.sleep(0.4)

    assert refused == [503] * 7
    assert [record.getMessage() for record in caplog.records if record.name == "collecte"] == [
        "Sign-ins refused at once, the password hashing queue being full: 7 in 0 s"
    ]


@pytest.mark.parametrize(
    ("path", "status", "kept"),
    [
        (SIGN_IN_PATH, 503, False),
        (SIGN_IN_PATH, 401, True),
        (SIGN_IN_PATH, 429, True),
        ("/health", 503, True),
        ("/api/auth/logout", 503, True),
    ],
)
def test_only_the_access_lines_of_refused_sign_ins_are_left_out(
    settings: Settings, path: str, status: int, kept: bool
) -> None:
    SignInShedding(create_app(settings, manage_database=False))
    access = logging.getLogger("uvicorn.access")
    record = access.makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", path, "1.1", status),
        None,
    )

    assert access.filter(record) is kept
    # However many apps a process builds, the filter is there once.
    SignInShedding(create_app(settings, manage_database=False))
    assert sum(isinstance(f, type(edge._ACCESS_FILTER)) for f in access.filters) == 1


def test_collecte_serve_serves_the_app_behind_the_layer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from collecte import cli

    monkeypatch.setenv("COLLECTE_DATABASE_URL", f"sqlite:///{tmp_path}/serve.sqlite3")
    served = cli.worker_app()

    assert isinstance(served, SignInShedding) and isinstance(served.app, Litestar)
    assert served.state is served.app.state
