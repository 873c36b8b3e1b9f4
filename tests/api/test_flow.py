"""The newcomer's walk: a donation of three devices, one to delivered, one to recycled."""

from __future__ import annotations

import httpx

from tests.factory import WIPE, act, make_donation, make_world, walk_to


async def test_device_walks_from_registered_to_delivered(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=3)
    assert donation["number"].startswith("LOT-")
    assert [d["status"] for d in donation["devices"]] == ["registered"] * 3
    tag = donation["devices"][0]["tag"]

    final = await walk_to(client, world, tag, "delivered")

    assert final["status"] == "delivered"
    assert [e["action"] for e in final["events"]] == [
        "register",
        "collect",
        "receive",
        "wipe",
        "refurbish",
        "allocate",
        "confirm_receipt",
    ]
    assert final["events"][-1]["to_status"] == final["status"]
    assert final["association"]["id"] == world.association.organization_id
    seen_by_donor = await client.get(f"/api/devices/{tag}", headers=world.donor.headers)
    assert seen_by_donor.status_code == 200
    assert len(seen_by_donor.json()["events"]) == 7


async def test_device_walks_to_recycled(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=3)
    tag = donation["devices"][1]["tag"]
    await walk_to(client, world, tag, "wiped")

    response = await act(
        client, world.reconditioner, tag, "recycle", channel="Trecodec", weight_kg=2
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "recycled"
    assert body["weight_kg"] == 2
    assert [e["to_status"] for e in body["events"]][-2:] == ["wiped", "recycled"]
    wipe_data = body["events"][-2]["data"]
    assert [m["method_class"] for m in wipe_data.pop("media")] == ["purge"]
    assert wipe_data == {**WIPE, "storage_serials": [], "destination": None, "verified_by": None}
