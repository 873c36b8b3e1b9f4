"""The account pages over HTTP: sign-out ends the session, provisional passwords, the password
page, the coordination's accounts page and the reset-link page."""

from __future__ import annotations

import re

import httpx

from collecte.db.tables import UserSession
from collecte.domain.vocabulary import Role
from tests.api.test_pages import csrf_token, post_form, sign_in
from tests.factory import PASSWORD, make_account

NEW_PASSWORD = "la-pirogue-rouge-de-poindimié"


async def test_signing_out_ends_the_session_not_only_the_cookie(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    await sign_in(client, donor)
    cookie = client.cookies["collecte_session"]

    out = await post_form(client, "/dons", "/deconnexion", {})

    assert out.status_code == 303 and out.headers["location"] == "/connexion"
    # The same token replayed, as a copied cookie or a bearer, is refused.
    client.cookies.set("collecte_session", cookie)
    replay = await client.get("/dons")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/connexion")
    bearer = await client.get("/api/donations", headers={"Authorization": f"Bearer {cookie}"})
    assert bearer.status_code == 401
    assert await UserSession.count().where(UserSession.end_reason == "logout") == 1


async def test_a_deactivated_user_s_page_session_ends_at_once(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    await sign_in(client, donor)
    assert (await client.get("/dons")).status_code == 200

    await client.patch(
        f"/api/users/{donor.user_id}", json={"is_active": False}, headers=coordinator.headers
    )

    gone = await client.get("/dons")
    assert gone.status_code == 303 and gone.headers["location"] == "/connexion?next=/dons"


async def test_a_provisional_password_sends_the_user_to_change_it(
    client: httpx.AsyncClient,
) -> None:
    user = await make_account(Role.DONOR, provisional=True)

    signed = await sign_in(client, user, "/dons")
    elsewhere = await client.get("/dons")
    page = await client.get("/mot-de-passe")

    assert signed.status_code == 303 and signed.headers["location"] == "/mot-de-passe"
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/mot-de-passe"
    assert page.status_code == 200
    assert "Votre mot de passe est provisoire : choisissez le vôtre pour continuer." in page.text
    mismatch = await client.post(
        "/mot-de-passe",
        data={
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD + "x",
            "_csrf_token": csrf_token(page),
        },
    )
    assert mismatch.status_code == 422 and "diffèrent" in mismatch.text
    weak = await client.post(
        "/mot-de-passe",
        data={
            "current": PASSWORD,
            "new": "qwerty123456",
            "confirm": "qwerty123456",
            "_csrf_token": csrf_token(page),
        },
    )
    assert weak.status_code == 422 and "parmi les plus utilisés" in weak.text
    done = await client.post(
        "/mot-de-passe",
        data={
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "_csrf_token": csrf_token(page),
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/dons"
    assert (await client.get("/dons")).status_code == 200


async def test_the_coordination_deactivates_reactivates_and_issues_a_link(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    await sign_in(client, coordinator)

    page = await client.get("/coordination/comptes")
    assert page.status_code == 200 and donor.email in page.text
    # No button to deactivate oneself.
    assert f"/coordination/comptes/{coordinator.user_id}/actif" not in page.text
    off = await post_form(
        client, "/coordination/comptes", f"/coordination/comptes/{donor.user_id}/actif", {}
    )
    assert off.status_code == 303
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 401
    listed = await client.get("/coordination/comptes")
    assert "Désactivé" in listed.text and "Réactiver" in listed.text
    on = await post_form(
        client,
        "/coordination/comptes",
        f"/coordination/comptes/{donor.user_id}/actif",
        {"is_active": "1"},
    )
    assert on.status_code == 303

    link = await post_form(
        client, "/coordination/comptes", f"/coordination/comptes/{donor.user_id}/lien", {}
    )
    assert link.status_code == 200
    found = re.search(r'value="(http://collecte\.test/mot-de-passe/lien/[^"]+)"', link.text)
    assert found, link.text[:2000]
    # Shown once: the list shown again has no link.
    assert "/mot-de-passe/lien/" not in (await client.get("/coordination/comptes")).text


async def test_the_reset_link_page_sets_the_password_once(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    issued = await client.post(f"/api/users/{donor.user_id}/reset", headers=coordinator.headers)
    path = issued.json()["url"].removeprefix("http://collecte.test")

    form = await client.get(path)
    assert form.status_code == 200 and donor.email in form.text
    done = await client.post(
        path,
        data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD, "_csrf_token": csrf_token(form)},
    )
    assert done.status_code == 200 and "Mot de passe enregistré" in done.text
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 401

    used = await client.get(path)
    assert used.status_code == 409 and "déjà servi" in used.text
    assert 'name="new"' not in used.text
    unknown = await client.get("/mot-de-passe/lien/inconnu")
    assert unknown.status_code == 404 and "Lien de réinitialisation inconnu" in unknown.text


async def test_only_the_coordination_sees_the_accounts_page(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    await sign_in(client, donor)

    page = await client.get("/coordination/comptes")

    assert page.status_code == 403


async def test_the_coordination_moves_an_account_to_another_organisation(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    association = await make_account(Role.ASSOCIATION)
    donor = await make_account(Role.DONOR)
    await sign_in(client, coordinator)

    page = await client.get("/coordination/comptes")
    # No form to move oneself; the others' forms offer every other organisation.
    assert f"/coordination/comptes/{coordinator.user_id}/organisation" not in page.text
    assert f"/coordination/comptes/{donor.user_id}/organisation" in page.text
    assert f'<option value="{association.organization_id}">' in page.text
    nothing = await post_form(
        client, "/coordination/comptes", f"/coordination/comptes/{donor.user_id}/organisation", {}
    )
    moved = await post_form(
        client,
        "/coordination/comptes",
        f"/coordination/comptes/{donor.user_id}/organisation",
        {"organization_id": str(association.organization_id)},
    )

    assert nothing.status_code == 422
    assert "Choisissez dans la liste l’organisation où passe le compte." in nothing.text
    assert moved.status_code == 303
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 401
    listed = await client.get("/api/users", headers=coordinator.headers)
    assert {"id": donor.user_id, "role": "association"}.items() <= next(
        user for user in listed.json() if user["id"] == donor.user_id
    ).items()
