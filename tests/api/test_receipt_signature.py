"""The association's representative signs the receipt at `confirm_receipt`, as the donor's signs
a pickup's close: the name is required, the drawing optional, both checked; the receipt (REC) is
rendered after the signature and prints them in its signature block."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from collecte.db.tables import Certificate, Device, DeviceEvent
from collecte.domain.signature import IMAGE_MAX_BYTES
from tests.api.test_pages import post_form, sign_in
from tests.api.test_pickups import data_url, drawn_png, padded_png
from tests.documents.reading import page_texts
from tests.factory import World, make_donation, make_world, walk_to

REPRESENTATIVE = "Marie Hnawia"
BLANK_NAME = "Le champ « Nom du signataire » est obligatoire : le nom de la personne qui signe."
NO_SIGNATURE = (
    "Le champ « Signature » est obligatoire : le nom du représentant de l’association qui "
    "signe l’attestation de réception."
)


def flat(text: str) -> str:
    return " ".join(text.split())


def images_per_page(pdf: bytes) -> list[int]:
    """How many image XObjects each page draws (the QR code and the rules are vectors)."""
    counts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        counts.append(
            sum(1 for ref in xobjects.values() if ref.get_object().get("/Subtype") == "/Image")
        )
    return counts


async def allocated(client: httpx.AsyncClient, world: World, count: int = 2) -> list[str]:
    """The tags of `count` devices allocated to the world's association."""
    donation = await make_donation(client, world.donor, count=count)
    tags = [d["tag"] for d in donation["devices"]]
    for tag in tags:
        await walk_to(client, world, tag, "allocated")
    return tags


async def receive(
    client: httpx.AsyncClient, world: World, tags: list[str], **data: Any
) -> httpx.Response:
    """Confirm receipt of `tags` in one batch, as the association, with `data`."""
    return await client.post(
        "/api/transitions",
        json={"action": "confirm_receipt", "tags": tags, **data},
        headers=world.association.headers,
    )


