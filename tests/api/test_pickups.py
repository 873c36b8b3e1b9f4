"""Pickups through the API: open, collect into, close with a signature → one DON; the refusals,
who sees what, and the unsigned close at the end of the Nouméa day (with a moved clock)."""

from __future__ import annotations

import asyncio
import base64
import io
import struct
import zlib
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from collecte.db.tables import Certificate, Device, Pickup
from collecte.domain.clock import next_noumea_midnight, now
from collecte.domain.signature import IMAGE_MAX_BYTES
from collecte.services.housekeeping import close_pickups_at_day_end
from collecte.services.pickups import close_overdue_pickups
from collecte.settings import Settings
from tests.documents.reading import page_texts
from tests.factory import (
    SIGNER,
    Account,
    World,
    act,
    close_pickup,
    make_donation,
    make_world,
    pickup_of,
)


def flat(text: str) -> str:
    return " ".join(text.split())


def text_of(pdf: bytes) -> str:
    return flat(" ".join(page_texts(pdf)))


def image_count(pdf: bytes) -> int:
    """How many image XObjects the pages of a PDF draw (the QR code and rules are vectors)."""
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for ref in xobjects.values():
            if ref.get_object().get("/Subtype") == "/Image":
                count += 1
    return count


def drawn_png(width: int = 600, height: int = 200) -> bytes:
    """A signature as a canvas would draw it: dark strokes on a transparent background."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.line([(20, 150), (120, 40), (220, 160), (320, 50), (420, 140)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def padded_png(size: int) -> bytes:
    """A valid PNG of exactly `size` bytes: a drawing with a text chunk to fill the rest."""
    png = drawn_png(60, 20)
    end = png.rindex(b"IEND") - 4  # the IEND chunk starts with its length
    filler = size - len(png) - 12  # a chunk is length, type, data, CRC
    data = b"Comment\x00" + b"x" * (filler - 8)
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    padded = png[:end] + chunk + png[end:]
    assert len(padded) == size
    return padded


async def collect(
    client: httpx.AsyncClient, account: Account, tags: list[str], **data: Any
) -> httpx.Response:
    return await client.post(
        "/api/transitions",
        json={"action": "collect", "tags": tags, **data},
        headers=account.headers,
    )


async def open_pickup(
    client: httpx.AsyncClient, account: Account, donation_id: int, **data: Any
) -> httpx.Response:
    return await client.post(
        "/api/pickups", json={"donation_id": donation_id, **data}, headers=account.headers
    )


async def close(
    client: httpx.AsyncClient, account: Account, pickup_id: int, signature: Any
) -> httpx.Response:
    return await client.post(
        f"/api/pickups/{pickup_id}/close", json={"signature": signature}, headers=account.headers
    )


def refused(response: httpx.Response, status: int, detail: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.json()["detail"] == detail
    if field is not None:
        assert response.json()["extra"]["field"] == field


async def downloaded(client: httpx.AsyncClient, account: Account, number: str) -> bytes:
    response = await client.get(f"/api/certificates/{number}/pdf", headers=account.headers)
    assert response.status_code == 200, response.text
    return response.content


# --- the day that goes right -----------------------------------------------------------------


async def test_open_collect_close_gives_one_donation_attestation_for_every_device(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=3, estimated_value_xpf=40_000)
    tags = [d["tag"] for d in donation["devices"]]

    opened = await open_pickup(client, world.reconditioner, donation["id"])
    pickup = opened.json()
    collected = [await act(client, world.reconditioner, tag, "collect") for tag in tags[:2]]
    named = await act(client, world.reconditioner, tags[2], "collect", pickup_id=pickup["id"])
    closed = await close(
        client, world.reconditioner, pickup["id"], {"name": SIGNER, "image": data_url(drawn_png())}
    )

    assert opened.status_code == 201, opened.text
    assert pickup["number"].startswith("ENL-") and pickup["status"] == "open"
    assert pickup["reconditioner_id"] == world.reconditioner.organization_id
    for response in [*collected, named]:
        assert response.status_code == 200, response.text
        assert response.json()["certificate"] is None
        assert response.json()["events"][-1]["data"]["pickup"] == pickup["number"]
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["pickup"]["status"] == "closed" and body["pickup"]["device_count"] == 3
    assert body["pickup"]["signature_name"] == SIGNER
    assert body["pickup"]["closed_automatically"] is False
    assert body["certificate"]["kind"] == "donation"
    number = body["certificate"]["number"]
    assert await Certificate.count() == 1
    meta = await client.get(f"/api/certificates/{number}", headers=world.donor.headers)
    assert meta.json()["device_count"] == 3
    pdf = await downloaded(client, world.donor, number)
    text = text_of(pdf)
    assert "Attestation de don en nature" in text and number in text
    assert pickup["number"] in text
    assert all(f"{tag[:4]}-{tag[4:]}" in text for tag in tags)
    assert f"Signé par : {SIGNER}" in text and "Signature recueillie à l'écran" in text
    assert "120 000 XPF" in text
    assert image_count(pdf) == 1  # the drawn signature


async def test_the_typed_name_alone_signs_without_an_image(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    [tag] = [d["tag"] for d in donation["devices"]]
    await act(client, world.reconditioner, tag, "collect")

    closed = await close_pickup(client, world.reconditioner, tag, name="Paul Néaoutyine")

    assert closed.status_code == 200, closed.text
    pdf = await downloaded(client, world.donor, closed.json()["certificate"]["number"])
    assert "Signé par : Paul Néaoutyine" in text_of(pdf)
    assert image_count(pdf) == 0


async def test_collect_joins_the_open_pickup_of_its_donation_for_that_workshop(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    first = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    other = [d["tag"] for d in (await make_donation(client, world.donor, count=1))["devices"]]

    await act(client, world.reconditioner, first[0], "collect")
    await collect(client, world.reconditioner, [first[1], *other])
    await act(
        client,
        world.coordinator,
        first[2],
        "collect",
        reconditioner_id=world.other_reconditioner.organization_id,
    )

    assert await pickup_of(first[0]) == await pickup_of(first[1])
    assert await pickup_of(other[0]) != await pickup_of(first[0])
    assert await pickup_of(first[2]) not in {await pickup_of(first[0]), await pickup_of(other[0])}
    assert await Pickup.count() == 3
    # After a close, the next collect of the donation opens a new pickup.
    assert (await close_pickup(client, world.reconditioner, first[0])).status_code == 200
    [late] = [d["tag"] for d in (await make_donation(client, world.donor, count=1))["devices"]]
    assert (await act(client, world.reconditioner, late, "collect")).status_code == 200
    assert await Pickup.count() == 4


async def test_a_coordinator_collects_into_a_named_pickup_without_naming_the_workshop(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    [tag] = [d["tag"] for d in donation["devices"]]
    opened = await open_pickup(
        client,
        world.coordinator,
        donation["id"],
        reconditioner_id=world.reconditioner.organization_id,
    )

    response = await act(client, world.coordinator, tag, "collect", pickup_id=opened.json()["id"])

    assert opened.status_code == 201, opened.text
    assert response.status_code == 200, response.text
    assert response.json()["reconditioner"]["id"] == world.reconditioner.organization_id


async def test_the_pickup_shows_expected_and_received(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    await collect(client, world.reconditioner, tags)
    await act(client, world.reconditioner, tags[1], "receive")

    found = await client.get(
        f"/api/pickups/{await pickup_of(tags[0])}", headers=world.reconditioner.headers
    )

    assert found.status_code == 200, found.text
    body = found.json()
    assert [d["tag"] for d in body["devices"]] == tags
    assert [d["received"] for d in body["devices"]] == [False, True, False]
    assert body["received_count"] == 1
    assert body["not_received"] == [tags[0], tags[2]]


async def test_concurrent_collects_open_one_pickup(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=8))["devices"]]

    responses = await asyncio.gather(
        *[act(client, world.reconditioner, tag, "collect") for tag in tags]
    )

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert await Pickup.count() == 1
    assert len({r.json()["events"][-1]["data"]["pickup"] for r in responses}) == 1


# --- who sees what ---------------------------------------------------------------------------


async def _two_pickups(client: httpx.AsyncClient, world: World) -> tuple[int, int]:
    mine = [d["tag"] for d in (await make_donation(client, world.donor, count=1))["devices"]]
    theirs = [
        d["tag"] for d in (await make_donation(client, world.other_donor, count=1))["devices"]
    ]
    await act(client, world.reconditioner, mine[0], "collect")
    await act(client, world.other_reconditioner, theirs[0], "collect")
    return await pickup_of(mine[0]), await pickup_of(theirs[0])


async def test_pickups_are_scoped_to_donor_workshop_and_coordinator(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    mine, theirs = await _two_pickups(client, world)

    async def listed(account: Account) -> list[int]:
        response = await client.get("/api/pickups", headers=account.headers)
        assert response.status_code == 200, response.text
        return sorted(p["id"] for p in response.json())

    assert await listed(world.coordinator) == sorted([mine, theirs])
    assert await listed(world.donor) == [mine]
    assert await listed(world.reconditioner) == [mine]
    assert await listed(world.other_donor) == [theirs]
    assert await listed(world.other_reconditioner) == [theirs]
    assert await listed(world.association) == []
    for account, status in [
        (world.coordinator, 200),
        (world.donor, 200),
        (world.reconditioner, 200),
        (world.other_donor, 404),
        (world.other_reconditioner, 404),
        (world.association, 404),
    ]:
        response = await client.get(f"/api/pickups/{mine}", headers=account.headers)
        assert response.status_code == status, (account.organization_name, response.text)
    assert (await client.get(f"/api/pickups/{mine}")).status_code == 401
    filtered = await client.get("/api/pickups?status=closed", headers=world.coordinator.headers)
    assert filtered.json() == []


# --- refusals, each with its message ---------------------------------------------------------


async def test_opening_refusals(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    first = await open_pickup(client, world.reconditioner, donation["id"])

    refused(
        await open_pickup(client, world.donor, donation["id"]),
        403,
        "Seuls un atelier ou la coordination peuvent ouvrir un enlèvement.",
    )
    refused(
        await open_pickup(
            client,
            world.reconditioner,
            donation["id"],
            reconditioner_id=world.other_reconditioner.organization_id,
        ),
        403,
        "Un atelier n’ouvre un enlèvement que pour lui-même.",
        "reconditioner_id",
    )
    refused(
        await open_pickup(client, world.coordinator, donation["id"]),
        422,
        "Le champ « Atelier » est obligatoire pour cette action.",
        "reconditioner_id",
    )
    refused(
        await open_pickup(
            client,
            world.coordinator,
            donation["id"],
            reconditioner_id=world.donor.organization_id,
        ),
        422,
        "Le champ « Atelier » ne désigne pas un(e) Reconditionneur.",
        "reconditioner_id",
    )
    refused(
        await open_pickup(client, world.reconditioner, 999_999),
        404,
        "Don 999999 introuvable.",
        "donation_id",
    )
    refused(
        await open_pickup(client, world.reconditioner, donation["id"]),
        409,
        f"Un enlèvement est déjà ouvert pour ce don et cet atelier : {first.json()['number']}.",
        "donation_id",
    )
    bad_id = await open_pickup(client, world.reconditioner, 0)
    assert bad_id.status_code == 422 and bad_id.json()["extra"]["field"] == "donation_id"


async def test_a_closed_pickup_refuses_new_devices(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=2))["devices"]]
    await act(client, world.reconditioner, tags[0], "collect")
    pickup_id = await pickup_of(tags[0])
    closed = await close_pickup(client, world.reconditioner, tags[0])
    number = closed.json()["pickup"]["number"]

    late = await act(client, world.reconditioner, tags[1], "collect", pickup_id=pickup_id)
    late_batch = await collect(client, world.reconditioner, [tags[1]], pickup_id=pickup_id)

    for response in (late, late_batch):
        refused(
            response,
            409,
            f"L’enlèvement {number} est clôturé : il n’accepte plus d’appareil.",
            "pickup_id",
        )
    seen = await client.get(f"/api/devices/{tags[1]}", headers=world.donor.headers)
    assert seen.json()["status"] == "registered"


async def test_collecting_into_a_pickup_of_another_donation_or_workshop_is_refused(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    first = await make_donation(client, world.donor, count=1)
    second = await make_donation(client, world.donor, count=1)
    opened = (await open_pickup(client, world.reconditioner, first["id"])).json()
    stranger = second["devices"][0]["tag"]
    own = first["devices"][0]["tag"]

    refused(
        await act(client, world.reconditioner, stranger, "collect", pickup_id=opened["id"]),
        422,
        f"L’enlèvement {opened['number']} est celui d’un autre don que l’appareil "
        f"{stranger[:4]}-{stranger[4:]}.",
        "pickup_id",
    )
    refused(
        await act(client, world.other_reconditioner, own, "collect", pickup_id=opened["id"]),
        422,
        f"L’enlèvement {opened['number']} est celui d’un autre atelier que la destination.",
        "pickup_id",
    )
    refused(
        await act(client, world.reconditioner, own, "collect", pickup_id=999_999),
        404,
        "Enlèvement 999999 introuvable.",
        "pickup_id",
    )
    assert await Device.count().where(Device.pickup.is_not_null()) == 0


async def test_closing_refusals(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    [tag] = [d["tag"] for d in donation["devices"]]
    empty = (
        await open_pickup(
            client,
            world.coordinator,
            (await make_donation(client, world.donor, count=1))["id"],
            reconditioner_id=world.reconditioner.organization_id,
        )
    ).json()
    await act(client, world.reconditioner, tag, "collect")
    pickup_id = await pickup_of(tag)
    signed = {"name": SIGNER}

    refused(
        await close(client, world.donor, pickup_id, signed),
        403,
        "Seuls l’atelier de l’enlèvement ou la coordination peuvent le clôturer.",
        "pickup_id",
    )
    refused(
        await close(client, world.other_reconditioner, pickup_id, signed),
        404,
        f"Enlèvement {pickup_id} introuvable.",
        "pickup_id",
    )
    refused(
        await close(client, world.reconditioner, empty["id"], signed),
        409,
        f"L’enlèvement {empty['number']} ne contient aucun appareil : rien à attester.",
        "pickup_id",
    )
    refused(
        await close(client, world.reconditioner, pickup_id, {"name": "  "}),
        422,
        "Le champ « Nom du signataire » est obligatoire : le nom de la personne qui signe.",
        "signature.name",
    )
    long_name = await close(client, world.reconditioner, pickup_id, {"name": "N" * 201})
    assert long_name.status_code == 422, long_name.text
    assert long_name.json()["extra"]["field"] == "signature.name"
    missing = await client.post(
        f"/api/pickups/{pickup_id}/close", json={}, headers=world.reconditioner.headers
    )
    assert missing.status_code == 422
    assert missing.json()["detail"] == "Requête invalide : Le champ « Signature » est obligatoire."
    assert await Certificate.count() == 0

    done = await close(client, world.reconditioner, pickup_id, {"name": "N" * 200})
    assert done.status_code == 200, done.text
    number = done.json()["pickup"]["number"]
    refused(
        await close(client, world.reconditioner, pickup_id, signed),
        409,
        f"L’enlèvement {number} est déjà clôturé.",
        "pickup_id",
    )
    assert await Certificate.count() == 1


@pytest.mark.parametrize(
    ("image", "detail"),
    [
        (
            "https://exemple.nc/signature.png",
            "Le champ « Signature dessinée » doit être une image PNG en data URL "
            "(data:image/png;base64,…).",
        ),
        (
            "data:image/jpeg;base64,/9j/4AAQ",
            "Le champ « Signature dessinée » doit être une image PNG en data URL "
            "(data:image/png;base64,…).",
        ),
        (
            "data:image/png;base64,iVBORw0KGgo*",
            "Le champ « Signature dessinée » n’est pas du base64 valide.",
        ),
        (
            data_url(b"GIF89a" + b"\x00" * 40),
            "Le champ « Signature dessinée » n’est pas une image PNG.",
        ),
        (
            data_url(padded_png(IMAGE_MAX_BYTES + 1)),
            "Le champ « Signature dessinée » dépasse 100 Ko.",
        ),
        (
            data_url(drawn_png()[:60]),  # a PNG cut short: its header, no pixels
            "Le champ « Signature dessinée » n’est pas une image PNG lisible.",
        ),
        (
            data_url(
                b"\x89PNG\r\n\x1a\n"
                + struct.pack(">I", 13)
                + b"IHDR"
                + struct.pack(">II", 40_000, 10)
                + b"\x08\x06\x00\x00\x00"
                + b"\x00" * 4
            ),
            "Le champ « Signature dessinée » mesure 40000 × 10 pixels ; au plus 4000 de côté.",
        ),
    ],
    ids=["not-a-data-url", "jpeg", "bad-base64", "not-png", "too-large", "truncated", "huge"],
)
async def test_a_bad_signature_image_is_refused_naming_it(
    client: httpx.AsyncClient, image: str, detail: str
) -> None:
    world = await make_world()
    [tag] = [d["tag"] for d in (await make_donation(client, world.donor, count=1))["devices"]]
    await act(client, world.reconditioner, tag, "collect")

    response = await close(
        client, world.reconditioner, await pickup_of(tag), {"name": SIGNER, "image": image}
    )

    refused(response, 422, detail, "signature.image")
    assert await Pickup.count().where(Pickup.status == "open") == 1


async def test_a_signature_of_exactly_100_kb_is_accepted(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = [d["tag"] for d in (await make_donation(client, world.donor, count=1))["devices"]]
    await act(client, world.reconditioner, tag, "collect")

    response = await close(
        client,
        world.reconditioner,
        await pickup_of(tag),
        {"name": SIGNER, "image": data_url(padded_png(IMAGE_MAX_BYTES))},
    )

    assert response.status_code == 200, response.text


# --- the end of the Nouméa day ---------------------------------------------------------------


async def test_open_pickups_close_unsigned_at_the_end_of_the_noumea_day(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=2))["devices"]]
    await collect(client, world.reconditioner, tags)
    empty = await open_pickup(
        client,
        world.reconditioner,
        (await make_donation(client, world.donor, count=1))["id"],
    )
    midnight = next_noumea_midnight(now())

    before = await close_overdue_pickups(settings, clock=lambda: midnight - timedelta(seconds=1))
    after = await close_overdue_pickups(settings, clock=lambda: midnight + timedelta(seconds=1))
    again = await close_overdue_pickups(settings, clock=lambda: midnight + timedelta(hours=1))

    assert before == [] and again == []
    pickup_id = await pickup_of(tags[0])
    found = await client.get(f"/api/pickups/{pickup_id}", headers=world.donor.headers)
    body = found.json()
    assert after == [body["number"], empty.json()["number"]]
    assert body["status"] == "closed" and body["closed_automatically"] is True
    assert body["signature_name"] is None and body["closed_by_name"] is None
    number = body["certificate_number"]
    assert number and number.startswith("DON-")
    text = text_of(await downloaded(client, world.donor, number))
    assert "Enlèvement clôturé sans signature à la fin de la journée (heure de Nouméa)." in text
    assert all(f"{tag[:4]}-{tag[4:]}" in text for tag in tags)
    # The workshop sees the attestation it did not sign; the empty pickup issued none.
    assert (await downloaded(client, world.reconditioner, number)).startswith(b"%PDF")
    emptied = await client.get(
        f"/api/pickups/{empty.json()['id']}", headers=world.reconditioner.headers
    )
    assert emptied.json()["status"] == "closed" and emptied.json()["certificate_number"] is None
    assert await Certificate.count() == 1


async def test_the_service_closes_the_day_s_pickups_after_midnight_by_itself(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await make_world()
    [tag] = [d["tag"] for d in (await make_donation(client, world.donor, count=1))["devices"]]
    await act(client, world.reconditioner, tag, "collect")
    start = now()
    clock = [start]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        """Move the clock instead of waiting; stop the job after its second night."""
        slept.append(seconds)
        if len(slept) == 2:
            raise asyncio.CancelledError
        clock[0] += timedelta(seconds=seconds)

    with pytest.raises(asyncio.CancelledError):
        await close_pickups_at_day_end(settings, clock=lambda: clock[0], sleep=sleep)

    first_night = next_noumea_midnight(start) - start
    assert slept[0] == pytest.approx(first_night.total_seconds() + 5)  # just past midnight
    assert slept[1] == pytest.approx(24 * 3600)  # then the next midnight
    row = await Pickup.select().where(Pickup.id == await pickup_of(tag)).first()
    assert row is not None
    assert row["status"] == "closed" and row["closed_automatically"]
    closed_at: datetime = row["closed_at"]
    assert closed_at > next_noumea_midnight(start)
