"""`GET /api/devices`: search by every kind of `q`, each filter, keyset pages walked once with
the exact total, scoping per role, and bad parameters refused naming the parameter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from collecte.db.tables import Device
from collecte.domain.clock import NOUMEA
from collecte.domain.tags import display
from tests.factory import Account, World, act, attest, make_donation, make_world, walk_to


async def _list(client: httpx.AsyncClient, account: Account, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/devices", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"items", "total", "next_cursor"}
    return body


async def _tags(client: httpx.AsyncClient, account: Account, **params: Any) -> set[str]:
    body = await _list(client, account, **params)
    assert body["total"] == len(body["items"]) and body["next_cursor"] is None
    return {item["tag"] for item in body["items"]}


async def _refused(client: httpx.AsyncClient, account: Account, **params: Any) -> tuple[str, str]:
    response = await client.get("/api/devices", params=params, headers=account.headers)
    assert response.status_code == 422, response.text
    body = response.json()
    return body["extra"].get("field"), body["detail"]


async def _two_donations(client: httpx.AsyncClient, world: World) -> tuple[list[str], list[str]]:
    mine = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    theirs = [
        d["tag"] for d in (await make_donation(client, world.other_donor, count=2))["devices"]
    ]
    return mine, theirs


async def test_q_finds_a_device_by_tag_with_or_without_dash_in_any_case(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    mine, _ = await _two_donations(client, world)
    tag = mine[1]

    for typed in (tag, display(tag), display(tag).lower(), f" {tag.lower()} "):
        assert await _tags(client, world.coordinator, q=typed) == {tag}, typed
    assert tag in await _tags(client, world.coordinator, q=display(tag)[:6].lower())


async def test_q_finds_by_serial_brand_model_lot_and_certificate(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=2)
    first, second = (d["tag"] for d in donation["devices"])
    odd = await client.post(
        f"/api/donations/{donation['id']}/devices",
        json={"category": "monitor", "brand": "Iiyama", "model": "ProLite X2483",
              "serial_number": "XB-2483/77A"},
        headers=world.donor.headers,
    )  # fmt: skip
    assert odd.status_code == 201, odd.text
    third = odd.json()["tag"]
    other = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    number = await attest(client, world.reconditioner, [first])
    serial = donation["devices"][1]["serial_number"]

    assert await _tags(client, world.coordinator, q=serial) == {second}
    assert await _tags(client, world.coordinator, q=serial.lower()) == {second}
    assert await _tags(client, world.coordinator, q="xb-2483/7") == {third}  # its beginning
    assert await _tags(client, world.coordinator, q="iiyama prolite") == {third}
    assert await _tags(client, world.coordinator, q="PROLITE") == {third}
    assert await _tags(client, world.coordinator, q="Prolite X2484") == set()
    assert await _tags(client, world.coordinator, q="2483") == set()  # not a beginning
    assert await _tags(client, world.coordinator, q=donation["number"]) == {first, second, third}
    assert await _tags(client, world.coordinator, q=donation["number"].lower()) == {
        first,
        second,
        third,
    }
    assert await _tags(client, world.coordinator, q=number) == {first}
    assert other not in await _tags(client, world.coordinator, q=donation["number"])


async def test_q_finds_by_erasure_certificate(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=2))["devices"][0]["tag"]
    body = await walk_to(client, world, tag, "wiped")
    number = body["certificate"]["number"]

    assert number.startswith("EFF-")
    assert await _tags(client, world.donor, q=number) == {tag}
    assert await _tags(client, world.donor, q=number.replace("EFF", "RCY")) == set()


async def test_each_filter_narrows(client: httpx.AsyncClient) -> None:
    world = await make_world()
    mine, theirs = await _two_donations(client, world)
    screen = (await make_donation(client, world.other_donor, count=1, category="monitor"))[
        "devices"
    ][0]["tag"]
    await walk_to(client, world, mine[0], "delivered")
    await act(client, world.other_reconditioner, theirs[0], "collect")
    coordinator = world.coordinator
    everyone = {*mine, *theirs, screen}

    assert await _tags(client, coordinator) == everyone
    assert await _tags(client, coordinator, status="registered") == {*mine[1:], theirs[1], screen}
    assert await _tags(client, coordinator, status=["delivered", "collected"]) == {
        mine[0],
        theirs[0],
    }
    assert await _tags(client, coordinator, category="monitor") == {screen}
    assert await _tags(client, coordinator, category=["monitor", "laptop"]) == everyone
    assert await _tags(client, coordinator, donor_id=world.donor.organization_id) == set(mine)
    assert await _tags(
        client, coordinator, reconditioner_id=world.other_reconditioner.organization_id
    ) == {theirs[0]}
    assert await _tags(client, coordinator, association_id=world.association.organization_id) == {
        mine[0]
    }
    assert (
        await _tags(client, coordinator, association_id=world.other_association.organization_id)
        == set()
    )


async def test_from_and_to_are_noumea_days_of_registration(client: httpx.AsyncClient) -> None:
    world = await make_world()
    mine, _ = await _two_donations(client, world)
    # 23:30 in Nouméa on 3 March is 12:30 UTC the same day; 00:30 on 4 March is 13:30 UTC on
    # the 3rd: the Nouméa day decides.
    late = datetime(2026, 3, 3, 23, 30, tzinfo=NOUMEA)
    early = datetime(2026, 3, 4, 0, 30, tzinfo=NOUMEA)
    await Device.update({Device.registered_at: late}).where(Device.tag == mine[0])
    await Device.update({Device.registered_at: early}).where(Device.tag == mine[1])
    coordinator = world.coordinator

    assert await _tags(client, coordinator, **{"from": "2026-03-03", "to": "2026-03-03"}) == {
        mine[0]
    }
    assert await _tags(client, coordinator, **{"from": "2026-03-04", "to": "2026-03-04"}) == {
        mine[1]
    }
    assert await _tags(client, coordinator, to="2026-03-04") == {mine[0], mine[1]}
    assert mine[0] not in await _tags(client, coordinator, **{"from": "2026-03-04"})


async def test_pages_walk_every_device_once_with_the_exact_total(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    made = {d["tag"] for d in (await make_donation(client, world.donor, count=23))["devices"]}
    await make_donation(client, world.other_donor, count=4)
    seen: list[str] = []
    totals = []
    cursor = None
    late = ""
    while True:
        params: dict[str, Any] = {"limit": 5, "donor_id": world.donor.organization_id}
        if cursor:
            params["cursor"] = cursor
        body = await _list(client, world.coordinator, **params)
        totals.append(body["total"])
        seen += [item["tag"] for item in body["items"]]
        if len(totals) == 2:  # registered while walking: newer than every page, shifts none
            late = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert totals == [23, 23, 24, 24, 24]
    assert len(seen) == 23 and set(seen) == made and late not in seen


async def test_limit_accepts_1_and_200_and_refuses_0_and_201(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await make_donation(client, world.donor, count=2)

    one = await _list(client, world.donor, limit=1)
    most = await _list(client, world.donor, limit=200)

    assert len(one["items"]) == 1 and one["total"] == 2 and one["next_cursor"]
    assert len(most["items"]) == 2 and most["next_cursor"] is None
    for bad in (0, 201, "beaucoup"):
        field, detail = await _refused(client, world.donor, limit=bad)
        assert field == "limit", detail
    assert (await _refused(client, world.donor, limit=201))[1] == (
        "Requête invalide : Le champ « Nombre par page » doit être inférieur ou égal à 200."
    )
    assert (await _refused(client, world.donor, limit=0))[1] == (
        "Requête invalide : Le champ « Nombre par page » doit être supérieur ou égal à 1."
    )


# Not base64; base64 of "a0" (no device 0); of "z5" (no such direction); too long.
@pytest.mark.parametrize("cursor", ["nimportequoi", "!!", "YTA", "ejU", "YTU" * 10])
async def test_a_bad_cursor_is_refused_with_a_message(
    client: httpx.AsyncClient, cursor: str
) -> None:
    world = await make_world()

    field, detail = await _refused(client, world.donor, cursor=cursor)

    assert field == "cursor"
    assert detail == (
        "Le paramètre « cursor » est invalide : reprenez la valeur « next_cursor » d’une "
        "réponse précédente, telle quelle."
    )


async def test_bad_values_are_refused_naming_the_parameter(client: httpx.AsyncClient) -> None:
    world = await make_world()
    coordinator = world.coordinator

    assert await _refused(client, coordinator, status="perdu") == (
        "status",
        "Requête invalide : Le champ « Statut » doit valoir l’un de : registered, collected, "
        "received, wiped, refurbished, recycled, allocated, delivered, withdrawn, missing, "
        "returned.",
    )
    assert (await _refused(client, coordinator, category="frigo"))[0] == "category"
    assert (await _refused(client, coordinator, donor_id=0))[0] == "donor_id"
    assert (await _refused(client, coordinator, donor_id=2**31))[0] == "donor_id"
    assert (await _refused(client, coordinator, reconditioner_id="x"))[0] == "reconditioner_id"
    assert (await _refused(client, coordinator, association_id=-1))[0] == "association_id"
    assert await _refused(client, coordinator, **{"from": "2026-02-30"}) == (
        "from",
        "Le paramètre « from » doit être une date AAAA-MM-JJ (reçu « 2026-02-30 »).",
    )
    assert (await _refused(client, coordinator, to="demain"))[0] == "to"
    assert (await _refused(client, coordinator, **{"from": "2026-03-02", "to": "2026-03-01"}))[
        0
    ] == "from"
    assert await _refused(client, coordinator, q="x" * 201) == (
        "q",
        "Requête invalide : Le champ « Rechercher » dépasse 200 caractères.",
    )
    assert (await _list(client, coordinator, q="x" * 200))["total"] == 0
    assert (await _list(client, coordinator, donor_id=1))["total"] == 0
    assert (await _list(client, coordinator, donor_id=2**31 - 1))["total"] == 0


async def test_each_role_sees_only_its_devices_even_by_q(client: httpx.AsyncClient) -> None:
    world = await make_world()
    mine, theirs = await _two_donations(client, world)
    await walk_to(client, world, mine[0], "allocated")
    await act(client, world.other_reconditioner, theirs[0], "collect")
    await act(client, world.other_reconditioner, theirs[0], "receive")

    assert await _tags(client, world.donor) == set(mine)
    assert await _tags(client, world.donor, q=theirs[0]) == set()
    assert await _tags(client, world.donor, q=display(theirs[1])) == set()
    assert await _tags(client, world.donor, donor_id=world.other_donor.organization_id) == set()
    assert await _tags(client, world.other_donor) == set(theirs)
    # A workshop: what it holds or held, and what waits for collection (labels at pick-up).
    assert await _tags(client, world.reconditioner) == {*mine, theirs[1]}
    assert await _tags(client, world.reconditioner, q=theirs[0]) == set()
    assert await _tags(client, world.other_reconditioner) == {*mine[1:], *theirs}
    # An association: what is allocated to it.
    assert await _tags(client, world.association) == {mine[0]}
    assert await _tags(client, world.other_association) == set()
    assert await _tags(client, world.other_association, q=mine[0]) == set()
    assert await _tags(client, world.coordinator) == {*mine, *theirs}


async def test_items_carry_the_callers_allowed_actions(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]

    item = (await _list(client, world.reconditioner, q=tag))["items"][0]

    assert item["tag"] == tag and item["status"] == "registered"
    assert "collect" in item["allowed_actions"]


async def test_the_list_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/devices")

    assert response.status_code == 401
