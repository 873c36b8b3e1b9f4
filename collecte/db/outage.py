"""Database outages: which errors mean "the database does not answer", logged once per incident.

An outage makes every request fail the same way; logging each one (with its traceback) buries
the one line an operator needs. An incident starts at the first failure and lasts while
failures keep coming (less than `QUIET_S` apart) or until the database answers again.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
import time

import asyncpg

from collecte.i18n import msg

logger = logging.getLogger("collecte")

# Seconds a client should wait before trying again (the `Retry-After` of the 503).
RETRY_AFTER_S = 5
# What a person is told, on a page or in an API answer's `detail`.
UNAVAILABLE_SENTENCE = msg(
    "Service momentanément indisponible : la base de données ne répond pas. "
    "Réessayez dans quelques secondes."
)
# Failures further apart than this are separate incidents, each logged.
QUIET_S = 30.0

# What the driver raises when PostgreSQL is unreachable, stalls, restarts or drops connections:
# connection errors (class 08), operator intervention (57: shutdown, terminated backend,
# statement timeout), insufficient resources (53: too many connections), the driver's own
# interface errors on a closed connection, and timeouts.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
    socket.gaierror,
    TimeoutError,
)

# SQLite's own ways of not answering: its file cannot be opened (a volume unmounted, a directory
# moved), the disk fails, or the lock is still held when the busy timeout runs out. Any other
# OperationalError (a missing table, a syntax error) is a bug and stays a 500.
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "disk i/o error",
    "database is locked",
    "database table is locked",
)


def sqlite_unavailable(error: BaseException) -> bool:
    """Whether `error` is SQLite saying its database cannot be reached right now."""
    return isinstance(error, sqlite3.OperationalError) and str(error).lower().startswith(
        _SQLITE_UNAVAILABLE
    )


_incident_since: float | None = None
_last_failure = 0.0


def report_outage(error: BaseException) -> None:
    """Note a request failed because the database is unavailable; log it if a new incident."""
    global _incident_since, _last_failure
    now = time.monotonic()
    if _incident_since is None or now - _last_failure > QUIET_S:
        _incident_since = now
        logger.error(
            "Database unavailable (%s: %s): answering 503 until it answers again",
            type(error).__name__,
            str(error).strip() or "no answer",
        )
    _last_failure = now


def report_recovery() -> None:
    """Note the database answered; close the incident, if one is open, with one line."""
    global _incident_since
    if _incident_since is not None:
        logger.warning("Database available again after %.0f s", time.monotonic() - _incident_since)
        _incident_since = None


def in_outage() -> bool:
    """Whether an incident is open (tests)."""
    return _incident_since is not None


class _PoolFloorFailures(logging.Filter):
    """asyncpg's pool logs every failed reconnection with a traceback (after 1, 2, 4… s): those
    count as the incident's failures, logged once by `report_outage`, not each time."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Failed to restore the pool connection floor"):
            return True
        error = record.exc_info[1] if record.exc_info else None
        report_outage(error or ConnectionError("cannot reconnect"))
        return False


logging.getLogger("asyncpg.pool").addFilter(_PoolFloorFailures())
