"""Totals and impact for the coordination, and the programme's public counters.

Every figure is read from `device_tally`, which database triggers keep equal to the devices' own
dates (see the `device tally triggers` and `device tally shards` migrations), per Nouméa day,
month and year, each figure spread over 16 shards (every query sums them): a period reads its
whole years, whole months and remaining days, a bounded number of rows whatever the number of
devices. Three aggregate queries in one read snapshot: sums by status and key (with the
organisations' names), the monthly series, the year's collections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from collecte.db.engine import current_engine
from collecte.db.tables import DeviceTally
from collecte.db.transactions import write_transaction
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.errors import Forbidden
from collecte.domain.impact import (
    MONTHLY_STATUSES,
    Period,
    TallySum,
    factors_json,
    monthly_series,
    noumea_day,
    parse_period,
    public_counters,
    spans,
    summarise,
    target_progress,
)
from collecte.domain.impact_factors import load_impact_factors
from collecte.domain.vocabulary import Role, Status
from collecte.i18n import msg

_COUNTED = (Status.COLLECTED, Status.DELIVERED, Status.RECYCLED)
# The dimensions that count each device once (`category`, or `all` where not by category).
_EVERY_DEVICE = ["category", "all"]


@asynccontextmanager
async def _snapshot() -> AsyncIterator[None]:
    """One consistent view of the tally for every query of an answer (read only)."""
    engine = current_engine()
    async with engine.transaction():
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


class _Where:
    """A WHERE clause for `Table.raw` (`{}` placeholders, arguments beside)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *args: Any) -> _Where:
        self.parts.append(sql)
        self.args.extend(args)
        return self

    def within(self, period: Period, coarsest: str = "year") -> _Where:
        """The tally rows that add up to `period`: every day counted once."""
        alternatives = []
        for span in spans(period, coarsest):
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


# Hand-written SQL: Piccolo's select builder costs twice the query itself on a few thousand
# grouped rows (bench/bench_totals.py). The organisations' names come in the same query.
async def _sums(where: _Where) -> tuple[list[TallySum], dict[int, str]]:
    """The tally's sums by status, dimension and key, and the names of the organisations."""
    rows = await DeviceTally.raw(
        "SELECT t.status, t.dimension, t.key, o.name, sum(t.devices) AS devices,"
        " sum(t.weight_g) AS weight_g, sum(t.value_xpf) AS value_xpf"
        " FROM device_tally t LEFT JOIN organization o ON o.id = CASE WHEN t.dimension IN"
        " ('donor', 'reconditioner', 'association') THEN CAST(t.key AS INTEGER) END"
        f" WHERE {where.sql} GROUP BY t.status, t.dimension, t.key, o.name",
        *where.args,
    )
    sums = [
        TallySum(
            status=row["status"],
            dimension=row["dimension"],
            key=row["key"],
            devices=int(row["devices"] or 0),
            weight_g=int(row["weight_g"] or 0),
            value_xpf=int(row["value_xpf"] or 0),
        )
        for row in rows
    ]
    names = {int(row["key"]): row["name"] for row in rows if row["name"] is not None}
    return sums, names


async def _monthly(period: Period) -> list[tuple[date, str, int]]:
    """(day or first of a month, status, devices) for the statuses of the monthly series."""
    where = (
        _Where()
        .within(period, coarsest="month")
        .among("status", [s.value for s in MONTHLY_STATUSES])
        .among("dimension", _EVERY_DEVICE)
    )
    rows = await DeviceTally.raw(
        f"SELECT day, status, sum(devices) AS devices FROM device_tally WHERE {where.sql}"
        " GROUP BY day, status",
        *where.args,
    )
    return [
        (_as_date(row["day"]), row["status"], int(row["devices"] or 0))
        for row in rows
        if row["devices"]
    ]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _collected_in(year: int) -> int:
    where = (
        _Where()
        .add("grain = {}", "year")
        .add("day = {}", date(year, 1, 1))
        .add("status = {}", Status.COLLECTED.value)
        .add("dimension = {}", "all")
    )
    rows = await DeviceTally.raw(
        f"SELECT sum(devices) AS devices FROM device_tally WHERE {where.sql}", *where.args
    )
    return int(rows[0]["devices"] or 0) if rows else 0


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
    async with _snapshot():
        sums, names = await _sums(_Where().within(period))
        monthly = await _monthly(period)
        collected_in_year = await _collected_in(year)
    return {
        "period": period.as_json(),
        **summarise(sums, names, factors),
        "monthly": monthly_series(monthly, period, today),
        "target": target_progress(year, yearly_target, collected_in_year),
        "method": factors.method.get("fr", ""),
        "method_en": factors.method.get("en", ""),
        "factors": factors_json(factors),
    }


async def public_totals() -> dict[str, Any]:
    """Programme counters since the start, for anyone: no names, no period."""
    sums, _ = await _sums(
        _Where()
        .add("grain = {}", "year")
        .among("dimension", _EVERY_DEVICE)
        .among("status", [s.value for s in _COUNTED])
    )
    return public_counters(sums, load_impact_factors())


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
