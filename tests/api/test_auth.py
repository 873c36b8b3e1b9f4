"""Signing in, tokens, and which routes need them."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from collecte.auth.tokens import issue_token
from collecte.domain.access import Principal
from collecte.domain.vocabulary import Role
from tests.factory import PASSWORD, SECRET, make_account

PROTECTED = [
    ("GET", "/api/organizations"),
    ("POST", "/api/organizations"),
    ("POST", "/api/users"),
    ("GET", "/api/donations"),
    ("POST", "/api/donations"),
    ("GET", "/api/donations/1"),
    ("POST", "/api/donations/1/devices"),
    ("POST", "/api/donations/1/devices/import"),
    ("GET", "/api/devices/7K3P9QXM"),
    ("POST", "/api/devices/7K3P9QXM/transitions"),
    ("POST", "/api/transitions"),
    ("POST", "/api/scan"),
]


async def test_login_gives_a_bearer_token_that_works(client: httpx.AsyncClient) -> None:
    account = await make_account(Role.DONOR)

    response = await client.post(
        "/api/auth/login", json={"email": account.email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["role"] == "donor"
    assert PASSWORD not in response.text
    me = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get("/api/donations", headers=me)).status_code == 200


@pytest.mark.parametrize("email_known", [True, False])
async def test_wrong_credentials_are_401(client: httpx.AsyncClient, email_known: bool) -> None:
    account = await make_account(Role.DONOR)
    email = account.email if email_known else "personne@nulle.part"

    response = await client.post(
        "/api/auth/login", json={"email": email, "password": "faux-mdp-123"}
    )

    assert response.status_code == 401
    assert "incorrect" in response.json()["detail"]


async def test_repeated_failures_are_rate_limited(client: httpx.AsyncClient) -> None:
    account = await make_account(Role.DONOR)
    bad = {"email": account.email, "password": "pas-le-bon-mdp"}
    statuses = [(await client.post("/api/auth/login", json=bad)).status_code for _ in range(6)]

    assert statuses == [401] * 5 + [429]
    locked = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_every_api_route_needs_a_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 401
    assert "Authorization" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer n.importe.quoi",
        "Basic dXNlcjpwYXNz",
        "Bearer "
        + issue_token(
            Principal(1, "a@b.c", "", 1, "X", Role.COORDINATOR),
            "une-autre-clé-de-signature-assez-longue",
            timedelta(hours=1),
            "une-session",
        ),
    ],
)
async def test_bad_tokens_are_401(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/donations", headers={"Authorization": header})

    assert response.status_code == 401


async def test_expired_token_is_401(client: httpx.AsyncClient) -> None:
    account = await make_account(Role.COORDINATOR)
    principal = Principal(
        account.user_id, account.email, "", account.organization_id, "X", Role.COORDINATOR
    )
    token = issue_token(principal, SECRET, timedelta(seconds=-1), "une-session")

    response = await client.get("/api/organizations", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert "expirée" in response.json()["detail"]


async def test_health_and_schema_are_public(client: httpx.AsyncClient) -> None:
    health = await client.get("/health")
    schema = await client.get("/schema/openapi.json")

    assert health.json() == {"status": "ok", "database": "ok"}
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/devices/{tag}/transitions" in paths
    assert "BearerToken" in schema.json()["components"]["securitySchemes"]
