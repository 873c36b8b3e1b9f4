"""Erasure that holds up to an audit, through the API on both databases: the gate to reuse and
recycling, repeated wipes, devices without storage, and the certificate each case gives."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from collecte.settings import Settings
from collecte.web.app import create_app
from tests.api.test_certificates_api import batch, download, tags_of, text_of
from tests.factory import WIPE, World, act, make_donation, make_world, walk_to

MEDIUM = {
    "serial": "S3YNX0K812345",
    "kind": "ssd",
    "capacity_gb": 256,
    "technique": "block_erase",
    "tool": "nwipe",
    "tool_version": "0.38",
    "started_at": "2026-11-30T08:00:00+11:00",
    "ended_at": "2026-11-30T08:41:00+11:00",
    "result": "erased",
    "verification": "full",
}
REFURBISH = {"grade": "A"}


async def received(client: httpx.AsyncClient, world: World, **fields: Any) -> str:
    """A laptop of a new donation, received at the workshop."""
    [tag] = await tags_of(client, world.donor, 1, serial_number="PC-AUDIT-1", **fields)
    await walk_to(client, world, tag, "received")
    return tag


async def wipe(client: httpx.AsyncClient, world: World, tag: str, **medium: Any) -> httpx.Response:
    return await act(client, world.reconditioner, tag, "wipe", media=[{**MEDIUM, **medium}])


async def status_of(client: httpx.AsyncClient, world: World, tag: str) -> str:
    device = await client.get(f"/api/devices/{tag}", headers=world.coordinator.headers)
    return str(device.json()["status"])


async def allocate(client: httpx.AsyncClient, world: World, tag: str) -> httpx.Response:
    association = world.association.organization_id
    return await act(client, world.coordinator, tag, "allocate", association_id=association)


async def test_a_verified_purge_leads_to_reuse(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await received(client, world)

    wiped = await wipe(client, world, tag)
    refurbished = await act(client, world.reconditioner, tag, "refurbish", **REFURBISH)
    allocated = await allocate(client, world, tag)

    assert wiped.status_code == 200, wiped.text
    assert refurbished.status_code == 200, refurbished.text
    assert allocated.status_code == 200, allocated.text
    [medium] = wiped.json()["events"][-1]["data"]["media"]
    assert (medium["serial"], medium["method_class"], medium["technique"]) == (
        "S3YNX0K812345", "purge", "block_erase")  # fmt: skip
    text = text_of(await download(client, world.donor, wiped.json()["certificate"]["number"]))
    assert "S3YNX0K812345 SSD (SATA) · 256 Go" in text
    assert "Effacé Vérification complète effacement certifié" in text
    assert "Effacement certifié 1 / 1" in text
    assert "Non certifiés" not in text
    assert "début : 30 novembre 2026 à 8 h 00 fin : 30 novembre 2026 à 8 h 41" in text


@pytest.mark.parametrize(
    ("medium", "gap", "certificate_says"),
    [
        ({"verification": "none"}, "S3YNX0K812345 : effacement non vérifié",
         "Non certifiés S3YNX0K812345 (Effacé, Non vérifié)"),
        ({"result": "failed"}, "S3YNX0K812345 : Échec",
         "Non certifiés S3YNX0K812345 (Échec, Vérification complète)"),
        ({"result": "erased_with_exceptions"}, "S3YNX0K812345 : Effacé avec exceptions",
         "Non certifiés S3YNX0K812345 (Effacé avec exceptions, Vérification complète)"),
        ({"technique": "overwrite"},
         "S3YNX0K812345 : Clear — effacement logique ne suffit pas pour le réemploi "
         "(minimum : Purge — effacement sécurisé du support)", None),
    ],
)  # fmt: skip
async def test_an_unverified_failed_or_weak_wipe_cannot_lead_to_reuse(
    client: httpx.AsyncClient, medium: dict[str, Any], gap: str, certificate_says: str | None
) -> None:
    world = await make_world()
    tag = await received(client, world)

    wiped = await wipe(client, world, tag, **medium)
    refused = await act(client, world.reconditioner, tag, "refurbish", **REFURBISH)
    not_allocated = await allocate(client, world, tag)

    assert wiped.status_code == 200, wiped.text
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"« Reconditionner » impossible : l’effacement des données est incomplet ({gap})."
    )
    assert refused.json()["extra"] == {
        "code": "erasure_incomplete",
        "field": "action",
        "gaps": [{"serial": "S3YNX0K812345", "detail": gap}],
    }
    assert not_allocated.status_code == 409
    assert await status_of(client, world, tag) == "wiped"
    text = text_of(await download(client, world.donor, wiped.json()["certificate"]["number"]))
    if certificate_says is None:  # a verified clear is certified erased, just not for reuse
        assert "Effacement certifié 1 / 1" in text
    else:
        assert "Effacement certifié 0 / 1" in text
        assert certificate_says in text


async def test_the_gate_speaks_english_when_asked(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await received(client, world)
    await wipe(client, world, tag, verification="none")

    refused = await client.post(
        f"/api/devices/{tag}/transitions",
        json={"action": "refurbish", **REFURBISH},
        headers={**world.reconditioner.headers, "Accept-Language": "en"},
    )

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "“Refurbish” is not possible: data erasure is incomplete "
        "(S3YNX0K812345: erasure not verified)."
    )


async def test_a_second_pass_reopens_reuse(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await received(client, world)
    await wipe(client, world, tag, result="failed")

    again = await wipe(client, world, tag)
    refurbished = await act(client, world.reconditioner, tag, "refurbish", **REFURBISH)

    assert again.status_code == 200, again.text
    assert [e["to_status"] for e in again.json()["events"]][-2:] == ["wiped", "wiped"]
    assert refurbished.status_code == 200, refurbished.text
    # Each pass has its own certificate: the first says the failure, the second certifies.
    numbers = [e["certificate_number"] for e in again.json()["events"][-2:]]
    assert len(set(numbers)) == 2


async def test_one_medium_left_unverified_keeps_the_device_from_reuse(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await received(client, world)
    wiped = await act(client, world.reconditioner, tag, "wipe", media=[
        MEDIUM, {**MEDIUM, "serial": "WD-HDD-2", "kind": "hdd", "verification": "none"},
    ])  # fmt: skip

    refused = await act(client, world.reconditioner, tag, "refurbish", **REFURBISH)

    assert wiped.status_code == 200, wiped.text
    assert refused.status_code == 409
    assert refused.json()["extra"]["gaps"] == [
        {"serial": "WD-HDD-2", "detail": "WD-HDD-2 : effacement non vérifié"}
    ]


async def test_recycling_needs_every_medium_erased_or_destructed(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await received(client, world)
    await wipe(client, world, tag, result="failed")

    refused = await act(client, world.reconditioner, tag, "recycle", channel="Trecodec")
    destroyed = await wipe(client, world, tag, technique="destruct", tool="Broyeur",
                           tool_version="HSM 2", verification="sample")  # fmt: skip
    recycled = await act(client, world.reconditioner, tag, "recycle", channel="Trecodec")

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "« Envoyer au recyclage » impossible : l’effacement des données est incomplet "
        "(S3YNX0K812345 : Échec)."
    )
    assert destroyed.status_code == 200, destroyed.text
    assert recycled.status_code == 200, recycled.text


async def test_version_1_shorthand_is_gated_by_its_verified_flag(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    unverified, verified = await tags_of(client, world.donor, 2)
    for tag in (unverified, verified):
        await walk_to(client, world, tag, "received")
    await act(client, world.reconditioner, unverified, "wipe", **{**WIPE, "verified": False})
    await act(client, world.reconditioner, verified, "wipe", **WIPE)

    refused = await act(client, world.reconditioner, unverified, "refurbish", **REFURBISH)
    accepted = await act(client, world.reconditioner, verified, "refurbish", **REFURBISH)

    assert refused.status_code == 409
    assert refused.json()["extra"]["code"] == "erasure_incomplete"
    assert accepted.status_code == 200, accepted.text


async def test_a_batch_refurbish_names_each_device_the_gate_stops(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    good, bad = await tags_of(client, world.donor, 2)
    for tag in (good, bad):
        await walk_to(client, world, tag, "received")
    await wipe(client, world, good)
    await wipe(client, world, bad, verification="none")

    refused = await batch(client, world.reconditioner, "refurbish", [good, bad], **REFURBISH)

    assert refused.status_code == 409, refused.text
    [failure] = refused.json()["extra"]["errors"]
    assert failure["tag"].replace("-", "") == bad.replace("-", "")
    assert failure["status_code"] == 409
    assert "effacement non vérifié" in failure["detail"]
    assert await status_of(client, world, good) == "wiped"  # all or nothing


async def test_a_device_without_storage_is_refused_in_a_wipe_batch(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    laptop = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    screen = (await make_donation(client, world.donor, count=1, category="monitor"))["devices"][0][
        "tag"
    ]
    for tag in (laptop, screen):
        await walk_to(client, world, tag, "received")

    refused = await batch(client, world.reconditioner, "wipe", [laptop, screen], media=[MEDIUM])

    assert refused.status_code == 422, refused.text
    [failure] = refused.json()["extra"]["errors"]
    assert failure["tag"].replace("-", "") == screen.replace("-", "")
    assert failure["detail"] == (
        "Cet appareil n’a pas de support de stockage : il n’y a rien à effacer."
    )
    assert await status_of(client, world, laptop) == "received"
    certificates = await client.get("/api/certificates", headers=world.coordinator.headers)
    assert all(c["kind"] != "erasure" for c in certificates.json())


@pytest.mark.parametrize("category", ["printer", "network", "other"])
async def test_printers_network_gear_and_others_hold_data_by_default(
    client: httpx.AsyncClient, category: str
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1, category=category)
    await walk_to(client, world, tag, "received")

    skipped = await act(client, world.reconditioner, tag, "refurbish", **REFURBISH)

    assert skipped.status_code == 409
    assert skipped.json()["extra"]["code"] == "wrong_status"


async def test_the_minimum_for_reuse_is_a_setting(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    lenient = replace(settings, programme=replace(settings.programme, erasure_minimum="clear"))
    app = create_app(lenient, manage_database=False)
    world = await make_world()
    tag = await received(client, world)
    await wipe(client, world, tag, technique="overwrite")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collecte.test") as other:
        refurbished = await act(other, world.reconditioner, tag, "refurbish", **REFURBISH)

    assert refurbished.status_code == 200, refurbished.text
