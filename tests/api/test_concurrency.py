"""Scanners racing on the same devices: exactly one wins, the others get 409, one event."""

from __future__ import annotations

import asyncio

import httpx

from collecte.db.tables import DeviceEvent
from tests.factory import act, make_donation, make_world

RACERS = 20


async def test_twenty_scanners_on_one_device(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]

    responses = await asyncio.gather(
        *[act(client, world.reconditioner, tag, "collect") for _ in range(RACERS)]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (RACERS - 1)
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == 1


async def test_twenty_batches_on_the_same_devices(client: httpx.AsyncClient) -> None:
    world = await make_world()
    batch = [d["tag"] for d in (await make_donation(client, world.donor, count=5))["devices"]]

    responses = await asyncio.gather(
        *[
            client.post(
                "/api/transitions",
                json={"action": "collect", "tags": batch},
                headers=world.reconditioner.headers,
            )
            for _ in range(RACERS)
        ]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (RACERS - 1)
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == len(batch)


async def test_overlapping_batches_never_half_apply(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=6))["devices"]]
    batches = [tags[0:3], tags[2:5], tags[4:6], tags[0:1]]

    responses = await asyncio.gather(
        *[
            client.post(
                "/api/transitions",
                json={"action": "collect", "tags": b},
                headers=world.reconditioner.headers,
            )
            for b in batches
        ]
    )

    won = [b for b, r in zip(batches, responses, strict=True) if r.status_code == 200]
    assert all(r.status_code in (200, 409) for r in responses)
    collected = {t for b in won for t in b}
    assert sum(len(b) for b in won) == len(collected)  # no device collected twice
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == len(collected)


async def test_the_same_idempotent_request_twenty_times_at_once(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    headers = {**world.reconditioner.headers, "Idempotency-Key": "rafale"}

    responses = await asyncio.gather(
        *[
            client.post(
                f"/api/devices/{tag}/transitions", json={"action": "collect"}, headers=headers
            )
            for _ in range(RACERS)
        ]
    )

    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == 1
