"""Registering donations and devices: typed in, added one by one, imported from CSV."""

from __future__ import annotations

import httpx
import pytest

from collecte.db.tables import Device, DeviceEvent, Donation
from collecte.domain import tags
from collecte.domain.vocabulary import Role
from tests.factory import device, make_account, make_donation, make_world


async def test_donor_registers_a_donation(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    payload = {
        "pickup_address": "12 rue de Sébastopol, Nouméa",
        "devices": [
            device(category="laptop"),
            device(category="monitor", weight_kg=4.2),
            device(category="printer", has_storage=True),
        ],
    }

    response = await client.post("/api/donations", json=payload, headers=donor.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] > 0
    assert body["number"].startswith("LOT-") and len(body["number"]) == len("LOT-2026-00001")
    assert body["donor_id"] == donor.organization_id
    devices = body["devices"]
    assert [d["status"] for d in devices] == ["registered"] * 3
    assert all(tags.is_valid(d["tag"]) for d in devices)
    assert [d["has_storage"] for d in devices] == [True, False, True]
    assert devices[1]["weight_kg"] == 4.2 and devices[0]["weight_kg"] == 1.6
    assert devices[0]["allowed_actions"] == ["withdraw"]


async def test_donation_numbers_follow_each_other(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    first = await make_donation(client, donor, count=1)
    second = await make_donation(client, donor, count=1)

    assert int(second["number"][-5:]) == int(first["number"][-5:]) + 1


async def test_coordinator_registers_for_a_donor(client: httpx.AsyncClient) -> None:
    world = await make_world()

    without = await client.post(
        "/api/donations", json={"devices": [device()]}, headers=world.coordinator.headers
    )
    with_donor = await client.post(
        "/api/donations",
        json={"donor_id": world.donor.organization_id, "devices": [device()]},
        headers=world.coordinator.headers,
    )
    not_a_donor = await client.post(
        "/api/donations",
        json={"donor_id": world.association.organization_id, "devices": [device()]},
        headers=world.coordinator.headers,
    )

    assert without.status_code == 422 and without.json()["extra"]["field"] == "donor_id"
    assert with_donor.status_code == 201
    assert with_donor.json()["donor_id"] == world.donor.organization_id
    assert not_a_donor.status_code == 422


async def test_who_may_register_a_donation(client: httpx.AsyncClient) -> None:
    world = await make_world()
    for_other = await client.post(
        "/api/donations",
        json={"donor_id": world.other_donor.organization_id, "devices": [device()]},
        headers=world.donor.headers,
    )
    statuses = [
        (
            await client.post(
                "/api/donations", json={"devices": [device()]}, headers=account.headers
            )
        ).status_code
        for account in (world.reconditioner, world.association)
    ]

    assert for_other.status_code == 403
    assert statuses == [403, 403]


@pytest.mark.parametrize(
    ("bad_device", "field"),
    [
        ({"category": "grille-pain"}, "devices[1].category"),
        ({"category": "laptop", "year": 1850}, "devices[1].year"),
        ({"category": "laptop", "estimated_value_xpf": -5}, "devices[1].estimated_value_xpf"),
        ({"category": "laptop", "weight_kg": 0}, "devices[1].weight_kg"),
        (
            {
                "category": "laptop",
                "tag": "7K3P-9QX" + ("A" if tags.check_character("7K3P9QX") != "A" else "B"),
            },
            "devices[1].tag",
        ),
        ({"category": "laptop", "tag": tags.generate()}, "devices[1].tag"),  # not a blank tag
    ],
)
async def test_a_bad_device_refuses_the_whole_donation(
    client: httpx.AsyncClient, bad_device: dict, field: str
) -> None:
    donor = await make_account(Role.DONOR)
    payload = {"devices": [device(), bad_device, device()]}

    response = await client.post("/api/donations", json=payload, headers=donor.headers)

    assert response.status_code == 422, response.text
    assert response.json()["extra"]["field"] == field
    assert await Donation.count() == 0 and await Device.count() == 0


@pytest.mark.parametrize(
    ("content", "body"),
    [
        ("application/json", b"{not json"),
        ("application/json", b'{"devices": "trois"}'),
        ("application/json", b'{"devices": [{"brand": "Dell"}]}'),
        ("application/json", b'{"devices": [{"category": "laptop", "year": "deux mille"}]}'),
        ("application/json", b"[]"),
    ],
)
async def test_malformed_bodies_are_4xx(
    client: httpx.AsyncClient, content: str, body: bytes
) -> None:
    donor = await make_account(Role.DONOR)

    response = await client.post(
        "/api/donations", content=body, headers={**donor.headers, "Content-Type": content}
    )

    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]
    assert await Donation.count() == 0


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    body = b'{"notes": "' + b"x" * (6 * 1024 * 1024) + b'"}'

    response = await client.post(
        "/api/donations",
        content=body,
        headers={**donor.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 413


async def test_donations_are_scoped(client: httpx.AsyncClient) -> None:
    world = await make_world()
    mine = await make_donation(client, world.donor, count=2)
    theirs = await make_donation(client, world.other_donor, count=1)

    listed = await client.get("/api/donations", headers=world.donor.headers)
    other = await client.get(f"/api/donations/{theirs['id']}", headers=world.donor.headers)
    own = await client.get(f"/api/donations/{mine['id']}", headers=world.donor.headers)
    by_coordinator = await client.get("/api/donations", headers=world.coordinator.headers)
    by_association = await client.get(
        f"/api/donations/{mine['id']}", headers=world.association.headers
    )

    assert [d["id"] for d in listed.json()] == [mine["id"]]
    assert other.status_code == 404
    assert own.status_code == 200 and len(own.json()["devices"]) == 2
    assert {d["id"] for d in by_coordinator.json()} == {mine["id"], theirs["id"]}
    assert by_association.status_code == 404
    assert (
        await client.get("/api/donations/999999", headers=world.donor.headers)
    ).status_code == 404


async def test_add_one_device(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    path = f"/api/donations/{donation['id']}/devices"

    added = await client.post(path, json=device(category="tablet"), headers=world.donor.headers)
    by_other = await client.post(path, json=device(), headers=world.other_donor.headers)
    by_workshop = await client.post(path, json=device(), headers=world.reconditioner.headers)

    assert added.status_code == 201
    assert added.json()["category"] == "tablet" and added.json()["status"] == "registered"
    assert by_other.status_code == 404
    assert by_workshop.status_code == 403
    assert await Device.count() == 2
    assert await DeviceEvent.count().where(DeviceEvent.action == "register") == 2


CSV_OK = (
    "category;brand;model;serial_number;year;has_storage;estimated_value_xpf;weight_kg\n"
    "portable;Lenovo;ThinkPad T480;PF1ABC;2018;oui;30 000;1,7\n"
    "monitor;Dell;P2419H;CN0XYZ;2019;;8000;\n"
    "\n"
    "smartphone;Samsung;Galaxy A52;R58N;2021;true;;\n"
)


async def test_import_csv(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)

    response = await client.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=("\ufeff" + CSV_OK).encode(),
        headers={**donor.headers, "Content-Type": "text/csv"},
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert [d["category"] for d in created] == ["laptop", "monitor", "smartphone"]
    assert created[0]["estimated_value_xpf"] == 30000 and created[0]["weight_kg"] == 1.7
    assert created[1]["has_storage"] is False


async def test_import_csv_with_a_bad_row_creates_nothing(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)
    bad = "category,brand,year\nlaptop,HP,2017\nlaptop,HP,2017\ntoaster,Moulinex,2010\n"

    response = await client.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=bad.encode(),
        headers={**donor.headers, "Content-Type": "text/csv"},
    )

    assert response.status_code == 422
    assert "Ligne 4" in response.json()["detail"]
    assert response.json()["extra"]["line"] == 4
    assert await Device.count() == 0


@pytest.mark.parametrize(
    "body", [b"", b"colour,brand\nred,HP\n", b"category\n", b"\xff\xfe\x00garbage\x00"]
)
async def test_import_csv_rejects_unusable_files(client: httpx.AsyncClient, body: bytes) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)

    response = await client.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=body,
        headers={**donor.headers, "Content-Type": "text/csv"},
    )

    assert response.status_code == 422
    assert await Device.count() == 0
