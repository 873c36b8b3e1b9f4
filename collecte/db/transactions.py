"""Transactions that write: serialised on SQLite, retried when PostgreSQL aborts a conflict."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from collecte.db.engine import current_engine
from collecte.db.sqlite import CollecteSQLiteEngine

T = TypeVar("T")


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
