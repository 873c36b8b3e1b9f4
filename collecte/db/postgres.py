"""PostgreSQL's engine: transactions that give their connection back whatever happens.

Piccolo's `PostgresTransaction.__aexit__` rolls back, then releases the connection to the pool;
when PostgreSQL drops the connection mid-transaction (`pg_terminate_backend`, a restart, a
network cut) the rollback raises and the release never runs: the pool slot is lost for good,
and after as many faults as the pool has slots every request waits forever. Here the
connection always goes back, closed first when it is broken, so the pool replaces it.

Every wait is bounded: acquiring a pooled connection (`acquire_timeout`), connecting and each
statement (the pool's own settings, see `collecte.db.engine.start_pool`).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

DEFAULT_ACQUIRE_TIMEOUT_S = 5.0
# Connections tried for BEGIN before giving up (each failed one is closed, the pool opens more).
_BEGIN_ATTEMPTS = 3


class CollectePostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, with bounded pool waits and transactions that never leak."""

    __slots__ = ("acquire_timeout",)

    def __init__(self, config: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(config=config, **kwargs)
        self.acquire_timeout: float | None = DEFAULT_ACQUIRE_TIMEOUT_S

    def transaction(self, allow_nested: bool = True) -> _PostgresTransaction:
        return _PostgresTransaction(engine=self, allow_nested=allow_nested)

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        if args is None:
            args = []
        if not self.pool:
            raise ValueError("A pool isn't currently running.")
        async with self.pool.acquire(timeout=self.acquire_timeout) as connection:
            try:
                return await connection.fetch(query, *args)
            except _LOST:
                connection.terminate()  # the pool opens a new one on the next acquire
                raise


# Errors after which a connection cannot be trusted, even if not closed yet: PostgreSQL sends
# the error of a terminated backend (57P01) before closing the socket, and a connection given
# back in between would reach the next request with its protocol still waiting for an answer.
_LOST = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
    TimeoutError,
)


def connection_lost(error: BaseException | None) -> bool:
    """Whether `error`, raised by a statement, leaves its connection unusable."""
    return isinstance(error, _LOST)


def _is_broken(error: BaseException) -> bool:
    """Whether a failed rollback or commit leaves the connection unusable.

    PostgreSQL's own refusals (a deferred constraint, a serialisation failure at commit) leave
    a connection that the pool's release rolls back; anything else (connection lost, timeout,
    cancellation, a protocol in an unknown state) does not.
    """
    if isinstance(error, asyncpg.exceptions.PostgresError):
        return isinstance(
            error,
            asyncpg.exceptions.PostgresConnectionError
            | asyncpg.exceptions.OperatorInterventionError,
        )
    return True


class _PostgresTransaction(PostgresTransaction):
    """Piccolo's transaction whose connection goes back to the pool on every path."""

    __slots__ = ()

    async def get_connection(self) -> Any:
        engine = self.engine
        if engine.pool:
            timeout = getattr(engine, "acquire_timeout", None)
            return await engine.pool.acquire(timeout=timeout)
        return await engine.get_new_connection()

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        for attempt in range(_BEGIN_ATTEMPTS, 0, -1):
            self.connection = await self.get_connection()
            self.transaction = self.connection.transaction()
            try:
                await self.begin()
                break
            except BaseException as error:
                await self._give_back(broken=_is_broken(error))
                # A pooled connection killed while idle fails its BEGIN: nothing ran on it,
                # so another connection may start the transaction.
                if attempt == 1 or not connection_lost(error):
                    raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._parent:
            return exception is None
        broken = connection_lost(exception)
        try:
            if exception:
                # A connection lost is not rolled back: PostgreSQL already did.
                if not broken and not self._rolled_back:
                    try:
                        await self.rollback()
                    except BaseException as failure:
                        # The block's own error says what happened; a rollback that cannot
                        # run means the connection is gone (PostgreSQL rolls back by itself).
                        broken = True
                        if not isinstance(failure, Exception):
                            raise
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()
                except BaseException as failure:
                    broken = _is_broken(failure)
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back(broken)
        return exception is None

    async def _give_back(self, broken: bool) -> None:
        """Return the connection to the pool (or close it); a broken one is closed first."""
        connection = self.connection
        if broken and not connection.is_closed():
            connection.terminate()
        if self.engine.pool:
            await self.engine.pool.release(connection)
        elif not connection.is_closed():
            await connection.close()
