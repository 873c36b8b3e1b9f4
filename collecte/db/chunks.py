"""Statements that grow with the number of rows, cut to fit every database's parameter limit.

One statement may carry at most 32,767 bound parameters on PostgreSQL (its protocol counts
them on 16 bits; asyncpg refuses more) and 32,766 on SQLite's default build (Debian's raises
it, others do not; `collecte.db.sqlite` holds every connection to the default). A 5,000-device
import inserts 5,000 rows of some fifteen columns: 75,000 parameters. So every multi-row
INSERT, every `IN (…)` list and every UPDATE on such a list goes through these helpers, which
run it in pieces of at most `MAX_PARAMETERS`, one after the other, in the caller's
transaction: all or nothing remains the transaction's job.

The multi-row INSERT is written here rather than by the ORM: building 5,000 Piccolo rows and
their query string costs seconds of CPU on the event loop (every other request waits), the
statement itself a few hundredths.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar

from piccolo.columns import JSON
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from collecte.db.engine import current_engine, fetch

T = TypeVar("T")

# One bound for both databases, under both limits, with room for a statement's own parameters.
MAX_PARAMETERS = 30_000
# An `IN (…)` list: far under the bound (the rest of the statement has parameters too: the
# columns an UPDATE sets, a scope), and small enough that the tests' batches of a few hundred
# devices (an erasure certificate of 5,000 lines takes minutes to render) go in pieces too.
IN_LIST_MAX = 500


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in consecutive pieces of at most `size` (none when `items` is empty)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _value(value: Any, is_json: bool) -> Any:
    """A value as the drivers take it (what Piccolo's own INSERT would send)."""
    if is_json and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Enum):
        return value.value
    return value


def _values_sql(postgres: bool, rows: int, width: int) -> str:
    """`(?, ?), (?, ?)` (SQLite) or `($1, $2), ($3, $4)` (PostgreSQL)."""
    if not postgres:
        one = "(" + ", ".join("?" * width) + ")"
        return ", ".join([one] * rows)
    return ", ".join(
        "(" + ", ".join(f"${row * width + i + 1}" for i in range(width)) + ")"
        for row in range(rows)
    )


async def _run(sql: str, args: list[Any]) -> list[dict[str, Any]]:
    """Run one statement written with the engine's own placeholders, in the current
    transaction (required: a multi-row write is always part of one)."""
    engine = current_engine()
    if isinstance(engine, PostgresEngine):
        return [dict(row) for row in await fetch(sql, *args)]
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise RuntimeError("a multi-row INSERT runs inside a write transaction")
    return list(await transaction.connection.execute_fetchall(sql, args))


async def insert_rows(
    table: type[Table], rows: Sequence[Mapping[str, Any]], returning: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """INSERT `rows` (column name → value; the same columns in each, the others left to their
    default) in as many statements as the parameter bound needs, in the caller's write
    transaction; the `returning` columns of every row, in order (none without)."""
    if not rows:
        return []
    names = list(rows[0])
    json_columns = {c._meta.db_column_name for c in table._meta.columns if isinstance(c, JSON)}
    is_json = [name in json_columns for name in names]
    postgres = isinstance(current_engine(), PostgresEngine)
    head = f"INSERT INTO {table._meta.tablename} ({', '.join(names)}) VALUES "
    tail = f" RETURNING {', '.join(returning)}" if returning else ""
    found: list[dict[str, Any]] = []
    for part in chunked(rows, MAX_PARAMETERS // len(names)):
        args = []
        for row in part:
            if len(row) != len(names):
                raise ValueError(f"every row must have the columns {names}")
            args += [_value(row[n], j) for n, j in zip(names, is_json, strict=True)]
        found += await _run(head + _values_sql(postgres, len(part), len(names)) + tail, args)
    return found


async def each_chunk(
    values: Sequence[T], run: Callable[[list[T]], Awaitable[list[Any] | None]]
) -> list[Any]:
    """Run `run` (a query on an `IN (…)` list) on `values` in pieces of `IN_LIST_MAX`; the rows
    of every piece, in the order of the pieces. Nothing runs for no values."""
    found: list[Any] = []
    for part in chunked(values, IN_LIST_MAX):
        rows = await run(list(part))
        if rows:
            found.extend(rows)
    return found
