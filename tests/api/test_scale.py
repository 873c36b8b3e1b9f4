"""Imports and batches at the documented maximum (5,000 devices), on both databases.

A statement may carry at most 32,767 parameters on PostgreSQL and 32,766 on SQLite's default
build; a 5,000-device import needs about 80,000. These tests run the real maximum on
connections held to those limits (every SQLite connection of the app is, whatever the build),
so a statement that forgets to go in pieces fails here. Each test stays well under half a
minute on a small idle machine; they are separate items, so xdist spreads them over its
workers, and `-m "not scale"` leaves them out.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from piccolo.engine.base import Engine

from collecte.db.chunks import IN_LIST_MAX, insert_rows
from collecte.db.sqlite import SQLITE_MAX_VARIABLES, CollecteSQLiteEngine
from collecte.db.tables import Certificate, Device, DeviceEvent, Donation
from collecte.db.transactions import write_transaction
from collecte.domain.clock import now
from collecte.domain.vocabulary import Role, Status
from collecte.services.fresh_tags import new_tags
from collecte.settings import Settings
from tests.factory import WIPE, World, device, make_account, make_donation, make_world

pytestmark = pytest.mark.scale

MAXIMUM = Settings().max_devices_per_request


def _csv(count: int) -> bytes:
    """A CSV file of `count` laptops, headed in French as the template is."""
    lines = ["Catégorie;Marque;Modèle;N° de série;Valeur déclarée (F CFP)"]
    lines += [f"portable;Dell;Latitude 5490;SN-{n:06d};25000" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


async def test_sqlite_connections_keep_the_default_parameter_limit(db: Engine) -> None:
    if not isinstance(db, CollecteSQLiteEngine):
        pytest.skip("SQLite only")
    connection = await db.writer_connection()
    at_limit = "SELECT 1 WHERE 1 IN (" + ", ".join("?" for _ in range(SQLITE_MAX_VARIABLES))
    rows = await connection.execute_fetchall(at_limit + ")", [1] * SQLITE_MAX_VARIABLES)
    assert len(rows) == 1
    over = at_limit + ", ?)"
    with pytest.raises(sqlite3.OperationalError, match="too many SQL variables"):
        await connection.execute_fetchall(over, [1] * (SQLITE_MAX_VARIABLES + 1))
    reader = await db.get_connection()
    try:
        with pytest.raises(sqlite3.OperationalError, match="too many SQL variables"):
            await reader.execute_fetchall(over, [1] * (SQLITE_MAX_VARIABLES + 1))
    finally:
        await reader.close()


async def test_a_csv_import_of_the_maximum(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)

    response = await client.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=_csv(MAXIMUM),
        headers={**donor.headers, "Content-Type": "text/csv"},
    )

    assert response.status_code == 201, response.text[:500]
    assert len(response.json()) == MAXIMUM
    assert await Device.count().where(Device.donation == donation["id"]) == MAXIMUM
    assert await DeviceEvent.count() == MAXIMUM


async def test_a_json_donation_of_the_maximum(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)

    response = await client.post(
        "/api/donations",
        json={"devices": [device() for _ in range(MAXIMUM)]},
        headers=donor.headers,
    )

    assert response.status_code == 201, response.text[:500]
    assert len(response.json()["devices"]) == MAXIMUM
    assert await DeviceEvent.count() == MAXIMUM


async def _batch(
    client: httpx.AsyncClient, world: World, action: str, tags: list[str], **data: object
) -> httpx.Response:
    response = await client.post(
        "/api/transitions",
        json={"action": action, "tags": tags, **data},
        headers=world.reconditioner.headers,
    )
    assert response.status_code == 200, response.text[:500]
    assert len(response.json()["devices"]) == len(tags)
    return response


async def _devices_at(world: World, status: Status, count: int) -> list[str]:
    """`count` devices of the world's donor already in `status` at its workshop (written
    directly: reaching it through the API is what the other tests measure)."""
    at = now()
    donation = Donation(number="LOT-2026-99999", donor=world.donor.organization_id, created_at=at)
    await donation.save()
    tags = await new_tags(count)
    rows = [
        {
            "tag": tag,
            "donation": donation.id,
            "donor": world.donor.organization_id,
            "category": "laptop",
            "serial_number": f"SN-{n:06d}",
            "has_storage": True,
            "weight_kg": 1.6,
            "weight_estimated": True,
            "status": status.value,
            "reconditioner": world.reconditioner.organization_id,
            "registered_at": at,
            "collected_at": at,
            "received_at": at if status is Status.RECEIVED else None,
            "updated_at": at,
        }
        for n, tag in enumerate(tags)
    ]
    async with write_transaction():
        await insert_rows(Device, rows)
    return tags


async def test_a_donation_of_the_maximum_collected_in_one_batch(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=MAXIMUM)
    tags = [d["tag"] for d in donation["devices"]]

    await _batch(client, world, "collect", tags)

    assert await Device.count().where(Device.status == "collected") == MAXIMUM
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == MAXIMUM
    assert await Device.count().where(Device.pickup.is_null()) == 0


async def test_the_maximum_received_in_one_batch(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await _devices_at(world, Status.COLLECTED, MAXIMUM)

    response = await _batch(client, world, "receive", tags)

    assert {d["status"] for d in response.json()["devices"]} == {"received"}
    assert await Device.count().where(Device.status == "received") == MAXIMUM
    assert await DeviceEvent.count().where(DeviceEvent.action == "receive") == MAXIMUM


async def test_a_batch_over_the_in_list_bound_one_past_it(client: httpx.AsyncClient) -> None:
    # A refusal lists every failing tag however many pieces the batch was read in.
    world = await make_world()
    tags = await _devices_at(world, Status.COLLECTED, IN_LIST_MAX + 1)

    refused = await client.post(
        "/api/transitions",
        json={"action": "wipe", "tags": tags, **WIPE},
        headers=world.reconditioner.headers,
    )

    assert refused.status_code == 409
    assert len(refused.json()["extra"]["errors"]) == IN_LIST_MAX + 1
    assert await DeviceEvent.count() == 0


async def test_a_wipe_batch_in_pieces_issues_one_certificate(client: httpx.AsyncClient) -> None:
    # Bounded by the certificate: its PDF lists every device (5,000 lines take minutes to lay
    # out); the statements take the same pieces as for 5,000 devices.
    world = await make_world()
    count = IN_LIST_MAX + 1
    tags = await _devices_at(world, Status.RECEIVED, count)

    response = await _batch(client, world, "wipe", tags, **WIPE)

    certificate = response.json()["certificate"]
    assert certificate["kind"] == "erasure"
    assert await Device.count().where(Device.status == "wiped") == count
    cited = DeviceEvent.certificate_number == certificate["number"]
    assert await DeviceEvent.count().where(cited) == count
    row = await Certificate.select(Certificate.device_count).first()
    assert row == {"device_count": count}
