"""CSV imports through the API: French and English headers, the template to download, refusals
naming the line, and an import that keeps the rest of the service answering."""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
import time

import httpx

from collecte.db.tables import Device
from collecte.domain.device_csv import parse_devices_csv
from collecte.domain.vocabulary import Role
from collecte.services import donations
from tests.api.test_pages import sign_in
from tests.factory import make_account, make_donation, make_world

TEMPLATE_HEADER = (
    "Catégorie;Marque;Modèle;N° de série;Année;Stockage;État;Valeur déclarée (F CFP);"
    "Poids (kg);Étiquette"
)


async def _import(
    client: httpx.AsyncClient, account: object, donation_id: int, body: bytes
) -> httpx.Response:
    return await client.post(
        f"/api/donations/{donation_id}/devices/import",
        content=body,
        headers={**account.headers, "Content-Type": "text/csv"},  # type: ignore[attr-defined]
    )


async def test_the_template_downloads_with_the_french_headers_and_an_example(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)

    response = await client.get("/api/donations/template.csv", headers=donor.headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="modele-import-appareils.csv"' in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header, example = text.lstrip("\ufeff").splitlines()
    assert header == TEMPLATE_HEADER
    assert example.startswith("laptop;Dell;Latitude 5490;")


async def test_the_template_in_english_on_request_and_only_for_signed_in_users(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)

    english = await client.get(
        "/api/donations/template.csv", headers={**donor.headers, "Accept-Language": "en"}
    )
    anonymous = await client.get("/api/donations/template.csv")

    assert english.content.decode().lstrip("\ufeff").startswith("Category;Brand;Model;")
    assert 'filename="device-import-template.csv"' in english.headers["content-disposition"]
    assert anonymous.status_code == 401


async def test_the_template_without_its_example_imports_the_donors_lines(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)
    template = (await client.get("/api/donations/template.csv", headers=donor.headers)).content
    header = template.decode("utf-8").splitlines()[0]
    filled = "\n".join(
        [
            header,
            "portable;Lenovo;ThinkPad T480;PF1ABC;2018;oui;Rayures;30 000;1,7;",
            "Écran;Dell;P2419H;CN0XYZ;2019;;;8000;;",
        ]
    )

    response = await _import(client, donor, donation["id"], filled.encode("utf-8"))

    assert response.status_code == 201, response.text
    laptop, monitor = response.json()
    assert (laptop["category"], laptop["serial_number"], laptop["condition"]) == (
        "laptop",
        "PF1ABC",
        "Rayures",
    )
    assert laptop["estimated_value_xpf"] == 30000 and laptop["weight_kg"] == 1.7
    assert monitor["category"] == "monitor" and monitor["has_storage"] is False


async def test_an_export_imports_into_another_donation(client: httpx.AsyncClient) -> None:
    world = await make_world()
    source = await make_donation(client, world.donor, count=2, weight_kg=2.25)
    target = await make_donation(client, world.donor, count=0)
    exported = await client.get("/api/devices.csv", headers=world.donor.headers)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    for row in rows[1:]:
        row[0] = ""  # the tags stay with the devices they are on
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)

    response = await _import(client, world.donor, target["id"], out.getvalue().encode())

    assert response.status_code == 201, response.text
    serials = sorted(d["serial_number"] for d in source["devices"])
    assert sorted(d["serial_number"] for d in response.json()) == serials
    assert {(d["brand"], d["weight_kg"]) for d in response.json()} == {("Dell", 2.25)}


async def test_a_short_line_is_refused_naming_it_and_nothing_is_created(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)
    body = b"category,brand,model,serial_number\nlaptop,Dell,E5,SN1\nlaptop,Dell\n"

    response = await _import(client, donor, donation["id"], body)
    english = await client.post(
        f"/api/donations/{donation['id']}/devices/import",
        content=body,
        headers={**donor.headers, "Content-Type": "text/csv", "Accept-Language": "en"},
    )

    assert response.status_code == 422
    assert response.json()["detail"] == "Ligne 3 : 2 colonnes au lieu de 4."
    assert response.json()["extra"]["line"] == 3
    assert english.json()["detail"] == "Line 3: 2 columns instead of 4."
    assert await Device.count() == 0


