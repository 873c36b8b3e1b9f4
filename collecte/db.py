"""The database engine: choosing it, writing safely on SQLite and PostgreSQL, migrating.

SQLite allows one writer at a time. Piccolo opens a connection per transaction, so writers
would fight over the lock ("database is locked"); every writing transaction therefore goes
through `write_transaction()`, which serialises writers inside the process, runs on one
long-lived writer connection and begins with BEGIN IMMEDIATE. PostgreSQL needs none of it: its
row locks and the conditional updates do the work.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, redirect_stdout
from io import StringIO
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)

T = TypeVar("T")

# aiosqlite logs every call with its parameters at DEBUG (password hashes, stored answers): an
# operator turning DEBUG on to chase a bug must not get those in the logs.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

SQLITE_BUSY_TIMEOUT_S = 30


class _SQLiteTransaction(SQLiteTransaction):
    """A transaction on its own connection, or on the engine's long-lived writer connection.

    `write_transaction()` takes the writer under the process's writer lock: opening a SQLite
    connection (a thread, the file, the pragmas) costs more than the transaction itself.
    """

    shared_writer = False

    async def get_connection(self) -> Any:
        if self.shared_writer:
            assert isinstance(self.engine, CollecteSQLiteEngine)
            return await self.engine.writer_connection()
        return await super().get_connection()

    async def _discard_connection(self) -> None:
        if self.shared_writer:
            assert isinstance(self.engine, CollecteSQLiteEngine)
            await self.engine.close_writer()
        else:
            await self.connection.close()

    async def begin(self) -> None:
        # A BEGIN that times out would otherwise leave aiosqlite's thread running forever.
        try:
            await super().begin()
        except BaseException:
            await self._discard_connection()
            raise

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            # A connection whose COMMIT or ROLLBACK failed is not reused, whatever its state.
            await self._discard_connection()
            self.engine.current_transaction.reset(self.context)
            raise
        if not self.shared_writer:
            await self.connection.close()
        self.engine.current_transaction.reset(self.context)
        return exception is None


class CollecteSQLiteEngine(SQLiteEngine):
    """SQLite with WAL-friendly pragmas, one long-lived writer connection per event loop, and
    transactions that never leak their connection."""

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        # Durable at every checkpoint, and far fewer fsyncs per commit under WAL.
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def writer_connection(self) -> Any:
        """This event loop's writer connection, opened on first use; use it under the lock."""
        loop = asyncio.get_running_loop()
        connection = self._writers.get(loop)
        if connection is None:
            connection = aiosqlite.connect(**self.connection_kwargs)
            # Kept open for the life of the process: its thread must not hold the exit up.
            connection._thread.daemon = True
            await connection
            connection.row_factory = dict_factory  # type: ignore[assignment]
            await connection.execute("PRAGMA foreign_keys = 1")
            await connection.execute("PRAGMA synchronous = NORMAL")
            self._writers[loop] = connection
        return connection

    async def close_writer(self) -> None:
        """Close this event loop's writer connection, if open (shutdown, or after a failure)."""
        connection = self._writers.pop(asyncio.get_running_loop(), None)
        if connection is not None:
            await connection.close()

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # Piccolo's own version sends `PRAGMA foreign_keys = 1` before every query of a
        # transaction: one more hop to the connection's thread each time. Our connections set
        # it once when they open. (RETURNING exists since SQLite 3.35, which we require.)
        # execute_fetchall: execute, fetch and close in one hop to that thread, not three;
        # under the writer lock every hop is time no other writer can use.
        return await connection.execute_fetchall(query, args or [])

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _SQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    def writer_transaction(self) -> SQLiteTransaction:
        """An immediate transaction on the writer connection; only under the writer lock."""
        transaction = _SQLiteTransaction(engine=self, transaction_type=TransactionType.immediate)
        transaction.shared_writer = True
        return transaction


