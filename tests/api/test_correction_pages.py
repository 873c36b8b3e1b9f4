"""The correction forms (device, organisation) and the new-donation page's all-or-nothing."""

from __future__ import annotations

import httpx

from collecte.db.tables import Device, Donation
from tests.api.test_pages import csrf_token, post_form, sign_in
from tests.factory import make_donation, make_world


async def test_the_donor_corrects_a_device_and_the_history_says_so(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    registered = (await make_donation(client, world.donor, count=1, brand="Dell"))["devices"][0]
    tag = registered["tag"]
    await sign_in(client, world.donor)
    page = await client.get(f"/d/{tag}")
    fields = {
        "category": "laptop",
        "brand": "HP",
        "model": "Latitude 5490",
        "serial_number": registered["serial_number"],
        "year": "",
        "has_storage": "true",
        "condition": "",
        "estimated_value_xpf": "25000",
        "weight_kg": "",
    }

    done = await client.post(f"/d/{tag}/corriger", data={**fields, "_csrf_token": csrf_token(page)})
    after = await client.get(done.headers["location"])
    device = await client.get(f"/api/devices/{tag}", headers=world.donor.headers)

    assert page.status_code == 200 and "Corriger" in page.text
    assert done.status_code == 303 and done.headers["location"] == f"/d/{tag}?corrige=1"
    assert "Correction enregistrée." in after.text
    assert "<strong>Correction</strong> : marque Dell → HP" in after.text
    changes = device.json()["events"][-1]["data"]["changes"]
    assert changes == [{"field": "brand", "from": "Dell", "to": "HP"}]  # the rest unchanged


async def test_a_refused_correction_shows_why_and_keeps_the_form(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    await sign_in(client, world.donor)

    refused = await post_form(
        client, f"/d/{tag}", f"/d/{tag}/corriger", {"category": "laptop", "year": "1969"}
    )

    assert refused.status_code == 422
    assert "Le champ « Année » doit être compris entre 1970" in refused.text
    assert 'value="1969"' in refused.text


async def test_only_the_donor_and_the_coordination_see_the_correction_form(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]

    await sign_in(client, world.reconditioner)
    workshop = await client.get(f"/d/{tag}")
    client.cookies.clear()
    await sign_in(client, world.coordinator)
    coordination = await client.get(f"/d/{tag}")

    assert workshop.status_code == 200 and f"/d/{tag}/corriger" not in workshop.text
    assert coordination.status_code == 200 and f"/d/{tag}/corriger" in coordination.text


async def test_the_organisation_page_corrects_and_shows_its_history(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    org = world.donor.organization_id
    await sign_in(client, world.coordinator)
    path = f"/coordination/organisations/{org}"

    done = await post_form(
        client,
        path,
        path,
        {"name": world.donor.organization_name, "ridet": "1234567.001", "city": "Koné"},
    )
    page = await client.get(done.headers["location"])
    listing = await client.get("/coordination/organisations")

    assert done.status_code == 303
    assert "Correction enregistrée." in page.text
    assert "RIDET — → 1234567.001" in page.text
    assert "commune — → Koné" in page.text
    assert f'href="{path}"' in listing.text


async def test_the_organisation_page_is_for_the_coordination(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.donor)

    page = await client.get(f"/coordination/organisations/{world.donor.organization_id}")

    assert page.status_code == 403


async def test_a_refused_csv_leaves_no_empty_donation(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.donor)
    page = await client.get("/dons/nouveau")
    csv = b"category,brand,model\nlaptop,Dell,E7450\nfrigo,Brandt,X\n"

    refused = await client.post(
        "/dons/nouveau",
        data={"category": ["laptop"], "brand": ["Dell"], "_csrf_token": csrf_token(page)},
        files={"csv": ("lot.csv", csv, "text/csv")},
    )

    assert refused.status_code == 422
    assert "Ligne 3" in refused.text and "frigo" in refused.text
    assert await Donation.count() == 0 and await Device.count() == 0


async def test_a_refused_row_leaves_no_donation_even_with_a_good_csv(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await sign_in(client, world.donor)
    page = await client.get("/dons/nouveau")

    refused = await client.post(
        "/dons/nouveau",
        data={"category": ["frigo"], "brand": ["Brandt"], "_csrf_token": csrf_token(page)},
        files={"csv": ("lot.csv", b"category\nlaptop\n", "text/csv")},
    )

    assert refused.status_code == 422
    assert await Donation.count() == 0 and await Device.count() == 0


async def test_rows_and_csv_make_one_donation(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.donor)
    page = await client.get("/dons/nouveau")

    created = await client.post(
        "/dons/nouveau",
        data={"category": ["laptop"], "brand": ["Dell"], "_csrf_token": csrf_token(page)},
        files={"csv": ("lot.csv", b"category;brand\nmonitor;HP\ntablet;Apple\n", "text/csv")},
    )
    listing = await client.get("/api/donations", headers=world.donor.headers)

    assert created.status_code == 303
    [donation] = listing.json()
    assert [d["brand"] for d in donation["devices"]] == ["Dell", "HP", "Apple"]
