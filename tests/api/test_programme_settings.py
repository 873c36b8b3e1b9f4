"""The programme's settings: kept in the database with their history, changed by the
coordination only (API and page), each field checked on both sides of its limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from collecte.db.tables import ProgrammeSetting
from tests.api.test_pages import csrf_token, post_form, sign_in
from tests.factory import Account, make_world

URL = "/api/programme/settings"


async def put(client: httpx.AsyncClient, account: Account, body: Any) -> httpx.Response:
    return await client.put(URL, json=body, headers=account.headers)


async def test_without_a_change_the_environment_defaults_stand(client: httpx.AsyncClient) -> None:
    world = await make_world()

    answer = await client.get(URL, headers=world.coordinator.headers)

    assert answer.status_code == 200
    body = answer.json()
    assert body["source"] == "environment" and body["changed_at"] is None
    assert body["name"] == "La Grande Collecte Numérique" and body["operator"] == "OPEN NC"
    assert body["legal_mention"] == ""  # no mention unless the programme writes one
    assert body["tax_receipts_eligible"] is False
    assert body["minimum_erasure_method"] == ""


async def test_a_change_is_a_new_row_and_the_latest_is_in_force(client: httpx.AsyncClient) -> None:
    world = await make_world()

    first = await put(client, world.coordinator, {"ridet": "1234567 001", "signatory_name": "A"})
    second = await put(client, world.coordinator, {"signatory_name": "B"})
    current = await client.get(URL, headers=world.coordinator.headers)
    history = await client.get(f"{URL}/history", headers=world.coordinator.headers)

    assert first.status_code == 200, first.text
    assert first.json()["ridet"] == "1234567.001"  # written as New Caledonia writes it
    assert second.status_code == 200
    assert current.json()["signatory_name"] == "B"
    assert current.json()["ridet"] == "1234567.001"  # absent from the change: kept
    assert current.json()["source"] == "database"
    assert current.json()["changed_by_name"] == f"Personne {world.coordinator.email}"
    assert [h["signatory_name"] for h in history.json()] == ["B", "A"]  # newest first
    assert await ProgrammeSetting.count() == 2


@pytest.mark.parametrize("role", ["donor", "reconditioner", "association"])
async def test_only_the_coordination_reads_or_changes_them(
    client: httpx.AsyncClient, role: str
) -> None:
    world = await make_world()
    account = getattr(world, role)

    read = await client.get(URL, headers=account.headers)
    changed = await put(client, account, {"name": "X"})
    history = await client.get(f"{URL}/history", headers=account.headers)
    anonymous = await client.get(URL)

    assert (read.status_code, changed.status_code, history.status_code) == (403, 403, 403)
    assert anonymous.status_code == 401
    assert await ProgrammeSetting.count() == 0


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ({"name": "N" * 200}, True),
        ({"name": "N" * 201}, False),
        ({"name": "  "}, False),
        ({"operator": "O" * 200}, True),
        ({"operator": "O" * 201}, False),
        ({"ridet": "1234567"}, True),
        ({"ridet": "1234567.001"}, True),
        ({"ridet": ""}, True),
        ({"ridet": "123456"}, False),
        ({"ridet": "12345678"}, False),
        ({"ridet": "1234567.01"}, False),
        ({"ridet": "1234567.0011"}, False),
        ({"signatory_name": "S" * 200}, True),
        ({"signatory_name": "S" * 201}, False),
        ({"signatory_title": "T\nU"}, False),
        ({"legal_mention": "L" * 1000}, True),
        ({"legal_mention": "L" * 1001}, False),
        ({"legal_mention": "\n".join(["l"] * 12)}, True),
        ({"legal_mention": "\n".join(["l"] * 13)}, False),
        ({"address": "A" * 500}, True),
        ({"address": "A" * 501}, False),
        ({"impact_note": "I" * 2000}, True),
        ({"impact_note": "I" * 2001}, False),
        ({"tax_receipts_eligible": True}, True),
        ({"tax_receipts_eligible": "yes"}, False),
        ({"minimum_erasure_method": "destruct"}, True),
        ({"minimum_erasure_method": ""}, True),
        ({"minimum_erasure_method": "shred"}, False),
    ],
)
async def test_each_field_is_checked_on_both_sides_of_its_limits(
    client: httpx.AsyncClient, body: dict[str, Any], accepted: bool
) -> None:
    world = await make_world()

    answer = await put(client, world.coordinator, body)

    field = next(iter(body))
    if accepted:
        assert answer.status_code == 200, answer.text
        assert await ProgrammeSetting.count() == 1
    else:
        assert answer.status_code == 422, answer.text
        assert answer.json()["extra"]["field"] == field
        assert await ProgrammeSetting.count() == 0  # nothing changed


async def test_refusals_say_which_setting_and_why(client: httpx.AsyncClient) -> None:
    world = await make_world()

    ridet = await put(client, world.coordinator, {"ridet": "12-34"})
    unknown = await put(client, world.coordinator, {"colour": "blue"})
    method = await put(client, world.coordinator, {"minimum_erasure_method": "shred"})

    assert ridet.json()["detail"] == (
        "Le champ « RIDET de l’organisme gestionnaire » doit compter 7 chiffres, suivis s’il y a "
        "lieu du point et des 3 chiffres de l’établissement (ex. 1234567.001)."
    )
    assert unknown.status_code == 422 and unknown.json()["extra"]["field"] == "colour"
    assert unknown.json()["extra"]["code"] == "unknown_field"
    assert method.json()["detail"] == (
        "Le champ « Méthode d’effacement minimale » doit valoir clear, purge, destruct ou "
        "rester vide."
    )


async def test_the_page_shows_changes_and_keeps_their_history(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.coordinator)
    page = await client.get("/coordination/reglages")
    fields = {
        "name": "La Grande Collecte Numérique",
        "operator": "OPEN NC",
        "ridet": "1234567.001",
        "address": "1 rue de la Somme\nNouméa",
        "signatory_name": "Marie Dupont",
        "signatory_title": "Présidente",
        "legal_mention": "",
        "tax_receipts_eligible": "on",
        "minimum_erasure_method": "purge",
        "impact_note": "",
        "_csrf_token": csrf_token(page),
    }

    done = await client.post("/coordination/reglages", data=fields)
    after = await client.get(done.headers["location"])
    current = (await client.get(URL, headers=world.coordinator.headers)).json()

    assert page.status_code == 200 and "Réglages du programme" in page.text
    assert "Aucune modification." in page.text
    assert (
        done.status_code == 303
        and done.headers["location"] == "/coordination/reglages?enregistre=1"
    )
    assert "Réglages enregistrés." in after.text
    assert "Historique des modifications" in after.text and "RIDET 1234567.001" in after.text
    assert current["tax_receipts_eligible"] is True
    assert current["address"] == "1 rue de la Somme\nNouméa"
    assert current["minimum_erasure_method"] == "purge"


async def test_the_page_refuses_a_bad_field_and_keeps_what_was_typed(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await sign_in(client, world.coordinator)

    refused = await post_form(
        client,
        "/coordination/reglages",
        "/coordination/reglages",
        {"name": "Programme", "operator": "OPEN NC", "ridet": "99"},
    )

    assert refused.status_code == 422
    assert "RIDET de l’organisme gestionnaire" in refused.text
    assert 'value="99"' in refused.text
    assert await ProgrammeSetting.count() == 0


async def test_the_page_is_the_coordinations(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.donor)

    page = await client.get("/coordination/reglages")

    assert page.status_code == 403
