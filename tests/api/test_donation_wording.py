"""The donation attestation's wording follows the programme's settings: no tax mention unless
written, values the donor's own estimate unless the programme holds a DSF ruling, and then
every field of the DSF model required before one is issued. And the minimum erasure method."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from collecte.db.tables import Certificate, Device, Organization, Pickup
from collecte.domain.clock import next_noumea_midnight, now
from collecte.services.pickups import close_overdue_pickups
from collecte.settings import Settings
from tests.api.test_pickups import text_of
from tests.factory import (
    WIPE,
    Account,
    World,
    act,
    close_pickup,
    make_donation,
    make_world,
    walk_to,
)

COMPLETE = {
    "ridet": "1234567.001",
    "address": "1 rue de la Somme, Nouméa",
    "signatory_name": "Marie Dupont",
    "signatory_title": "Présidente d’OPEN NC",
    "legal_mention": "Reçu délivré en application de l’article Lp. 37-2 du code des impôts.",
    "tax_receipts_eligible": True,
}


async def configure(client: httpx.AsyncClient, world: World, **fields: Any) -> None:
    answer = await client.put(
        "/api/programme/settings", json=fields, headers=world.coordinator.headers
    )
    assert answer.status_code == 200, answer.text


async def collected(client: httpx.AsyncClient, world: World, count: int = 2) -> list[str]:
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=count))["devices"]]
    answer = await client.post(
        "/api/transitions",
        json={"action": "collect", "tags": tags},
        headers=world.reconditioner.headers,
    )
    assert answer.status_code == 200, answer.text
    return tags


async def pdf_text(client: httpx.AsyncClient, account: Account, number: str) -> str:
    pdf = await client.get(f"/api/certificates/{number}/pdf", headers=account.headers)
    assert pdf.status_code == 200
    return text_of(pdf.content)


async def test_without_settings_no_mention_and_values_estimated_by_the_donor(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await collected(client, world)

    closed = await close_pickup(client, world.reconditioner, tags[0])
    text = await pdf_text(client, world.donor, closed.json()["certificate"]["number"])

    assert closed.status_code == 200, closed.text
    assert "Mention à vérifier" not in text and "Mention légale" not in text
    assert "Total, valeur estimée par le donateur" in text
    assert "Valeur estimée par le donateur, sous sa responsabilité" in text
    assert "n'est pas un reçu fiscal" in text
    assert "Arrêtée" not in text and "cinquante mille" not in text  # no amount in words
    assert "50 000 XPF" in text.replace("\u00a0", " ")


async def test_a_configured_mention_is_printed(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await configure(client, world, legal_mention="Don sans contrepartie, mention du programme.")
    tags = await collected(client, world)

    closed = await close_pickup(client, world.reconditioner, tags[0])
    text = await pdf_text(client, world.donor, closed.json()["certificate"]["number"])

    assert "Mention légale. Don sans contrepartie, mention du programme." in text
    assert "Total, valeur estimée par le donateur" in text  # not eligible: still an estimate


async def test_an_eligible_programme_missing_fields_refuses_the_receipt_whole(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await configure(client, world, tax_receipts_eligible=True, signatory_name="Marie Dupont")
    tags = await collected(client, world)

    refused = await close_pickup(client, world.reconditioner, tags[0])

    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["extra"]["code"] == "tax_receipt_incomplete"
    assert body["extra"]["missing"] == [  # the address and title have defaults
        "programme.ridet",
        "programme.legal_mention",
        "donor.ridet",
        "donor.address",
    ]
    assert body["extra"]["field"] == "programme.ridet"
    assert body["detail"] == (
        "Le programme délivre des reçus fiscaux (modèle de la DSF) : l’attestation de don ne "
        "peut être établie sans le RIDET de l’organisme bénéficiaire (réglages du programme), "
        "la mention légale (réglages du programme), le RIDET du donateur, l’adresse du "
        "donateur. Complétez-les puis recommencez."
    )
    pickup = await Pickup.select().where(Pickup.id == (await pickup_id(tags[0]))).first()
    assert pickup is not None and pickup["status"] == "open"  # nothing half-applied
    assert pickup["certificate_number"] is None
    assert await Certificate.count() == 0


async def pickup_id(tag: str) -> int:
    row = await Device.select(Device.pickup).where(Device.tag == tag).first()
    assert row is not None
    return int(row["pickup"])


async def test_an_eligible_and_complete_programme_prints_the_dsf_fields(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await configure(client, world, **COMPLETE)
    await Organization.update(
        {Organization.ridet: "7654321.002", Organization.address: "12 rue du Donateur"}
    ).where(Organization.id == world.donor.organization_id)
    tags = await collected(client, world)

    closed = await close_pickup(client, world.reconditioner, tags[0])
    number = closed.json()["certificate"]["number"]
    text = await pdf_text(client, world.donor, number)

    assert closed.status_code == 200, closed.text
    assert f"numéro d'ordre {number}" in text  # the DSF model's order number
    assert "Reçu au titre des dons" in text
    assert "RIDET : 1234567.001" in text.replace("\u00a0", " ")  # the beneficiary
    assert "1 rue de la Somme, Nouméa" in text
    assert "RIDET : 7654321.002" in text.replace("\u00a0", " ")  # the donor
    assert "12 rue du Donateur" in text
    assert "Don en nature" in text  # the form of the gift
    assert "Marie Dupont" in text and "Présidente d’OPEN NC" in text
    assert "Jeanne Wamytan" in text  # the donor's representative signed
    assert "Lp. 37-2" in text
    assert "cinquante mille francs CFP" in text  # the amount in words, as a receipt says it
    assert "estimée par le donateur" not in text


async def test_the_unsigned_close_at_the_days_end_issues_the_plain_attestation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await make_world()
    await configure(client, world, **COMPLETE)
    await collected(client, world)  # the donor has no RIDET: a receipt would be refused

    closed = await close_overdue_pickups(
        settings, clock=lambda: next_noumea_midnight(now()) + timedelta(seconds=1)
    )
    number = await Certificate.select(Certificate.number).first()
    assert number is not None
    text = await pdf_text(client, world.donor, number["number"])

    assert len(closed) == 1  # no device left without its attestation
    assert "Total, valeur estimée par le donateur" in text and "Reçu fiscal" not in text
    assert "Enlèvement clôturé sans signature" in text
    assert "Lp. 37-2" not in text  # the receipts' tax mention stays off a plain attestation


async def test_the_minimum_erasure_method_refuses_a_weaker_wipe(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await configure(client, world, minimum_erasure_method="purge")
    [tag, other] = [
        d["tag"] for d in (await make_donation(client, world.donor, count=2))["devices"]
    ]
    for each in (tag, other):
        await walk_to(client, world, each, "received")

    weak = await act(client, world.reconditioner, tag, "wipe", **{**WIPE, "method": "clear"})
    weak_medium = await act(
        client, world.reconditioner, tag, "wipe", media=[{**MEDIUM, "technique": "overwrite"}]
    )
    weak_batch = await client.post(
        "/api/transitions",
        json={"action": "wipe", "tags": [tag, other], **WIPE, "method": "clear"},
        headers=world.reconditioner.headers,
    )
    after = await client.get(f"/api/devices/{tag}", headers=world.coordinator.headers)
    enough = await act(client, world.reconditioner, tag, "wipe", **WIPE)  # purge
    stronger = await act(
        client, world.reconditioner, other, "wipe", media=[{**MEDIUM, "technique": "destruct"}]
    )

    assert weak.status_code == 422, weak.text
    assert weak.json()["extra"]["field"] == "method"
    assert weak.json()["extra"]["code"] == "erasure_below_minimum"
    assert weak.json()["extra"]["minimum"] == "purge"
    assert "en dessous du minimum fixé par le programme" in weak.json()["detail"]
    assert weak_medium.status_code == 422
    assert weak_medium.json()["extra"]["field"] == "media[0].technique"
    assert weak_batch.status_code == 422
    assert after.json()["status"] == "received"  # nothing changed
    assert enough.status_code == 200, enough.text
    assert stronger.status_code == 200, stronger.text


async def test_without_a_minimum_any_wipe_is_accepted(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = [d["tag"] for d in (await make_donation(client, world.donor, count=1))["devices"]]
    await walk_to(client, world, tag, "received")

    weak = await act(client, world.reconditioner, tag, "wipe", **{**WIPE, "method": "clear"})

    assert weak.status_code == 200, weak.text


MEDIUM = {
    "serial": "S3YNX0K812345",
    "kind": "ssd",
    "capacity_gb": 256,
    "technique": "block_erase",
    "tool": "nwipe",
    "tool_version": "0.38",
    "result": "erased",
    "verification": "full",
}
