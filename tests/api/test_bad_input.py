"""Hostile or careless input: always a 4xx naming the problem, never a 500, nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from collecte.db.tables import Device, DeviceEvent, Donation, Organization
from collecte.domain.fields import field_label
from tests.factory import make_donation, make_world

HUGE = 99_999_999_999


def _cases(world: Any, tag: str, donation_id: int) -> list[tuple[str, str, Any, str]]:
    return [
        ("GET", f"/api/donations/{HUGE}", None, "donation_id"),
        ("GET", "/api/donations?offset=99999999999999999999", None, "offset"),
        ("GET", "/api/donations?limit=0", None, "limit"),
        (
            "POST",
            "/api/users",
            {"email": "a@b.nc", "password": "xxxxxxxxxx", "organization_id": HUGE},
            "organization_id",
        ),
        ("POST", "/api/donations", {"donor_id": HUGE, "devices": []}, "donor_id"),
        ("POST", "/api/organizations", {"name": "a\x00b", "kind": "donor"}, "name"),
        (
            "POST",
            "/api/donations",
            {"donor_id": world.donor.organization_id, "notes": "x\x00", "devices": []},
            "notes",
        ),
        (
            "POST",
            f"/api/devices/{tag}/transitions",
            {"action": "collect", "reconditioner_id": HUGE},
            "reconditioner_id",
        ),
        (
            "POST",
            f"/api/devices/{tag}/transitions",
            {"action": "withdraw", "reason": "a\x00"},
            "reason",
        ),
        ("POST", f"/api/devices/{tag}/transitions", {"reason": "oubli de l'action"}, "action"),
        ("POST", f"/api/devices/{tag}/transitions", [1, 2], "data"),
        ("POST", "/api/auth/login", {"email": "a\x00@b.nc", "password": "x"}, "email"),
        ("POST", "/api/scan", {"code": "\x00"}, "code"),
        ("POST", "/api/scan", {}, "code"),
        ("POST", "/api/transitions", {"action": "collect", "tags": [1, None]}, "tags[0]"),
        ("POST", "/api/transitions", {"action": "collect", "tags": "abc"}, "tags"),
        (
            "POST",
            f"/api/donations/{donation_id}/devices",
            {"category": "laptop", "year": 99999999999999999999999},
            "year",
        ),
        (
            "POST",
            f"/api/donations/{donation_id}/devices",
            {"category": "laptop", "estimated_value_xpf": 10**12},
            "estimated_value_xpf",
        ),
    ]


async def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    tag = donation["devices"][0]["tag"]
    before = [await table.count() for table in (Organization, Donation, Device, DeviceEvent)]

    for method, path, body, field in _cases(world, tag, donation["id"]):
        response = await client.request(method, path, json=body, headers=world.coordinator.headers)
        assert response.status_code == 422, (path, body, response.text)
        assert (
            str(field_label(field)) in response.json()["detail"]
            or response.json()["extra"].get("field") == field
        )

    after = [await table.count() for table in (Organization, Donation, Device, DeviceEvent)]
    assert after == before


@pytest.mark.parametrize(
    "body", [b"", b"{", b"null", b'"texte"', b"\xff\xfe", b'{"code": "' + b"A" * 100_000 + b'"}']
)
async def test_unreadable_bodies_are_4xx(client: httpx.AsyncClient, body: bytes) -> None:
    world = await make_world()

    response = await client.post(
        "/api/scan",
        content=body,
        headers={**world.coordinator.headers, "Content-Type": "application/json"},
    )

    assert 400 <= response.status_code < 500, response.text
