"""Searching and listing devices at the programme's scale: the API's `GET /api/devices` and
every list page.

One WHERE clause serves the page of devices, its exact total and the counts per status, so a
figure never comes from a cut list. Each part of it has an index behind it (the `device list
indexes` migration): the caller's scope and a status as `(donor|reconditioner|association,
status, id)`, the search as ranges on lower-cased serial, brand + model and model (in code
point order: `COLLATE "C"` on PostgreSQL), on the tag, and as equalities on lot and certificate
numbers. Pages are keyset on id, newest first (`Cursor`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Count

from collecte.db.engine import backend, current_engine
from collecte.db.tables import Device
from collecte.domain.access import Principal
from collecte.domain.device_filters import (
    Cursor,
    DeviceFilters,
    SearchTerms,
    prefix_range,
)
from collecte.domain.vocabulary import Status
from collecte.services.devices import device_select, device_summary, visible_to

# The searchable text of a device, exactly as the indexes hold it (the planner matches the
# expression, so these strings and the migration's must stay the same).
SERIAL_KEY = "lower(device.serial_number)"
BRAND_MODEL_KEY = "lower(coalesce(device.brand, '') || ' ' || coalesce(device.model, ''))"
MODEL_KEY = "lower(device.model)"


def _ordered(expression: str) -> str:
    """`expression` compared in code point order, as `prefix_range` computes its bounds."""
    return f'({expression} COLLATE "C")' if backend() == "postgres" else expression


def _search(terms: SearchTerms) -> WhereRaw:
    """Devices whose serial, brand + model or model begins with the text, or whose tag, lot or
    certificate the text names."""
    parts: list[str] = []
    args: list[Any] = []
    low, high = prefix_range(terms.text)
    for key in (SERIAL_KEY, BRAND_MODEL_KEY, MODEL_KEY):
        ordered = _ordered(key)
        parts.append(f"({ordered} >= {{}} AND {ordered} < {{}})")
        args += [low, high]
    if terms.tag:
        parts.append("device.tag = {}")
        args.append(terms.tag)
    elif terms.tag_prefix:
        parts.append("(device.tag >= {} AND device.tag < {})")
        args += list(prefix_range(terms.tag_prefix))
    if terms.lot:
        parts.append("device.donation IN (SELECT id FROM donation WHERE number = {})")
        args.append(terms.lot)
    if terms.certificate:
        # Each device's events name the certificates it caused; a donation attestation is the
        # pickup's (one per collection run).
        parts.append("device.id IN (SELECT device FROM device_event WHERE certificate_number = {})")
        parts.append("device.pickup IN (SELECT id FROM pickup WHERE certificate_number = {})")
        args += [terms.certificate, terms.certificate]
    return WhereRaw("(" + " OR ".join(parts) + ")", *args)


def conditions(
    principal: Principal, filters: DeviceFilters, *, with_status: bool = True
) -> list[Any]:
    """The where-clauses of `filters` within what `principal` may see (the cursor aside);
    `with_status=False` leaves the status filter out (counts per status)."""
    found: list[Any] = []
    scope = visible_to(principal)
    if scope is not None:
        found.append(scope)
    if with_status and filters.statuses:
        found.append(Device.status.is_in([status.value for status in filters.statuses]))
    if filters.categories:
        found.append(Device.category.is_in([category.value for category in filters.categories]))
    if filters.donor_id is not None:
        found.append(Device.donor == filters.donor_id)
    if filters.reconditioner_id is not None:
        found.append(Device.reconditioner == filters.reconditioner_id)
    if filters.association_id is not None:
        found.append(Device.association == filters.association_id)
    if filters.registered_from is not None:
        found.append(Device.registered_at >= filters.registered_from)
    if filters.registered_before is not None:
        found.append(Device.registered_at < filters.registered_before)
    if filters.terms is not None:
        found.append(_search(filters.terms))
    return found


@asynccontextmanager
async def _one_snapshot() -> AsyncIterator[None]:
    """On PostgreSQL, the queries of one answer in one read-only snapshot (the page and its
    total agree) and each planned for its own values.

    Why custom plans: asyncpg prepares every statement, and after five runs PostgreSQL may keep
    a generic plan made without the values. The devices are skewed (one donor may hold a tenth
    of them, a serial matches one device, a brand a sixth), so a generic plan guesses the
    average and, for a rare match, walks the whole primary key backwards looking for 50 rows:
    measured at 10 s for one serial on 10⁶ devices, against a few ms planned for the value."""
    engine = current_engine()
    if backend() != "postgres":
        yield
        return
    async with engine.transaction():
        await engine.run_ddl("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        await engine.run_ddl("SET LOCAL plan_cache_mode = force_custom_plan")
        yield


def _where(query: Any, clauses: list[Any]) -> Any:
    for clause in clauses:
        query = query.where(clause)
    return query


async def search_devices(principal: Principal, filters: DeviceFilters) -> dict[str, Any]:
    """One page of the devices matching `filters` that `principal` may see, newest first, with
    the exact number of matches and the cursors of the pages after and before (None: none)."""
    clauses = conditions(principal, filters)
    page = device_select().limit(filters.limit + 1)
    cursor = filters.cursor
    backwards = cursor is not None and cursor.direction == "before"
    if cursor is None:
        page = page.order_by(Device.id, ascending=False)
    elif backwards:
        page = page.where(Device.id > cursor.device_id).order_by(Device.id)
    else:
        page = page.where(Device.id < cursor.device_id).order_by(Device.id, ascending=False)
    async with _one_snapshot():
        rows = await _where(page, clauses)
        total = await _where(Device.count(), clauses)
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    if backwards:
        rows.reverse()
    older = more if not backwards else bool(rows)
    newer = cursor is not None and bool(rows) and (more if backwards else True)
    return {
        "items": [device_summary(row, principal) for row in rows],
        "total": total,
        "next_cursor": Cursor("after", rows[-1]["id"]).encode() if rows and older else None,
        "previous_cursor": Cursor("before", rows[0]["id"]).encode() if newer else None,
    }


async def count_by_status(principal: Principal, filters: DeviceFilters) -> dict[str, int]:
    """How many devices match `filters` in each status (the status filter aside), every status
    present, zeros included: the figures beside a list's status filter."""
    clauses = conditions(principal, filters, with_status=False)
    query = Device.select(Device.status, Count(alias="devices")).group_by(Device.status)
    counts = {status.value: 0 for status in Status}
    async with _one_snapshot():
        found = await _where(query, clauses)
    for row in found:
        counts[row["status"]] = int(row["devices"])
    return counts
