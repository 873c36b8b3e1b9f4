"""SQLite for several concurrent writers: WAL-friendly pragmas, one long-lived writer connection
per event loop, and transactions that never leak their connection.

SQLite allows one writer at a time. Piccolo opens a connection per transaction, so writers
would fight over the lock ("database is locked"); every writing transaction therefore goes
through `collecte.db.transactions.write_transaction()`, which serialises writers inside the
process, runs on one long-lived writer connection and begins with BEGIN IMMEDIATE. PostgreSQL
needs none of it: its row locks and the conditional updates do the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import weakref
from pathlib import Path
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import (
    SQLiteEngine,
    SQLiteTransaction,
    TransactionType,
    dict_factory,
)

# aiosqlite logs every call with its parameters at DEBUG (password hashes, stored answers): an
# operator turning DEBUG on to chase a bug must not get those in the logs.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

SQLITE_BUSY_TIMEOUT_S = 30

# FULL: in WAL, every COMMIT waits for the log to reach the disk, so a transaction acknowledged
# (and the certificate number it handed out) survives a power loss. NORMAL only syncs at
# checkpoints: faster, but a power cut may roll back the last commits (bench/bench_sqlite_sync.py
# measures the difference).
SQLITE_SYNCHRONOUS = "FULL"
_SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")

# SQLite's default limit on the bound parameters of one statement (since 3.32). Debian's build
# raises it to 250,000, others keep it: every connection is held to the default, so a statement
# that would fail elsewhere fails here too, in the tests (`collecte.db.chunks` keeps under it).
SQLITE_MAX_VARIABLES = 32_766


class LimitedConnection(sqlite3.Connection):
    """A connection that allows at most `SQLITE_MAX_VARIABLES` parameters per statement,
    whatever the build; set as it opens, in aiosqlite's thread, at no extra cost."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) > SQLITE_MAX_VARIABLES:
            self.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_MAX_VARIABLES)


# The database holds the token signing key and everyone's personal data: only its owner may read
# it. SQLite gives its -wal, -shm and -journal files the database file's own mode.
OWNER_ONLY = 0o600
_COMPANIONS = ("", "-wal", "-shm", "-journal")
logger = logging.getLogger("collecte")


def protect_database_file(path: str) -> None:
    """Create the database file owner-only if missing; take group and others' access away if not.

    Called before the engine's first connection: SQLite would otherwise create the file with the
    umask's mode (usually world-readable).
    """
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, OWNER_ONLY))
    except FileExistsError:
        pass
    except OSError:
        return  # a missing folder: SQLite says so in its own words when it opens the file
    for companion in _COMPANIONS:
        name = path + companion
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & 0o077:
                os.chmod(name, mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as error:  # not the owner: say so, the service still runs
            logger.warning("Cannot make %s readable by its owner only: %s", name, error)


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

    def __init__(
        self, path: str, synchronous: str = SQLITE_SYNCHRONOUS, **connection_kwargs: Any
    ) -> None:
        if synchronous not in _SYNCHRONOUS_LEVELS:
            raise ValueError(f"unknown synchronous level: {synchronous!r}")
        super().__init__(path=path, **{"factory": LimitedConnection, **connection_kwargs})
        self.synchronous = synchronous
        # The file is protected (and created) at the first connection, not here: building an
        # engine must not create a database (`collecte backup` of a missing one says so).
        self._protected = False
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def _protect(self) -> None:
        if not self._protected:
            protect_database_file(str(self.connection_kwargs.get("database", "")))
            self._protected = True

    async def get_connection(self) -> Any:
        self._protect()
        connection = await super().get_connection()
        await connection.execute(f"PRAGMA synchronous = {self.synchronous}")
        return connection

    def read_something(self) -> None:
        """Open the file without creating it, read its schema, close; raise when any fails.

        Blocking: run it on a thread."""
        uri = Path(str(self.connection_kwargs["database"])).absolute().as_uri() + "?mode=rw"
        with contextlib.closing(
            sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_S)
        ) as connection:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()

    async def writer_connection(self) -> Any:
        """This event loop's writer connection, opened on first use; use it under the lock."""
        loop = asyncio.get_running_loop()
        connection = self._writers.get(loop)
        if connection is None:
            self._protect()
            connection = aiosqlite.connect(**self.connection_kwargs)
            # Kept open for the life of the process: its thread must not hold the exit up.
            connection._thread.daemon = True
            await connection
            connection.row_factory = dict_factory  # type: ignore[assignment]
            await connection.execute("PRAGMA foreign_keys = 1")
            await connection.execute(f"PRAGMA synchronous = {self.synchronous}")
            self._writers[loop] = connection
        return connection

    async def close_writer(self) -> None:
        """Close this event loop's writer connection, if open (shutdown, or after a failure)."""
        connection = self._writers.pop(asyncio.get_running_loop(), None)
        if connection is not None:
            await connection.close()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        self._protect()
        return await super()._run_in_new_connection(query, args, query_type, table)

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
