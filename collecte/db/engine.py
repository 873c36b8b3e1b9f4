"""The database engine: chosen once from the URL, the tables pointed at it, PostgreSQL's pool.

SQLite's own engine (one writer connection, transactions that never leak) is in
`collecte.db.sqlite`; writing transactions in `collecte.db.transactions`; migrations in
`collecte.db.migrate`.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote, urlparse

import asyncpg
from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from collecte.db.postgres import CollectePostgresEngine
from collecte.db.sqlite import SQLITE_BUSY_TIMEOUT_S, CollecteSQLiteEngine
from collecte.db.tables import ALL_TABLES, Device
from collecte.settings import DatabaseTimeouts, load_settings


def engine_for(url: str) -> Engine:
    """Return the Piccolo engine for a `sqlite:///path` or `postgresql://…` URL."""
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return CollectePostgresEngine(config={"dsn": url}, log_queries=False)
    if parsed.scheme == "sqlite" and url.startswith("sqlite:///"):
        # sqlite:///relative/file.db or sqlite:////absolute/file.db, as SQLAlchemy writes them.
        path = unquote(url[len("sqlite:///") :]) or "collecte.sqlite3"
        return CollecteSQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
    raise SystemExit(
        f"COLLECTE_DATABASE_URL non reconnue : « {url} » (attendu sqlite:///… ou postgresql://…)."
    )


# The engine every table uses; chosen once at start-up (tests switch it per backend).
_engine: Engine | None = None
_backend: str | None = None


def configured_engine() -> Engine:
    """Return the engine in use, or the one the settings name when none was chosen yet."""
    global _engine
    if _engine is None:
        use_engine(engine_for(load_settings().database_url))
    assert _engine is not None
    return _engine


def backend() -> str:
    """ "postgres" or "sqlite": the kind of the engine in use, for the paths that differ."""
    if _backend is None:
        configured_engine()
    assert _backend is not None
    return _backend


def current_engine() -> Engine:
    """Return the engine the tables use."""
    return Device._meta.db


# Checks still running on a stalled PostgreSQL, kept until they finish on their own.
_running_checks: set[asyncio.Task[object]] = set()


def start_check() -> asyncio.Future[object]:
    """A trivial read of the database in use, started now; its future fails when it does.

    The future may be cancelled at any time without waiting for anything: the read goes on by
    itself (on a thread, or in a task kept here) until the database answers or its own timeouts
    end it. Awaiting it wakes the event loop twice on SQLite (one thread opens the file, never
    creating it, reads and closes it), where a new Piccolo connection took half a dozen wake-ups,
    each waiting its turn behind every request in line: `/health` under load.
    """
    engine = current_engine()
    loop = asyncio.get_running_loop()
    if isinstance(engine, CollecteSQLiteEngine):
        return loop.run_in_executor(None, engine.read_something)
    task = asyncio.ensure_future(Device.raw("SELECT 1").run())
    _running_checks.add(task)
    answer: asyncio.Future[object] = loop.create_future()

    def settle(done: asyncio.Task[object]) -> None:
        _running_checks.discard(done)
        error = None if done.cancelled() else done.exception()  # retrieved, whoever waits
        if answer.done():
            return
        if done.cancelled():
            answer.cancel()
        elif error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(done.result())

    task.add_done_callback(settle)
    return answer


def use_engine(engine: Engine) -> None:
    """Point every table, and Piccolo's migration machinery, at `engine`."""
    global _engine, _backend
    _engine = engine
    _backend = "postgres" if isinstance(engine, PostgresEngine) else "sqlite"
    tables: list[type[Table]] = [*ALL_TABLES, Migration]
    for table in tables:
        table._meta.db = engine


async def _release_as_is(connection: asyncpg.Connection) -> None:
    """The pool's release hook: nothing beyond what asyncpg always does before calling it.

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL;` on every release: one more round trip per request, costing the server and
    PostgreSQL about as much as a scan's own statement (bench/bench_load.py). collecte keeps no
    session state on pooled connections: settings are changed with SET LOCAL or SET TRANSACTION
    only, nothing LISTENs, the migrations' advisory lock is taken on a connection of their own,
    no cursor outlives its transaction. Whatever the hook, asyncpg first waits out a cancelled
    query and rolls back a transaction left open, and closes the connection if either fails
    (tests/api/test_pool.py).
    """


async def start_pool(
    engine: Engine, min_size: int, max_size: int, timeouts: DatabaseTimeouts | None = None
) -> None:
    """Start PostgreSQL's connection pool (nothing to do on SQLite).

    Every wait on PostgreSQL is bounded by `timeouts`: connecting, acquiring a pooled
    connection, and each statement (asyncpg's `command_timeout` on the client, which also holds
    when PostgreSQL stalls, and `statement_timeout` on the server, so it stops working too).
    """
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        timeouts = timeouts or DatabaseTimeouts()
        if isinstance(engine, CollectePostgresEngine):
            engine.acquire_timeout = timeouts.acquire
        await engine.start_connection_pool(
            min_size=min_size,
            max_size=max_size,
            reset=_release_as_is,
            timeout=timeouts.connect,
            command_timeout=timeouts.statement,
            server_settings={"statement_timeout": str(int(timeouts.statement * 1000))},
        )


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    """PostgreSQL: run one statement written with `$1…` placeholders, in the current
    transaction if there is one, else on a pooled connection; asyncpg's records as they come.

    For the hot path only: Piccolo's own query string building and row copying cost more CPU
    than PostgreSQL spends on the statement.
    """
    engine = current_engine()
    assert isinstance(engine, PostgresEngine)
    transaction = engine.current_transaction.get()
    if transaction is not None:
        return await transaction.connection.fetch(sql, *args)
    if engine.pool is not None:
        return await engine._run_in_pool(sql, args)
    return await engine._run_in_new_connection(sql, args)


async def close_pool(engine: Engine, timeout: float = 5) -> None:
    """Close PostgreSQL's connection pool if one runs, or SQLite's writer connection.

    A connection still in use after `timeout` seconds (a request stuck on a stalled database)
    is closed at once, so stopping the service never hangs.
    """
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        pool = engine.pool
        try:
            await asyncio.wait_for(pool.close(), timeout)
        except (TimeoutError, OSError, asyncpg.exceptions.PostgresError):
            pool.terminate()
        engine.pool = None
    if isinstance(engine, CollecteSQLiteEngine):
        await engine.close_writer()
