"""The database engine: choosing it, writing safely on SQLite and PostgreSQL, migrating.

SQLite allows one writer at a time. Piccolo opens a connection per transaction, so writers
would fight over the lock ("database is locked"); every writing transaction therefore goes
through `write_transaction()`, which serialises writers inside the process and begins with
BEGIN IMMEDIATE. PostgreSQL needs neither: its row locks and the conditional updates do the work.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, redirect_stdout
from io import StringIO
from typing import Any
from urllib.parse import unquote, urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

SQLITE_BUSY_TIMEOUT_S = 30


class _SQLiteTransaction(SQLiteTransaction):
    async def begin(self) -> None:
        # A BEGIN that times out would otherwise leave aiosqlite's thread running forever.
        try:
            await super().begin()
        except BaseException:
            await self.connection.close()
            raise


class CollecteSQLiteEngine(SQLiteEngine):
    """SQLite with WAL-friendly pragmas and a transaction that never leaks its connection."""

    async def get_connection(self) -> Any:
        connection = await super().get_connection()
        # Durable at every checkpoint, and far fewer fsyncs per commit under WAL.
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _SQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


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
        async with _writer_lock(), engine.transaction(TransactionType.immediate) as transaction:
            yield transaction
    else:
        async with engine.transaction() as transaction:
            yield transaction


async def prepare_sqlite(engine: Engine) -> None:
    """Switch a SQLite database to WAL so readers never wait for the writer (kept in the file)."""
    if isinstance(engine, SQLiteEngine):
        await engine._run_in_new_connection("PRAGMA journal_mode = WAL")


async def start_pool(engine: Engine, min_size: int, max_size: int) -> None:
    """Start PostgreSQL's connection pool (nothing to do on SQLite)."""
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=min_size, max_size=max_size)


async def close_pool(engine: Engine) -> None:
    """Close PostgreSQL's connection pool if one runs."""
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


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
