"""SQLite: the devices of a batch counted in the totals' tally per statement, not per row.

SQLite's row trigger `device_tally_update` costs about 0.1 ms a device, run while the single
writer is held: a quarter of a second for a 2,000-device batch, which every scan waits for. In a
batch's transaction, `counted_together` pauses that trigger (a row in `device_tally_pause`, seen
only by this transaction) and keeps the tally itself, from the `device_tally_rows` view (each
device's contributions per grain, the rules the migration `tally counted per batch on sqlite`
holds), reading only the contributions of the columns the batch sets:

- inside the transaction, the devices' contributions are taken out before their update and put
  back after it, in grouped upserts;
- or, for a batch made before its transaction (`collecte.services.transitions`), the whole
  change of the tally is computed then (`counted_before`), on a copy of its devices in a
  temporary table of a reading connection, the same changes applied to it, through the same
  view over that copy: inside the transaction, one upsert adds it. The caller checks that no
  device changed in between.

The tally ends as the trigger would have left it (tests/api/test_batch_tally.py compares it with
a recount). PostgreSQL's trigger already runs once per statement: there this does nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from collecte.db.chunks import IN_LIST_MAX, MAX_PARAMETERS, chunked, each_chunk
from collecte.db.engine import current_engine
from collecte.db.tables import Device, DeviceTally

_KEY = ("grain", "day", "status", "dimension", "key", "shard")
_SUMS = ("devices", "weight_g", "value_xpf")
_KEYS = ", ".join(_KEY)
_UPSERT = (
    f"ON CONFLICT ({_KEYS}) DO UPDATE SET "
    "devices = device_tally.devices + excluded.devices, "
    "weight_g = device_tally.weight_g + excluded.weight_g, "
    "value_xpf = device_tally.value_xpf + excluded.value_xpf"
)
_VIEW = "device_tally_rows"
_STAGED = "tally_staged"  # the temporary copy of a batch's devices
_STAGED_VIEW = "tally_staged_rows"  # the view, over that copy


def _reading(columns: Sequence[str]) -> str:
    """The contributions that read one of `columns` (the others do not change)."""
    for column in columns:  # written into the statements: a column's name, never a value
        if not column.isidentifier():
            raise ValueError(f"not a column name: {column!r}")
    return " OR ".join(f"instr(reads, ',{column},') > 0" for column in columns)


def _count(sign: int, ids: int, columns: Sequence[str]) -> str:
    """Add (`sign` 1) or take out (-1) the contributions of `ids` devices, in one upsert."""
    marks = ", ".join("{}" for _ in range(ids))
    return (
        f"INSERT INTO device_tally ({_KEYS}, {', '.join(_SUMS)}) "
        f"SELECT {_KEYS}, {sign} * sum(devices), {sign} * sum(weight_g), {sign} * sum(value_xpf) "
        f"FROM {_VIEW} WHERE device IN ({marks}) AND ({_reading(columns)}) "
        "GROUP BY 1, 2, 3, 4, 5, 6 "
        "HAVING sum(devices) <> 0 OR sum(weight_g) <> 0 OR sum(value_xpf) <> 0 "
        f"{_UPSERT}"
    )


async def _counted(ids: Sequence[int], columns: Sequence[str], sign: int) -> None:
    async def piece(part: list[int]) -> None:
        await DeviceTally.raw(_count(sign, len(part), columns), *part)

    await each_chunk(list(ids), piece)


@dataclass(frozen=True)
class Counted:
    """How a batch changes the tally, computed before its write transaction (SQLite)."""

    ids: tuple[int, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # the tally's key, then the sums to add


Groups = Sequence[tuple[Sequence[int], Mapping[str, Any]]]  # devices, and the columns they get


async def _staged_view(connection: Any) -> bool:
    """Make, on this connection, the tally's view over the temporary copy of the devices (the
    migration's own text, its table renamed); False if its text is not as expected."""
    cursor = await connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", (_VIEW,)
    )
    row = await cursor.fetchone()
    if row is None:
        return False
    text = row["sql"]
    staged = text.replace(f"CREATE VIEW {_VIEW}", f"CREATE TEMP VIEW {_STAGED_VIEW}", 1)
    staged = staged.replace("FROM device AS d", f"FROM {_STAGED} AS d")
    if staged == text or "FROM device" in staged or "JOIN device" in staged:
        return False
    await connection.execute(f"CREATE TEMP TABLE {_STAGED} AS SELECT * FROM main.device WHERE 0")
    await connection.execute(staged)
    return True


