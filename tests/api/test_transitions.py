"""The lifecycle through the API: refusals, data, idempotency, batches."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from collecte.db.tables import DeviceEvent
from collecte.domain import tags
from tests.factory import WIPE, World, act, make_donation, make_world, walk_to


async def _one_tag(client: httpx.AsyncClient, world: World, **fields: Any) -> str:
    return str((await make_donation(client, world.donor, count=1, **fields))["devices"][0]["tag"])


async def _status(client: httpx.AsyncClient, world: World, tag: str) -> str:
    response = await client.get(f"/api/devices/{tag}", headers=world.coordinator.headers)
    return str(response.json()["status"])


async def test_wrong_status_is_409_naming_the_current_status(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)

    response = await act(client, world.coordinator, tag, "wipe", **WIPE)

    assert response.status_code == 409
    assert "l’appareil est « Enregistré »" in response.json()["detail"]
    assert response.json()["extra"]["current_status"] == "registered"
    assert await DeviceEvent.count() == 1


async def test_device_with_storage_cannot_skip_the_wipe(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)
    await walk_to(client, world, tag, "received")

    refurbish = await act(client, world.reconditioner, tag, "refurbish", grade="A")
    recycle = await act(client, world.reconditioner, tag, "recycle", channel="Trecodec")

    assert (refurbish.status_code, recycle.status_code) == (409, 409)
    assert "effacé" in refurbish.json()["detail"]
    assert await _status(client, world, tag) == "received"


@pytest.mark.parametrize(
    ("who", "action", "data", "status"),
    [
        ("donor", "collect", {}, 403),  # sees its device, may not collect it
        ("association", "collect", {}, 404),  # may not even see it
        ("donor", "allocate", {"association_id": 1}, 403),
        ("other_donor", "withdraw", {"reason": "erreur"}, 404),
        ("reconditioner", "withdraw", {"reason": "erreur"}, 403),
    ],
)
async def test_roles_and_organisations_that_may_not(
    client: httpx.AsyncClient, who: str, action: str, data: dict[str, Any], status: int
) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)

    response = await act(client, getattr(world, who), tag, action, **data)

    assert response.status_code == status, response.text
    assert await _status(client, world, tag) == "registered"


async def test_only_the_holding_workshop_and_the_allocated_association(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)
    await walk_to(client, world, tag, "collected")
    assert (await act(client, world.other_reconditioner, tag, "receive")).status_code == 404

    await walk_to_allocated(client, world, tag)
    refused = await act(client, world.other_association, tag, "confirm_receipt")
    accepted = await act(client, world.association, tag, "confirm_receipt", received_by="Léa")

    assert refused.status_code == 404
    assert accepted.status_code == 200
    assert accepted.json()["events"][-1]["data"] == {"received_by": "Léa"}


async def walk_to_allocated(client: httpx.AsyncClient, world: World, tag: str) -> None:
    """From collected to allocated."""
    for account, action, data in [
        (world.reconditioner, "receive", {}),
        (world.reconditioner, "wipe", WIPE),
        (world.reconditioner, "refurbish", {"grade": "C"}),
        (world.coordinator, "allocate", {"association_id": world.association.organization_id}),
    ]:
        assert (await act(client, account, tag, action, **data)).status_code == 200


@pytest.mark.parametrize(
    ("status", "action", "data", "field"),
    [
        ("registered", "teleport", {}, "action"),
        ("registered", "collect", {}, "reconditioner_id"),  # a coordinator must name it
        ("registered", "collect", {"reconditioner_id": "deux"}, "reconditioner_id"),
        ("registered", "withdraw", {}, "reason"),
        ("received", "wipe", {"tool": "nwipe", "verified": True}, "method"),
        ("received", "wipe", {"method": "shred", "tool": "nwipe", "verified": True}, "method"),
        ("received", "wipe", {"method": "clear", "verified": True}, "tool"),
        ("received", "wipe", {"method": "clear", "tool": "nwipe"}, "verified"),
        ("wiped", "refurbish", {"grade": "Z"}, "grade"),
        ("wiped", "recycle", {"channel": "Trecodec", "weight_kg": -1}, "weight_kg"),
        ("wiped", "recycle", {}, "channel"),
        ("refurbished", "allocate", {}, "association_id"),
    ],
)
async def test_missing_or_bad_data_is_422_naming_the_field(
    client: httpx.AsyncClient, status: str, action: str, data: dict[str, Any], field: str
) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)
    if status != "registered":
        await walk_to(client, world, tag, status)

    response = await act(client, world.coordinator, tag, action, **data)

    assert response.status_code == 422, response.text
    assert field in response.text
    assert await _status(client, world, tag) == status


async def test_targets_must_be_of_the_right_kind(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)

    to_donor = await act(
        client, world.coordinator, tag, "collect", reconditioner_id=world.donor.organization_id
    )
    to_nowhere = await act(client, world.coordinator, tag, "collect", reconditioner_id=999999)

    assert (to_donor.status_code, to_nowhere.status_code) == (422, 422)
    assert to_donor.json()["extra"]["field"] == "reconditioner_id"


async def test_a_workshop_collects_for_itself_or_for_another(client: httpx.AsyncClient) -> None:
    world = await make_world()
    mine, theirs = (
        d["tag"] for d in (await make_donation(client, world.donor, count=2))["devices"]
    )

    own = await act(client, world.reconditioner, mine, "collect")
    other = await act(
        client,
        world.reconditioner,
        theirs,
        "collect",
        reconditioner_id=world.other_reconditioner.organization_id,
    )

    assert own.json()["reconditioner"]["id"] == world.reconditioner.organization_id
    assert other.json()["reconditioner"]["id"] == world.other_reconditioner.organization_id
    assert own.json()["allowed_actions"] == ["receive", "report_missing"]


async def test_donor_withdraws_a_registered_device(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)

    withdrawn = await act(client, world.donor, tag, "withdraw", reason="Finalement conservé")
    collect = await act(client, world.reconditioner, tag, "collect")

    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["dates"]["withdrawn"] is not None
    assert collect.status_code == 404  # no longer waiting for collection


async def test_idempotency_key_replays_the_first_answer(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await _one_tag(client, world)
    headers = {**world.reconditioner.headers, "Idempotency-Key": "scan-0001"}
    path = f"/api/devices/{tag}/transitions"

    first = await client.post(path, json={"action": "collect"}, headers=headers)
    replay = await client.post(path, json={"action": "collect"}, headers=headers)
    reused = await client.post(path, json={"action": "receive"}, headers=headers)
    fresh = await client.post(
        path,
        json={"action": "collect"},
        headers={**world.reconditioner.headers, "Idempotency-Key": "scan-0002"},
    )

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == 1
    assert reused.status_code == 422
    assert reused.json()["extra"]["field"] == "Idempotency-Key"
    assert fresh.status_code == 409


async def test_batch_is_all_or_nothing(client: httpx.AsyncClient) -> None:
    world = await make_world()
    batch = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    await act(client, world.reconditioner, batch[1], "collect")

    refused = await client.post(
        "/api/transitions",
        json={"action": "collect", "tags": batch},
        headers=world.reconditioner.headers,
    )

    assert refused.status_code == 409
    errors = refused.json()["extra"]["errors"]
    assert [(e["tag"], e["current_status"]) for e in errors] == [(batch[1], "collected")]
    assert [await _status(client, world, t) for t in batch] == [
        "registered",
        "collected",
        "registered",
    ]
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == 1


async def test_batch_moves_every_device_at_once(client: httpx.AsyncClient) -> None:
    world = await make_world()
    batch = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    codes = [
        f"HTTP://LOCALHOST:8000/D/{batch[0]}",
        tags.display(batch[1]).lower(),
        batch[2],
        batch[2],
    ]

    response = await client.post(
        "/api/transitions",
        json={"action": "collect", "tags": codes},
        headers=world.reconditioner.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(d["tag"] for d in body["devices"]) == sorted(batch)
    assert {d["status"] for d in body["devices"]} == {"collected"}
    assert "certificate" in body
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == 3


@pytest.mark.parametrize(
    ("codes", "status"),
    [
        ([], 422),
        (["ABC"], 422),
        ([tags.generate()], 422),  # unknown tag: listed, nothing done
    ],
)
async def test_batch_with_unusable_tags(
    client: httpx.AsyncClient, codes: list[str], status: int
) -> None:
    world = await make_world()
    good = await _one_tag(client, world)

    response = await client.post(
        "/api/transitions",
        json={"action": "collect", "tags": [good, *codes] if codes else []},
        headers=world.reconditioner.headers,
    )

    assert response.status_code == status, response.text
    assert await _status(client, world, good) == "registered"
    if codes:
        assert [e["tag"] for e in response.json()["extra"]["errors"]] == codes


async def test_batch_forbidden_for_the_role(client: httpx.AsyncClient) -> None:
    world = await make_world()
    good = await _one_tag(client, world)

    response = await client.post(
        "/api/transitions",
        json={"action": "withdraw", "reason": "x", "tags": [good]},
        headers=world.reconditioner.headers,
    )

    assert response.status_code == 403
