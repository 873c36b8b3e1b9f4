"""Corrections of typed data through the API: a device's fields, an organisation's details, an
empty donation's deletion. Each correction is recorded; issued certificates keep what they
printed."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from collecte.db.tables import Donation
from tests.documents.reading import page_texts
from tests.factory import Account, act, attest, make_donation, make_world


async def one_device(client: httpx.AsyncClient, donor: Account, **fields: Any) -> str:
    """The tag of a new donation's only device."""
    return str((await make_donation(client, donor, count=1, **fields))["devices"][0]["tag"])


async def patch(client: httpx.AsyncClient, account: Account, tag: str, body: Any) -> httpx.Response:
    return await client.patch(f"/api/devices/{tag}", json=body, headers=account.headers)


# --- devices ----------------------------------------------------------------------------------


async def test_a_donor_corrects_a_brand_and_the_log_keeps_old_and_new(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor, brand="Dell", model="Latitude 5490")

    response = await patch(client, world.donor, tag, {"brand": "HP", "model": "EliteBook 840"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["brand"], body["model"], body["status"]) == ("HP", "EliteBook 840", "registered")
    edit = body["events"][-1]
    assert edit["action"] == "edit"
    assert (edit["from_status"], edit["to_status"]) == ("registered", "registered")
    assert edit["actor"]["organization_id"] == world.donor.organization_id
    assert edit["data"] == {
        "changes": [
            {"field": "brand", "from": "Dell", "to": "HP"},
            {"field": "model", "from": "Latitude 5490", "to": "EliteBook 840"},
        ]
    }
    assert [e["action"] for e in body["events"]] == ["register", "edit"]


async def test_a_correction_keeps_the_status_and_works_after_collection(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor, year=2018)
    assert (await act(client, world.reconditioner, tag, "collect")).status_code == 200

    by_coordinator = await patch(client, world.coordinator, tag, {"year": 2019, "condition": None})

    assert by_coordinator.status_code == 200, by_coordinator.text
    body = by_coordinator.json()
    assert body["status"] == "collected" and body["year"] == 2019
    edit = body["events"][-1]
    assert (edit["from_status"], edit["to_status"]) == ("collected", "collected")
    assert edit["actor"]["role"] == "coordinator"
    assert body["reconditioner"]["id"] == world.reconditioner.organization_id


async def test_who_may_correct_a_device(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor)

    other_donor = await patch(client, world.other_donor, tag, {"brand": "HP"})
    reconditioner = await patch(client, world.reconditioner, tag, {"brand": "HP"})
    association = await patch(client, world.association, tag, {"brand": "HP"})
    anonymous = await client.patch(f"/api/devices/{tag}", json={"brand": "HP"})
    device = await client.get(f"/api/devices/{tag}", headers=world.donor.headers)

    assert other_donor.status_code == 404  # another donor's device does not exist for it
    assert reconditioner.status_code == 403
    assert reconditioner.json()["detail"] == (
        "Seuls le donateur et la coordination corrigent un appareil."
    )
    assert association.status_code == 404
    assert anonymous.status_code == 401
    assert device.json()["brand"] == "Dell"
    assert len(device.json()["events"]) == 1


async def test_unknown_and_fixed_fields_are_refused_by_name(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor)

    unknown = await patch(client, world.donor, tag, {"brand": "HP", "colour": "grey"})
    tag_field = await patch(client, world.donor, tag, {"tag": "7K3P9QXM"})
    status = await patch(client, world.donor, tag, {"status": "delivered"})
    empty = await patch(client, world.donor, tag, {})
    not_object = await patch(client, world.donor, tag, ["brand"])

    assert unknown.status_code == 422
    assert unknown.json()["extra"]["field"] == "colour"
    assert unknown.json()["detail"] == (
        "Champ « colour » inconnu (champs corrigeables : category, brand, model, serial_number, "
        "year, has_storage, condition, estimated_value_xpf, weight_kg)."
    )
    assert tag_field.status_code == 422
    assert tag_field.json()["detail"] == (
        "L’étiquette d’un appareil ne se corrige pas : c’est son identité."
    )
    assert status.status_code == 422 and status.json()["extra"]["field"] == "status"
    assert empty.status_code == 422
    assert empty.json()["detail"].startswith("Rien à corriger : donnez au moins un champ")
    assert not_object.status_code in (400, 422)
    device = await client.get(f"/api/devices/{tag}", headers=world.donor.headers)
    assert device.json()["brand"] == "Dell" and len(device.json()["events"]) == 1


async def test_a_correction_that_changes_nothing_adds_no_event(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor, brand="Dell")

    same = await patch(client, world.donor, tag, {"brand": "  Dell  ", "category": "portable"})

    assert same.status_code == 200
    assert [e["action"] for e in same.json()["events"]] == ["register"]


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ({"brand": "B" * 200}, True),
        ({"brand": "B" * 201}, False),
        ({"year": 1970}, True),
        ({"year": 1969}, False),
        ({"year": date.today().year + 1}, True),
        ({"year": date.today().year + 2}, False),
        ({"estimated_value_xpf": 0}, True),
        ({"estimated_value_xpf": -1}, False),
        ({"estimated_value_xpf": 1_000_000_000}, True),
        ({"estimated_value_xpf": 1_000_000_001}, False),
        ({"weight_kg": 1000}, True),
        ({"weight_kg": 1000.5}, False),
        ({"weight_kg": 0}, False),
        ({"category": None}, False),
        ({"category": "frigo"}, False),
        ({"serial_number": "SN\n2"}, False),
    ],
)
async def test_corrections_follow_the_registration_limits(
    client: httpx.AsyncClient, body: dict[str, Any], accepted: bool
) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor)

    response = await patch(client, world.donor, tag, body)

    field = next(iter(body))
    if accepted:
        assert response.status_code == 200, response.text
        assert response.json()["events"][-1]["data"]["changes"][0]["field"] == field
    else:
        assert response.status_code == 422, response.text
        assert response.json()["extra"]["field"] == field


