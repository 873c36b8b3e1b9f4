"""Organisations and users, managed by coordinators."""

from __future__ import annotations

import httpx
import pytest

from collecte.domain.fields import field_label
from collecte.domain.vocabulary import Role
from tests.factory import make_account, make_organization


async def test_coordinator_creates_an_organization(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    payload = {
        "name": "Banque Exemple SA",
        "kind": "donor",
        "ridet": "1234567.001",
        "email": "dons@banque.nc",
        "city": "Nouméa",
    }

    response = await client.post("/api/organizations", json=payload, headers=coordinator.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] > 0
    assert body["kind"] == "donor"
    assert body["ridet"] == "1234567.001"
    listed = await client.get("/api/organizations", headers=coordinator.headers)
    assert "Banque Exemple SA" in [o["name"] for o in listed.json()]


@pytest.mark.parametrize("role", [Role.DONOR, Role.RECONDITIONER, Role.ASSOCIATION])
async def test_only_coordinators_manage_organizations_and_users(
    client: httpx.AsyncClient, role: Role
) -> None:
    account = await make_account(role)

    created = await client.post(
        "/api/organizations", json={"name": "X", "kind": "donor"}, headers=account.headers
    )
    listed = await client.get("/api/organizations", headers=account.headers)
    user = await client.post(
        "/api/users",
        json={
            "email": "a@b.nc",
            "password": "longpassword",
            "organization_id": account.organization_id,
        },
        headers=account.headers,
    )

    assert (created.status_code, listed.status_code, user.status_code) == (403, 403, 403)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "kind": "donor"}, "name"),
        ({"name": "A", "kind": "banque"}, "kind"),
        ({"name": "A", "kind": "donor", "ridet": "abc"}, "ridet"),
        ({"name": "A", "kind": "donor", "email": "pas-un-email"}, "email"),
        ({"name": "A" * 300, "kind": "donor"}, "name"),
    ],
)
async def test_bad_organization_is_422_naming_the_field(
    client: httpx.AsyncClient, payload: dict, field: str
) -> None:
    coordinator = await make_account(Role.COORDINATOR)

    response = await client.post("/api/organizations", json=payload, headers=coordinator.headers)

    assert response.status_code == 422
    assert response.json()["extra"]["field"] == field
    assert (
        str(field_label(field)) in response.json()["detail"] or field == "ridet" or field == "email"
    )


async def test_missing_or_mistyped_fields_are_422(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)

    missing = await client.post(
        "/api/organizations", json={"name": "A"}, headers=coordinator.headers
    )
    mistyped = await client.post(
        "/api/organizations", json={"name": 5, "kind": "donor"}, headers=coordinator.headers
    )

    assert missing.status_code == 422
    assert "kind" in missing.text
    assert mistyped.status_code == 422
    assert "name" in mistyped.text


async def test_duplicate_organization_name_is_409(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    await make_organization(Role.DONOR, name="Mine du Nord")

    response = await client.post(
        "/api/organizations",
        json={"name": "Mine du Nord", "kind": "donor"},
        headers=coordinator.headers,
    )

    assert response.status_code == 409


async def test_coordinator_creates_a_user_who_can_sign_in(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    workshop = await make_organization(Role.RECONDITIONER)
    payload = {
        "email": "Atelier@Exemple.nc",
        "password": "un-mot-de-passe",
        "full_name": "Jo",
        "organization_id": workshop["id"],
    }

    response = await client.post("/api/users", json=payload, headers=coordinator.headers)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "atelier@exemple.nc"
    assert body["role"] == "reconditioner"
    assert set(body) & {"password", "password_hash"} == set()
    assert "un-mot-de-passe" not in response.text and "argon2" not in response.text
    # The coordination chose it: provisional, to be replaced at the first sign-in.
    assert body["password_change_required"] is True and body["is_active"] is True
    login = await client.post(
        "/api/auth/login", json={"email": "atelier@exemple.nc", "password": "un-mot-de-passe"}
    )
    assert login.status_code == 200
    assert login.json()["password_change_required"] is True
    again = await client.post("/api/users", json=payload, headers=coordinator.headers)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"password": "court"}, 422, "password"),
        ({"email": "sans-arobase"}, 422, "email"),
        ({"organization_id": 999999}, 404, "organization_id"),
    ],
)
async def test_bad_user_is_refused(
    client: httpx.AsyncClient, changes: dict, status: int, field: str
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    payload = {
        "email": "x@y.nc",
        "password": "un-mot-de-passe",
        "organization_id": coordinator.organization_id,
        **changes,
    }

    response = await client.post("/api/users", json=payload, headers=coordinator.headers)

    assert response.status_code == status
    assert response.json()["extra"]["field"] == field
