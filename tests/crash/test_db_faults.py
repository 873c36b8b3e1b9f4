"""PostgreSQL faults the service survives on its own (PostgreSQL only, each test a few seconds).

- Backends killed under load (`pg_terminate_backend`, as a restart or a network cut does): the
  pool replaces the dead connections and never keeps one that is closed or lost, `/health`
  answers 200 again within 2 s of the last kill, and SIGTERM stops the server within 10 s.
- A stalled database (connections open, no answer) and a cut one, through a TCP proxy between
  the server and PostgreSQL: `/health` answers 503 within 5 s, requests answer 503 with
  `Retry-After` and a French sentence, one log line per incident; restored, everything answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest

from collecte.db.engine import close_pool, engine_for, start_pool
from collecte.db.postgres import CollectePostgresEngine
from collecte.domain.access import Principal
from collecte.domain.vocabulary import Role
from collecte.services.donations import create_donation
from collecte.settings import DatabaseTimeouts
from tests.factory import SECRET, Account, make_account
from tests.live import HOST, LiveServer, dedicated_database

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")
KILLS = 30
LOST = (
    asyncpg.exceptions.PostgresError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="COLLECTE_TEST_POSTGRES_URL is not set")
# Short bounds, so the faults show within the tests' time.
FAST = {
    "COLLECTE_DB_CONNECT_TIMEOUT": "2",
    "COLLECTE_DB_ACQUIRE_TIMEOUT": "2",
    "COLLECTE_DB_STATEMENT_TIMEOUT": "2",
    "COLLECTE_POOL_MIN_SIZE": "2",
    "COLLECTE_POOL_MAX_SIZE": "4",
}


async def _seed(count: int = 20) -> tuple[Account, list[str]]:
    """A reconditioner, and `count` devices registered (not collected: it may not receive them)."""
    coordinator = await make_account(Role.COORDINATOR)
    reconditioner = await make_account(Role.RECONDITIONER)
    donor = await make_account(Role.DONOR)
    principal = Principal(
        coordinator.user_id,
        coordinator.email,
        "",
        coordinator.organization_id,
        coordinator.organization_name,
        Role.COORDINATOR,
    )
    devices = [{"category": "laptop", "serial_number": f"SN-{i}"} for i in range(count)]
    donation = await create_donation(
        principal, {"donor_id": donor.organization_id, "devices": devices}, count
    )
    return reconditioner, [d["tag"] for d in donation["devices"]]


async def _kill_backends(admin: asyncpg.Connection, database: str) -> int:
    """Terminate every connection to `database` but the admin's own; how many there were."""
    killed = await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )
    return len(killed)


def _pool_health(engine: CollectePostgresEngine) -> tuple[int, int]:
    """(connections closed but still held, holders still in use) of the engine's pool."""
    assert engine.pool is not None
    holders = engine.pool._holders
    closed = sum(1 for h in holders if h._con is not None and h._con.is_closed())
    in_use = sum(1 for h in holders if h._in_use is not None)
    return closed, in_use


async def test_the_pool_replaces_connections_killed_mid_transaction() -> None:
    assert POSTGRES_URL
    name = "collecte_faults_pool"
    url = urlunparse(urlparse(POSTGRES_URL)._replace(path=f"/{name}"))
    admin = await asyncpg.connect(POSTGRES_URL)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    engine = engine_for(url)
    assert isinstance(engine, CollectePostgresEngine)
    await start_pool(engine, 2, 4, DatabaseTimeouts(connect=2, acquire=2, statement=2))
    stop = asyncio.Event()
    outcomes = {"ok": 0, "failed": 0}

    async def work() -> None:
        while not stop.is_set():
            try:
                async with engine.transaction():
                    await engine._run_in_pool("SELECT 1")  # outside, on another connection
                    await engine.run_ddl("SELECT pg_sleep(0.01)")
                    await engine.run_ddl("SELECT 1")
                outcomes["ok"] += 1
            except LOST:
                outcomes["failed"] += 1
                await asyncio.sleep(0.005)

    workers = [asyncio.create_task(work()) for _ in range(6)]
    try:
        for _ in range(KILLS):
            await asyncio.sleep(0.03)
            await _kill_backends(admin, name)
        last_kill = time.monotonic()
        # The 2-second promise is the live server's (`/health`, tested below); here the pool
        # itself is checked, with room for a machine busy running the rest of the suite.
        async with asyncio.timeout(5):
            while True:
                try:
                    async with engine.transaction():
                        await engine.run_ddl("SELECT 1")
                    break
                except LOST:
                    await asyncio.sleep(0.05)
        assert time.monotonic() - last_kill < 5
        stop.set()
        async with asyncio.timeout(10):
            await asyncio.gather(*workers)
        assert outcomes["failed"] > 0, "the kills should have caught transactions"
        assert _pool_health(engine) == (0, 0)
        # Every slot serves: as many transactions at once as the pool holds.
        async with asyncio.timeout(5):

            async def one() -> None:
                async with engine.transaction():
                    await engine.run_ddl("SELECT pg_sleep(0.1)")

            await asyncio.gather(*(one() for _ in range(4)))
    finally:
        stop.set()
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        async with asyncio.timeout(10):
            await close_pool(engine)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _hammer(
    http: httpx.AsyncClient, tags: list[str], headers: dict[str, str], seen: list[int]
) -> None:
    """Requests that open transactions and fail inside them (a device not yet collected)."""
    index = 0
    while True:
        tag = tags[index % len(tags)]
        index += 1
        try:
            response = await http.post(
                f"/api/devices/{tag}/transitions", json={"action": "receive"}, headers=headers
            )
            seen.append(response.status_code)
            response = await http.get("/api/public/totals")
            seen.append(response.status_code)
        except httpx.HTTPError:
            seen.append(0)


