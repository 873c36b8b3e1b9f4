"""Looking devices up and scanning labels; what each role may see and do."""

from __future__ import annotations

import httpx
import pytest

from collecte.domain import tags
from tests.factory import WIPE, act, make_donation, make_world, walk_to


def _wrong_check(tag: str) -> str:
    wrong = next(c for c in tags.ALPHABET if c != tag[-1])
    return tag[:-1] + wrong


async def test_device_by_tag_in_every_spelling(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    spellings = [tag, tag.lower(), tags.display(tag), f" {tags.display(tag).lower()} "]

    for spelling in spellings:
        response = await client.get(f"/api/devices/{spelling}", headers=world.donor.headers)
        assert response.status_code == 200, spelling
        assert response.json()["tag"] == tag

    body = response.json()
    assert body["status"] == "registered"
    assert body["events"][0]["action"] == "register"
    assert body["events"][0]["actor"]["organization_id"] == world.donor.organization_id


async def test_scan_accepts_the_label_url_and_the_bare_tag(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    codes = [
        f"HTTP://LOCALHOST:8000/D/{tag}",
        f"http://collecte.nc/d/{tag.lower()}/",
        tag,
        tags.display(tag).lower(),
    ]

    for code in codes:
        response = await client.post(
            "/api/scan", json={"code": code}, headers=world.reconditioner.headers
        )
        assert response.status_code == 200, code
        assert response.json()["tag"] == tag
        assert response.json()["allowed_actions"] == ["collect"]


async def test_unknown_and_mistyped_tags(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    unknown = tags.generate()

    missing = await client.get(f"/api/devices/{unknown}", headers=world.coordinator.headers)
    mistyped = await client.get(
        f"/api/devices/{_wrong_check(tag)}", headers=world.coordinator.headers
    )
    short = await client.post("/api/scan", json={"code": "ABC"}, headers=world.coordinator.headers)
    empty = await client.post("/api/scan", json={"code": ""}, headers=world.coordinator.headers)
    not_a_label = await client.post(
        "/api/scan",
        json={"code": "https://exemple.nc/autre/chose"},
        headers=world.coordinator.headers,
    )

    assert missing.status_code == 404
    assert mistyped.status_code == 422
    assert "contrôle" in mistyped.json()["detail"]
    assert (short.status_code, empty.status_code, not_a_label.status_code) == (422, 422, 422)
    assert short.json()["extra"]["field"] == "code"


async def test_allowed_actions_follow_role_and_status(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]

    async def allowed(account) -> list[str] | int:  # type: ignore[no-untyped-def]
        response = await client.get(f"/api/devices/{tag}", headers=account.headers)
        return (
            response.json()["allowed_actions"]
            if response.status_code == 200
            else response.status_code
        )

    assert await allowed(world.donor) == ["withdraw"]
    assert await allowed(world.coordinator) == ["collect", "withdraw"]
    assert await allowed(world.reconditioner) == ["collect"]
    assert await allowed(world.association) == 404

    await walk_to(client, world, tag, "received")
    assert await allowed(world.reconditioner) == ["wipe", "report_missing", "transfer"]
    assert await allowed(world.other_reconditioner) == 404
    assert await allowed(world.donor) == []
    assert await allowed(world.coordinator) == ["wipe", "report_missing", "transfer", "revert"]


async def test_device_without_storage_skips_the_wipe(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1, category="monitor"))["devices"][0][
        "tag"
    ]
    await walk_to(client, world, tag, "received")

    seen = await client.get(f"/api/devices/{tag}", headers=world.reconditioner.headers)
    refurbished = await act(client, world.reconditioner, tag, "refurbish", grade="b")

    assert seen.json()["allowed_actions"] == [
        "refurbish",
        "recycle",
        "report_missing",
        "transfer",
    ]
    assert refurbished.status_code == 200
    assert refurbished.json()["grade"] == "B"


async def test_a_device_without_storage_is_refused_in_a_wipe(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1, category="monitor"))["devices"][0][
        "tag"
    ]
    await walk_to(client, world, tag, "received")

    wiped = await act(client, world.reconditioner, tag, "wipe", **WIPE)

    assert wiped.status_code == 422, wiped.text
    assert wiped.json()["extra"] == {"code": "nothing_to_wipe", "field": "tag"}
    assert wiped.json()["detail"] == (
        "Cet appareil n’a pas de support de stockage : il n’y a rien à effacer."
    )
    after = await client.get(f"/api/devices/{tag}", headers=world.reconditioner.headers)
    assert after.json()["status"] == "received"


@pytest.mark.parametrize(
    ("status", "visible_to"),
    [
        ("registered", {"coordinator", "donor", "reconditioner", "other_reconditioner"}),
        ("received", {"coordinator", "donor", "reconditioner"}),
        ("allocated", {"coordinator", "donor", "reconditioner", "association"}),
    ],
)
async def test_who_sees_a_device(
    client: httpx.AsyncClient, status: str, visible_to: set[str]
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    if status != "registered":
        await walk_to(client, world, tag, status)

    seen = set()
    for role in (
        "coordinator",
        "donor",
        "other_donor",
        "reconditioner",
        "other_reconditioner",
        "association",
        "other_association",
    ):
        response = await client.get(f"/api/devices/{tag}", headers=getattr(world, role).headers)
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            seen.add(role)

    assert seen == visible_to
