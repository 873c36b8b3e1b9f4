"""Folding the tally's shards of closed periods: one row per figure for past days, months and
years, the open ones untouched, every total the same before and after, on both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from collecte.db.tables import Device, DeviceTally
from collecte.services.tally_folding import closed_before, fold_closed_periods
from collecte.services.totals import tally_drift
from tests.api.test_totals import _move_in_time, at_noumea, get_totals
from tests.factory import make_donation, make_world

# The fold's "today": 2025-03-01, a first of the month, so the day before is in another month.
TODAY = date(2025, 3, 1)


async def _sharded(grain: str, day: date) -> int:
    """How many rows of `grain` starting `day` sit in a shard other than 0."""
    return await DeviceTally.count().where(
        (DeviceTally.grain == grain) & (DeviceTally.day == day) & (DeviceTally.shard != 0)
    )


async def _registered_on(client: httpx.AsyncClient, world: Any, moments: list[str]) -> None:
    """One lot of devices (consecutive ids: each in its own shard), each registered at the
    Nouméa moment given."""
    lot = await make_donation(client, world.donor, count=len(moments))
    for device, moment in zip(lot["devices"], moments, strict=True):
        await _move_in_time(device["tag"], "registered", at_noumea(moment))


def test_what_is_closed_on_a_day() -> None:
    assert closed_before(date(2025, 3, 17)) == (
        date(2025, 3, 17),
        date(2025, 3, 1),
        date(2025, 1, 1),
    )


async def test_closed_periods_fold_and_open_ones_stay_sharded(client: httpx.AsyncClient) -> None:
    world = await make_world()
    # Last day before TODAY (closed day, closed month, open year) and TODAY itself (open).
    await _registered_on(client, world, ["2025-02-28 09:00"] * 3 + ["2025-03-01 09:00"] * 3)
    await _registered_on(client, world, ["2024-06-10 10:00"] * 3)  # a closed year
    periods = [
        ("2025-02-28", "2025-03-01"),
        ("2024-01-01", "2024-12-31"),
        ("2024-06-10", "2025-02-28"),
    ]
    before = [await get_totals(client, world.coordinator, start=s, end=e) for s, e in periods]
    assert await _sharded("day", date(2025, 2, 28)) > 0
    assert await _sharded("year", date(2024, 1, 1)) > 0

    folded = await fold_closed_periods(TODAY)

    # Closed: the day 2025-02-28, the month of February, the day, month and year of 2024-06-10.
    assert folded == 5
    for grain, day in (
        ("day", date(2025, 2, 28)),
        ("month", date(2025, 2, 1)),
        ("day", date(2024, 6, 10)),
        ("month", date(2024, 6, 1)),
        ("year", date(2024, 1, 1)),
    ):
        assert await _sharded(grain, day) == 0, (grain, day)
    # Open on TODAY: the day itself, its month and the year 2025.
    for grain, day in (
        ("day", date(2025, 3, 1)),
        ("month", date(2025, 3, 1)),
        ("year", date(2025, 1, 1)),
    ):
        assert await _sharded(grain, day) > 0, (grain, day)
    # One row per figure once folded: three devices, one row.
    rows = await DeviceTally.select(DeviceTally.shard, DeviceTally.devices).where(
        (DeviceTally.grain == "day")
        & (DeviceTally.day == date(2025, 2, 28))
        & (DeviceTally.dimension == "all")
        & (DeviceTally.status == "registered")
    )
    assert rows == [] or rows == [{"shard": 0, "devices": 3}]
    assert await tally_drift() == 0
    after = [await get_totals(client, world.coordinator, start=s, end=e) for s, e in periods]
    assert after == before
    assert before[0]["devices"]["total"] == 6
    assert before[1]["devices"]["total"] == 3


async def test_a_later_write_into_a_folded_period_counts_and_folds_again(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await _registered_on(client, world, ["2024-06-10 10:00"] * 3)
    assert await fold_closed_periods(TODAY) == 3
    assert await fold_closed_periods(TODAY) == 0  # nothing left to fold

    # A correction moves one more device into that closed day: its shard's row comes back.
    await _registered_on(client, world, ["2024-06-10 11:00"])
    assert await _sharded("day", date(2024, 6, 10)) > 0
    assert await tally_drift() == 0
    totals = await get_totals(client, world.coordinator, start="2024-06-10", end="2024-06-10")
    assert totals["devices"]["total"] == 4

    assert await fold_closed_periods(TODAY) == 3
    assert await _sharded("day", date(2024, 6, 10)) == 0
    assert await tally_drift() == 0
    again = await get_totals(client, world.coordinator, start="2024-06-10", end="2024-06-10")
    assert again == totals


async def test_a_figure_that_nets_to_zero_leaves_no_row(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await _registered_on(client, world, ["2024-06-10 10:00"] * 2)
    # Both devices leave the day again (their date corrected to another one): the shards of
    # 2024-06-10 hold zeros, which fold into nothing.
    for row in await Device.select(Device.tag):
        await _move_in_time(row["tag"], "registered", at_noumea("2024-07-01 10:00"))

    await fold_closed_periods(TODAY)

    nonzero = (
        (DeviceTally.devices != 0) | (DeviceTally.weight_g != 0) | (DeviceTally.value_xpf != 0)
    )
    assert await DeviceTally.count().where((DeviceTally.day == date(2024, 6, 10)) & nonzero) == 0
    closed = (DeviceTally.shard != 0) & (DeviceTally.day < date(2025, 1, 1))
    assert await DeviceTally.count().where(closed) == 0
    assert await tally_drift() == 0
