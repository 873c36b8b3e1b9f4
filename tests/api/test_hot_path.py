"""The scan-and-transition hot path (collecte/device_sql.py), on both databases.

- The SQL form of the rules accepts exactly the devices the pure rules accept, for every role
  and action, on every kind of device.
- Racing scanners on the one-statement path: one success, the rest 409, one event.
- The answer built from the rows in hand is what reading the device again gives.
"""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from collecte.db.device_sql import allowed_sql
from collecte.db.tables import Device, DeviceEvent
from collecte.domain.access import Principal, can_see_device
from collecte.domain.clock import now
from collecte.domain.lifecycle import LifecycleError, check_transition
from collecte.domain.vocabulary import Action, Role, Status
from collecte.services.devices import state_of
from tests.factory import WIPE, act, make_donation, make_organization, make_world

ORG, OTHER = "org", "other"


async def test_the_sql_rules_accept_exactly_what_the_rules_accept(db: object) -> None:
    mine = await make_organization(Role.DONOR)
    theirs = await make_organization(Role.DONOR)
    donation = (await make_donation_row(mine["id"]))["id"]
    org_of = {ORG: mine["id"], OTHER: theirs["id"], None: None}
    at = now()
    rows = [
        Device(
            tag=f"T{index:07d}",
            donation=donation,
            donor=org_of[donor],
            category="laptop",
            has_storage=has_storage,
            status=status.value,
            reconditioner=org_of[reconditioner],
            association=org_of[association],
            registered_at=at,
            updated_at=at,
        )
        for index, (status, has_storage, donor, reconditioner, association) in enumerate(
            itertools.product(
                Status, (True, False), (ORG, OTHER), (ORG, OTHER, None), (ORG, OTHER, None)
            )
        )
    ]
    await Device.insert(*rows)
    devices = await Device.select()
    assert len(devices) == len(Status) * 2 * 2 * 3 * 3

    for role, action in itertools.product(Role, Action):
        principal = Principal(1, "", "", mine["id"], "", role)
        expected = set()
        for device in devices:
            state = state_of(device)
            try:
                check_transition(state, principal.actor, action)
            except LifecycleError:
                continue
            if can_see_device(principal, state):
                expected.add(device["id"])
        allowed = allowed_sql(role, action)
        if allowed is None:
            assert not expected, (role, action)
            continue
        predicate, uses = allowed
        found = await Device.raw(
            f"SELECT d.id FROM device d WHERE {predicate}", *[mine["id"]] * uses
        )
        assert {row["id"] for row in found} == expected, (role, action, predicate)


async def make_donation_row(donor_id: int) -> dict[str, object]:
    from collecte.db.tables import Donation

    donation = Donation(number="LOT-2026-99999", donor=donor_id, created_at=now())
    await donation.save()
    return donation.to_dict()


@pytest.mark.parametrize("action", ["receive", "withdraw"])
async def test_racing_scanners_on_the_one_statement_path(
    client: httpx.AsyncClient, action: str
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    if action == "receive":
        assert (await act(client, world.reconditioner, tag, "collect")).status_code == 200
    who = world.reconditioner if action == "receive" else world.donor
    data = {"reason": "course"} if action == "withdraw" else {}

    responses = await asyncio.gather(*[act(client, who, tag, action, **data) for _ in range(20)])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19
    assert await DeviceEvent.count().where(DeviceEvent.action == action) == 1


@pytest.mark.parametrize(
    ("steps", "last"),
    [
        ([("collect", {})], ("receive", {})),
        ([("collect", {}), ("receive", {}), ("wipe", WIPE)], ("refurbish", {"grade": "B"})),
        ([], ("withdraw", {"reason": "Finalement gardé"})),
    ],
)
async def test_the_answer_is_what_reading_the_device_again_gives(
    client: httpx.AsyncClient,
    steps: list[tuple[str, dict[str, object]]],
    last: tuple[str, dict[str, object]],
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    for action, data in steps:
        assert (await act(client, world.reconditioner, tag, action, **data)).status_code == 200
    action, data = last
    who = world.donor if action == "withdraw" else world.reconditioner

    answer = await act(client, who, tag, action, **data)
    again = await client.get(f"/api/devices/{tag}", headers=who.headers)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {**again.json(), "certificate": None, "superseded": []}


async def test_an_allocation_answers_with_the_association_named(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    for action, data in [
        ("collect", {}),
        ("receive", {}),
        ("wipe", WIPE),
        ("refurbish", {"grade": "A"}),
    ]:
        assert (await act(client, world.reconditioner, tag, action, **data)).status_code == 200

    answer = await act(
        client, world.coordinator, tag, "allocate", association_id=world.association.organization_id
    )
    again = await client.get(f"/api/devices/{tag}", headers=world.coordinator.headers)

    assert answer.json()["association"] == {
        "id": world.association.organization_id,
        "name": world.association.organization_name,
    }
    assert answer.json() == {**again.json(), "certificate": None, "superseded": []}


async def test_bad_data_on_a_device_in_the_wrong_status_is_a_409_first(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]

    wrong_status = await act(client, world.coordinator, tag, "refurbish", grade="Z")
    not_visible = await act(client, world.other_donor, tag, "withdraw")
    bad_data = await act(client, world.donor, tag, "withdraw")

    assert wrong_status.status_code == 409
    assert not_visible.status_code == 404
    assert bad_data.status_code == 422
    assert bad_data.json()["extra"]["field"] == "reason"
