"""Every text the API and the forms accept can be printed: one-line fields refuse line breaks,
addresses and notes have a bounded number of lines; both sides of each limit, wording pinned."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from collecte.domain.vocabulary import Role
from tests.api.test_pages import csrf_token, sign_in
from tests.factory import device, make_account, make_world

# The words each field is said by (the forms' labels), never its API name.
LABELS = {
    "brand": "Marque",
    "model": "Modèle",
    "serial_number": "N° de série",
    "condition": "État",
    "name": "Raison sociale",
    "short_name": "Nom court",
    "city": "Commune",
    "phone": "Téléphone",
    "ridet": "RIDET",
    "email": "E-mail",
}
ONE_LINE = (
    "Le champ « {field} » doit tenir sur une ligne, sans saut de ligne ni caractère de contrôle."
)


def refused(response: httpx.Response, field: str, sentence: str) -> None:
    """The answer is a 422 naming `field` and saying `sentence`."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["extra"]["field"] == field
    assert sentence in body["detail"]


@pytest.mark.parametrize("field", ["brand", "model", "serial_number", "condition"])
@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\tb", "a\x1bb", "a\u2028b", "a\x85b"])
async def test_a_device_one_line_field_refuses_breaks_and_controls(
    client: httpx.AsyncClient, field: str, bad: str
) -> None:
    donor = await make_account(Role.DONOR)

    response = await client.post(
        "/api/donations", json={"devices": [device(**{field: bad})]}, headers=donor.headers
    )

    refused(response, f"devices[0].{field}", ONE_LINE.format(field=f"{LABELS[field]} (appareil 1)"))


async def test_the_issue_s_75_line_brand_is_refused_at_input(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    brand = "\n".join(["ab"] * 75)  # 149 characters: within the length limit

    response = await client.post(
        "/api/donations", json={"devices": [device(brand=brand)]}, headers=donor.headers
    )

    refused(response, "devices[0].brand", ONE_LINE.format(field="Marque (appareil 1)"))


async def test_a_device_brand_of_200_wide_characters_is_accepted_201_refused(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)

    at_limit = await client.post(
        "/api/donations", json={"devices": [device(brand="W" * 200)]}, headers=donor.headers
    )
    over = await client.post(
        "/api/donations", json={"devices": [device(brand="W" * 201)]}, headers=donor.headers
    )

    assert at_limit.status_code == 201, at_limit.text
    assert over.status_code == 422
    assert over.json()["detail"] == "Appareil n° 1 : Le champ « Marque » dépasse 200 caractères."


async def test_a_csv_cell_with_a_line_break_is_refused_naming_its_line(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    created = await client.post(
        "/api/donations", json={"devices": [device()]}, headers=donor.headers
    )
    csv = 'category,brand\nlaptop,"Dell\nLatitude"\n'

    response = await client.post(
        f"/api/donations/{created.json()['id']}/devices/import",
        content=csv.encode(),
        headers={**donor.headers, "content-type": "text/csv"},
    )

    assert response.status_code == 422
    assert "Ligne 3 : " + ONE_LINE.format(field="Marque") in response.json()["detail"]


@pytest.mark.parametrize(
    ("field", "limit", "sentence"),
    [
        ("pickup_address", 6, "Le champ « Adresse d’enlèvement » dépasse 6 lignes."),
        ("notes", 20, "Le champ « Remarques » dépasse 20 lignes."),
    ],
)
async def test_donation_multi_line_fields_keep_their_number_of_lines(
    client: httpx.AsyncClient, field: str, limit: int, sentence: str
) -> None:
    donor = await make_account(Role.DONOR)

    def body(lines: int) -> dict[str, Any]:
        return {field: "\r\n".join(f"ligne {i}" for i in range(lines)), "devices": [device()]}

    at_limit = await client.post("/api/donations", json=body(limit), headers=donor.headers)
    over = await client.post("/api/donations", json=body(limit + 1), headers=donor.headers)

    assert at_limit.status_code == 201, at_limit.text
    refused(over, field, sentence)


async def test_an_organisation_address_of_six_lines_is_kept_seven_refused(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)

    def body(name: str, lines: int) -> dict[str, Any]:
        return {"name": name, "kind": "donor", "address": "\n".join(["rue"] * lines)}

    at_limit = await client.post(
        "/api/organizations", json=body("Six", 6), headers=coordinator.headers
    )
    over = await client.post(
        "/api/organizations", json=body("Sept", 7), headers=coordinator.headers
    )
    issue = await client.post(
        "/api/organizations", json=body("250", 250), headers=coordinator.headers
    )

    assert at_limit.status_code == 201, at_limit.text
    assert at_limit.json()["address"] == "\n".join(["rue"] * 6)
    refused(over, "address", "Le champ « Adresse » dépasse 6 lignes.")
    refused(issue, "address", "Le champ « Adresse » dépasse 6 lignes.")


@pytest.mark.parametrize("field", ["name", "short_name", "ridet", "email", "phone", "city"])
async def test_organisation_one_line_fields_refuse_line_breaks(
    client: httpx.AsyncClient, field: str
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    body = {"name": "Ateliers", "kind": "donor", field: "12\n34"}

    response = await client.post("/api/organizations", json=body, headers=coordinator.headers)

    refused(response, field, ONE_LINE.format(field=LABELS[field]))


async def test_a_user_name_is_one_line_of_at_most_200_characters(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()

    def body(email: str, name: str) -> dict[str, Any]:
        return {
            "email": email,
            "password": "un mot de passe long",
            "organization_id": world.donor.organization_id,
            "full_name": name,
        }

    headers = world.coordinator.headers
    at_limit = await client.post("/api/users", json=body("a@x.nc", "é" * 200), headers=headers)
    over = await client.post("/api/users", json=body("b@x.nc", "é" * 201), headers=headers)
    broken = await client.post("/api/users", json=body("c@x.nc", "Jean\nWaya"), headers=headers)

    assert at_limit.status_code == 201, at_limit.text
    refused(over, "full_name", "Le champ « Nom complet » dépasse 200 caractères.")
    refused(broken, "full_name", ONE_LINE.format(field="Nom complet"))


async def test_the_organisation_form_names_the_address_over_its_lines(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await sign_in(client, world.coordinator)
    page = await client.get("/coordination/organisations")

    response = await client.post(
        "/coordination/organisations",
        data={
            "name": "Lignes",
            "kind": "donor",
            "address": "\n".join(["rue"] * 7),
            "_csrf_token": csrf_token(page),
        },
    )

    assert response.status_code == 422
    assert "Le champ « Adresse » dépasse 6 lignes." in response.text.replace("&#34;", '"')


async def test_the_donation_form_names_a_brand_with_a_control_character(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await sign_in(client, world.donor)
    page = await client.get("/dons/nouveau?appareils=1")

    response = await client.post(
        "/dons/nouveau",
        data={"category": ["laptop"], "brand": ["Dell\x0bE7450"], "_csrf_token": csrf_token(page)},
        files={"x": b""},
    )

    assert response.status_code == 422
    assert ONE_LINE.format(field="Marque") in response.text.replace("\u00a0", " ")