async def test_a_cleared_weight_goes_back_to_the_category_default(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor, category="monitor", weight_kg=9)

    cleared = await patch(client, world.donor, tag, {"weight_kg": None})
    recategorised = await patch(client, world.donor, tag, {"category": "laptop"})

    assert cleared.json()["weight_estimated"] is True
    default_monitor = cleared.json()["weight_kg"]
    changes = recategorised.json()["events"][-1]["data"]["changes"]
    assert [c["field"] for c in changes] == ["category", "weight_kg"]
    assert changes[1]["from"] == default_monitor
    assert recategorised.json()["weight_estimated"] is True


async def test_storage_can_be_removed_only_while_registered(client: httpx.AsyncClient) -> None:
    world = await make_world()
    registered = await one_device(client, world.donor)
    collected = await one_device(client, world.donor)
    assert (await act(client, world.reconditioner, collected, "collect")).status_code == 200

    before = await patch(client, world.donor, registered, {"has_storage": False})
    after = await patch(client, world.coordinator, collected, {"has_storage": False})
    added_back = await patch(client, world.donor, registered, {"has_storage": True})

    assert before.status_code == 200 and before.json()["has_storage"] is False
    assert after.status_code == 409
    assert after.json()["extra"]["code"] == "storage_locked"
    assert after.json()["detail"] == (
        "Le stockage de données ne peut plus être retiré : l’appareil est « Collecté ». "
        "Son effacement est l’affaire de l’atelier."
    )
    assert added_back.status_code == 200 and added_back.json()["has_storage"] is True


async def test_an_issued_certificate_keeps_what_it_printed(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor, brand="Dell", serial_number="SN-AVANT-42")
    number = await attest(client, world.reconditioner, [tag])  # collected, pickup closed
    first = await client.get(f"/api/certificates/{number}/pdf", headers=world.donor.headers)
    meta = await client.get(f"/api/certificates/{number}", headers=world.donor.headers)

    edited = await patch(
        client, world.donor, tag, {"brand": "Lenovo", "serial_number": "SN-APRES-42"}
    )
    again = await client.get(f"/api/certificates/{number}/pdf", headers=world.donor.headers)
    meta_again = await client.get(f"/api/certificates/{number}", headers=world.donor.headers)

    assert edited.status_code == 200
    assert again.content == first.content
    assert meta_again.json()["sha256"] == meta.json()["sha256"]
    text = " ".join(page_texts(again.content))
    assert "SN-AVANT-42" in text and "Dell" in text
    assert "SN-APRES-42" not in text and "Lenovo" not in text