async def receipt_pdf(client: httpx.AsyncClient, world: World, response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    certificate = response.json()["certificate"]
    assert certificate["kind"] == "receipt"
    pdf = await client.get(
        f"/api/certificates/{certificate['number']}/pdf", headers=world.association.headers
    )
    assert pdf.status_code == 200, pdf.text
    return pdf.content


def refused(response: httpx.Response, detail: str, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"] == detail
    assert body["extra"]["field"] == field
    assert body["extra"]["code"] == "invalid_data"


async def nothing_applied(tags: list[str]) -> None:
    statuses = await Device.select(Device.status).where(Device.tag.is_in(tags))
    assert {row["status"] for row in statuses} == {"allocated"}
    assert await Certificate.count().where(Certificate.kind == "receipt") == 0


async def test_the_receipt_prints_the_signed_name_and_the_drawing_beside_the_signature(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await allocated(client, world)

    response = await receive(
        client, world, tags, signature={"name": REPRESENTATIVE, "image": data_url(drawn_png())}
    )

    pdf = await receipt_pdf(client, world, response)
    pages = [flat(text) for text in page_texts(pdf)]
    [signed_page] = [i for i, text in enumerate(pages) if "Pour l'association" in text]
    assert f"Signé par : {REPRESENTATIVE}" in pages[signed_page]
    assert "Signature recueillie à l'écran" in pages[signed_page]
    assert images_per_page(pdf)[signed_page] == 1  # the drawing, where the signature is
    assert sum(images_per_page(pdf)) == 1
    # The custody log says who signed and that a drawing was given, not the drawing itself.
    events = await DeviceEvent.select(DeviceEvent.data).where(
        DeviceEvent.action == "confirm_receipt"
    )
    assert len(events) == 2
    for event in events:
        data = event["data"] if isinstance(event["data"], dict) else json.loads(event["data"])
        assert data["signature"] == {"name": REPRESENTATIVE, "drawn": True}
        assert "image" not in str(data)


async def test_the_typed_name_alone_signs_the_receipt(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await allocated(client, world, count=1)

    response = await receive(client, world, tags, signature={"name": f"  {REPRESENTATIVE} "})

    pdf = await receipt_pdf(client, world, response)
    text = flat(" ".join(page_texts(pdf)))
    assert f"Signé par : {REPRESENTATIVE}" in text
    assert sum(images_per_page(pdf)) == 0
    device = response.json()["devices"][0]
    assert device["status"] == "delivered"


async def test_version_1_received_by_alone_is_the_typed_signature(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await allocated(client, world, count=1)

    response = await receive(client, world, tags, received_by="Léa Wema")

    text = flat(" ".join(page_texts(await receipt_pdf(client, world, response))))
    assert "Signé par : Léa Wema" in text


async def test_the_person_who_received_and_the_signer_may_differ(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await allocated(client, world, count=1)

    response = await receive(
        client, world, tags, received_by="Léa Wema", signature={"name": REPRESENTATIVE}
    )

    text = flat(" ".join(page_texts(await receipt_pdf(client, world, response))))
    assert "Léa Wema" in text and f"Signé par : {REPRESENTATIVE}" in text


async def test_a_receipt_without_a_signature_is_refused_and_nothing_moves(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await allocated(client, world)

    refused(await receive(client, world, tags), NO_SIGNATURE, "signature")
    refused(
        await receive(client, world, tags, signature={"name": " \t "}), BLANK_NAME, "signature.name"
    )
    refused(await receive(client, world, tags, signature={}), BLANK_NAME, "signature.name")
    one = await client.post(
        f"/api/devices/{tags[0]}/transitions",
        json={"action": "confirm_receipt"},
        headers=world.association.headers,
    )
    refused(one, NO_SIGNATURE, "signature")
    await nothing_applied(tags)


async def test_a_name_of_200_characters_signs_and_201_are_refused(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await allocated(client, world, count=1)

    too_long = await receive(client, world, tags, signature={"name": "é" * 201})
    refused(too_long, "Le champ « Nom du signataire » dépasse 200 caractères.", "signature.name")
    await nothing_applied(tags)

    pdf = await receipt_pdf(
        client, world, await receive(client, world, tags, signature={"name": "é" * 200})
    )
    assert "é" * 40 in flat(" ".join(page_texts(pdf)))


@pytest.mark.parametrize(
    ("image", "detail"),
    [
        (
            "data:image/jpeg;base64,/9j/4AAQ",
            "Le champ « Signature dessinée » doit être une image PNG en data URL "
            "(data:image/png;base64,…).",
        ),
        (
            data_url(padded_png(IMAGE_MAX_BYTES + 1)),
            "Le champ « Signature dessinée » dépasse 100 Ko.",
        ),
        (
            data_url(drawn_png()[:60]),
            "Le champ « Signature dessinée » n’est pas une image PNG lisible.",
        ),
    ],
    ids=["jpeg", "too-large", "truncated"],
)
async def test_a_bad_drawing_is_refused_as_at_a_pickup_close(
    client: httpx.AsyncClient, image: str, detail: str
) -> None:
    world = await make_world()
    tags = await allocated(client, world, count=1)

    response = await receive(client, world, tags, signature={"name": "M", "image": image})

    refused(response, detail, "signature.image")
    await nothing_applied(tags)


async def test_a_drawing_of_exactly_100_kb_signs(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await allocated(client, world, count=1)

    response = await receive(
        client, world, tags, signature={"name": "M", "image": data_url(padded_png(IMAGE_MAX_BYTES))}
    )

    assert sum(images_per_page(await receipt_pdf(client, world, response))) == 1


async def test_the_rules_speak_before_the_missing_signature(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await allocated(client, world, count=1)

    # Another association does not see the device: 404, not a 422 about the signature.
    response = await client.post(
        f"/api/devices/{tag}/transitions",
        json={"action": "confirm_receipt"},
        headers=world.other_association.headers,
    )

    assert response.status_code == 404, response.text


async def test_the_page_without_a_name_says_what_is_missing_and_the_typed_name_signs(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await allocated(client, world, count=1)
    await sign_in(client, world.association)

    unsigned = await post_form(client, "/association", "/association/reception", {"tags": tag})
    signed = await post_form(
        client,
        "/association",
        "/association/reception",
        {"tags": tag, "signature_name": REPRESENTATIVE, "signature_image": ""},
    )

    assert unsigned.status_code == 422, unsigned.text[:500]
    assert "le nom du représentant de l’association qui signe" in unsigned.text
    assert signed.status_code == 303, signed.text[:500]
    number = signed.headers["location"].split("certificat=")[1]
    pdf = await client.get(f"/certificats/{number}.pdf")
    assert f"Signé par : {REPRESENTATIVE}" in flat(" ".join(page_texts(pdf.content)))