def engine_for(url: str) -> Engine:
    """Return the Piccolo engine for a `sqlite:///path` or `postgresql://…` URL."""
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": url}, log_queries=False)
    if parsed.scheme == "sqlite" and url.startswith("sqlite:///"):
        # sqlite:///relative/file.db or sqlite:////absolute/file.db, as SQLAlchemy writes them.
        path = unquote(url[len("sqlite:///") :]) or "collecte.sqlite3"
        return CollecteSQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
    raise SystemExit(
        f"COLLECTE_DATABASE_URL non reconnue : « {url} » (attendu sqlite:///… ou postgresql://…)."
    )


def current_engine() -> Engine:
    """Return the engine the tables use."""
    from collecte.tables import Device

    return Device._meta.db


def use_engine(engine: Engine) -> None:
    """Point every table, and Piccolo's migration machinery, at `engine`."""
    from piccolo.apps.migrations.tables import Migration
    from piccolo.table import Table

    import collecte.piccolo_conf as conf
    from collecte.tables import ALL_TABLES

    conf.DB = engine
    tables: list[type[Table]] = [*ALL_TABLES, Migration]
    for table in tables:
        table._meta.db = engine


_writer_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _writer_lock() -> asyncio.Lock:
    # One lock per event loop: a lock is bound to the loop it first waited on.
    loop = asyncio.get_running_loop()
    lock = _writer_locks.get(loop)
    if lock is None:
        lock = _writer_locks[loop] = asyncio.Lock()
    return lock


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """Run the block in one transaction that may write; it commits or rolls back whole."""
    engine = current_engine()
    if isinstance(engine, SQLiteEngine):
        if engine.current_transaction.get() is not None:
            async with engine.transaction() as joined:  # nested: joins the outer one
                yield joined
            return
        if isinstance(engine, CollecteSQLiteEngine):
            async with _writer_lock(), engine.writer_transaction() as transaction:
                yield transaction
            return
        async with _writer_lock(), engine.transaction(TransactionType.immediate) as transaction:
            yield transaction
    else:
        async with engine.transaction() as transaction:
            yield transaction


# PostgreSQL aborts one of two transactions that wait on each other (deadlock, e.g. on shared
# tally rows) or, under SERIALIZABLE isolation (CockroachDB), that conflict. Nothing of an
# aborted transaction remains, so running it again is safe.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


async def retry_on_conflict(operation: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """Run `operation` (one whole transaction), again if the database aborted it for a conflict.

    Inside a caller's transaction it runs once: only the outermost transaction can be retried.
    """
    if current_engine().current_transaction.get() is not None:
        return await operation()
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except asyncpg.exceptions.PostgresError as error:
            if error.sqlstate not in _RETRYABLE_SQLSTATES or attempt == attempts:
                raise
            await asyncio.sleep(0.005 * attempt)
    raise AssertionError("unreachable")


async def prepare_sqlite(engine: Engine) -> None:
    """Switch a SQLite database to WAL so readers never wait for the writer (kept in the file)."""
    if isinstance(engine, SQLiteEngine):
        await engine._run_in_new_connection("PRAGMA journal_mode = WAL")


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


async def start_pool(engine: Engine, min_size: int, max_size: int) -> None:
    """Start PostgreSQL's connection pool (nothing to do on SQLite)."""
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(
            min_size=min_size, max_size=max_size, reset=_release_as_is
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


async def close_pool(engine: Engine) -> None:
    """Close PostgreSQL's connection pool if one runs, or SQLite's writer connection."""
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    if isinstance(engine, CollecteSQLiteEngine):
        await engine.close_writer()


# Any 64-bit number will do, as long as it is always the same for collecte's migrations.
_MIGRATION_LOCK_ID = 7_301_954_260_211


async def migrate(engine: Engine, quiet: bool = True) -> None:
    """Apply pending migrations to `engine`; several processes may call it at once."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    use_engine(engine)
    await prepare_sqlite(engine)
    output = StringIO()
    connection = None
    if isinstance(engine, PostgresEngine):
        # Two workers migrating at once would both create the tables: take turns.
        connection = await engine.get_new_connection()
        await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_ID)
    try:
        with redirect_stdout(output if quiet else sys.stdout):
            result = await run_forwards("all")
    finally:
        if connection is not None:
            await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_ID)
            await connection.close()
    if not result.success:
        raise RuntimeError(f"Échec des migrations : {result.message}\n{output.getvalue()}")
