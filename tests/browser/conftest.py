"""The real app served by uvicorn on a free local port, and Debian's Chromium driven by Playwright.

Each backend (SQLite always, PostgreSQL when COLLECTE_TEST_POSTGRES_URL is set) gets a fresh,
migrated database for the module; the server runs in a subprocess (`collecte serve`) with the
test signing key, so the factory's accounts and tokens work against it. No browser is downloaded:
Playwright drives /usr/bin/chromium.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from collecte.db.engine import engine_for, use_engine
from collecte.db.migrate import migrate
from tests.browser.support import LiveServer
from tests.conftest import POSTGRES_URL, _with_database
from tests.factory import SECRET, World, make_world

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"collecte serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"collecte serve did not answer in time:\n{log.read_text()}")


@pytest.fixture(scope="module", params=BACKENDS)
async def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveServer]:
    """`collecte serve` on a fresh, migrated database of each backend."""
    folder = tmp_path_factory.mktemp("live")
    admin = None
    database = f"collecte_browser_{os.getpid()}_{secrets.token_hex(3)}"
    if request.param == "postgres":
        assert POSTGRES_URL
        admin = await asyncpg.connect(POSTGRES_URL)
        await admin.execute(f'CREATE DATABASE "{database}"')
        url = _with_database(POSTGRES_URL, database)
    else:
        url = f"sqlite:///{folder / 'collecte.sqlite3'}"
    engine = engine_for(url)
    await migrate(engine)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COLLECTE_DATABASE_URL": url,
        "COLLECTE_SECRET_KEY": SECRET,
        "COLLECTE_PUBLIC_URL": base_url,
        "COLLECTE_POOL_MIN_SIZE": "1",
        "COLLECTE_POOL_MAX_SIZE": "5",
    }
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "collecte.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base_url, process, log)
        yield LiveServer(base_url, engine, str(request.param))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.close()


@pytest.fixture
async def world(live: LiveServer) -> World:
    """One account of each role in the live server's database."""
    use_engine(live.engine)
    return await make_world()


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the live server's API (accounts carry their bearer headers)."""
    async with httpx.AsyncClient(base_url=live.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (make system-deps installs it)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Path]:
    """Where screenshots go (`test-artifacts/`, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    yield ARTIFACTS