async def _sums(connection: Any, columns: Sequence[str]) -> dict[tuple[Any, ...], list[int]]:
    cursor = await connection.execute(
        f"SELECT {_KEYS}, sum(devices) AS devices, sum(weight_g) AS weight_g, "
        f"sum(value_xpf) AS value_xpf FROM {_STAGED_VIEW} WHERE {_reading(columns)} "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )
    return {
        tuple(row[name] for name in _KEY): [row[name] for name in _SUMS]
        for row in await cursor.fetchall()
    }


async def counted_before(groups: Groups) -> Counted | None:
    """How updating each group's devices with its columns changes the tally, computed without
    writing (a reading connection, a temporary copy of the devices); call before the write
    transaction, which must then find the devices unchanged. None on PostgreSQL, or when the
    tally's view is not as this module expects (the transaction then counts it itself)."""
    engine = current_engine()
    ids = tuple(device for devices, _ in groups for device in devices)
    columns = tuple(sorted({name for _, changes in groups for name in changes}))
    if not isinstance(engine, SQLiteEngine) or not ids:
        return None
    connection = await engine.get_connection()
    try:
        if not await _staged_view(connection):
            return None
        await connection.execute("BEGIN")  # one snapshot of the devices
        for part in chunked(ids, IN_LIST_MAX):
            await connection.execute(
                f"INSERT INTO {_STAGED} SELECT * FROM main.device "
                f"WHERE id IN ({', '.join('?' for _ in part)})",
                tuple(part),
            )
        before = await _sums(connection, columns)
        for devices, changes in groups:
            for name in changes:
                Device._meta.get_column_by_name(name)  # a device's column (ValueError if not)
            assignments = ", ".join(f"{name} = ?" for name in changes)
            for part in chunked(list(devices), IN_LIST_MAX):
                await connection.execute(
                    f"UPDATE {_STAGED} SET {assignments} "
                    f"WHERE id IN ({', '.join('?' for _ in part)})",
                    (*changes.values(), *part),
                )
        after = await _sums(connection, columns)
        await connection.execute("ROLLBACK")
    finally:
        await connection.close()
    change: dict[tuple[Any, ...], list[int]] = {}
    for sums, sign in ((after, 1), (before, -1)):
        for key, values in sums.items():
            total = change.setdefault(key, [0, 0, 0])
            for index, value in enumerate(values):
                total[index] += sign * value
    rows = tuple((*key, *total) for key, total in change.items() if any(total))
    return Counted(ids, columns, rows)


async def _add(counted: Counted) -> None:
    """Add a change computed ahead to the tally, in a few statements."""
    width = len(_KEY) + len(_SUMS)
    for part in chunked(counted.rows, MAX_PARAMETERS // width):
        values = ", ".join("(" + ", ".join("{}" for _ in range(width)) + ")" for _ in part)
        await DeviceTally.raw(
            f"INSERT INTO device_tally ({_KEYS}, {', '.join(_SUMS)}) VALUES {values} {_UPSERT}",
            *(value for row in part for value in row),
        )


@asynccontextmanager
async def counted_together(
    ids: Sequence[int], columns: Sequence[str], ahead: Counted | None = None
) -> AsyncIterator[None]:
    """Update the devices `ids` in the block, setting no column but `columns`, the tally kept in
    grouped statements (`ahead`: its change computed before, for exactly these devices and
    columns); call inside the write transaction (SQLite), which an error in the block rolls
    back whole."""
    if not isinstance(current_engine(), SQLiteEngine) or not ids:
        yield
        return
    _reading(columns)
    await DeviceTally.raw("INSERT INTO device_tally_pause (id) VALUES (1)")
    if ahead is not None and set(ahead.ids) == set(ids) and set(ahead.columns) == set(columns):
        await _add(ahead)
        yield
    else:
        await _counted(ids, columns, -1)
        yield
        await _counted(ids, columns, 1)
    await DeviceTally.raw("DELETE FROM device_tally_pause")
