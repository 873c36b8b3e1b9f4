"""Erasure tools' reports through the HTTP API: filed, stored with their SHA-256, listed,
downloaded byte for byte; broken and hostile files refused with a 4xx that names the problem."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import httpx
import pytest

from collecte.db.tables import ErasureReport
from tests.erasure_samples import (
    another_pdf,
    billion_laughs,
    external_entity,
    nwipe_pdf_report,
    sample,
)
from tests.factory import Account, World, act, make_donation, make_world, walk_to

MB = 1024 * 1024


async def received_device(client: httpx.AsyncClient, world: World, **fields: Any) -> str:
    """A device in the reconditioner's hands (collected and received), its tag."""
    donation = await make_donation(client, world.donor, count=1, **fields)
    tag = str(donation["devices"][0]["tag"])
    await walk_to(client, world, tag, "received")
    return tag


async def upload(
    client: httpx.AsyncClient,
    account: Account,
    tag: str,
    content: bytes,
    filename: str = "rapport.bin",
    **headers: str,
) -> httpx.Response:
    return await client.post(
        f"/api/devices/{tag}/erasure-reports",
        files={"file": (filename, content, "application/octet-stream")},
        headers={**account.headers, **headers},
    )


async def test_an_nwipe_json_report_is_stored_with_its_sha256_and_read_into_media(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await received_device(client, world)
    content = sample("nwipe_two_disks.json")

    response = await upload(client, world.reconditioner, tag, content, "nwipe_report.json")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["format"] == "nwipe_json"
    assert body["filename"] == "nwipe_report.json"
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert [(m["serial"], m["kind"], m["result"]) for m in body["media"]] == [
        ("S4ELNX0N912345", "nvme", "erased"),
        ("WD-WCC6Y3KJ0123", "other", "failed"),
    ]
    assert body["form"]["media-1-serial"] == "WD-WCC6Y3KJ0123"
    assert body["form"]["media-0-verification"] == "none"
    assert any("vérifié" in warning for warning in body["warnings"])
    stored = await ErasureReport.select().where(ErasureReport.id == body["id"]).first()
    assert stored is not None
    assert bytes(stored["content"]) == content
    assert stored["sha256"] == hashlib.sha256(content).hexdigest()
    assert stored["uploaded_by_name"] == body["uploaded_by"]


async def test_a_blancco_report_and_an_nwipe_pdf_are_read_whatever_their_names(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await received_device(client, world)

    xml = await upload(client, world.reconditioner, tag, sample("blancco_report.xml"), "a.pdf")
    pdf = await upload(client, world.coordinator, tag, nwipe_pdf_report(), "a.xml")

    assert (xml.status_code, pdf.status_code) == (201, 201), xml.text + pdf.text
    assert xml.json()["format"] == "blancco_xml"
    assert [m["verification"] for m in xml.json()["media"]] == ["full", "sample"]
    assert pdf.json()["format"] == "nwipe_pdf"
    assert pdf.json()["media"][0]["serial"] == "WDEB7X1K"


async def test_reports_are_listed_and_downloaded_byte_for_byte_with_their_type(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await received_device(client, world)
    pdf = nwipe_pdf_report()
    first = await upload(client, world.reconditioner, tag, sample("nwipe_report.json"), "r.json")
    second = await upload(client, world.reconditioner, tag, pdf, "Rapport été.pdf")

    listed = await client.get(f"/api/devices/{tag}/erasure-reports", headers=world.donor.headers)
    download = await client.get(
        f"/api/devices/{tag}/erasure-reports/{second.json()['id']}",
        headers=world.reconditioner.headers,
    )
    json_file = await client.get(
        f"/api/devices/{tag}/erasure-reports/{first.json()['id']}",
        headers=world.reconditioner.headers,
    )

    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [first.json()["id"], second.json()["id"]]
    assert listed.json()[1]["media"] == second.json()["media"]
    assert listed.json()[0]["warnings"] == []
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.pdf" in download.headers["content-disposition"]
    assert json_file.headers["content-type"].startswith("application/json")


async def test_only_those_who_may_wipe_file_a_report_and_only_those_who_see_list(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await received_device(client, world)
    report = sample("nwipe_report.json")

    donor = await upload(client, world.donor, tag, report)
    other = await upload(client, world.other_reconditioner, tag, report)
    stranger = await client.get(
        f"/api/devices/{tag}/erasure-reports", headers=world.other_donor.headers
    )
    unknown = await upload(client, world.reconditioner, "7K3P9QXM", report)
    missing = await client.get(
        f"/api/devices/{tag}/erasure-reports/999", headers=world.reconditioner.headers
    )

    assert donor.status_code == 403
    assert other.status_code == 404  # not in its hands: it does not even see the device
    assert stranger.status_code == 404
    assert unknown.status_code in (404, 422)  # an unknown tag, or one whose check char is wrong
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Aucun rapport d’effacement n° 999 pour cet appareil."
    assert await ErasureReport.count() == 0


HOSTILE = {
    "truncated JSON": (
        sample("nwipe_report.json")[:200],
        422,
        "Rapport JSON de nwipe illisible : JSON tronqué ou mal formé (ligne 10, colonne 11)",
    ),
    "truncated XML": (
        sample("blancco_report.xml")[:900],
        422,
        "Rapport XML de Blancco illisible : XML tronqué ou mal formé",
    ),
    "truncated PDF": (
        nwipe_pdf_report()[:1500],
        422,
        "Rapport PDF de nwipe illisible : PDF tronqué ou mal formé",
    ),
    "billion laughs": (
        billion_laughs(),
        422,
        "Rapport XML de Blancco illisible : le XML déclare une DTD ou des entités, refusées "
        "par sécurité",
    ),
    "external entity": (
        external_entity(),
        422,
        "Rapport XML de Blancco illisible : le XML déclare une DTD ou des entités, refusées "
        "par sécurité",
    ),
    "empty file": (b"", 422, "Le fichier est vide."),
    "random bytes": (
        os.urandom(4096)
        .replace(b"{", b"?")
        .replace(b"[", b"?")
        .replace(b"<", b"?")
        .replace(b"%", b"?"),
        415,
        "Format de rapport non reconnu : déposez le rapport JSON ou PDF de nwipe, ou le rapport "
        "XML de Blancco.",
    ),
    "another PDF": (
        another_pdf(),
        422,
        "Rapport PDF de nwipe illisible : ce PDF n’est pas un certificat d’effacement de nwipe",
    ),
    "another JSON": (
        b'{"devices": []}',
        422,
        "Rapport JSON de nwipe illisible : rapport n° 1 : ce n’est pas un rapport de nwipe",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_broken_and_hostile_files_get_a_4xx_naming_the_problem(
    client: httpx.AsyncClient, case: str
) -> None:
    content, status, detail = HOSTILE[case]
    world = await make_world()
    tag = await received_device(client, world)

    response = await upload(client, world.reconditioner, tag, content)

    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(detail)
    assert await ErasureReport.count() == 0


async def test_a_50_mb_body_is_413_naming_the_limit(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await received_device(client, world)

    response = await upload(client, world.reconditioner, tag, b"{" + b" " * (50 * MB))
    english = await upload(
        client, world.reconditioner, tag, b" " * (11 * MB), **{"Accept-Language": "en"}
    )

    assert response.status_code == 413
    assert response.json()["detail"] == "Requête trop volumineuse : 10 Mo au plus."
    assert english.status_code == 413
    assert english.json()["detail"] == "Request too large: 10 MB at most."


async def test_the_limit_is_10_mb_of_report_on_both_sides(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await received_device(client, world)
    report = sample("nwipe_report.json")
    at_limit = report + b" " * (10 * MB - len(report))

    accepted = await upload(client, world.reconditioner, tag, at_limit)
    refused = await upload(client, world.reconditioner, tag, at_limit + b" ")

    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["size"] == 10 * MB
    assert refused.status_code == 413
    assert refused.json()["detail"] == "Rapport trop volumineux : 10 Mo au plus."


async def test_a_form_without_the_file_field_is_422(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await received_device(client, world)

    response = await client.post(
        f"/api/devices/{tag}/erasure-reports",
        files={"other": ("r.json", sample("nwipe_report.json"), "application/json")},
        headers=world.reconditioner.headers,
    )

    assert response.status_code == 422


# --- a report filed on the wrong device ----------------------------------------------------

WRONG_DEVICE = (
    "Ce rapport ne nomme aucun support de cet appareil : il nomme S4ELNX0N912345, "
    "WD-WCC6Y3KJ0123 ; l’appareil connaît {known}."
)


async def test_a_report_naming_none_of_the_recorded_media_is_refused(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await received_device(client, world, serial_number="PC-77")
    wiped = await act(client, world.reconditioner, tag, "wipe", method="purge", tool="nwipe",
                      verified=True, storage_serials=["S3YNX0K8"])  # fmt: skip
    assert wiped.status_code == 200, wiped.text

    refused = await upload(client, world.reconditioner, tag, sample("nwipe_two_disks.json"))

    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == WRONG_DEVICE.format(known="PC-77, S3YNX0K8")
    assert refused.json()["extra"] == {"code": "invalid", "field": "file"}
    assert await ErasureReport.count() == 0


async def test_a_report_naming_another_devices_serial_is_refused(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await make_donation(client, world.donor, count=1, serial_number="WD-WCC6Y3KJ0123")
    tag = await received_device(client, world, serial_number="PC-9")

    refused = await upload(client, world.reconditioner, tag, sample("nwipe_two_disks.json"))

    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == WRONG_DEVICE.format(known="PC-9")


async def test_a_report_naming_one_known_medium_or_the_devices_serial_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    first = await received_device(client, world)  # its disks not known yet: cannot be checked
    unknown = await upload(client, world.reconditioner, first, sample("nwipe_two_disks.json"))
    own = await received_device(client, world, serial_number="WD-WCC6Y3KJ0123")
    by_serial = await upload(client, world.reconditioner, own, sample("nwipe_two_disks.json"))

    assert by_serial.status_code == 201, by_serial.text
    assert unknown.status_code == 201, unknown.text
