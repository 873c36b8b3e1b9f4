"""What else ends a user's tokens, and what else counts as a guess: moving an account to another
organisation (its role follows), turning the second factor on, and wrong current passwords on
the password change, limited like sign-ins."""

from __future__ import annotations

import httpx
import pyotp

from collecte.db.tables import LoginAttempt, SecurityLogEntry, User, UserSession
from collecte.domain.vocabulary import Role
from tests.factory import PASSWORD, make_account, make_organization

NEW_PASSWORD = "la-pirogue-rouge-de-poindimié"
LOCKED = "Trop de tentatives de connexion échouées : réessayez dans quelques minutes."
WRONG_CURRENT = "Mot de passe actuel incorrect : retapez celui qui vous a servi à vous connecter."


async def _sign_in(client: httpx.AsyncClient, email: str, **extra: str) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD, **extra}
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _log(kind: str) -> list[dict[str, object]]:
    return list(
        await SecurityLogEntry.select(
            SecurityLogEntry.email, SecurityLogEntry.actor_name, SecurityLogEntry.detail
        ).where(SecurityLogEntry.kind == kind)
    )


# --- moving an account ------------------------------------------------------------------------


async def test_moving_an_account_changes_its_role_and_ends_its_sessions(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    workshop = await make_organization(Role.RECONDITIONER, name="Atelier de Koné")
    donor = await make_account(Role.DONOR)
    before = await client.get("/api/donations", headers=donor.headers)

    moved = await client.patch(
        f"/api/users/{donor.user_id}",
        json={"organization_id": workshop["id"]},
        headers=coordinator.headers,
    )

    assert before.status_code == 200
    assert moved.status_code == 200, moved.text
    assert moved.json()["role"] == "reconditioner"
    assert moved.json()["organization_id"] == workshop["id"]
    assert moved.json()["organization_name"] == "Atelier de Koné"
    # The old token carried the donor's role: it ends at once.
    ended = await client.get("/api/donations", headers=donor.headers)
    assert ended.status_code == 401 and ended.json()["extra"]["code"] == "session_ended"
    row = await UserSession.select(UserSession.end_reason).where(
        UserSession.account == donor.user_id
    )
    assert row == [{"end_reason": "role_changed"}]
    # Signed in again, the account is the workshop's.
    again = await _sign_in(client, donor.email)
    assert again.status_code == 200 and again.json()["role"] == "reconditioner"
    assert await _log("role_changed") == [
        {
            "email": donor.email,
            "actor_name": f"Personne {coordinator.email}",
            "detail": f"{donor.organization_name} (donor) → Atelier de Koné (reconditioner)",
        }
    ]


async def test_moving_to_the_same_organisation_changes_nothing(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)

    same = await client.patch(
        f"/api/users/{donor.user_id}",
        json={"organization_id": donor.organization_id},
        headers=coordinator.headers,
    )

    assert same.status_code == 200 and same.json()["role"] == "donor"
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 200
    assert await _log("role_changed") == []


async def test_a_move_to_nowhere_or_of_oneself_or_by_another_role_is_refused(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    workshop = await make_account(Role.RECONDITIONER)
    donor = await make_account(Role.DONOR)

    unknown = await client.patch(
        f"/api/users/{donor.user_id}",
        json={"organization_id": 999_999},
        headers=coordinator.headers,
    )
    zero = await client.patch(
        f"/api/users/{donor.user_id}", json={"organization_id": 0}, headers=coordinator.headers
    )
    itself = await client.patch(
        f"/api/users/{coordinator.user_id}",
        json={"organization_id": workshop.organization_id},
        headers=coordinator.headers,
    )
    not_coordination = await client.patch(
        f"/api/users/{donor.user_id}",
        json={"organization_id": workshop.organization_id},
        headers=workshop.headers,
    )

    assert unknown.status_code == 422
    assert unknown.json()["detail"] == (
        "Organisation 999999 introuvable : choisissez-en une de la liste des organisations."
    )
    assert unknown.json()["extra"] == {"code": "unknown_organization", "field": "organization_id"}
    assert zero.status_code == 422 and zero.json()["extra"]["field"] == "organization_id"
    assert itself.status_code == 409
    assert itself.json()["detail"] == (
        "Vous ne pouvez pas changer l’organisation de votre propre compte : "
        "demandez-le à une autre personne de la coordination."
    )
    assert itself.json()["extra"] == {"code": "own_account", "field": "organization_id"}
    assert not_coordination.status_code == 403
    # Nothing moved, no token ended.
    rows = await User.select(User.id, User.organization).order_by(User.id)
    assert [row["organization"] for row in rows] == [
        coordinator.organization_id,
        workshop.organization_id,
        donor.organization_id,
    ]
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 200
    assert await _log("role_changed") == []


# --- the second factor ------------------------------------------------------------------------


async def test_turning_the_second_factor_on_ends_every_other_session(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    other = (await _sign_in(client, coordinator.email)).json()["access_token"]
    started = await client.post("/api/auth/totp", headers=coordinator.headers)
    secret = started.json()["secret"]

    confirmed = await client.post(
        "/api/auth/totp/confirm",
        json={"code": pyotp.TOTP(secret).now()},
        headers=coordinator.headers,
    )

    assert confirmed.status_code == 204, confirmed.text
    # The session that turned it on goes on; the one opened with the password alone ends.
    assert (await client.get("/api/users", headers=coordinator.headers)).status_code == 200
    ended = await client.get("/api/users", headers=_bearer(other))
    assert ended.status_code == 401 and ended.json()["extra"]["code"] == "session_ended"
    reasons = await UserSession.select(UserSession.end_reason).where(
        UserSession.end_reason.is_not_null()
    )
    assert reasons == [{"end_reason": "totp_enabled"}]


# --- wrong current passwords --------------------------------------------------------------------


async def test_wrong_current_passwords_count_as_failed_sign_ins_and_lock(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)

    def change(current: str) -> object:
        return client.post(
            "/api/auth/password",
            json={"current": current, "new": NEW_PASSWORD},
            headers=donor.headers,
        )

    wrong = [await change(f"pas-le-bon-{n}") for n in range(5)]
    locked = await change(PASSWORD)  # the right one, past the limit: refused all the same

    assert [answer.status_code for answer in wrong] == [422] * 5  # type: ignore[attr-defined]
    assert wrong[0].json()["detail"] == WRONG_CURRENT  # type: ignore[attr-defined]
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert locked.json()["detail"] == LOCKED  # type: ignore[attr-defined]
    assert int(locked.headers["retry-after"]) >= 1  # type: ignore[attr-defined]
    # The sign-in of that e-mail is locked too: one counter per e-mail.
    assert (await _sign_in(client, donor.email)).status_code == 429
    assert await LoginAttempt.count().where(LoginAttempt.succeeded.eq(False)) == 5
    assert len(await _log("password_change_refused")) == 5
    stored = await User.select(User.password_hash).where(User.id == donor.user_id).first()
    assert stored is not None and "pas-le-bon" not in stored["password_hash"]


async def test_a_right_current_password_counts_as_a_success(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    for n in range(4):  # one short of the limit
        await client.post(
            "/api/auth/password",
            json={"current": f"pas-le-bon-{n}", "new": NEW_PASSWORD},
            headers=donor.headers,
        )

    changed = await client.post(
        "/api/auth/password",
        json={"current": PASSWORD, "new": NEW_PASSWORD},
        headers=donor.headers,
    )

    assert changed.status_code == 200, changed.text
    assert await LoginAttempt.count().where(LoginAttempt.succeeded.eq(True)) == 1
    assert await LoginAttempt.count().where(LoginAttempt.succeeded.eq(False)) == 4
