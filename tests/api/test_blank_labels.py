"""A blank label scanned before its device is registered leads to binding it; every device page
prints its own label. Through the pages and the API, on both databases."""

from __future__ import annotations

import re

import httpx

from collecte.db.tables import BlankTag, Device
from collecte.domain import tags
from tests.api.test_labels_api import blank, pdf_of
from tests.api.test_pages import post_form, sign_in
from tests.documents.reading import decode_qr_codes, page_texts
from tests.factory import make_donation, make_world

BLANK_SENTENCE = (
    "L’étiquette {label} est une étiquette vierge, associée à aucun appareil pour l’instant : "
    "le donateur ou la coordination l’associe en la scannant."
)


async def test_a_donor_scanning_a_blank_label_binds_it_to_a_new_device(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    [tag] = await blank(client, world.coordinator, 1)
    await sign_in(client, world.donor)

    page = await client.get(f"/d/{tags.display(tag).lower()}")  # as typed: any case, dashes

    assert page.status_code == 200, page.text[:500]
    assert "Étiquette vierge" in page.text and tags.display(tag) in page.text
    assert donation["number"] in page.text  # the donor's donations to choose from
    bound = await post_form(
        client,
        f"/d/{tag}",
        f"/d/{tag}/associer",
        {
            "donation_id": str(donation["id"]),
            "category": "laptop",
            "brand": "HP",
            "model": "EliteBook 840",
            "serial_number": "5CG0001XYZ",
        },
    )
    assert bound.status_code == 303, bound.text[:500]
    assert bound.headers["location"] == f"/d/{tag}?associe=1"
    device_page = await client.get(bound.headers["location"])
    assert "Étiquette associée : l’appareil est enregistré dans le don." in device_page.text
    assert "5CG0001XYZ" in device_page.text
    row = await Device.select(Device.id, Device.donation).where(Device.tag == tag).first()
    assert row is not None and row["donation"] == donation["id"]
    claimed = await BlankTag.select(BlankTag.device).where(BlankTag.tag == tag).first()
    assert claimed == {"device": row["id"]}

    # Bound once: the page is now the device's, and a second binding is refused.
    again = await client.get(f"/d/{tag}")
    assert "Que faites-vous ?" in again.text or "Historique" in again.text
    assert "Associer l’étiquette" not in again.text


async def test_a_binding_that_fails_keeps_what_was_typed_and_says_why(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    [tag] = await blank(client, world.coordinator, 1)
    await sign_in(client, world.coordinator)

    refused = await post_form(
        client,
        f"/d/{tag}",
        f"/d/{tag}/associer",
        {"donation_id": str(donation["id"]), "category": "", "serial_number": "KEEP-ME-42"},
    )

    assert refused.status_code == 422, refused.text[:500]
    assert "KEEP-ME-42" in refused.text
    assert re.search(r"[Cc]atégorie", refused.text)
    no_donation = await post_form(
        client, f"/d/{tag}", f"/d/{tag}/associer", {"donation_id": "", "category": "laptop"}
    )
    assert no_donation.status_code == 422
    assert "Choisissez le don auquel ajouter cet appareil." in no_donation.text
    assert not await Device.exists().where(Device.tag == tag)


async def test_others_hear_who_can_bind_a_blank_label(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await blank(client, world.coordinator, 1)
    sentence = BLANK_SENTENCE.format(label=tags.display(tag))

    api = await client.get(f"/api/devices/{tag}", headers=world.reconditioner.headers)
    scan = await client.post("/api/scan", json={"code": tag}, headers=world.association.headers)
    await sign_in(client, world.reconditioner)
    page = await client.get(f"/d/{tag}")
    bind = await post_form(
        client, "/scan", f"/d/{tag}/associer", {"donation_id": "1", "category": "laptop"}
    )

    assert api.status_code == scan.status_code == 404
    assert api.json()["detail"] == scan.json()["detail"] == sentence
    assert api.json()["extra"]["code"] == "blank_tag"
    assert page.status_code == 404 and sentence in page.text.replace("&#39;", "’")
    assert bind.status_code == 403, bind.text[:300]  # a workshop does not register devices
    assert "Seuls le donateur et la coordination associent une étiquette vierge." in bind.text
    assert not await Device.exists().where(Device.tag == tag)


async def test_the_device_page_prints_its_label(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    [device] = donation["devices"]
    await sign_in(client, world.donor)

    page = await client.get(f"/d/{device['tag']}")
    roll = await client.get(f"/d/{device['tag']}/etiquette")
    sheet = await client.get(f"/d/{device['tag']}/etiquette?format=avery-l7163")

    assert 'id="print-label"' in page.text and "Imprimer l’étiquette" in page.text
    assert 'action="/d/' + device["tag"] + '/etiquette"' in page.text
    text = page_texts(pdf_of(roll))[0]
    assert tags.display(device["tag"]) in text and f"S/N {device['serial_number']}" in text
    [code] = decode_qr_codes(pdf_of(roll))
    assert code.text.endswith(f"/D/{device['tag']}")
    assert "avery-l7163" in sheet.headers["content-disposition"]

    client.cookies.clear()
    await sign_in(client, world.other_donor)
    theirs = await client.get(f"/d/{device['tag']}/etiquette")
    assert theirs.status_code == 404
