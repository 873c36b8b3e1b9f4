"""A query parameter a route does not declare is refused, naming it: a misspelt filter never
silently returns everything."""

from __future__ import annotations

import httpx

from collecte.web.app import ROUTES
from collecte.web.query import declared_query
from tests.factory import make_world


async def test_an_unknown_query_parameter_is_422_naming_it(client: httpx.AsyncClient) -> None:
    world = await make_world()

    response = await client.get("/api/organizations?knd=donor", headers=world.coordinator.headers)

    assert response.status_code == 422
    assert response.json()["extra"] == {"code": "unknown_parameter", "field": "knd"}
    assert response.json()["detail"] == ("Paramètre « knd » inconnu (paramètres possibles : kind).")


async def test_declared_parameters_still_pass(client: httpx.AsyncClient) -> None:
    world = await make_world()
    headers = world.coordinator.headers

    assert (await client.get("/api/organizations?kind=donor", headers=headers)).status_code == 200
    assert (await client.get("/api/totals?from=2024-01-01&to=", headers=headers)).status_code == 200
    assert (await client.get("/api/donations?limit=1&offset=0", headers=headers)).status_code == 200


async def test_a_route_without_parameters_names_none(client: httpx.AsyncClient) -> None:
    world = await make_world()

    response = await client.get("/api/labels/formats?x=1", headers=world.donor.headers)

    assert response.status_code == 422
    assert response.json()["detail"] == "Paramètre « x » inconnu (paramètres possibles : —)."


async def test_routes_outside_the_api_keep_their_query_strings(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/health?probe=1")

    assert response.status_code == 200


def test_the_declared_names_are_those_in_the_url() -> None:
    declared = {sorted(handler.paths)[0]: declared_query(handler) for handler in ROUTES}

    assert declared["/api/totals"] == {"from", "to"}
    assert declared["/api/devices/{tag:str}/transitions"] == {"lang"}  # not the header
    assert declared["/api/donations/{donation_id:int}"] == set()  # not the path's
