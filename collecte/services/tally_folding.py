"""Folding the tally's shards of closed periods into one row per figure.

Each `device_tally` figure is spread over 16 shards (device id mod 16) so that concurrent
transitions, which all add into today's day, month and year rows, do not queue on one row's
lock. Once a day, month or year is over, hardly anything writes into it any more (a correction
or a revert of an old date now and then), and the shards only make every read of it 16 times
longer: at 10⁶ devices a year of totals read 69,000 rows for 4,300 figures. Folding moves each
closed figure's shards into shard 0, so a past year reads one row per figure.

A figure is the sum of its shards whatever their number, so every answer is unchanged, and a
write that arrives later for a folded figure simply creates its shard's row again (the next
fold takes it in). Each (grain, day) group folds in its own short transaction. On PostgreSQL the
moved rows are deleted and added in one statement, so a concurrent write to one of them either
lands before (and is moved) or after (in a new row); a fold that would wait for a writer's lock
gives up at once and is tried again at the next run, so it never holds a scan up.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from collecte.db.engine import backend
from collecte.db.tables import DeviceTally
from collecte.db.transactions import write_transaction
from collecte.domain.clock import now
from collecte.domain.impact import noumea_day

log = logging.getLogger(__name__)

_KEY = "grain, day, status, dimension, key"
_COLUMNS = f"{_KEY}, shard, devices, weight_g, value_xpf"
_ADD = (
    f"ON CONFLICT ({_KEY}, shard) DO UPDATE SET"
    " devices = device_tally.devices + excluded.devices,"
    " weight_g = device_tally.weight_g + excluded.weight_g,"
    " value_xpf = device_tally.value_xpf + excluded.value_xpf"
)
_SUMMED = (
    f"SELECT {_KEY}, 0, sum(devices), sum(weight_g), sum(value_xpf) FROM {{source}}"
    f" WHERE {{where}} GROUP BY {_KEY}"
    " HAVING sum(devices) <> 0 OR sum(weight_g) <> 0 OR sum(value_xpf) <> 0"
)
_GROUP = "shard <> 0 AND grain = {} AND day = {}"
# Closed: a day before today, a month before this month, a year before this year (Nouméa).
_CLOSED = (
    "shard <> 0 AND ((grain = 'day' AND day < {}) OR (grain = 'month' AND day < {})"
    " OR (grain = 'year' AND day < {}))"
)
# PostgreSQL: the rows deleted are the rows added, whatever committed meanwhile.
_FOLD_POSTGRES = (
    f"WITH moved AS (DELETE FROM device_tally WHERE {_GROUP}"
    f" RETURNING {_KEY}, devices, weight_g, value_xpf)"
    f" INSERT INTO device_tally ({_COLUMNS}) {_SUMMED.format(source='moved', where='true')}"
    f" {_ADD}"
)
# SQLite: one writer at a time, so adding then deleting in one transaction is the same.
_ADD_SQLITE = (
    f"INSERT INTO device_tally ({_COLUMNS})"
    f" {_SUMMED.format(source='device_tally', where=_GROUP)} {_ADD}"
)
_DELETE_SQLITE = f"DELETE FROM device_tally WHERE {_GROUP}"
# How long a fold waits for a writer's row lock before giving up until the next run.
LOCK_TIMEOUT = "100ms"


def closed_before(today: date) -> tuple[date, date, date]:
    """The first day, month and year still open on `today`: anything before them is closed."""
    return today, today.replace(day=1), today.replace(month=1, day=1)


async def _closed_groups(today: date) -> list[tuple[str, date]]:
    rows = await DeviceTally.raw(
        f"SELECT DISTINCT grain, day FROM device_tally WHERE {_CLOSED} ORDER BY grain, day",
        *closed_before(today),
    )
    return [(row["grain"], as_date(row["day"])) for row in rows]


def as_date(value: Any) -> date:
    """A tally row's `day`: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _fold_group(grain: str, day: date) -> None:
    async with write_transaction():
        if backend() == "postgres":
            await DeviceTally.raw(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            await DeviceTally.raw(_FOLD_POSTGRES, grain, day)
        else:
            await DeviceTally.raw(_ADD_SQLITE, grain, day)
            await DeviceTally.raw(_DELETE_SQLITE, grain, day)


async def fold_closed_periods(today: date | None = None) -> int:
    """Fold the shards of every closed day, month and year into shard 0; return how many
    (grain, day) groups were folded. A group whose rows a writer holds is left for next time."""
    today = today or noumea_day(now())
    folded = 0
    for grain, day in await _closed_groups(today):
        try:
            await _fold_group(grain, day)
        except Exception as error:  # a lock timeout: a writer is busy there, try next run
            if getattr(error, "sqlstate", None) != "55P03":
                raise
            log.info("Tally fold of %s %s waited for a writer; left for the next run", grain, day)
            continue
        folded += 1
    if folded and backend() == "postgres":
        # The first fold of a large tally removes most of its rows: plans made with the old
        # statistics read the year through the wrong index until autovacuum comes round.
        await DeviceTally.raw("ANALYZE device_tally")
    return folded
