"""Certificates through the HTTP API: issued by the transitions, numbered, stored, verifiable."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from collecte.db.tables import Certificate, Counter, Device, DeviceEvent, Pickup
from collecte.domain.clock import NOUMEA
from collecte.domain.vocabulary import Role
from collecte.services import certificates as certificates_service
from tests.documents.reading import decode_qr_codes, page_texts
from tests.factory import (
    WIPE,
    Account,
    World,
    act,
    attest,
    close_pickup,
    device,
    make_account,
    make_donation,
    make_organization,
    make_world,
    walk_to,
)

PUBLIC_URL = "http://collecte.test"  # the settings of the app under test


def year() -> int:
    """The current year in Nouméa, which numbers the certificates."""
    return datetime.now(NOUMEA).year


def number(prefix: str, sequence: int) -> str:
    """The certificate number `{prefix}-{year}-{NNNNN}`."""
    return f"{prefix}-{year()}-{sequence:05d}"


def flat(text: str) -> str:
    """`text` with every run of whitespace (no-break spaces included) as one space."""
    return " ".join(text.split())


def text_of(pdf: bytes) -> str:
    """The whole text of a PDF, whitespace flattened."""
    return flat(" ".join(page_texts(pdf)))


async def tags_of(
    client: httpx.AsyncClient, donor: Account, count: int, **fields: Any
) -> list[str]:
    """The tags of a new donation of `count` devices."""
    return [d["tag"] for d in (await make_donation(client, donor, count, **fields))["devices"]]


async def batch(
    client: httpx.AsyncClient, account: Account, action: str, tags: list[str], **data: Any
) -> httpx.Response:
    """One action on many devices."""
    return await client.post(
        "/api/transitions", json={"action": action, "tags": tags, **data}, headers=account.headers
    )


async def certified(response: httpx.Response) -> str:
    """The number of the one certificate a successful transition names."""
    assert response.status_code == 200, response.text
    certificate = response.json()["certificate"]
    assert certificate is not None
    return str(certificate["number"])


async def download(client: httpx.AsyncClient, account: Account, cert: str) -> bytes:
    """The PDF of a certificate, as `account` downloads it."""
    response = await client.get(f"/api/certificates/{cert}/pdf", headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


async def donor_with_details(**fields: Any) -> Account:
    """A donor whose organisation has a RIDET and an address."""
    organization = await make_organization(
        Role.DONOR,
        name="Société Minière du Sud SAS",
        ridet="0123456.001",
        address="12 rue de Sébastopol",
        city="Nouméa",
        **fields,
    )
    return await make_account(Role.DONOR, organization)


# --- issued by the transitions ---------------------------------------------------------------


async def test_collect_issues_nothing_and_closing_its_pickup_issues_the_donation_certificate(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)

    response = await act(client, world.reconditioner, tag, "collect")
    closed = await close_pickup(client, world.reconditioner, tag)

    assert response.status_code == 200, response.text
    assert response.json()["certificate"] is None
    assert response.json()["events"][-1]["certificate_number"] is None
    assert response.json()["events"][-1]["data"]["pickup"] == number("ENL", 1)
    assert closed.json()["certificate"] == {"number": number("DON", 1), "kind": "donation"}
    meta = await client.get(f"/api/certificates/{number('DON', 1)}", headers=world.donor.headers)
    assert meta.status_code == 200, meta.text
    assert meta.json()["kind"] == "donation"
    assert meta.json()["recipient_id"] == world.donor.organization_id
    assert meta.json()["device_count"] == 1


async def test_each_action_issues_its_own_kind_or_none(client: httpx.AsyncClient) -> None:
    world = await make_world()
    reused, recycled = await tags_of(client, world.donor, 2)
    expected = [
        ("collect", world.reconditioner, {}, None),  # the pickup's close issues the DON
        ("receive", world.reconditioner, {}, None),
        ("wipe", world.reconditioner, WIPE, ("EFF", "erasure")),
        ("refurbish", world.reconditioner, {"grade": "A"}, None),
        (
            "allocate",
            world.coordinator,
            {"association_id": world.association.organization_id},
            None,
        ),
        ("confirm_receipt", world.association, {"received_by": "Marie"}, ("REC", "receipt")),
    ]

    for action, account, data, certificate in expected:
        response = await act(client, account, reused, action, **data)
        assert response.status_code == 200, (action, response.text)
        body = response.json()
        if certificate is None:
            assert body["certificate"] is None, action
            assert body["events"][-1]["certificate_number"] is None
        else:
            prefix, kind = certificate
            assert body["certificate"] == {"number": number(prefix, 1), "kind": kind}, action
            assert body["events"][-1]["certificate_number"] == number(prefix, 1)
    await walk_to(client, world, recycled, "wiped")
    recycling = await act(
        client, world.reconditioner, recycled, "recycle", channel="Trecodec", weight_kg=2.5
    )
    assert recycling.json()["certificate"] == {"number": number("RCY", 1), "kind": "recycling"}

    recipients = {
        row["number"]: row["recipient"]
        for row in await Certificate.select(Certificate.number, Certificate.recipient)
    }
    assert recipients == {
        number("EFF", 1): world.donor.organization_id,
        number("EFF", 2): world.donor.organization_id,
        number("REC", 1): world.association.organization_id,
        number("RCY", 1): world.donor.organization_id,
    }


async def test_numbers_are_sequential_per_kind(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 3)

    numbers = [await attest(client, world.reconditioner, [t]) for t in tags]
    await act(client, world.reconditioner, tags[0], "receive")
    erasure = await certified(await act(client, world.reconditioner, tags[0], "wipe", **WIPE))

    assert numbers == [number("DON", 1), number("DON", 2), number("DON", 3)]
    assert erasure == number("EFF", 1)


async def test_a_batch_opens_one_pickup_per_donation_each_closed_to_one_certificate(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    mine = await tags_of(client, world.donor, 2)
    theirs = await tags_of(client, world.other_donor, 1)

    response = await batch(client, world.reconditioner, "collect", [*mine, theirs[0]])
    first = await close_pickup(client, world.reconditioner, mine[0])
    second = await close_pickup(client, world.reconditioner, theirs[0])

    assert response.status_code == 200, response.text
    assert response.json()["certificates"] == [] and response.json()["certificate"] is None
    assert await Pickup.count() == 2
    assert first.json()["certificate"]["number"] == number("DON", 1)
    assert second.json()["certificate"]["number"] == number("DON", 2)
    rows = await Certificate.select(
        Certificate.number, Certificate.recipient, Certificate.device_count
    )
    by_recipient = {row["recipient"]: row for row in rows}
    assert by_recipient[world.donor.organization_id]["device_count"] == 2
    assert by_recipient[world.other_donor.organization_id]["device_count"] == 1


async def test_a_batch_of_one_donation_joins_one_pickup(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 4)

    response = await batch(client, world.reconditioner, "collect", tags)

    assert response.json()["certificates"] == []
    events = await DeviceEvent.select(DeviceEvent.certificate_number, DeviceEvent.data).where(
        DeviceEvent.action == "collect"
    )
    assert [e["certificate_number"] for e in events] == [None] * 4
    pickups = await Device.select(Device.pickup).where(Device.tag.is_in(tags))
    assert len({row["pickup"] for row in pickups}) == 1
    assert await Certificate.count() == 0


async def test_a_coordinators_batch_across_workshops_gives_one_erasure_each(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    mine, theirs = await tags_of(client, world.donor, 2)
    await walk_to(client, world, mine, "received")
    await act(client, world.other_reconditioner, theirs, "collect")
    await act(client, world.other_reconditioner, theirs, "receive")

    response = await batch(client, world.coordinator, "wipe", [mine, theirs], **WIPE)

    assert response.status_code == 200, response.text
    numbers = [c["number"] for c in response.json()["certificates"]]
    assert sorted(numbers) == [number("EFF", 1), number("EFF", 2)]
    texts = [text_of(await download(client, world.donor, n)) for n in numbers]
    workshops = [world.reconditioner.organization_name, world.other_reconditioner.organization_name]
    for text in texts:  # each names the workshop that holds its device, and only that one
        assert sum(name in text for name in workshops) == 1
        assert f"({world.coordinator.organization_name})" in text  # who performed it
    assert {w for w in workshops for text in texts if w in text} == set(workshops)


async def test_one_receipt_names_every_workshop_that_prepared_the_devices(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    mine, theirs = await tags_of(client, world.donor, 2)
    await walk_to(client, world, mine, "allocated")
    await act(client, world.other_reconditioner, theirs, "collect")
    await act(client, world.other_reconditioner, theirs, "receive")
    await act(client, world.other_reconditioner, theirs, "wipe", **WIPE)
    await act(client, world.other_reconditioner, theirs, "refurbish", grade="C")
    await act(
        client,
        world.coordinator,
        theirs,
        "allocate",
        association_id=world.association.organization_id,
    )

    response = await batch(
        client, world.association, "confirm_receipt", [mine, theirs], signature={"name": "Marie"}
    )

    assert response.json()["certificates"] == [{"number": number("REC", 1), "kind": "receipt"}]
    text = text_of(await download(client, world.association, number("REC", 1)))
    assert world.reconditioner.organization_name in text
    assert world.other_reconditioner.organization_name in text
    assert number("EFF", 1) in text and number("EFF", 2) in text


async def test_numbers_follow_the_year_in_noumea(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    # 31 December, 14:30 in UTC is already 1 January, 01:30 in Nouméa (UTC+11).
    monkeypatch.setattr(
        "collecte.services.pickups.now", lambda: datetime(2030, 12, 31, 14, 30, tzinfo=UTC)
    )

    cert = await attest(client, world.reconditioner, [tag])

    assert cert == "DON-2031-00001"
    text = text_of(await download(client, world.donor, cert))
    assert "1er janvier 2031 à 1 h 30" in text


async def test_a_replayed_transition_returns_its_certificate_without_issuing_another(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    headers = {**world.reconditioner.headers, "Idempotency-Key": "collecte-du-lundi"}

    first = await client.post(
        f"/api/devices/{tag}/transitions", json={"action": "collect"}, headers=headers
    )
    replay = await client.post(
        f"/api/devices/{tag}/transitions", json={"action": "collect"}, headers=headers
    )

    assert first.json() == replay.json()
    assert first.json()["certificate"] is None
    assert await Pickup.count() == 1
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == 1


async def test_a_refused_transition_issues_nothing(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 2)
    await act(client, world.reconditioner, tags[1], "collect")

    refused = await batch(client, world.reconditioner, "collect", tags)
    after = await act(client, world.reconditioner, tags[0], "collect")
    closed = await close_pickup(client, world.reconditioner, tags[0])

    assert refused.status_code == 409
    assert after.status_code == 200
    assert await certified(closed) == number("DON", 1)
    assert await Certificate.count() == 1 and await Pickup.count() == 1


async def test_a_transition_failing_after_numbering_gives_its_number_back(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 2)

    async def broken(*_: Any) -> None:
        raise RuntimeError("disque plein")  # storing the certificate fails, after its numbering

    await batch(client, world.reconditioner, "collect", tags)
    with monkeypatch.context() as patch:
        patch.setattr(certificates_service, "insert_issued", broken)
        failed = await close_pickup(client, world.reconditioner, tags[0])
    after = await close_pickup(client, world.reconditioner, tags[0])

    assert failed.status_code == 500
    assert await certified(after) == number("DON", 1)
    assert await Certificate.count() == 1
    seen = await client.get(
        f"/api/pickups/{after.json()['pickup']['id']}", headers=world.donor.headers
    )
    assert seen.json()["status"] == "closed" and seen.json()["device_count"] == 2


# --- the stored PDF and what it says ---------------------------------------------------------


async def test_downloads_are_byte_identical_and_match_the_published_hash(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    cert = await attest(client, world.reconditioner, [tag])

    first = await download(client, world.donor, cert)
    second = await download(client, world.donor, cert)
    meta = await client.get(f"/api/certificates/{cert}", headers=world.donor.headers)
    public = await client.get(f"/api/verify/{cert}")

    assert first == second
    assert first.startswith(b"%PDF-")
    digest = hashlib.sha256(first).hexdigest()
    assert meta.json()["sha256"] == digest
    assert public.json()["sha256"] == digest


async def test_donation_certificate_names_the_donor_every_device_and_the_total_in_words(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donor = await donor_with_details()
    devices = [device(estimated_value_xpf=60_000), device(estimated_value_xpf=60_000)]
    created = await client.post("/api/donations", json={"devices": devices}, headers=donor.headers)
    tags = [d["tag"] for d in created.json()["devices"]]

    cert = await attest(client, world.reconditioner, tags)
    pdf = await download(client, donor, cert)
    text = text_of(pdf)

    assert "Attestation de don en nature" in text
    assert cert in text
    assert "Société Minière du Sud SAS" in text and "RIDET : 0123456.001" in text
    assert "12 rue de Sébastopol" in text
    assert "La Grande Collecte Numérique" in text and "OPEN NC" in text
    for payload, tag in zip(devices, tags, strict=True):
        assert payload["serial_number"] in text
        assert f"{tag[:4]}-{tag[4:]}" in text
    assert "60 000 XPF" in text
    assert "Total · 2 appareils 120 000 XPF" in text
    assert "Total, valeur estimée par le donateur 120 000 XPF" in text  # not a tax receipt
    assert "Don manuel, en nature" in text
    assert "page 1 / 1" in text
    assert {code.text for code in decode_qr_codes(pdf)} == {f"{PUBLIC_URL}/verify/{cert}"}


async def test_erasure_certificate_gives_method_tool_and_media(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1, serial_number="PC-ERASE-1")
    await walk_to(client, world, tag, "received")

    cert = await certified(
        await act(
            client,
            world.reconditioner,
            tag,
            "wipe",
            method="destroy",
            tool="Blancco Drive Eraser 7.9",
            verified=True,
            storage_serials=["WD-DISK-0042"],
            destination="recycling",
        )
    )
    text = text_of(await download(client, world.donor, cert))

    assert cert.startswith(f"EFF-{year()}-")
    assert "Certificat d’effacement des données" in text
    assert world.donor.organization_name in text
    assert world.reconditioner.organization_name in text
    # Version 1's shorthand: one medium per serial, its class said (destroy is "Destruct").
    assert "Destruct — destruction physique" in text and "Blancco Drive Eraser 7.9" in text
    assert "PC-ERASE-1" in text and "WD-DISK-0042" in text
    assert "NIST SP 800-88 Rev. 2 / IEEE 2883-2022" in text
    assert "Effacé Vérification par échantillonnage effacement certifié" in text
    assert "Destination : Recyclage" in text


async def test_recycling_certificate_gives_channel_and_weight(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1, serial_number="PC-RCY-1")
    await walk_to(client, world, tag, "wiped")

    cert = await certified(
        await act(client, world.reconditioner, tag, "recycle", channel="Trecodec", weight_kg=2.5)
    )
    text = text_of(await download(client, world.donor, cert))

    assert "Certificat de recyclage" in text
    assert "Trecodec" in text and "PC-RCY-1" in text
    assert "Poids total 2,50 kg" in text


async def test_receipt_certificate_gives_grade_and_the_erasure_number(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    association = await make_account(
        Role.ASSOCIATION,
        await make_organization(
            Role.ASSOCIATION, name="Association Drehu Numérique", ridet="0555666.001", city="Wé"
        ),
    )
    [tag] = await tags_of(client, world.donor, 1, serial_number="PC-REC-1")
    await walk_to(client, world, tag, "received")
    erasure = await certified(await act(client, world.reconditioner, tag, "wipe", **WIPE))
    await act(client, world.reconditioner, tag, "refurbish", grade="B")
    await act(
        client, world.coordinator, tag, "allocate", association_id=association.organization_id
    )

    response = await act(client, association, tag, "confirm_receipt", received_by="Marie Hnawia")
    cert = await certified(response)
    text = text_of(await download(client, association, cert))

    assert cert == number("REC", 1)
    assert "Attestation de réception" in text
    assert "Association Drehu Numérique" in text and "RIDET : 0555666.001" in text
    assert "Marie Hnawia" in text and "Wé" in text
    assert world.reconditioner.organization_name in text
    assert "PC-REC-1" in text
    assert erasure in text
    assert "Répartition par grade B : 1" in text


async def test_lang_en_at_issue_time_gives_an_english_certificate(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 2, estimated_value_xpf=60_000)

    await batch(client, world.reconditioner, "collect", tags)
    cert = await certified(await close_pickup(client, world.reconditioner, tags[0], lang="en"))
    text = text_of(await download(client, world.donor, cert))
    meta = await client.get(f"/api/certificates/{cert}", headers=world.donor.headers)

    assert meta.json()["language"] == "en"
    assert "Certificate of in-kind donation" in text
    assert "120,000 XPF" in text and "Total, value estimated by the donor" in text
    assert "Attestation de don" not in text


async def test_an_english_speaking_organisation_receives_english_certificates(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    created = await client.post(
        "/api/organizations",
        json={"name": "Pacific Mining Ltd", "kind": "donor", "language": "en"},
        headers=world.coordinator.headers,
    )
    assert created.status_code == 201, created.text
    donor = await make_account(Role.DONOR, created.json())
    [tag] = await tags_of(client, donor, 1)

    cert = await attest(client, world.reconditioner, [tag])
    text = text_of(await download(client, donor, cert))

    assert "Certificate of in-kind donation" in text and "Pacific Mining Ltd" in text


async def test_an_unknown_language_is_refused_before_anything_changes(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)

    response = await client.post(
        f"/api/devices/{tag}/transitions?lang=de",
        json={"action": "collect"},
        headers=world.reconditioner.headers,
    )

    assert response.status_code == 422
    assert response.json()["extra"]["field"] == "lang"
    assert await Pickup.count() == 0


async def test_a_300_device_certificate_spans_pages_with_its_header_on_each(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 300)

    cert = await attest(client, world.reconditioner, tags)
    pdf = await download(client, world.donor, cert)
    pages = [flat(text) for text in page_texts(pdf)]
    total = len(pages)

    assert total >= 5
    for page, text in enumerate(pages, start=1):
        assert f"page {page} / {total}" in text
        assert cert in text
        if page < total:  # the last page may hold only the totals and signatures
            assert "Étiquette Catégorie Marque / modèle N° de série Valeur estimée" in text
    whole = " ".join(pages)
    assert all(f"{tag[:4]}-{tag[4:]}" in whole for tag in tags)
    assert "Total · 300 appareils 7 500 000 XPF" in whole
    assert "Total, valeur estimée par le donateur 7 500 000 XPF" in whole


# --- who sees what ---------------------------------------------------------------------------


async def _one_of_each(client: httpx.AsyncClient, world: World) -> dict[str, str]:
    """A delivered device of the donor (DON, EFF, REC) and a collected one of the other donor."""
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "delivered")
    assert (await close_pickup(client, world.reconditioner, tag)).status_code == 200
    [other] = await tags_of(client, world.other_donor, 1)
    await act(client, world.other_reconditioner, other, "collect")
    assert (await close_pickup(client, world.other_reconditioner, other)).status_code == 200
    return {
        "don": number("DON", 1),
        "eff": number("EFF", 1),
        "rec": number("REC", 1),
        "other_don": number("DON", 2),
    }


async def _listed(client: httpx.AsyncClient, account: Account, query: str = "") -> list[str]:
    response = await client.get(f"/api/certificates{query}", headers=account.headers)
    assert response.status_code == 200, response.text
    return sorted(c["number"] for c in response.json())


async def test_each_role_lists_only_its_certificates(client: httpx.AsyncClient) -> None:
    world = await make_world()
    n = await _one_of_each(client, world)

    assert await _listed(client, world.donor) == sorted([n["don"], n["eff"]])
    assert await _listed(client, world.other_donor) == [n["other_don"]]
    assert await _listed(client, world.association) == [n["rec"]]
    assert await _listed(client, world.other_association) == []
    assert await _listed(client, world.reconditioner) == sorted([n["don"], n["eff"]])
    assert await _listed(client, world.other_reconditioner) == [n["other_don"]]
    assert await _listed(client, world.coordinator) == sorted(n.values())


async def test_kind_filters_the_list_and_a_bad_kind_is_422(client: httpx.AsyncClient) -> None:
    world = await make_world()
    n = await _one_of_each(client, world)

    assert await _listed(client, world.coordinator, "?kind=donation") == sorted(
        [n["don"], n["other_don"]]
    )
    assert await _listed(client, world.donor, "?kind=erasure") == [n["eff"]]
    assert await _listed(client, world.donor, "?kind=receipt") == []
    bad = await client.get("/api/certificates?kind=diplome", headers=world.coordinator.headers)
    assert bad.status_code == 422
    assert bad.json()["extra"]["field"] == "kind"


@pytest.mark.parametrize("suffix", ["", "/pdf"])
async def test_another_organisations_certificate_is_404(
    client: httpx.AsyncClient, suffix: str
) -> None:
    world = await make_world()
    n = await _one_of_each(client, world)

    async def status(account: Account, cert: str) -> int:
        response = await client.get(f"/api/certificates/{cert}{suffix}", headers=account.headers)
        return response.status_code

    assert await status(world.donor, n["don"]) == 200
    assert await status(world.donor, n["don"].lower()) == 200
    assert await status(world.donor, n["other_don"]) == 404
    assert await status(world.other_donor, n["don"]) == 404
    assert await status(world.donor, n["rec"]) == 404
    assert await status(world.association, n["rec"]) == 200
    assert await status(world.association, n["don"]) == 404
    assert await status(world.other_association, n["rec"]) == 404
    assert await status(world.reconditioner, n["eff"]) == 200
    assert await status(world.other_reconditioner, n["eff"]) == 404
    assert await status(world.coordinator, n["other_don"]) == 200
    assert await status(world.coordinator, number("DON", 99)) == 404


async def test_certificates_need_a_token(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    cert = await attest(client, world.reconditioner, [tag])

    for path in ("/api/certificates", f"/api/certificates/{cert}", f"/api/certificates/{cert}/pdf"):
        assert (await client.get(path)).status_code == 401, path


# --- public verification ---------------------------------------------------------------------


async def test_verify_a_number_without_a_token_and_without_personal_data(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 2)
    cert = await attest(client, world.reconditioner, tags)

    response = await client.get(f"/api/verify/{cert}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "valid",
        "number",
        "kind",
        "issued_at",
        "device_count",
        "sha256",
        "content_sha256",
        "issuer",
        "recipient",
        "total_value_xpf",
        "total_weight_kg",
        "status",
        "reason",
        "replaced_by",
        "replaces",
    }
    assert body["valid"] is True
    assert (body["status"], body["reason"], body["replaced_by"]) == ("valid", None, None)
    assert body["number"] == cert and body["kind"] == "donation" and body["device_count"] == 2
    assert body["recipient"] == world.donor.organization_name  # organisations are named
    for person in (world.donor, world.reconditioner):  # persons are not
        assert f"Personne {person.email}" not in response.text
        assert person.email not in response.text


async def test_verify_an_unknown_number_is_404_and_not_valid(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/verify/{number('DON', 42)}")

    assert response.status_code == 404
    assert response.json()["valid"] is False
    assert response.json()["number"] == number("DON", 42)


async def test_verify_an_uploaded_pdf(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    cert = await attest(client, world.reconditioner, [tag])
    pdf = await download(client, world.donor, cert)
    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 0x01
    headers = {"Content-Type": "application/pdf"}

    genuine = await client.post("/api/verify", content=pdf, headers=headers)
    forged = await client.post("/api/verify", content=bytes(tampered), headers=headers)
    empty = await client.post("/api/verify", content=b"", headers=headers)

    assert genuine.status_code == 200, genuine.text
    assert genuine.json()["valid"] is True and genuine.json()["number"] == cert
    assert forged.status_code == 200
    assert forged.json()["valid"] is False and "number" not in forged.json()
    assert empty.status_code == 422


async def test_the_public_verify_page(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    cert = await attest(client, world.reconditioner, [tag])

    page = await client.get(f"/verify/{cert}")
    missing = await client.get(f"/verify/{number('DON', 42)}")
    pdf = await download(client, world.donor, cert)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert cert in page.text and hashlib.sha256(pdf).hexdigest() in page.text
    assert world.donor.organization_name in page.text
    for person in (world.donor, world.reconditioner):
        assert person.email not in page.text
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert number("DON", 42) in missing.text


# --- numbering under concurrency -------------------------------------------------------------

BATCHES = 10


async def test_concurrent_batches_give_gapless_unique_numbers(client: httpx.AsyncClient) -> None:
    world = await make_world()
    distinct = [await tags_of(client, world.donor, 3) for _ in range(BATCHES)]
    contested = await tags_of(client, world.other_donor, 4)
    requests = [batch(client, world.reconditioner, "collect", tags) for tags in distinct]
    requests += [
        batch(client, world.reconditioner, "collect", contested[i : i + 2]) for i in (0, 1, 2, 0, 2)
    ]

    responses = await asyncio.gather(*requests)

    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    assert all(r.status_code == 200 for r in responses[:BATCHES])
    assert any(r.status_code == 409 for r in responses[BATCHES:])  # the same devices twice
    # One pickup per donation, however many scanners joined it at once; numbers gapless.
    pickups = await Pickup.select(Pickup.id, Pickup.number).order_by(Pickup.number)
    assert [p["number"] for p in pickups] == [number("ENL", i) for i in range(1, BATCHES + 2)]
    closes = await asyncio.gather(
        *[
            client.post(
                f"/api/pickups/{p['id']}/close",
                json={"signature": {"name": "Jeanne"}},
                headers=world.reconditioner.headers,
            )
            for p in pickups
        ]
    )
    assert {r.status_code for r in closes} == {200}, [r.text for r in closes]
    issued = sorted(r.json()["certificate"]["number"] for r in closes)
    assert issued == [number("DON", i) for i in range(1, BATCHES + 2)]
    [counter] = await Counter.select(Counter.value).where(Counter.name == f"DON-{year()}")
    assert counter["value"] == BATCHES + 1


async def test_concurrent_closes_failing_after_numbering_leave_no_gap(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    good = [await tags_of(client, world.donor, 2) for _ in range(BATCHES)]
    doomed = [await tags_of(client, world.other_donor, 2, serial_number="PANNE") for _ in range(3)]
    everything = [*good[:5], *doomed, *good[5:]]
    for tags in everything:
        assert (await batch(client, world.reconditioner, "collect", tags)).status_code == 200
    insert = certificates_service.insert_issued

    async def insert_unless_doomed(document: Any, *args: Any) -> None:
        if any(d.serial_number == "PANNE" for d in document.devices):
            raise RuntimeError("disque plein")  # after the number was taken
        await insert(document, *args)

    monkeypatch.setattr(certificates_service, "insert_issued", insert_unless_doomed)

    responses = await asyncio.gather(
        *[close_pickup(client, world.reconditioner, tags[0]) for tags in everything]
    )

    assert [r.status_code for r in responses] == [200] * 5 + [500] * 3 + [200] * 5
    issued = sorted(r.json()["certificate"]["number"] for r in responses if r.status_code == 200)
    assert issued == [number("DON", i) for i in range(1, BATCHES + 1)]
    [counter] = await Counter.select(Counter.value).where(Counter.name == f"DON-{year()}")
    assert counter["value"] == BATCHES
    assert await Pickup.count().where(Pickup.status == "open") == 3
