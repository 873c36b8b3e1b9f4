"""English pages and answers hold no French-only message: every word comes from the catalogs."""

from __future__ import annotations

import html

import httpx

from collecte.domain.tags import check_character
from tests.api.test_pages import post_form, sign_in
from tests.factory import WIPE, World, act, make_donation, make_world, walk_to
from tests.language import french_fragments, french_left_in


async def _a_programme(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    """Devices at every stage, so lists, histories and certificates have something to show."""
    donation = await make_donation(client, world.donor, count=6)
    tags = [d["tag"] for d in donation["devices"]]
    await walk_to(client, world, tags[0], "delivered")
    await walk_to(client, world, tags[1], "allocated")
    await walk_to(client, world, tags[2], "wiped")
    await act(client, world.reconditioner, tags[3], "collect")
    await act(client, world.donor, tags[4], "withdraw", reason="Gardé finalement")
    return {"donation": str(donation["id"]), "delivered": tags[0], "wiped": tags[2]}


def _pages(world: World, role: str, seen: dict[str, str]) -> list[str]:
    device_pages = [f"/d/{seen['delivered']}", f"/d/{seen['wiped']}"]
    return {
        "donor": [
            "/dons",
            "/dons/nouveau",
            f"/dons/{seen['donation']}",
            "/certificats",
            "/mot-de-passe",
        ],
        "reconditioner": ["/atelier", "/scan", "/scan?action=wipe", "/certificats"],
        "association": ["/association", "/scan?action=confirm_receipt", "/certificats"],
        "coordinator": [
            "/coordination",
            "/coordination/attribution",
            "/coordination/organisations",
            "/coordination/comptes",
            "/coordination/etiquettes-vierges",
            "/coordination/securite",
            "/dons",
            "/scan?action=collect",
            "/certificats",
        ],
    }[role] + (device_pages if role in ("donor", "coordinator") else [])


async def test_the_fragments_are_many_and_french() -> None:
    fragments = french_fragments()

    assert len(fragments) > 150
    assert "Tableau de bord" in fragments
    assert "Accès refusé" in fragments


async def test_every_page_of_every_role_in_english_holds_no_french(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    seen = await _a_programme(client, world)
    left = {}
    for role in ("donor", "reconditioner", "association", "coordinator"):
        client.cookies.clear()
        await client.get("/connexion?lang=en")
        await sign_in(client, getattr(world, role))
        for path in _pages(world, role, seen):
            page = await client.get(path)
            assert page.status_code == 200, (role, path, page.text[:300])
            assert 'lang="en"' in page.text
            if found := french_left_in(page.text):
                left[f"{role} {path}"] = found
    for path in ("/programme", "/verify/DON-2026-00001", "/connexion", "/nulle-part"):
        page = await client.get(path, headers={"Accept": "text/html"})
        if found := french_left_in(page.text):
            left[path] = found
    assert left == {}


async def test_refusals_on_english_pages_are_english(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    tag = donation["devices"][0]["tag"]
    await client.get("/connexion?lang=en")
    await sign_in(client, world.reconditioner)
    await act(client, world.reconditioner, tag, "collect")

    # A second collect: the page shows the refusal in English.
    refused = await post_form(client, f"/d/{tag}", f"/d/{tag}", {"action": "collect"})
    missing_reason = await post_form(
        client, "/scan?action=wipe", "/scan", {"action": "wipe", "tags": tag, "tool": "nwipe"}
    )
    body = "7K3P9QX"
    wrong_check = "0" if check_character(body) != "0" else "1"
    unknown = await client.get(f"/d/{body}{wrong_check}")

    assert refused.status_code == 409
    assert (
        "“Collect” is not possible: the device is “Collected” but it should be “Registered”. "
        "This step is already done." in html.unescape(refused.text)
    )
    assert missing_reason.status_code == 409  # the rules first: it is not received yet
    assert unknown.status_code == 422 and "check character" in unknown.text
    for page in (refused, missing_reason, unknown):
        assert french_left_in(page.text) == []


async def test_api_errors_speak_the_reader_s_language(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    tag = donation["devices"][0]["tag"]
    english = {**world.coordinator.headers, "Accept-Language": "en-NZ,en;q=0.9,fr;q=0.5"}

    french = await act(client, world.coordinator, tag, "receive")
    wrong = await client.post(
        f"/api/devices/{tag}/transitions", json={"action": "receive"}, headers=english
    )
    bad = await client.post(
        f"/api/devices/{tag}/transitions",
        json={"action": "collect", "reconditioner_id": 0},
        headers={**world.coordinator.headers, "Accept-Language": "en"},
    )
    batch = await client.post(
        "/api/transitions", json={"action": "wipe", "tags": [tag], **WIPE}, headers=english
    )

    assert french.json()["detail"] == (
        "« Réceptionner à l’atelier » impossible : l’appareil est « Enregistré » alors qu’il "
        "devrait être « Collecté » ou « Rendu par l’association ». Il faut d’abord « Collecter »."
    )
    assert wrong.json()["detail"] == (
        "“Receive at the workshop” is not possible: the device is “Registered” but it should be "
        "“Collected” or “Returned by the association”. Do “Collect” first."
    )
    assert wrong.json()["extra"]["current_status"] == "registered"
    assert bad.status_code == 422
    assert bad.json()["detail"] == "The field “Workshop” must be at least 1."
    assert batch.status_code == 409
    assert batch.json()["detail"] == "Batch refused: 1 failing tag(s), nothing was changed."
    assert batch.json()["extra"]["errors"][0]["detail"].startswith("“Erase the data” is not")
