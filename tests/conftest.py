"""Test databases: SQLite always, PostgreSQL when COLLECTE_TEST_POSTGRES_URL is set.

Each database is created and migrated once per session (with the real migrations), and emptied
before each test. The app runs in the test's own event loop through httpx's ASGI transport, so
PostgreSQL's pool and the tests share one loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx
import pytest
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from collecte.db.engine import close_pool, engine_for, start_pool, use_engine
from collecte.db.migrate import migrate
from collecte.db.sqlite import CollecteSQLiteEngine
from collecte.db.tables import ALL_TABLES
from collecte.settings import Settings
from collecte.web.app import create_app
from tests.factory import SECRET

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def _with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Engine]]:
    """One migrated database per backend for the whole session.

    Neither waits for the disk at each commit: these databases live for one test session and
    are thrown away, and no test cuts their power. The live servers of the crash tests run with
    the shipped settings (SQLite's synchronous FULL, PostgreSQL's synchronous_commit on).
    """
    found: dict[str, Engine] = {}
    sqlite_path = Path(tmp_path_factory.mktemp("db")) / "collecte-test.sqlite3"
    sqlite = engine_for(f"sqlite:///{sqlite_path}")
    assert isinstance(sqlite, CollecteSQLiteEngine)
    sqlite.synchronous = "OFF"
    found["sqlite"] = sqlite
    await migrate(found["sqlite"])
    admin = None
    database = f"collecte_test_{os.getpid()}_{secrets.token_hex(3)}"
    if POSTGRES_URL:
        admin = await asyncpg.connect(POSTGRES_URL)
        await admin.execute(f'CREATE DATABASE "{database}"')
        await admin.execute(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
        found["postgres"] = engine_for(_with_database(POSTGRES_URL, database))
        await migrate(found["postgres"])
        await start_pool(found["postgres"], 2, 40)
    yield found
    if admin is not None:
        await close_pool(found["postgres"])
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


# Children before parents, so no foreign key objects; in one transaction, so one commit.
_EMPTY_TABLES = "".join(f"DELETE FROM {table._meta.tablename};" for table in reversed(ALL_TABLES))


def _empty_sqlite(path: str) -> None:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.executescript(f"BEGIN IMMEDIATE; {_EMPTY_TABLES} COMMIT;")


async def _empty_postgres(engine: PostgresEngine) -> None:
    # DELETE, not TRUNCATE: on tables this small it takes a millisecond where TRUNCATE's new
    # files take 400 ms; the sequences restart so every test sees the same ids.
    async with engine.pool.acquire() as connection:
        await connection.execute(
            f"BEGIN; {_EMPTY_TABLES} COMMIT; "
            "SELECT setval(format('%I', sequencename)::regclass, 1, false) "
            "FROM pg_sequences WHERE schemaname = current_schema();"
        )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend a test runs on."""
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("COLLECTE_TEST_POSTGRES_URL is not set")
    return str(request.param)


@pytest.fixture
async def db(engines: dict[str, Engine], backend: str) -> Engine:
    """An empty database of the backend under test, with the tables pointed at it."""
    engine = engines[backend]
    use_engine(engine)
    if isinstance(engine, PostgresEngine):
        await _empty_postgres(engine)
    else:
        await asyncio.to_thread(_empty_sqlite, engine.connection_kwargs["database"])
    return engine


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings of the app under test (the database is chosen by the `db` fixture)."""
    return Settings(secret_key=SECRET, public_url="http://collecte.test")


@pytest.fixture(scope="session")
def app(settings: Settings):  # type: ignore[no-untyped-def]
    """The application, built once; the database is the engine `db` points the tables at."""
    return create_app(settings, manage_database=False)


@pytest.fixture
async def client(db: Engine, app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """An HTTP client talking to the app in this event loop."""
    app.state.verify_window.clear()  # each test starts with its verification allowance whole
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collecte.test") as http:
        yield http
