"""Imports and batches at the documented maximum (5,000 devices), on both databases.

A statement may carry at most 32,767 parameters on PostgreSQL and 32,766 on SQLite's default
build; a 5,000-device import needs about 100,000. These tests run the real maximum on
connections held to those limits (every SQLite connection of the app is, whatever the build),
so a statement that forgets to go in pieces fails here. Each test stays under half a minute on
a small machine; they are separate items, so xdist spreads them over its workers.
"""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest
from piccolo.engine.base import Engine

from collecte.db.engine import current_engine
from collecte.db.sqlite import SQLITE_MAX_VARIABLES, CollecteSQLiteEngine
from collecte.db.tables import Certificate, Device, DeviceEvent
from collecte.domain.vocabulary import Role
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

    started = time.monotonic()
    response = await client.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=_csv(MAXIMUM),
        headers={**donor.headers, "Content-Type": "text/csv"},
    )
    print(f"csv import {time.monotonic() - started:.1f}s on {current_engine()}")

    assert response.status_code == 201, response.text[:500]
    assert len(response.json()) == MAXIMUM
    assert await Device.count().where(Device.donation == donation["id"]) == MAXIMUM
    assert await DeviceEvent.count() == MAXIMUM


async def test_a_json_donation_of_the_maximum(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)

    started = time.monotonic()
    response = await client.post(
        "/api/donations",
        json={"devices": [device() for _ in range(MAXIMUM)]},
        headers=donor.headers,
    )
    print(f"json donation {time.monotonic() - started:.1f}s")

    assert response.status_code == 201, response.text[:500]
    assert len(response.json()["devices"]) == MAXIMUM
    assert await DeviceEvent.count() == MAXIMUM


async def _batch(
    client: httpx.AsyncClient, world: World, action: str, tags: list[str], **data: object
) -> httpx.Response:
    started = time.monotonic()
    response = await client.post(
        "/api/transitions",
        json={"action": action, "tags": tags, **data},
        headers=world.reconditioner.headers,
    )
    print(f"{action} {time.monotonic() - started:.1f}s")
    return response


async def test_batches_of_the_maximum(client: httpx.AsyncClient) -> None:
    world = await make_world()
    started = time.monotonic()
    donation = await make_donation(client, world.donor, count=MAXIMUM)
    print(f"donation {time.monotonic() - started:.1f}s")
    tags = [d["tag"] for d in donation["devices"]]

    for action, data in (("collect", {}), ("receive", {}), ("wipe", WIPE)):
        response = await _batch(client, world, action, tags, **data)
        assert response.status_code == 200, response.text[:500]
        assert len(response.json()["devices"]) == MAXIMUM

    assert await Device.count().where(Device.status == "wiped") == MAXIMUM
    assert await DeviceEvent.count() == 4 * MAXIMUM
    certificate = response.json()["certificate"]
    assert certificate["kind"] == "erasure"
    row = await Certificate.select(Certificate.device_count).first()
    assert row == {"device_count": MAXIMUM}
