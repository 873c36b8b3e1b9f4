"""PostgreSQL's pool hands connections back without asyncpg's session reset (db.engine), so:

- a connection given back with a transaction still open comes back rolled back, its locks gone;
- a connection whose query was cancelled comes back usable;
- collecte's code keeps no session state that the skipped reset would have cleared.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from collecte.db.engine import close_pool, engine_for, start_pool
from tests.conftest import POSTGRES_URL

PACKAGE = Path(__file__).resolve().parents[2] / "collecte"


@pytest.fixture
async def single(engines: dict[str, Engine]) -> AsyncIterator[PostgresEngine]:
    """A pool of exactly one connection on the test database, so every checkout reuses it."""
    if not POSTGRES_URL:
        pytest.skip("COLLECTE_TEST_POSTGRES_URL is not set")
    engine = engine_for(engines["postgres"].config["dsn"])  # type: ignore[attr-defined]
    assert isinstance(engine, PostgresEngine)
    await start_pool(engine, 1, 1)
    yield engine
    await close_pool(engine)


async def test_a_transaction_left_open_is_rolled_back_with_its_locks(
    single: PostgresEngine,
) -> None:
    assert single.pool is not None
    async with single.pool.acquire() as connection:
        await connection.execute("CREATE TABLE IF NOT EXISTS pool_probe (id int PRIMARY KEY)")
        await connection.execute("INSERT INTO pool_probe VALUES (1) ON CONFLICT DO NOTHING")
    async with single.pool.acquire() as connection:
        await connection.execute("BEGIN")
        await connection.execute("INSERT INTO pool_probe VALUES (2)")
        await connection.execute("SELECT id FROM pool_probe WHERE id = 1 FOR UPDATE")
        # handed back without COMMIT or ROLLBACK

    async with single.pool.acquire() as connection:
        assert not connection.is_in_transaction()
        other = await single.get_new_connection()
        try:
            locked = await other.fetchval(
                "SELECT id FROM pool_probe WHERE id = 1 FOR UPDATE NOWAIT"
            )
            assert locked == 1
            assert await other.fetchval("SELECT count(*) FROM pool_probe WHERE id = 2") == 0
        finally:
            await other.execute("DROP TABLE pool_probe")
            await other.close()


async def _cancel_and_check_out_again(engine: PostgresEngine, task: asyncio.Task[None]) -> None:
    """Cancel `task` mid-query, then check the pool's one connection out: idle and usable."""
    assert engine.pool is not None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(5):
        async with engine.pool.acquire() as connection:
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT 41 + 1") == 42


async def test_a_cancelled_query_leaves_a_usable_connection(single: PostgresEngine) -> None:
    assert single.pool is not None

    async def slow() -> None:
        async with single.pool.acquire() as connection:  # type: ignore[union-attr]
            await connection.execute("SELECT pg_sleep(30)")

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.3)
    await _cancel_and_check_out_again(single, task)


async def test_a_transaction_cancelled_mid_query_gives_its_locks_back(
    single: PostgresEngine,
) -> None:
    """A client hanging up during a long read inside a transaction (a CSV export, say)."""
    assert single.pool is not None
    other = await single.get_new_connection()
    await other.execute("CREATE TABLE IF NOT EXISTS pool_probe (id int PRIMARY KEY)")
    await other.execute("INSERT INTO pool_probe VALUES (1) ON CONFLICT DO NOTHING")
    locked = asyncio.Event()

    async def read_then_hang() -> None:
        async with single.transaction():
            await single.run_ddl("SELECT id FROM pool_probe WHERE id = 1 FOR UPDATE")
            locked.set()
            await single.run_ddl("SELECT pg_sleep(30)")

    task = asyncio.create_task(read_then_hang())
    try:
        await asyncio.wait_for(locked.wait(), 5)
        await asyncio.sleep(0.2)
        await _cancel_and_check_out_again(single, task)

        async with asyncio.timeout(5):
            assert await other.fetchval("SELECT id FROM pool_probe WHERE id = 1 FOR UPDATE NOWAIT")
            await other.execute("TRUNCATE pool_probe")  # waits forever if a lock were left
    finally:
        await other.execute("DROP TABLE IF EXISTS pool_probe")
        await other.close()


# Statements that leave state on a session: what asyncpg's reset would have cleared.
_SESSION_STATE = [
    # a statement (at the start of a string, or after `;`) SET without LOCAL or TRANSACTION
    re.compile(r"[\"';]\s*SET\s+(?!LOCAL\b|TRANSACTION\b)(SESSION\s+)?[a-z_.]+\s*(=|TO\b)", re.I),
    re.compile(r"\bLISTEN\b", re.I),
    re.compile(r"\bDECLARE\b[^;]*\bWITH\s+HOLD\b", re.I),
    re.compile(r"pg_advisory_lock\s*\(", re.I),
]
# The one allowed place: migrations take their advisory lock on a connection of their own.
_ALLOWED = {("migrate.py", "pg_advisory_lock\\s*\\(")}


def test_no_code_leaves_session_state_on_a_pooled_connection() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        for pattern in _SESSION_STATE:
            if (path.name, pattern.pattern) in _ALLOWED:
                continue
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(PACKAGE)}:{line}: {match.group(0)}")
    assert not found, "session state on pooled connections:\n" + "\n".join(found)
