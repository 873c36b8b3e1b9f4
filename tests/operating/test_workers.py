"""Several server processes on one PostgreSQL database behave as one service.

- `collecte serve --workers 2` starts two worker processes, each serving, and stops on SIGTERM
  within 10 s;
- two separate servers on one database (as behind a load balancer) share what must be shared:
  the signing key (a token from one is accepted by the other, a form from one posts to the
  other), the sign-in failure count, the answers to an Idempotency-Key, the certificate
  numbering, and the day-end closing of pickups every process runs;
- on SQLite, several workers are refused with a plain message.

The PostgreSQL cases are skipped without COLLECTE_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from collecte.cli import sqlite_workers_refusal
from collecte.db.tables import AppSecret, Certificate, DeviceEvent, Pickup
from collecte.domain.access import Principal
from collecte.domain.clock import next_noumea_midnight, now
from collecte.domain.vocabulary import Role
from collecte.services.donations import create_donation
from collecte.services.pickups import close_overdue_pickups
from collecte.settings import Settings
from tests.factory import PASSWORD, WIPE, Account, make_account
from tests.live import ROOT, LiveServer, dedicated_database

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="COLLECTE_TEST_POSTGRES_URL not set")
# The servers below read the signing key from the database, as a deployment without
# COLLECTE_SECRET_KEY does: the test shows every process ends up with the same one.
KEY_FROM_DATABASE = {"COLLECTE_SECRET_KEY": ""}
STOP_WITHIN_S = 10.0
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _connections_held(pid: int, port: int) -> int:
    """Established TCP connections to local `port` whose socket `pid` holds (Linux /proc)."""
    inodes = set()
    for fd in (Path("/proc") / str(pid) / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    held = 0
    for line in (Path("/proc") / str(pid) / "net" / "tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: established
            held += 1
    return held


async def _workers_answering(server: LiveServer, workers: set[int]) -> set[int]:
    """The worker processes seen answering: waves of new connections, each answered and kept
    open, until every worker holds one of them (the kernel hands a new connection to whichever
    worker accepts first), within 30 s (a loaded machine lets one worker take many in a row)."""
    answered: set[int] = set()
    clients: list[httpx.AsyncClient] = []
    deadline = time.monotonic() + 30
    try:
        while answered != workers and time.monotonic() < deadline:
            wave = [httpx.AsyncClient(base_url=server.url, timeout=5) for _ in range(4)]
            clients += wave
            answers = await asyncio.gather(*(client.get("/api/ping") for client in wave))
            assert {answer.status_code for answer in answers} == {200}
            answered = {pid for pid in workers if _connections_held(pid, server.port)}
            await asyncio.sleep(0.05)
    finally:
        for client in clients:
            await client.aclose()
    return answered


@contextmanager
def _servers(*servers: LiveServer) -> Iterator[tuple[LiveServer, ...]]:
    with ExitStack() as stack:
        for server in servers:
            server.start()
            stack.callback(server.stop)
        yield servers


async def _coordinator_and_reconditioner() -> tuple[Account, Account]:
    return await make_account(Role.COORDINATOR), await make_account(Role.RECONDITIONER)


async def _donation(coordinator: Account, count: int, has_storage: bool = True) -> list[str]:
    """`count` registered devices of one new donation; their tags."""
    principal = Principal(
        coordinator.user_id,
        coordinator.email,
        "",
        coordinator.organization_id,
        coordinator.organization_name,
        Role.COORDINATOR,
    )
    donor = await make_account(Role.DONOR)
    devices = [
        {"category": "laptop", "serial_number": f"SN-W-{i}", "has_storage": has_storage}
        for i in range(count)
    ]
    donation = await create_donation(
        principal, {"donor_id": donor.organization_id, "devices": devices}, count
    )
    return [device["tag"] for device in donation["devices"]]


async def _sign_in(http: httpx.AsyncClient, url: str, email: str, password: str) -> httpx.Response:
    return await http.post(f"{url}/api/auth/login", json={"email": email, "password": password})


async def _token(http: httpx.AsyncClient, url: str, account: Account) -> dict[str, str]:
    response = await _sign_in(http, url, account.email, PASSWORD)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _batch(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], action: str, tags: list[str]
) -> None:
    response = await http.post(
        f"{url}/api/transitions", json={"action": action, "tags": tags}, headers=headers
    )
    assert response.status_code == 200, response.text


# --- (a) one command, two worker processes ----------------------------------------------------


@needs_postgres
async def test_serve_with_two_workers_runs_two_processes_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    async with dedicated_database("postgres", tmp_path, POSTGRES_URL) as url:
        server = LiveServer(url, tmp_path / "server.log", "", KEY_FROM_DATABASE, workers=2)
        server.start()
        try:
            assert server.process is not None
            supervisor = server.process.pid
            # uvicorn logs each worker's pid once its application has started (lifespan done:
            # its pool is open and it has read the signing key).
            deadline = time.monotonic() + 30
            started: set[int] = set()
            while time.monotonic() < deadline:
                started = {
                    int(pid)
                    for pid in re.findall(r"Started server process \[(\d+)\]", server.log())
                }
                if len(started) == 2 and server.log().count("Application startup complete") == 2:
                    break
                await asyncio.sleep(0.1)
            assert len(started) == 2, server.log()
            assert supervisor not in started
            assert started <= set(_children(supervisor)), (started, _children(supervisor))
            assert "2 processus" in server.log()
            answered = await _workers_answering(server, started)
            assert answered == started, (answered, started)
            # One key for all: created once, before the workers started.
            assert await AppSecret.count().where(AppSecret.name == "token") == 1

            began = time.monotonic()
            server.process.terminate()
            server.process.wait(timeout=STOP_WITHIN_S)
            assert time.monotonic() - began < STOP_WITHIN_S
            assert server.process.returncode == 0, server.log()
            assert not [pid for pid in started if _alive(pid)]
        finally:
            server.kill()


# --- (b) two servers on one database ------------------------------------------------------------


@needs_postgres
async def test_two_servers_share_tokens_sign_in_limits_idempotency_and_numbers(
    tmp_path: Path,
) -> None:
    async with dedicated_database("postgres", tmp_path, POSTGRES_URL, pool=True) as url:
        coordinator, reconditioner = await _coordinator_and_reconditioner()
        wiped = await _donation(coordinator, 12)
        replayed = (await _donation(coordinator, 1))[0]
        one = LiveServer(url, tmp_path / "one.log", "", KEY_FROM_DATABASE)
        two = LiveServer(url, tmp_path / "two.log", "", KEY_FROM_DATABASE)
        with _servers(one, two):
            async with httpx.AsyncClient(timeout=15) as http:
                await _tokens_cross_over(http, one, two, reconditioner)
                await _sign_in_failures_add_up(http, one, two, coordinator)
                headers = await _token(http, one.url, reconditioner)
                await _batch(http, one.url, headers, "collect", [*wiped, replayed])
                await _batch(http, two.url, headers, "receive", wiped)
                await _same_key_on_both_applies_once(http, one, two, headers, replayed)
                await _numbers_stay_gapless_across_both(http, one, two, headers, wiped)
            async with httpx.AsyncClient(timeout=15) as browser:
                await _page_sign_in_crosses_over(browser, one, two, reconditioner)
            await _day_end_closes_each_pickup_once()
        assert await AppSecret.count().where(AppSecret.name == "token") == 1


async def _tokens_cross_over(
    http: httpx.AsyncClient, one: LiveServer, two: LiveServer, account: Account
) -> None:
    """A token issued by either server is accepted by the other."""
    for issuer, reader in ((one, two), (two, one)):
        headers = await _token(http, issuer.url, account)
        answer = await http.get(f"{reader.url}/api/donations", headers=headers)
        assert answer.status_code == 200, answer.text


async def _sign_in_failures_add_up(
    http: httpx.AsyncClient, one: LiveServer, two: LiveServer, account: Account
) -> None:
    """Failures sent alternately to both count together: the 5th is still a plain refusal,
    the 6th is 429 on both."""
    servers = (one, two)
    for attempt in range(5):
        answer = await _sign_in(http, servers[attempt % 2].url, account.email, "faux")
        assert answer.status_code == 401, (attempt, answer.text)
    for server in (two, one):
        answer = await _sign_in(http, server.url, account.email, PASSWORD)
        assert answer.status_code == 429, answer.text
        assert answer.json()["detail"] == (
            "Trop de tentatives de connexion échouées : réessayez dans quelques minutes."
        )


async def _same_key_on_both_applies_once(
    http: httpx.AsyncClient,
    one: LiveServer,
    two: LiveServer,
    headers: dict[str, str],
    tag: str,
) -> None:
    """The same Idempotency-Key sent to both at once: one event, the same answer twice."""
    keyed = {**headers, "Idempotency-Key": f"scan-{tag}"}
    answers = await asyncio.gather(
        *(
            http.post(
                f"{server.url}/api/devices/{tag}/transitions",
                json={"action": "receive"},
                headers=keyed,
            )
            for server in (one, two, one, two)
        )
    )
    assert [answer.status_code for answer in answers] == [200] * 4, [a.text for a in answers]
    bodies = [answer.json() for answer in answers]
    assert all(body == bodies[0] for body in bodies), bodies
    assert bodies[0]["status"] == "received"
    events = await DeviceEvent.count().where(
        (DeviceEvent.device.tag == tag) & (DeviceEvent.action == "receive")
    )
    assert events == 1


async def _numbers_stay_gapless_across_both(
    http: httpx.AsyncClient,
    one: LiveServer,
    two: LiveServer,
    headers: dict[str, str],
    tags: list[str],
) -> None:
    """Wipes issuing an erasure certificate each, sent to both servers at once: every number
    once, none skipped."""

    async def wipe(server: LiveServer, tag: str) -> dict[str, Any]:
        answer = await http.post(
            f"{server.url}/api/devices/{tag}/transitions",
            json={"action": "wipe", **WIPE},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    servers = (one, two)
    await asyncio.gather(*(wipe(servers[i % 2], tag) for i, tag in enumerate(tags)))
    numbers = [
        row["number"]
        for row in await Certificate.select(Certificate.number).where(Certificate.kind == "erasure")
    ]
    assert len(numbers) == len(set(numbers)) == len(tags)
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequences == list(range(1, len(tags) + 1))


async def _page_sign_in_crosses_over(
    browser: httpx.AsyncClient, one: LiveServer, two: LiveServer, account: Account
) -> None:
    """A form from one server posts to the other (one CSRF key), and the session cookie it sets
    opens pages on the first."""
    page = await browser.get(f"{one.url}/connexion")
    token = _CSRF.search(page.text)
    assert token, page.text[:500]
    signed_in = await browser.post(
        f"{two.url}/connexion",
        data={"email": account.email, "password": PASSWORD, "next": "", "_csrf_token": token[1]},
    )
    assert signed_in.status_code == 303, signed_in.text[:500]
    landing = signed_in.headers["location"]
    assert landing != "/connexion"
    opened = await browser.get(f"{one.url}{landing}")
    assert opened.status_code == 200, opened.text[:500]


async def _day_end_closes_each_pickup_once() -> None:
    """What every process does after the Nouméa midnight, twice at once (as two processes
    would): each pickup left open is closed once, with one attestation."""
    open_ = {
        row["number"] for row in await Pickup.select(Pickup.number).where(Pickup.status == "open")
    }
    assert open_
    tomorrow = next_noumea_midnight(now()) + timedelta(seconds=1)
    closed = await asyncio.gather(
        *(close_overdue_pickups(Settings(), clock=lambda: tomorrow) for _ in range(2))
    )
    everything = [number for numbers in closed for number in numbers]
    assert sorted(everything) == sorted(open_), closed
    assert await Certificate.count().where(Certificate.kind == "donation") == len(open_)


# --- (c) SQLite refuses several workers ---------------------------------------------------------


def _serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collecte.cli", "serve", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--workers", "2"), {}), ((), {"COLLECTE_WORKERS": "2"})],
    ids=["option", "environment"],
)
def test_sqlite_refuses_two_workers(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    database = tmp_path / "collecte.sqlite3"
    result = _serve({"COLLECTE_DATABASE_URL": f"sqlite:///{database}", **env}, *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "Plusieurs processus (--workers 2) demandent PostgreSQL : avec SQLite, un seul processus "
        "peut écrire à la fois.",
        "Passez à PostgreSQL (COLLECTE_DATABASE_URL=postgresql://…) ou servez avec un seul "
        "processus (--workers 1 ou COLLECTE_WORKERS=1).",
    ]
    assert result.stderr.strip() == sqlite_workers_refusal(2)
    assert not database.exists()  # refused before anything was touched


def test_sqlite_serves_with_one_worker(tmp_path: Path) -> None:
    """The other side of the limit: `--workers 1` on SQLite starts (and answers)."""
    url = f"sqlite:///{tmp_path / 'collecte.sqlite3'}"
    server = LiveServer(url, tmp_path / "server.log", "s" * 40, {"COLLECTE_WORKERS": "1"})
    with _servers(server):
        assert httpx.get(f"{server.url}/api/ping", timeout=5).json() == {"ping": "pong"}


@pytest.mark.parametrize(
    ("args", "env", "status", "line"),
    [
        (
            ("--workers", "0"),
            {},
            2,
            "collecte serve: error: argument --workers: un nombre entier d’au moins 1 est "
            "attendu (reçu « 0 »)",
        ),
        ((), {"COLLECTE_WORKERS": "0"}, 1, "COLLECTE_WORKERS doit valoir au moins 1 (reçu 0)."),
        (
            (),
            {"COLLECTE_WORKERS": "deux"},
            1,
            "COLLECTE_WORKERS doit être un nombre entier (reçu « deux »).",
        ),
    ],
    ids=["option-zero", "environment-zero", "environment-word"],
)
def test_a_worker_count_below_one_is_refused(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], status: int, line: str
) -> None:
    database = tmp_path / "collecte.sqlite3"
    result = _serve({"COLLECTE_DATABASE_URL": f"sqlite:///{database}", **env}, *args)
    assert result.returncode == status, result.stderr
    assert result.stderr.strip().splitlines()[-1] == line
    assert not database.exists()