async def test_a_header_not_recognised_is_a_422_listing_the_columns(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)

    response = await _import(client, donor, donation["id"], b"laptop;Dell;E5\nlaptop;HP;G4\n")

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("Ligne 1 : en-tête non reconnu.")
    assert "Catégorie (category), Marque (brand), Modèle (model)" in detail
    assert response.json()["extra"]["expected"][0] == "category"
    assert await Device.count() == 0


def _big_csv(count: int) -> bytes:
    lines = ["Catégorie;Marque;Modèle;N° de série;Valeur déclarée (F CFP)"]
    lines += [f"portable;Dell;Latitude 5490;SN-{n:06d};25000" for n in range(count)]
    return "\n".join(lines).encode()


async def _pings_while(client: httpx.AsyncClient, work: asyncio.Task[object]) -> list[float]:
    """How long each /api/ping took to come back, asked every few milliseconds until `work`
    is done (the pause counted: a stalled event loop shows there)."""
    latencies = []
    while not work.done():
        started = time.perf_counter()
        # In process, a ping never waits on anything: without a pause between two, the event
        # loop would never get back to `work`.
        await asyncio.sleep(0.005)
        response = await client.get("/api/ping")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
    await work
    return latencies


async def test_ping_answers_while_a_file_of_the_maximum_is_parsed(
    client: httpx.AsyncClient,
) -> None:
    body = _big_csv(5000)
    started = time.perf_counter()
    assert len(parse_devices_csv(body.decode(), 5000)) == 5000
    parsing = time.perf_counter() - started  # the time the event loop would stand still

    work = asyncio.create_task(donations.read_devices_csv(body, 5000))
    latencies = await _pings_while(client, work)

    assert len(work.result()) == 5000
    # A parse on the event loop would let no ping through until it ends (one or two pings in
    # all); in a thread they go on, most at once. The median, not the maximum: the parsing
    # thread holds the GIL in turns, and a loaded machine may stall any single ping.
    assert len(latencies) >= 3, (parsing, latencies)
    assert statistics.median(latencies) < parsing / 2, (parsing, latencies)


async def test_ping_answers_during_a_whole_import_of_the_maximum(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    donation = await make_donation(client, donor, count=0)

    started = time.perf_counter()
    work = asyncio.create_task(_import(client, donor, donation["id"], _big_csv(5000)))
    latencies = await _pings_while(client, work)
    total = time.perf_counter() - started

    response = work.result()
    assert response.status_code == 201  # type: ignore[attr-defined]
    # Loose: no stall of more than a fifth of the import (it was the whole import).
    assert len(latencies) >= 10, (total, latencies)
    assert max(latencies) < total / 5, (total, sorted(latencies)[-5:])


async def test_the_new_donation_page_links_to_the_template_which_downloads(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    signed_out = await client.get("/dons/modele.csv")
    await sign_in(client, world.donor)

    page = await client.get("/dons/nouveau")
    french = await client.get("/dons/modele.csv?lang=fr")
    english = await client.get("/dons/modele.csv?lang=en")

    assert signed_out.status_code == 303
    assert 'href="/dons/modele.csv?lang=fr"' in page.text
    assert "Télécharger le modèle CSV" in page.text
    assert "jusqu’à 5 000 appareils" in page.text.replace("\u202f", " ").replace("\xa0", " ")
    assert french.status_code == 200
    assert french.content.decode("utf-8").lstrip("\ufeff").startswith(TEMPLATE_HEADER)
    assert english.content.decode("utf-8").lstrip("\ufeff").startswith("Category;Brand;")
