"""Reconciling a pickup: what was collected and never received is reported missing at once, its
donation attestation superseded by one listing what did arrive; on both databases."""

from __future__ import annotations

import httpx

from tests.api.test_certificates_api import tags_of
from tests.factory import act, attest, make_world, pickup_of


async def reconcile(
    client: httpx.AsyncClient, headers: dict[str, str], pickup: int
) -> httpx.Response:
    return await client.post(f"/api/pickups/{pickup}/reconcile", headers=headers)


async def status(client: httpx.AsyncClient, headers: dict[str, str], tag: str) -> str:
    return str((await client.get(f"/api/devices/{tag}", headers=headers)).json()["status"])


async def test_reconcile_reports_missing_what_never_arrived_and_supersedes_the_attestation(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    arrived, lost, also_lost = await tags_of(client, world.donor, 3)
    number = await attest(client, world.reconditioner, [arrived, lost, also_lost])
    assert (await act(client, world.reconditioner, arrived, "receive")).status_code == 200
    pickup = await pickup_of(arrived)

    before = await client.get(f"/api/pickups/{pickup}", headers=world.reconditioner.headers)
    reconciled = await reconcile(client, world.reconditioner.headers, pickup)
    again = await reconcile(client, world.coordinator.headers, pickup)

    assert before.json()["received_count"] == 1
    assert sorted(before.json()["not_received"]) == sorted([lost, also_lost])
    assert reconciled.status_code == 200, reconciled.text
    assert reconciled.json() == {"missing": [lost, also_lost]}
    assert again.status_code == 200 and again.json() == {"missing": []}
    headers = world.coordinator.headers
    assert [await status(client, headers, t) for t in (arrived, lost, also_lost)] == [
        "received", "missing", "missing"
    ]  # fmt: skip
    event = (await client.get(f"/api/devices/{lost}", headers=headers)).json()["events"][-1]
    assert event["action"] == "report_missing"
    pickup_number = before.json()["number"]
    assert event["data"]["reason"] == (
        f"Non reçu à l’atelier (rapprochement de l’enlèvement {pickup_number})"
    )
    verified = (await client.get(f"/api/verify/{number}")).json()
    assert verified["status"] == "superseded"
    assert verified["replaced_by"]
    replacement = (await client.get(f"/api/verify/{verified['replaced_by']}")).json()
    assert replacement["device_count"] == 1


async def test_only_the_pickups_workshop_and_the_coordinator_reconcile(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await attest(client, world.reconditioner, [tag])
    pickup = await pickup_of(tag)

    by_donor = await reconcile(client, world.donor.headers, pickup)
    by_stranger = await reconcile(client, world.other_reconditioner.headers, pickup)
    unknown = await reconcile(client, world.coordinator.headers, 999_999)

    assert by_donor.status_code == 403, by_donor.text
    number = (await client.get(f"/api/pickups/{pickup}", headers=world.donor.headers)).json()[
        "number"
    ]
    assert by_donor.json()["detail"] == (
        f"Seuls l’atelier destinataire de l’enlèvement {number} et la coordination peuvent "
        "le rapprocher."
    )
    assert by_stranger.status_code == 404
    assert unknown.status_code == 404
    assert await status(client, world.coordinator.headers, tag) == "collected"
    by_coordinator = await reconcile(client, world.coordinator.headers, pickup)
    assert by_coordinator.json() == {"missing": [tag]}
