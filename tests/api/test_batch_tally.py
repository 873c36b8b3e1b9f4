"""Batches count their devices in the totals' tally per statement (SQLite; PostgreSQL's trigger
already does), and batches of the forward path are made before their write transaction: the
tally, the answers and the certificates stay what one device at a time would give."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from collecte.db import batch_tally
from collecte.db.tables import Device, DeviceTally
from collecte.services import transitions
from collecte.services.totals import tally_drift
from tests.factory import WIPE, World, make_donation, make_world

DEVICES = transitions.BATCH_TALLY_FROM + 5
_KEY = "grain, day, status, dimension, key, shard, devices, weight_g, value_xpf"


async def _per_shard_drift() -> int:
    """Tally rows (shard by shard) that differ from a recount of the devices."""
    kept = f"SELECT {_KEY} FROM device_tally WHERE devices <> 0 OR weight_g <> 0 OR value_xpf <> 0"
    expected = f"SELECT {_KEY} FROM device_tally_expected_shards"
    drift = 0
    for first, second in ((kept, expected), (expected, kept)):
        rows = await DeviceTally.raw(
            f"SELECT count(*) AS drift FROM ({first} EXCEPT {second}) AS differing"
        )
        drift += int(rows[0]["drift"])
    return drift


async def _paused(backend: str) -> int:
    if backend != "sqlite":
        return 0
    rows = await DeviceTally.raw("SELECT count(*) AS paused FROM device_tally_pause")
    return int(rows[0]["paused"])


async def _batch(
    client: httpx.AsyncClient, account: Any, action: str, tags: list[str], **data: Any
) -> httpx.Response:
    return await client.post(
        "/api/transitions", json={"action": action, "tags": tags, **data}, headers=account.headers
    )


async def _tags(client: httpx.AsyncClient, world: World, count: int = DEVICES) -> list[str]:
    donation = await make_donation(client, world.donor, count)
    return [device["tag"] for device in donation["devices"]]


async def test_every_step_of_a_batch_keeps_the_tally_a_recount(
    client: httpx.AsyncClient, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    tags = await _tags(client, world)
    half = len(tags) // 2
    steps: list[tuple[Any, str, list[str], dict[str, Any]]] = [
        (world.reconditioner, "collect", tags, {}),
        (world.reconditioner, "receive", tags, {}),
        (world.reconditioner, "wipe", tags, WIPE),
        (world.reconditioner, "refurbish", tags[:half], {"grade": "B"}),
        (world.reconditioner, "recycle", tags[half:], {"channel": "Filière DEEE"}),
        (
            world.coordinator,
            "allocate",
            tags[:half],
            {"association_id": world.association.organization_id},
        ),
        (world.association, "confirm_receipt", tags[:half], {"signature": {"name": "Marie"}}),
        (world.coordinator, "revert", tags[:half], {"reason": "Mauvais scan"}),
    ]

    counted_in_transaction: list[str] = []
    counted = batch_tally._counted

    async def spied(ids: Any, columns: Any, sign: int) -> None:
        counted_in_transaction.append(action)
        await counted(ids, columns, sign)

    monkeypatch.setattr(batch_tally, "_counted", spied)
    for account, action, chosen, data in steps:
        response = await _batch(client, account, action, chosen, **data)
        assert response.status_code == 200, (action, response.text)
        assert await tally_drift() == 0, action
        assert await _per_shard_drift() == 0, action
        assert await _paused(backend) == 0, action
    # The forward path's batches computed the tally's change before their transaction; a collect
    # (which may open its pickup) counts it inside its own (the revert's 12 devices, fewer than
    # BATCH_TALLY_FROM, leave it to the trigger).
    expected = {"collect"} if backend == "sqlite" else set()
    assert set(counted_in_transaction) == expected


async def test_a_batch_answers_as_its_devices_then_read(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await _tags(client, world)
    for action in ("collect", "receive"):
        assert (await _batch(client, world.reconditioner, action, tags)).status_code == 200

    wiped = await _batch(client, world.reconditioner, "wipe", tags, **WIPE)
    read = [
        (await client.get(f"/api/devices/{tag}", headers=world.reconditioner.headers)).json()
        for tag in tags
    ]

    assert wiped.status_code == 200, wiped.text
    by_tag = {device["tag"]: device for device in read}
    for device in wiped.json()["devices"]:
        again = {key: value for key, value in by_tag[device["tag"]].items() if key != "events"}
        assert device == again
    assert [d["id"] for d in wiped.json()["devices"]] == sorted(d["id"] for d in read)
    assert wiped.json()["certificate"]["kind"] == "erasure"


async def test_a_device_changed_before_the_write_is_answered_as_the_rules_say(
    client: httpx.AsyncClient, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    tags = await _tags(client, world)
    for action in ("collect", "receive"):
        assert (await _batch(client, world.reconditioner, action, tags)).status_code == 200
    plan = transitions._plan

    async def then_edited(*args: Any, **kwargs: Any) -> Any:
        made = await plan(*args, **kwargs)
        if kwargs.get("prepared"):  # the donor corrects one device meanwhile
            edited = await client.patch(
                f"/api/devices/{tags[3]}",
                json={"model": "Latitude 5500"},
                headers=world.donor.headers,
            )
            assert edited.status_code == 200, edited.text
        return made

    monkeypatch.setattr(transitions, "_plan", then_edited)
    wiped = await _batch(client, world.reconditioner, "wipe", tags, **WIPE)

    assert wiped.status_code == 200, wiped.text
    assert {d["model"] for d in wiped.json()["devices"] if d["tag"] == tags[3]} == {"Latitude 5500"}
    assert await tally_drift() == 0 and await _paused(backend) == 0


async def test_a_lost_race_in_the_write_leaves_the_tally_and_nothing_else(
    client: httpx.AsyncClient, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    tags = await _tags(client, world)
    for action in ("collect", "receive"):
        assert (await _batch(client, world.reconditioner, action, tags)).status_code == 200
    before = await DeviceTally.raw(f"SELECT {_KEY} FROM device_tally ORDER BY {_KEY}")
    update = transitions._update_where

    async def moved_first(ids: Any, columns: Any, status: Any = None) -> Any:
        # Another scan wipes a device between the check and the update.
        await Device.update({Device.status: "wiped"}).where(Device.tag == tags[-1])
        return await update(ids, columns, status)

    monkeypatch.setattr(transitions, "_update_where", moved_first)
    refused = await _batch(client, world.reconditioner, "wipe", tags, **WIPE)
    monkeypatch.undo()

    assert refused.status_code == 409, refused.text
    assert refused.json()["extra"]["code"] == "wrong_status"
    after = await DeviceTally.raw(f"SELECT {_KEY} FROM device_tally ORDER BY {_KEY}")
    assert after == before and await _paused(backend) == 0
    assert {row["status"] for row in await Device.select(Device.status)} == {"received"}
