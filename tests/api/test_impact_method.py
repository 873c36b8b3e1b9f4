"""One CO₂e method everywhere: totals API, public counters, dashboard, /programme, impact export.

Two laptops and a smartphone delivered, one laptop recycled: the method counts
2 × 27 kg × 3 years + 24.6 kg × 2 years = 211.2 kg; the upper bound (a new device's whole
manufacturing footprint each) 2 × 182.6 + 85.1 = 450.3 kg; the recycled laptop counts no CO₂e.
"""

from __future__ import annotations

import csv
import io

import httpx

from tests.api.test_pages import sign_in
from tests.factory import WIPE, World, act, make_donation, make_world, walk_to

AVOIDED, UPPER_BOUND = 211.2, 450.3


async def _delivered_and_recycled(client: httpx.AsyncClient) -> World:
    world = await make_world()
    laptops = (await make_donation(client, world.donor, count=3))["devices"]
    phone = (await make_donation(client, world.donor, count=1, category="smartphone"))["devices"]
    for device in [*laptops[:2], *phone]:
        await walk_to(client, world, device["tag"], "delivered")
    scrap = laptops[2]["tag"]
    await walk_to(client, world, scrap, "received")
    assert (await act(client, world.reconditioner, scrap, "wipe", **WIPE)).status_code == 200
    recycled = await act(client, world.reconditioner, scrap, "recycle", channel="Recyclerie")
    assert recycled.status_code == 200, recycled.text
    return world


async def test_the_totals_api_and_public_counters_give_the_method_and_the_bound(
    client: httpx.AsyncClient,
) -> None:
    world = await _delivered_and_recycled(client)

    totals = (await client.get("/api/totals", headers=world.coordinator.headers)).json()
    public = (await client.get("/api/public/totals")).json()

    impact = totals["impact"]
    assert (impact["reused"], impact["recycled"]) == (3, 1)
    assert impact["co2e_avoided_kg"] == AVOIDED
    assert impact["co2e_upper_bound_kg"] == UPPER_BOUND
    assert impact["by_category"]["laptop"]["co2e_avoided_kg"] == 162.0
    assert impact["by_category"]["laptop"]["co2e_upper_bound_kg"] == 365.2
    assert impact["by_category"]["smartphone"]["co2e_avoided_kg"] == 49.2
    assert impact["by_category"]["monitor"]["co2e_avoided_kg"] == 0
    assert public["co2e_avoided_kg"] == AVOIDED
    assert set(public) == {"collected", "delivered", "recycled", "co2e_avoided_kg", "weight_kg"}


async def test_the_dashboard_shows_the_method_its_sources_and_the_bound_named_so(
    client: httpx.AsyncClient,
) -> None:
    world = await _delivered_and_recycled(client)
    await sign_in(client, world.coordinator)

    page = (await client.get("/coordination")).text

    assert "211,2 kg" in page
    assert "Borne haute : empreinte de fabrication d’un appareil neuf — 450,3 kg CO₂e" in page
    assert "Hypothèse de substitution" in page
    assert "ADEME 2022" in page and "Hypothèse du programme" in page
    assert 'href="/exports/impact.csv"' in page
    assert "182,6" in page  # the laptop's footprint, only in the bound's column and note
    english = (await client.get("/coordination?lang=en")).text
    assert "Upper bound: manufacturing footprint of a new device — 450.3 kg CO₂e" in english
    assert "Substitution assumption" in english


async def test_the_programme_page_uses_the_same_figure_and_states_the_assumption(
    client: httpx.AsyncClient,
) -> None:
    await _delivered_and_recycled(client)

    page = (await client.get("/programme")).text
    english = (await client.get("/programme?lang=en")).text

    assert "211,2 kg" in page
    assert "années d’usage supplémentaire" in page
    assert "Hypothèse de substitution" in page
    assert "Substitution assumption" in english


def _read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def test_the_impact_export_carries_the_figures_the_method_and_sources(
    client: httpx.AsyncClient,
) -> None:
    world = await _delivered_and_recycled(client)

    response = await client.get("/api/impact.csv", headers=world.coordinator.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "collecte-impact-" in response.headers["content-disposition"]
    lines = _read_csv(response.content)
    assert lines[0][:8] == [
        "Catégorie",
        "Réemployés",
        "Recyclés",
        "Poids (kg)",
        "kg CO₂e évités par an",
        "Années d’usage supplémentaire",
        "CO₂e évité (kg)",
        "Borne haute : empreinte de fabrication d’un appareil neuf (kg)",
    ]
    by_category = {line[0]: line for line in lines[1:10]}
    assert by_category["laptop"][1:8] == ["2", "1", "4,8", "27", "3", "162", "365,2"]
    assert by_category["laptop"][8].startswith("ADEME 2022")
    assert by_category["smartphone"][4:8] == ["24,6", "2", "49,2", "85,1"]
    assert by_category["tablet"][8].startswith("Hypothèse du programme")
    assert lines[10][0] == "Total" and lines[10][6:8] == ["211,2", "450,3"]
    method = next(line for line in lines if line and line[0] == "Méthode")
    assert "Hypothèse de substitution" in method[1] and "ADEME 2022" in method[1]
    assert next(line for line in lines if line and line[0] == "Période")[1] == "depuis le début"


async def test_the_impact_export_is_for_the_coordination_and_checks_its_period(
    client: httpx.AsyncClient,
) -> None:
    world = await _delivered_and_recycled(client)

    donor = await client.get("/api/impact.csv", headers=world.donor.headers)
    bad = await client.get(
        "/api/impact.csv", params={"from": "2025-13-01"}, headers=world.coordinator.headers
    )
    english = await client.get(
        "/api/impact.csv",
        params={"from": "2025-01-01", "to": "2025-12-31"},
        headers={**world.coordinator.headers, "Accept-Language": "en"},
    )

    assert donor.status_code == 403
    assert donor.json()["detail"] == "Les totaux et l’impact sont réservés à la coordination."
    assert bad.status_code == 422
    assert bad.json()["extra"]["field"] == "from"
    assert bad.json()["detail"] == (
        "Le paramètre « from » doit être une date AAAA-MM-JJ (reçu « 2025-13-01 »)."
    )
    lines = _read_csv(english.content)
    assert lines[0][6] == "CO₂e avoided (kg)"
    assert lines[10][6] == "0"  # nothing delivered in 2025
    assert "collecte-impact-2025-01-01-2025-12-31.csv" in english.headers["content-disposition"]
    assert next(line for line in lines if line and line[0] == "Method")[1].startswith("CO₂e")


async def test_the_dashboard_export_page_gives_the_same_file(client: httpx.AsyncClient) -> None:
    world = await _delivered_and_recycled(client)
    api = await client.get("/api/impact.csv", headers=world.coordinator.headers)
    await sign_in(client, world.coordinator)

    page = await client.get("/exports/impact.csv")

    assert page.status_code == 200
    assert _read_csv(page.content) == _read_csv(api.content)
