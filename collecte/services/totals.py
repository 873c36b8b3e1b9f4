"""Totals and impact for the coordination, and the programme's public counters.

Every figure is read from `device_tally`, which database triggers keep equal to the devices' own
dates (see the `device tally triggers` and `device tally shards` migrations), per Nouméa day,
month and year, each figure spread over 16 shards (every query sums them; the shards of a closed
period are folded into one row, `collecte.services.tally_folding`): a period reads its
whole years, whole months and remaining days, a bounded number of rows whatever the number of
devices. One statement reads it all, so one round trip and one consistent view: sums by status
and key (with the organisations' names), the monthly series, the year's collections.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from collecte.db.engine import backend, current_engine, fetch
from collecte.db.tables import DeviceTally
from collecte.db.transactions import write_transaction
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.errors import Forbidden
from collecte.domain.impact import (
    MONTHLY_STATUSES,
    Period,
    Span,
    TallySum,
    factors_json,
    monthly_series,
    noumea_day,
    parse_period,
    public_counters,
    signed_spans,
    spans,
    summarise,
    target_progress,
)
from collecte.domain.impact import (
    factor_sources as sources_of,
)
from collecte.domain.impact_factors import load_impact_factors
from collecte.domain.vocabulary import Role, Status
from collecte.i18n import msg
from collecte.services.tally_folding import as_date

_COUNTED = (Status.COLLECTED, Status.DELIVERED, Status.RECYCLED)
# The dimensions that count each device once (`category`, or `all` where not by category).
_EVERY_DEVICE = ["category", "all"]


class _Where:
    """A WHERE clause with `{}` placeholders, its arguments beside (numbered `$n` on PostgreSQL)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *args: Any) -> _Where:
        self.parts.append(sql)
        self.args.extend(args)
        return self

    def within(self, period: Period, coarsest: str = "year") -> _Where:
        """The tally rows that add up to `period`: every day counted once."""
        return self.any_of(spans(period, coarsest))

    def any_of(self, chosen: list[Span]) -> _Where:
        """The tally rows of any of the spans."""
        alternatives = []
        for span in chosen:
            test = ["grain = {}"]
            self.args.append(span.grain)
            if span.first is not None:
                test.append("day >= {}")
                self.args.append(span.first)
            if span.last is not None:
                test.append("day <= {}")
                self.args.append(span.last)
            alternatives.append(" AND ".join(test))
        self.parts.append("(" + " OR ".join(f"({a})" for a in alternatives) + ")")
        return self

    def among(self, column: str, values: list[str]) -> _Where:
        return self.add(f"{column} IN ({', '.join('{}' for _ in values)})", *values)

    @property
    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "true"


async def _query(sql: str, args: list[Any]) -> list[Any]:
    """Rows of `sql` (`{}` placeholders) by column name: straight on asyncpg on PostgreSQL (no
    copy of each row), through Piccolo on SQLite."""
    if backend() == "postgres":
        numbers = itertools.count(1)
        return await fetch(_PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql), *args)
    rows: list[Any] = await DeviceTally.raw(sql, *args)
    return rows


_PLACEHOLDER = re.compile(r"\{\}")
# Each figure summed over its shards first, then the organisations' names joined to the few
# thousand sums (not to the tally's rows).
# `rows`: (status, dimension, key, devices, weight_g, value_xpf) rows to add up.
_SUMS = (
    "SELECT 0 AS part, s.status, s.dimension, s.key, o.name, NULL AS day, s.devices,"
    " s.weight_g, s.value_xpf FROM (SELECT status, dimension, key,"
    " CAST(sum(devices) AS BIGINT) AS devices, CAST(sum(weight_g) AS BIGINT) AS weight_g,"
    " CAST(sum(value_xpf) AS BIGINT) AS value_xpf FROM ({rows}) AS t"
    " GROUP BY status, dimension, key) AS s"
    " LEFT JOIN organization o ON o.id = CASE WHEN s.dimension IN"
    " ('donor', 'reconditioner', 'association') THEN CAST(s.key AS INTEGER) END"
)
_ROWS = (
    "SELECT status, dimension, key, devices, weight_g, value_xpf FROM device_tally WHERE {where}"
)
# Each side summed on its own first: PostgreSQL then hashes a few thousand groups per side,
# where one signed sum over all the rows made it sort them on disk.
_SIGNED_ROWS = (
    "SELECT status, dimension, key, sum(devices) AS devices, sum(weight_g) AS weight_g,"
    " sum(value_xpf) AS value_xpf FROM device_tally WHERE {added}"
    " GROUP BY status, dimension, key UNION ALL"
    " SELECT status, dimension, key, -sum(devices), -sum(weight_g), -sum(value_xpf)"
    " FROM device_tally WHERE {subtracted} GROUP BY status, dimension, key"
)


def _signed_sums(period: Period) -> tuple[str, list[Any]]:
    """`_SUMS` over `period`, as whole years minus what lies outside when that reads less."""
    chosen = signed_spans(period)
    added = _Where().any_of([span for span, way in chosen if way > 0])
    subtracted = _Where().any_of([span for span, way in chosen if way < 0])
    if not subtracted.args:
        return _SUMS.format(rows=_ROWS.format(where=added.sql)), added.args
    rows = _SIGNED_ROWS.format(added=added.sql, subtracted=subtracted.sql)
    return _SUMS.format(rows=rows), [*added.args, *subtracted.args]


_MONTHLY = (
    "SELECT 1, status, NULL, NULL, NULL, day, CAST(sum(devices) AS BIGINT), 0, 0"
    " FROM device_tally WHERE {where} GROUP BY day, status"
)
_COLLECTED = (
    "SELECT 2, NULL, NULL, NULL, NULL, NULL, CAST(sum(devices) AS BIGINT), 0, 0"
    " FROM device_tally WHERE {where}"
)


