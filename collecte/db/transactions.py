"""Transactions that write: serialised on SQLite, retried when PostgreSQL aborts a conflict."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
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


# What to do once the outermost write transaction has committed (None: no write transaction).
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "after_commit", default=None
)
logger = logging.getLogger("collecte")


def after_commit(callback: Callable[[], None]) -> None:
    """Call `callback` once the current write transaction has committed (never if it rolls
    back); at once outside a write transaction. For work that must not hold the transaction's
    locks, e.g. rendering the certificates it issued."""
    callbacks = _after_commit.get()
    if callbacks is None:
        callback()
    else:
        callbacks.append(callback)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """Run the block in one transaction that may write; it commits or rolls back whole."""
    if _after_commit.get() is not None:  # nested: joins the outer one, which commits
        async with _joined() as transaction:
            yield transaction
        return
    callbacks: list[Callable[[], None]] = []
    token = _after_commit.set(callbacks)
    try:
        async with _joined() as transaction:
            yield transaction
    finally:
        _after_commit.reset(token)
    for callback in callbacks:  # committed: an exception never reaches here
        try:
            callback()
        except Exception:  # the commit stands: a follow-up that fails is only logged
            logger.exception("after-commit callback failed")


@asynccontextmanager
async def _joined() -> AsyncIterator[Any]:
    """The engine's write transaction, or the one already open in this task."""
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
