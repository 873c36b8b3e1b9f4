"""Forgetting what has served its purpose: replayable answers, old sign-in attempts, sessions and
old entries of the security log.

Every scan sent with an Idempotency-Key stores its answer (about 1.5 kB), and every sign-in
attempt a row: left alone, both tables grow with every scan and every guess at a password. An
answer is kept long enough for any retry (`idempotency_days`, 7 by default: a replay after
that finds the device already moved and gets a 409, never a second event); a sign-in attempt
for 30 days, and never less than the sign-in limit's window, which counts them; a sign-in
session and a reset link 30 days past their expiry or end (kept that long to see what ended); a
security log entry for a year (`collecte.services.security_log.RETENTION` says why).

Each server process purges at start-up and then every hour (`collecte.web.app`); several
processes doing so at once is harmless. `collecte purge` does the same from a cron job. The same
hourly run folds the totals' shards of the days, months and years that are over
(`collecte.services.tally_folding`), so past periods read one row per figure.
Rows go in batches, each its own short transaction, so scanners never wait long behind it.

Each server process also closes, unsigned, the pickups still open at the end of the Nouméa day
(`close_pickups_at_day_end`), so no collected device is left without its donation attestation;
several processes racing on one pickup close it once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from piccolo.table import Table

from collecte.db.outage import UNAVAILABLE_ERRORS, report_outage, sqlite_unavailable
from collecte.db.tables import IdempotencyRecord, LoginAttempt, SecurityLogEntry
from collecte.db.transactions import write_transaction
from collecte.domain.clock import Clock, next_noumea_midnight, now
from collecte.services import security_log
from collecte.services.pickups import close_overdue_pickups
from collecte.services.sessions import purge_sessions
from collecte.services.tally_folding import fold_closed_periods
from collecte.settings import Settings

LOGIN_ATTEMPT_RETENTION = timedelta(days=30)
PURGE_EVERY = timedelta(hours=1)
BATCH = 5000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purged:
    """How many rows a purge removed, per table."""

    idempotency_records: int
    login_attempts: int
    sessions: int = 0
    security_log: int = 0


async def _purge_older(table: type[Table], before: datetime) -> int:
    """Delete the rows of `table` created before `before`, in batches; return how many."""
    name = table._meta.tablename
    statement = (
        f"DELETE FROM {name} WHERE id IN "
        f"(SELECT id FROM {name} WHERE created_at < {{}} ORDER BY id LIMIT {BATCH}) RETURNING id"
    )
    removed = 0
    while True:
        async with write_transaction():
            rows = await table.raw(statement, before)
        removed += len(rows)
        if len(rows) < BATCH:
            return removed
        await asyncio.sleep(0)  # let the scans waiting for the writer go first


def retentions(settings: Settings) -> tuple[timedelta, timedelta]:
    """How long answers to replay and sign-in attempts are kept."""
    window = timedelta(seconds=settings.login_window_seconds)
    return timedelta(days=settings.idempotency_days), max(LOGIN_ATTEMPT_RETENTION, window)


async def purge_expired(settings: Settings, at: datetime | None = None) -> Purged:
    """Delete the answers, sign-in attempts and security log entries older than their
    retention."""
    at = at or now()
    answers, attempts = retentions(settings)
    return Purged(
        idempotency_records=await _purge_older(IdempotencyRecord, at - answers),
        login_attempts=await _purge_older(LoginAttempt, at - attempts),
        sessions=await purge_sessions(at - LOGIN_ATTEMPT_RETENTION),
        security_log=await _purge_older(SecurityLogEntry, at - security_log.RETENTION),
    )


def _failed(what: str, error: Exception, retry: str) -> None:
    """Log a housekeeping step that failed: an unavailable database as the one line of its
    incident (the requests report it too), anything else with its traceback."""
    if isinstance(error, UNAVAILABLE_ERRORS) or sqlite_unavailable(error):
        report_outage(error)
        return
    log.exception("%s failed; next attempt in %s", what, retry, exc_info=error)


async def purge_periodically(settings: Settings) -> None:
    """Purge now and then every PURGE_EVERY, for the life of the process."""
    while True:
        try:
            purged = await purge_expired(settings)
        except Exception as error:  # a database gone for a moment must not end the loop
            _failed("Purge of expired rows", error, str(PURGE_EVERY))
        else:
            if any(dataclasses.astuple(purged)):
                log.info(
                    "Purged %d stored answers, %d sign-in attempts, %d sessions and %d security "
                    "log entries",
                    purged.idempotency_records,
                    purged.login_attempts,
                    purged.sessions,
                    purged.security_log,
                )
        try:
            folded = await fold_closed_periods()
        except Exception as error:  # as above: the next run folds what this one could not
            _failed("Folding the tally of closed periods", error, str(PURGE_EVERY))
        else:
            if folded:
                log.info("Folded the tally shards of %d closed days, months or years", folded)
        await asyncio.sleep(PURGE_EVERY.total_seconds())


# A moment past midnight, so the clock reads the new day even if the sleep ends a bit early.
AFTER_MIDNIGHT = timedelta(seconds=5)


async def close_pickups_at_day_end(
    settings: Settings,
    clock: Clock = now,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Close the pickups left open by earlier days now, then just after each Nouméa midnight,
    for the life of the process. `clock` and `sleep` are injected so a test moves the time."""
    while True:
        try:
            closed = await close_overdue_pickups(settings, clock)
        except Exception as error:  # a database gone for a moment must not end the loop
            _failed("Closing the day's open pickups", error, "a minute")
            await sleep(60)
            continue
        if closed:
            log.info("Closed unsigned at the end of the day: %s", ", ".join(closed))
        at = clock()
        await sleep(max((next_noumea_midnight(at) + AFTER_MIDNIGHT - at).total_seconds(), 1))