def _tally_sum(row: Any) -> TallySum:
    return TallySum(
        status=row["status"],
        dimension=row["dimension"],
        key=row["key"],
        devices=row["devices"] or 0,
        weight_g=row["weight_g"] or 0,
        value_xpf=row["value_xpf"] or 0,
    )


@dataclass
class _Read:
    """What one answer reads from the tally."""

    sums: list[TallySum]
    names: dict[int, str]
    monthly: list[tuple[date, str, int]]
    collected_in_year: int


async def _read(period: Period, year: int) -> _Read:
    """The period's sums (with the organisations' names), its monthly series and the year's
    collections, in one statement: one round trip, one consistent view of the tally."""
    sums, sums_args = _signed_sums(period)
    monthly = (
        _Where()
        .within(period, coarsest="month")
        .among("status", [s.value for s in MONTHLY_STATUSES])
        .among("dimension", _EVERY_DEVICE)
    )
    collected = (
        _Where()
        .add("grain = {}", "year")
        .add("day = {}", date(year, 1, 1))
        .add("status = {}", Status.COLLECTED.value)
        .add("dimension = {}", "all")
    )
    rows = await _query(
        f"{sums} UNION ALL {_MONTHLY.format(where=monthly.sql)}"
        f" UNION ALL {_COLLECTED.format(where=collected.sql)}",
        [*sums_args, *monthly.args, *collected.args],
    )
    read = _Read([], {}, [], 0)
    for row in rows:
        part = row["part"]
        if part == 0:
            read.sums.append(_tally_sum(row))
            if row["name"] is not None:
                read.names[int(row["key"])] = row["name"]
        elif part == 1:
            if row["devices"]:
                read.monthly.append((as_date(row["day"]), row["status"], row["devices"]))
        else:
            read.collected_in_year = row["devices"] or 0
    return read


async def totals(
    principal: Principal, start: str | None, end: str | None, yearly_target: int
) -> dict[str, Any]:
    """Totals and impact of the period `start`..`end` (Nouméa days, both included; coordinators).

    Beyond the contract's keys: `period`, `flow` (devices that entered each status in the
    period), `monthly`, `target` (year of `end`, else the current year), `method` and `factors`.
    """
    if principal.role is not Role.COORDINATOR:
        raise Forbidden(msg("Les totaux et l’impact sont réservés à la coordination."))
    period = parse_period(start, end)
    today = noumea_day(now())
    year = period.end.year if period.end else today.year
    factors = load_impact_factors()
    read = await _read(period, year)
    return {
        "period": period.as_json(),
        **summarise(read.sums, read.names, factors),
        "monthly": monthly_series(read.monthly, period, today),
        "target": target_progress(year, yearly_target, read.collected_in_year),
        "method": factors.method.get("fr", ""),
        "method_en": factors.method.get("en", ""),
        "factors": factors_json(factors),
    }


async def public_totals() -> dict[str, Any]:
    """Programme counters since the start, for anyone: no names, no period."""
    where = (
        _Where()
        .add("grain = {}", "year")
        .among("dimension", _EVERY_DEVICE)
        .among("status", [s.value for s in _COUNTED])
    )
    rows = await _query(_SUMS.format(rows=_ROWS.format(where=where.sql)), where.args)
    return public_counters([_tally_sum(row) for row in rows], load_impact_factors())


# --- keeping the tally honest ------------------------------------------------------------------

_KEY = "grain, day, status, dimension, key"
_COLUMNS = f"{_KEY}, shard, devices, weight_g, value_xpf"
# A figure is the sum of its shards' rows (each device adds into the row of shard `id % 16`).
_FIGURES = (
    f"SELECT {_KEY}, sum(devices) AS devices, sum(weight_g) AS weight_g,"
    f" sum(value_xpf) AS value_xpf FROM device_tally GROUP BY {_KEY}"
    " HAVING sum(devices) <> 0 OR sum(weight_g) <> 0 OR sum(value_xpf) <> 0"
)


async def rebuild_tally() -> None:
    """Recompute `device_tally` from the devices (after a bulk load with triggers disabled)."""
    engine = current_engine()
    async with write_transaction():
        if isinstance(engine, PostgresEngine):
            # Writers wait: a transition committed meanwhile would be counted twice or never.
            await engine.run_ddl("LOCK TABLE device IN SHARE MODE")
            await engine.run_ddl("SET LOCAL work_mem = '256MB'")
        await engine.run_ddl("DELETE FROM device_tally")
        await engine.run_ddl(
            f"INSERT INTO device_tally ({_COLUMNS})"
            f" SELECT {_COLUMNS} FROM device_tally_expected_shards"
        )


async def tally_drift() -> int:
    """How many figures (tally rows summed over shards) differ from what the devices' dates give
    (0 when all is well)."""
    drift = 0
    columns = f"{_KEY}, devices, weight_g, value_xpf"
    for first, second in (
        ("device_tally_expected", f"({_FIGURES}) AS figures"),
        (f"({_FIGURES}) AS figures", "device_tally_expected"),
    ):
        rows = await DeviceTally.raw(
            f"SELECT count(*) AS drift FROM (SELECT {columns} FROM {first}"
            f" EXCEPT SELECT {columns} FROM {second}) AS differing"
        )
        drift += int(rows[0]["drift"])
    return drift


def factor_sources(language: str) -> dict[str, dict[str, str]]:
    """Each category's sources of the factors in use, in `language` where the file has it."""
    return sources_of(load_impact_factors(), language)