def _stop_within(server: LiveServer, seconds: float) -> float:
    assert server.process is not None
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=seconds)
    finally:
        server.kill()
    return time.monotonic() - started


async def test_a_live_server_survives_its_backends_killed_under_load(tmp_path: Path) -> None:
    async with dedicated_database("postgres", tmp_path, POSTGRES_URL) as url:
        database = urlparse(url).path.lstrip("/")
        reconditioner, tags = await _seed()
        headers = reconditioner.headers
        server = LiveServer(url, tmp_path / "server.log", SECRET, extra_env=FAST)
        server.start()
        admin = await asyncpg.connect(POSTGRES_URL)
        seen: list[int] = []
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                load = [asyncio.create_task(_hammer(http, tags, headers, seen)) for _ in range(8)]
                for _ in range(KILLS):
                    await asyncio.sleep(0.05)
                    await _kill_backends(admin, database)
                last_kill = time.monotonic()
                for task in load:
                    task.cancel()
                await asyncio.gather(*load, return_exceptions=True)
                async with asyncio.timeout(2):
                    while (await http.get("/health", timeout=1)).status_code != 200:
                        await asyncio.sleep(0.05)
                assert time.monotonic() - last_kill < 2
                # Every pool slot works again: more requests at once than the pool holds.
                answers = await asyncio.gather(
                    *(
                        http.post(
                            f"/api/devices/{tag}/transitions",
                            json={"action": "receive"},
                            headers=headers,
                        )
                        for tag in tags[:8]
                    )
                )
                # A domain refusal (the device is not at this workshop yet), from a transaction.
                assert {a.status_code for a in answers} <= {403, 409}, answers[0].text
            assert seen.count(500) == 0, server.log()
            assert len(seen) >= 8, "the load should have run during the kills"
            assert _stop_within(server, 10) < 10, server.log()
            assert "Pool.close() is taking" not in server.log()
        finally:
            server.stop()
            await admin.close()


class Proxy:
    """A TCP proxy to PostgreSQL that can stall (connections open, nothing passes) or cut."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.refusing = False
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, HOST, 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.links |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self.links -= {writer, up_writer}

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                await self.flowing.wait()
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            sink.transport.abort()

    def pause(self) -> None:
        """Stall: every connection stays open and nothing gets through."""
        self.flowing.clear()

    def cut(self) -> None:
        """Drop every connection and refuse new ones, as a database that went away."""
        self.refusing = True
        for link in list(self.links):
            link.transport.abort()
        self.flowing.set()

    def restore(self) -> None:
        self.refusing = False
        self.flowing.set()

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self.server.wait_closed()


async def _timed(http: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await http.get(path, headers={"Accept-Language": "fr"})
    return response, time.monotonic() - started


async def test_a_stalled_then_cut_database_answers_503_and_recovers(tmp_path: Path) -> None:
    async with dedicated_database("postgres", tmp_path, POSTGRES_URL) as url:
        parsed = urlparse(url)
        proxy = Proxy(parsed.hostname or HOST, parsed.port or 5432)
        await proxy.start()
        through = urlunparse(parsed._replace(netloc=f"{parsed.username}@{HOST}:{proxy.port}"))
        server = LiveServer(through, tmp_path / "server.log", SECRET, extra_env=FAST)
        try:
            # In a thread: start() waits synchronously, and the proxy runs on this loop.
            await asyncio.to_thread(server.start)
            async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
                assert (await http.get("/api/public/totals")).status_code == 200

                proxy.pause()
                health, took = await _timed(http, "/health")
                assert (health.status_code, health.json()["database"]) == (503, "unreachable")
                assert took < 5
                totals, took = await _timed(http, "/api/public/totals")
                assert totals.status_code == 503, totals.text
                assert took < 5
                assert totals.headers["Retry-After"] == "5"
                assert totals.json()["extra"]["code"] == "unavailable"
                assert "base de données ne répond pas" in totals.json()["detail"]

                proxy.cut()
                answers = [await _timed(http, "/api/public/totals") for _ in range(10)]
                assert {r.status_code for r, _ in answers} == {503}, answers[0][0].text
                assert all(r.headers.get("Retry-After") == "5" for r, _ in answers)
                assert max(took for _, took in answers) < 5

                proxy.restore()
                async with asyncio.timeout(8):
                    while (await http.get("/health")).status_code != 200:
                        await asyncio.sleep(0.1)
                assert (await http.get("/api/public/totals")).status_code == 200
            log = server.log(100_000)
            assert 1 <= log.count("Database unavailable") <= 2, log
            assert "Traceback" not in log, log
            assert "Database available again" in log
        finally:
            await asyncio.to_thread(server.stop)
            await proxy.close()
