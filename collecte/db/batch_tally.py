"""SQLite: the devices of a batch counted in the totals' tally per statement, not per row.

SQLite's row trigger `device_tally_update` costs about 0.1 ms a device, run while the single
writer is held: a quarter of a second for a 2,000-device batch, which every scan waits for. In a
batch's transaction, `counted_together` pauses that trigger (a row in `device_tally_pause`, seen
only by this transaction), takes the devices' contributions out of the tally before the block
(one grouped upsert per piece of ids, from the `device_tally_rows` view the migration `tally
counted per batch on sqlite` holds the rules in) and puts them back after it. The tally ends as
the trigger would have left it (tests/api/test_batch_tally.py compares it with a recount).

PostgreSQL's trigger already runs once per statement: there this does nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from piccolo.engine.sqlite import SQLiteEngine

from collecte.db.chunks import each_chunk
from collecte.db.engine import current_engine
from collecte.db.tables import DeviceTally

_KEY = "grain, day, status, dimension, key, shard"
_SUMS = "sum(devices), sum(weight_g), sum(value_xpf)"


def _count(sign: int, ids: int, columns: Sequence[str]) -> str:
    """Add (`sign` 1) or take out (-1) the contributions of `ids` devices that read one of
    `columns` (the others do not change), in one upsert."""
    marks = ", ".join("{}" for _ in range(ids))
    reading = " OR ".join(f"instr(reads, ',{column},') > 0" for column in columns)
    return (
        f"INSERT INTO device_tally ({_KEY}, devices, weight_g, value_xpf) "
        f"SELECT {_KEY}, {sign} * sum(devices), {sign} * sum(weight_g), {sign} * sum(value_xpf) "
        f"FROM device_tally_rows WHERE device IN ({marks}) AND ({reading}) "
        "GROUP BY 1, 2, 3, 4, 5, 6 "
        "HAVING sum(devices) <> 0 OR sum(weight_g) <> 0 OR sum(value_xpf) <> 0 "
        f"ON CONFLICT ({_KEY}) DO UPDATE SET "
        "devices = device_tally.devices + excluded.devices, "
        "weight_g = device_tally.weight_g + excluded.weight_g, "
        "value_xpf = device_tally.value_xpf + excluded.value_xpf"
    )


async def _counted(ids: Sequence[int], columns: Sequence[str], sign: int) -> None:
    async def piece(part: list[int]) -> None:
        await DeviceTally.raw(_count(sign, len(part), columns), *part)

    await each_chunk(list(ids), piece)


@asynccontextmanager
async def counted_together(ids: Sequence[int], columns: Sequence[str]) -> AsyncIterator[None]:
    """Update the devices `ids` in the block, setting no column but `columns`, their tally kept
    in grouped statements; call inside the write transaction (SQLite), which an error in the
    block rolls back whole."""
    if not isinstance(current_engine(), SQLiteEngine) or not ids:
        yield
        return
    for column in columns:  # written into the statement: a column's name, never a value
        if not column.isidentifier():
            raise ValueError(f"not a column name: {column!r}")
    await DeviceTally.raw("INSERT INTO device_tally_pause (id) VALUES (1)")
    await _counted(ids, columns, -1)
    yield
    await _counted(ids, columns, 1)
    await DeviceTally.raw("DELETE FROM device_tally_pause")