async def test_totals_follow_a_corrected_category_and_value(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = await one_device(client, world.donor, category="laptop", estimated_value_xpf=1000)
    assert (await act(client, world.reconditioner, tag, "collect")).status_code == 200

    await patch(client, world.donor, tag, {"category": "tablet", "estimated_value_xpf": 5000})
    totals = await client.get("/api/totals", headers=world.coordinator.headers)

    by_category = totals.json()["devices"]["by_category"]
    assert by_category["tablet"] == 1 and by_category["laptop"] == 0
    assert totals.json()["declared_value_xpf"] == 5000


# --- organisations ------------------------------------------------------------------------------


async def test_a_coordinator_corrects_an_organisation_and_its_history_keeps_it(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    org = world.donor.organization_id

    response = await client.patch(
        f"/api/organizations/{org}",
        json={"ridet": "1234567.001", "address": "12 rue de Sébastopol\nNouméa"},
        headers=world.coordinator.headers,
    )
    history = await client.get(
        f"/api/organizations/{org}/history", headers=world.coordinator.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["ridet"] == "1234567.001"
    assert response.json()["kind"] == "donor"
    assert history.status_code == 200
    [edit] = history.json()
    assert edit["actor"]["user_id"] == world.coordinator.user_id
    assert edit["changes"] == [
        {"field": "ridet", "from": None, "to": "1234567.001"},
        {"field": "address", "from": None, "to": "12 rue de Sébastopol\nNouméa"},
    ]


async def test_organisation_corrections_are_for_coordinators(client: httpx.AsyncClient) -> None:
    world = await make_world()
    org = world.donor.organization_id

    own = await client.patch(
        f"/api/organizations/{org}", json={"city": "Koné"}, headers=world.donor.headers
    )
    history = await client.get(f"/api/organizations/{org}/history", headers=world.donor.headers)
    missing = await client.patch(
        "/api/organizations/999999", json={"city": "Koné"}, headers=world.coordinator.headers
    )
    missing_history = await client.get(
        "/api/organizations/999999/history", headers=world.coordinator.headers
    )
    zero = await client.patch(
        "/api/organizations/0", json={"city": "Koné"}, headers=world.coordinator.headers
    )

    assert own.status_code == 403
    assert own.json()["detail"] == "Réservé à la coordination du programme."
    assert history.status_code == 403
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Organisation 999999 introuvable."
    assert missing_history.status_code == 404
    assert zero.status_code in (400, 422)


async def test_organisation_corrections_are_checked(client: httpx.AsyncClient) -> None:
    world = await make_world()
    org = world.donor.organization_id
    coordinator = world.coordinator.headers

    async def send(body: Any) -> httpx.Response:
        return await client.patch(f"/api/organizations/{org}", json=body, headers=coordinator)

    kind = await send({"kind": "association"})
    unknown = await send({"siret": "123"})
    taken = await send({"name": world.other_donor.organization_name})
    blank_name = await send({"name": "  "})
    name_200 = await send({"name": "N" * 200})
    name_201 = await send({"name": "N" * 201})
    bad_ridet = await send({"ridet": "abc"})
    bad_email = await send({"email": "pas-un-mail"})
    bad_language = await send({"language": "de"})
    same = await send({"name": "N" * 200})
    history = await client.get(f"/api/organizations/{org}/history", headers=coordinator)

    assert kind.status_code == 422 and kind.json()["extra"]["field"] == "kind"
    assert kind.json()["detail"] == (
        "Le type d’une organisation ne se corrige pas : c’est le rôle de ses comptes."
    )
    assert unknown.status_code == 422 and unknown.json()["extra"]["field"] == "siret"
    assert taken.status_code == 409
    assert taken.json()["detail"] == (
        f"Une organisation s’appelle déjà « {world.other_donor.organization_name} »."
    )
    assert blank_name.status_code == 422
    assert blank_name.json()["detail"] == "Le champ « Raison sociale » est obligatoire."
    assert name_200.status_code == 200
    assert name_201.status_code == 422
    assert name_201.json()["detail"] == "Le champ « Raison sociale » dépasse 200 caractères."
    assert bad_ridet.status_code == 422
    assert bad_ridet.json()["detail"] == "Le RIDET doit être composé de chiffres (ex. 1234567.001)."
    assert bad_email.status_code == 422 and bad_email.json()["detail"] == "Adresse e-mail invalide."
    assert bad_language.status_code == 422
    assert same.status_code == 200
    assert len(history.json()) == 1  # only the accepted change of name


# --- donations ------------------------------------------------------------------------------


async def _empty_donation(client: httpx.AsyncClient, donor: Account) -> dict[str, Any]:
    response = await client.post("/api/donations", json={"devices": []}, headers=donor.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_an_empty_donation_can_be_deleted(client: httpx.AsyncClient) -> None:
    world = await make_world()
    own = await _empty_donation(client, world.donor)
    by_coordinator = await _empty_donation(client, world.donor)

    deleted = await client.delete(f"/api/donations/{own['id']}", headers=world.donor.headers)
    gone = await client.get(f"/api/donations/{own['id']}", headers=world.donor.headers)
    coordinator = await client.delete(
        f"/api/donations/{by_coordinator['id']}", headers=world.coordinator.headers
    )
    twice = await client.delete(f"/api/donations/{own['id']}", headers=world.donor.headers)

    assert deleted.status_code == 204 and deleted.content == b""
    assert gone.status_code == 404
    assert coordinator.status_code == 204
    assert twice.status_code == 404
    assert await Donation.count() == 0


async def test_a_donation_with_a_device_stays(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)

    refused = await client.delete(f"/api/donations/{donation['id']}", headers=world.donor.headers)

    assert refused.status_code == 409
    assert refused.json()["extra"]["code"] == "donation_not_empty"
    assert refused.json()["detail"] == (
        f"Le don {donation['number']} compte 1 appareil(s) : seul un don vide peut être "
        "supprimé (retirez plutôt ses appareils du don)."
    )
    assert await Donation.count() == 1


async def test_who_may_delete_a_donation(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await _empty_donation(client, world.donor)
    path = f"/api/donations/{donation['id']}"

    other_donor = await client.delete(path, headers=world.other_donor.headers)
    reconditioner = await client.delete(path, headers=world.reconditioner.headers)
    association = await client.delete(path, headers=world.association.headers)
    anonymous = await client.delete(path)
    zero = await client.delete("/api/donations/0", headers=world.coordinator.headers)

    assert other_donor.status_code == 404
    assert reconditioner.status_code == 403
    assert reconditioner.json()["detail"] == (
        "Seuls le donateur et la coordination suppriment un don."
    )
    assert association.status_code == 403
    assert anonymous.status_code == 401
    assert zero.status_code in (400, 422)
    assert await Donation.count() == 1
