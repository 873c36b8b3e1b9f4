"""Sessions kept in the database: what ends a token, provisional passwords, users, reset links."""

from __future__ import annotations

from datetime import timedelta

import httpx

from collecte.db.tables import PasswordReset, User, UserSession
from collecte.domain.clock import now
from collecte.domain.vocabulary import Role
from tests.factory import PASSWORD, Account, make_account, make_organization

NEW_PASSWORD = "la-pirogue-rouge-de-poindimié"


async def _sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_session_ended(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["extra"]["code"] == "session_ended"
    assert response.json()["detail"] == (
        "Session terminée (déconnexion ou compte modifié) : reconnectez-vous."
    )


# --- logout -----------------------------------------------------------------------------------


async def test_logout_refuses_that_token_at_once_and_only_that_one(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    first = await _sign_in(client, donor.email)
    second = await _sign_in(client, donor.email)
    assert (await client.get("/api/donations", headers=_bearer(first))).status_code == 200

    out = await client.post("/api/auth/logout", headers=_bearer(first))

    assert out.status_code == 204
    _assert_session_ended(await client.get("/api/donations", headers=_bearer(first)))
    _assert_session_ended(await client.post("/api/auth/logout", headers=_bearer(first)))
    assert (await client.get("/api/donations", headers=_bearer(second))).status_code == 200
    row = await UserSession.select().where(UserSession.ended_at.is_not_null()).first()
    assert row is not None and row["end_reason"] == "logout"


async def test_a_token_whose_session_row_is_gone_is_refused(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    await UserSession.delete().where(UserSession.account == donor.user_id)

    _assert_session_ended(await client.get("/api/donations", headers=donor.headers))


# --- users: list, deactivate, rename ------------------------------------------------------------


async def test_the_coordination_lists_everyone_others_their_organisation(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    colleague = await make_account(
        Role.DONOR, {"id": donor.organization_id, "name": donor.organization_name}
    )
    await make_account(Role.DONOR)

    everyone = await client.get("/api/users", headers=coordinator.headers)
    mine = await client.get("/api/users", headers=donor.headers)

    assert everyone.status_code == 200 and len(everyone.json()) == 4
    assert {user["id"] for user in mine.json()} == {donor.user_id, colleague.user_id}
    first = mine.json()[0]
    assert set(first) == {
        "id",
        "email",
        "full_name",
        "role",
        "organization_id",
        "organization_name",
        "is_active",
        "password_change_required",
    }
    assert first["role"] == "donor" and first["is_active"] is True


async def test_deactivating_ends_every_session_and_sign_in(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    other_token = await _sign_in(client, donor.email)

    response = await client.patch(
        f"/api/users/{donor.user_id}", json={"is_active": False}, headers=coordinator.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    _assert_session_ended(await client.get("/api/donations", headers=donor.headers))
    _assert_session_ended(await client.get("/api/donations", headers=_bearer(other_token)))
    refused = await client.post(
        "/api/auth/login", json={"email": donor.email, "password": PASSWORD}
    )
    assert refused.status_code == 401
    back = await client.patch(
        f"/api/users/{donor.user_id}", json={"is_active": True}, headers=coordinator.headers
    )
    assert back.json()["is_active"] is True
    # Reactivating does not bring an ended session back: the user signs in again.
    _assert_session_ended(await client.get("/api/donations", headers=donor.headers))
    assert await _sign_in(client, donor.email)


async def test_a_coordinator_cannot_deactivate_itself(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)

    response = await client.patch(
        f"/api/users/{coordinator.user_id}", json={"is_active": False}, headers=coordinator.headers
    )

    assert response.status_code == 409
    assert response.json()["extra"] == {"code": "own_account", "field": "is_active"}
    assert "propre compte" in response.json()["detail"]
    assert (await client.get("/api/users", headers=coordinator.headers)).status_code == 200


async def test_renaming_shows_at_once_in_what_the_user_does(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)

    renamed = await client.patch(
        f"/api/users/{donor.user_id}",
        json={"full_name": "Jeanne Wamytan"},
        headers=coordinator.headers,
    )
    created = await client.post(
        "/api/donations", json={"devices": [{"category": "laptop"}]}, headers=donor.headers
    )

    assert renamed.status_code == 200 and renamed.json()["full_name"] == "Jeanne Wamytan"
    tag = created.json()["devices"][0]["tag"]
    device = await client.get(f"/api/devices/{tag}", headers=donor.headers)
    assert device.json()["events"][0]["actor"]["name"] == "Jeanne Wamytan"


async def test_bad_user_changes_are_refused_naming_the_problem(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)

    unknown = await client.patch(
        "/api/users/999999", json={"is_active": False}, headers=coordinator.headers
    )
    zero = await client.patch(
        "/api/users/0", json={"is_active": False}, headers=coordinator.headers
    )
    field = await client.patch(
        f"/api/users/{donor.user_id}", json={"email": "x@y.nc"}, headers=coordinator.headers
    )
    typed = await client.patch(
        f"/api/users/{donor.user_id}", json={"is_active": "non"}, headers=coordinator.headers
    )
    by_donor = await client.patch(
        f"/api/users/{donor.user_id}", json={"full_name": "Moi"}, headers=donor.headers
    )

    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Compte 999999 introuvable."
    assert zero.status_code in (400, 404, 422)
    assert field.status_code == 422 and "email" in field.json()["detail"]
    assert typed.status_code == 422 and typed.json()["extra"]["field"] == "is_active"
    assert by_donor.status_code == 403


# --- changing one's password --------------------------------------------------------------------


async def test_changing_the_password_ends_every_session_and_brings_a_new_one(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    other = await _sign_in(client, donor.email)

    response = await client.post(
        "/api/auth/password",
        json={"current": PASSWORD, "new": NEW_PASSWORD},
        headers=donor.headers,
    )

    assert response.status_code == 200, response.text
    fresh = response.json()["access_token"]
    assert response.json()["password_change_required"] is False
    _assert_session_ended(await client.get("/api/donations", headers=donor.headers))
    _assert_session_ended(await client.get("/api/donations", headers=_bearer(other)))
    assert (await client.get("/api/donations", headers=_bearer(fresh))).status_code == 200
    old = await client.post("/api/auth/login", json={"email": donor.email, "password": PASSWORD})
    assert old.status_code == 401
    assert await _sign_in(client, donor.email, NEW_PASSWORD)


async def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)

    async def change(current: str, new: str) -> httpx.Response:
        return await client.post(
            "/api/auth/password", json={"current": current, "new": new}, headers=donor.headers
        )

    wrong = await change("pas-le-bon-mot-de-passe", NEW_PASSWORD)
    eleven = await change(PASSWORD, "k7#vQ2!mZp9")
    common = await change(PASSWORD, "qwerty123456")
    same = await change(PASSWORD, PASSWORD)

    assert wrong.status_code == 422
    assert wrong.json()["extra"] == {"code": "wrong_password", "field": "current"}
    assert eleven.status_code == 422
    assert eleven.json()["extra"] == {"code": "password_too_short", "field": "new"}
    assert "au moins 12 caractères" in eleven.json()["detail"]
    assert common.json()["extra"]["code"] == "password_too_common"
    assert same.json()["extra"] == {"code": "password_unchanged", "field": "new"}
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 200
    twelve = await change(PASSWORD, "k7#vQ2!mZp9x")
    assert twelve.status_code == 200


# --- provisional passwords ----------------------------------------------------------------------


async def test_a_provisional_password_allows_only_its_change_and_logout(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    workshop = await make_organization(Role.RECONDITIONER)
    created = await client.post(
        "/api/users",
        json={
            "email": "atelier@exemple.nc",
            "password": "provisoire-123",
            "organization_id": workshop["id"],
        },
        headers=coordinator.headers,
    )
    assert created.json()["password_change_required"] is True
    login = await client.post(
        "/api/auth/login", json={"email": "atelier@exemple.nc", "password": "provisoire-123"}
    )
    assert login.json()["password_change_required"] is True
    token = _bearer(login.json()["access_token"])

    refused = await client.get("/api/donations", headers=token)
    listed = await client.get("/api/users", headers=token)

    for answer in (refused, listed):
        assert answer.status_code == 403
        assert answer.json()["extra"]["code"] == "password_change_required"
        assert answer.json()["detail"] == (
            "Mot de passe provisoire : choisissez votre propre mot de passe "
            "(POST /api/auth/password) avant de continuer."
        )
    changed = await client.post(
        "/api/auth/password", json={"current": "provisoire-123", "new": NEW_PASSWORD}, headers=token
    )
    assert changed.status_code == 200, changed.text
    fresh = _bearer(changed.json()["access_token"])
    assert (await client.get("/api/donations", headers=fresh)).status_code == 200
    again = await client.post(
        "/api/auth/login", json={"email": "atelier@exemple.nc", "password": NEW_PASSWORD}
    )
    assert again.json()["password_change_required"] is False


async def test_a_provisional_password_may_sign_out(client: httpx.AsyncClient) -> None:
    user = await make_account(Role.DONOR, provisional=True)

    assert (await client.post("/api/auth/logout", headers=user.headers)).status_code == 204
    _assert_session_ended(await client.post("/api/auth/logout", headers=user.headers))


# --- reset links --------------------------------------------------------------------------------


async def _reset_link(client: httpx.AsyncClient, coordinator: Account, user_id: int) -> str:
    response = await client.post(f"/api/users/{user_id}/reset", headers=coordinator.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"].startswith("http://collecte.test/mot-de-passe/lien/")
    return str(body["url"].rsplit("/", 1)[1])


async def test_a_reset_link_sets_the_password_once_and_ends_every_session(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)

    token = await _reset_link(client, coordinator, donor.user_id)

    stored = await PasswordReset.select().first()
    assert stored is not None and token not in str(stored)  # only its hash is kept
    expires = stored["expires_at"] - stored["created_at"]
    assert expires == timedelta(hours=24)
    used = await client.post("/api/auth/reset", json={"token": token, "new": NEW_PASSWORD})
    assert used.status_code == 204, used.text
    _assert_session_ended(await client.get("/api/donations", headers=donor.headers))
    assert await _sign_in(client, donor.email, NEW_PASSWORD)
    again = await client.post("/api/auth/reset", json={"token": token, "new": NEW_PASSWORD + "!"})
    assert again.status_code == 409
    assert again.json()["extra"] == {"code": "reset_link_used", "field": "token"}
    assert "déjà servi" in again.json()["detail"]


async def test_a_reset_link_clears_a_provisional_password(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    user = await make_account(Role.DONOR, provisional=True)
    token = await _reset_link(client, coordinator, user.user_id)

    await client.post("/api/auth/reset", json={"token": token, "new": NEW_PASSWORD})

    row = await User.select(User.password_provisional).where(User.id == user.user_id).first()
    assert row == {"password_provisional": False}


async def test_an_expired_unknown_or_replaced_reset_link_is_refused(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    first = await _reset_link(client, coordinator, donor.user_id)
    second = await _reset_link(client, coordinator, donor.user_id)

    replaced = await client.post("/api/auth/reset", json={"token": first, "new": NEW_PASSWORD})
    await PasswordReset.update({PasswordReset.expires_at: now() - timedelta(seconds=1)}).where(
        PasswordReset.account == donor.user_id
    )
    expired = await client.post("/api/auth/reset", json={"token": second, "new": NEW_PASSWORD})
    weak = await client.post("/api/auth/reset", json={"token": second, "new": "court"})

    assert replaced.status_code == 404
    assert replaced.json()["extra"] == {"code": "reset_link_unknown", "field": "token"}
    assert expired.status_code == 409
    assert expired.json()["extra"] == {"code": "reset_link_expired", "field": "token"}
    assert "expiré (valable 24 h)" in expired.json()["detail"]
    assert weak.status_code == 422 and weak.json()["extra"]["field"] == "new"
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 200


async def test_a_reset_link_still_valid_a_second_before_24_hours(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    token = await _reset_link(client, coordinator, donor.user_id)
    await PasswordReset.update({PasswordReset.expires_at: now() + timedelta(seconds=5)}).where(
        PasswordReset.account == donor.user_id
    )

    used = await client.post("/api/auth/reset", json={"token": token, "new": NEW_PASSWORD})

    assert used.status_code == 204


async def test_only_the_coordination_issues_reset_links(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)

    by_donor = await client.post(f"/api/users/{donor.user_id}/reset", headers=donor.headers)
    unknown = await client.post("/api/users/999999/reset", headers=coordinator.headers)

    assert by_donor.status_code == 403
    assert unknown.status_code == 404
    assert await PasswordReset.count() == 0
