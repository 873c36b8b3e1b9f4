"""The security log: real sign-ins and account creations appear in it; the coordination reads it
(filters, pages), exports it as CSV, and it is forgotten after a year."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import pytest

from collecte.db.tables import SecurityLogEntry
from collecte.domain.clock import now
from collecte.domain.impact import noumea_day
from collecte.domain.vocabulary import Role, SecurityEvent
from collecte.services import security_log
from collecte.services.housekeeping import purge_expired
from collecte.settings import Settings
from tests.api.test_pages import csrf_token
from tests.factory import PASSWORD, Account, make_account

LOG = "/api/security-log"


async def _sign_in(client: httpx.AsyncClient, email: str, password: str) -> int:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    return response.status_code


async def _log(client: httpx.AsyncClient, coordinator: Account, **query: Any) -> dict[str, Any]:
    response = await client.get(LOG, params=query, headers=coordinator.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_sign_ins_failures_and_locks_are_recorded(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)

    assert await _sign_in(client, donor.email.upper(), PASSWORD) == 200
    assert await _sign_in(client, "personne@nulle.part", "pas-le-bon") == 401
    failures = [await _sign_in(client, donor.email, "pas-le-bon") for _ in range(5)]
    assert failures == [401] * 5
    assert await _sign_in(client, donor.email, PASSWORD) == 429  # locked, right password or not

    items = (await _log(client, coordinator))["items"]
    kinds = [item["kind"] for item in reversed(items)]  # oldest first
    assert kinds == ["sign_in", "sign_in_failed", *["sign_in_failed"] * 5, "sign_in_locked"]
    signed_in, unknown, *_, locked = reversed(items)
    assert signed_in["email"] == donor.email
    assert signed_in["actor_user_id"] == donor.user_id
    assert signed_in["actor_name"] == f"Personne {donor.email}"
    assert signed_in["client"] == "127.0.0.1"
    assert unknown["email"] == "personne@nulle.part"
    assert (unknown["actor_user_id"], unknown["actor_name"]) == (None, "")
    assert locked["email"] == donor.email
    assert locked["actor_user_id"] is None  # nobody signed in: the attempt was refused


async def test_a_sign_in_on_the_page_is_recorded_too(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    page = await client.get("/connexion")
    answer = await client.post(
        "/connexion",
        data={"email": coordinator.email, "password": PASSWORD, "_csrf_token": csrf_token(page)},
    )
    assert answer.status_code == 303

    (entry,) = (await _log(client, coordinator))["items"]
    assert (entry["kind"], entry["email"]) == ("sign_in", coordinator.email)


async def test_an_account_created_names_who_created_it(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    created = await client.post(
        "/api/users",
        json={
            "email": "Nouveau@Exemple.nc",
            "password": "un-mot-de-passe-long",
            "organization_id": donor.organization_id,
        },
        headers=coordinator.headers,
    )
    assert created.status_code == 201, created.text

    (entry,) = (await _log(client, coordinator))["items"]
    assert entry["kind"] == "user_created"
    assert entry["email"] == "nouveau@exemple.nc"
    assert entry["actor_user_id"] == coordinator.user_id
    assert entry["detail"] == f"{donor.organization_name} (donor)"


async def test_an_account_refused_leaves_no_entry(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    refused = await client.post(
        "/api/users",
        json={
            "email": coordinator.email,  # already taken
            "password": "un-mot-de-passe-long",
            "organization_id": coordinator.organization_id,
        },
        headers=coordinator.headers,
    )
    assert refused.status_code == 409
    assert (await _log(client, coordinator))["total"] == 0


async def _entries(*ages: timedelta, kind: SecurityEvent = SecurityEvent.SIGN_IN) -> None:
    at = now()
    await SecurityLogEntry.insert(
        *[SecurityLogEntry(kind=kind.value, email="a@b.nc", created_at=at - age) for age in ages]
    )


async def test_filters_by_kind_and_first_day(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    await _entries(timedelta(days=3), timedelta(minutes=1))
    await _entries(timedelta(minutes=2), kind=SecurityEvent.SIGN_IN_FAILED)
    today = noumea_day(now())

    assert (await _log(client, coordinator))["total"] == 3
    assert (await _log(client, coordinator, kind="sign_in"))["total"] == 2
    assert (await _log(client, coordinator, kind="sign_in_failed"))["total"] == 1
    assert (await _log(client, coordinator, since=today.isoformat()))["total"] == 2
    since_yesterday = (today - timedelta(days=1)).isoformat()
    assert (await _log(client, coordinator, since=since_yesterday, kind="sign_in"))["total"] == 1
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert (await _log(client, coordinator, since=tomorrow))["items"] == []


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"kind": "connexion"}, "kind", "kind"),
        ({"since": "hier"}, "since", "AAAA-MM-JJ"),
        ({"cursor": "abc"}, "cursor", "cursor"),
        ({"cursor": "0"}, "cursor", "cursor"),
        ({"limit": "0"}, "limit", "Nombre par page"),
        ({"limit": "501"}, "limit", "Nombre par page"),
    ],
)
async def test_bad_filters_are_422_naming_the_parameter(
    client: httpx.AsyncClient, query: dict[str, str], field: str, words: str
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    response = await client.get(LOG, params=query, headers=coordinator.headers)
    assert response.status_code == 422, response.text
    assert response.json()["extra"]["field"] == field
    assert words in response.json()["detail"]


async def test_pages_follow_the_cursor_to_the_oldest(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    await _entries(*[timedelta(minutes=minutes) for minutes in range(5)])

    seen: list[int] = []
    page = await _log(client, coordinator, limit=2)
    while True:
        assert page["total"] == 5
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        page = await _log(client, coordinator, limit=2, cursor=page["next_cursor"])
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    assert len((await _log(client, coordinator, limit=500))["items"]) == 5
    assert (await _log(client, coordinator, limit=5))["next_cursor"] is None
    assert (await _log(client, coordinator, limit=4))["next_cursor"] is not None


def _rows(response: httpx.Response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


async def test_the_csv_export_holds_every_entry_in_the_readers_language(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    assert await _sign_in(client, coordinator.email, PASSWORD) == 200
    assert await _sign_in(client, "=HYPERLINK(1)@x.nc", "pas-le-bon") == 401

    response = await client.get(f"{LOG}.csv", headers=coordinator.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "collecte-journal-securite-" in response.headers["content-disposition"]
    header, failed, signed_in = _rows(response)
    assert header == [
        "Date",
        "Événement",
        "Code",
        "Auteur",
        "Compte concerné",
        "Adresse IP",
        "Détail",
    ]
    assert signed_in[1:6] == [
        "Connexion",
        "sign_in",
        f"Personne {coordinator.email}",
        coordinator.email,
        "127.0.0.1",
    ]
    assert failed[1:3] == ["Échec de connexion", "sign_in_failed"]
    assert failed[4] == "'=hyperlink(1)@x.nc"  # never a formula in a spreadsheet

    english = await client.get(
        f"{LOG}.csv",
        params={"kind": "sign_in"},
        headers={**coordinator.headers, "Accept-Language": "en"},
    )
    header, only = _rows(english)
    assert header[:3] == ["Date", "Event", "Code"]
    assert only[1:3] == ["Sign in", "sign_in"]


async def test_the_coordination_page_lists_and_exports_the_log(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    assert await _sign_in(client, donor.email, "pas-le-bon") == 401
    page = await client.get("/connexion")
    await client.post(
        "/connexion",
        data={"email": coordinator.email, "password": PASSWORD, "_csrf_token": csrf_token(page)},
    )

    listing = await client.get("/coordination/securite")
    assert listing.status_code == 200
    assert "Journal de sécurité" in listing.text
    assert "Échec de connexion" in listing.text
    assert donor.email in listing.text
    assert 'href="/coordination/securite.csv"' in listing.text

    failed_only = await client.get("/coordination/securite", params={"evenement": "sign_in_failed"})
    assert donor.email in failed_only.text
    assert f"{coordinator.email}</p>" not in failed_only.text
    assert 'href="/coordination/securite.csv?evenement=sign_in_failed"' in failed_only.text

    export = await client.get("/coordination/securite.csv?evenement=sign_in_failed")
    assert export.status_code == 200
    assert [row[4] for row in _rows(export)[1:]] == [donor.email]

    bad = await client.get("/coordination/securite", params={"depuis": "hier"})
    assert bad.status_code == 422
    assert "AAAA-MM-JJ" in bad.text


async def test_the_page_is_for_the_coordination_only(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)
    page = await client.get("/connexion")
    await client.post(
        "/connexion",
        data={"email": donor.email, "password": PASSWORD, "_csrf_token": csrf_token(page)},
    )
    assert (await client.get("/coordination/securite")).status_code == 403
    assert (await client.get("/coordination/securite.csv")).status_code == 403


async def test_entries_are_kept_a_year(db: object) -> None:
    year = security_log.RETENTION
    await _entries(year + timedelta(minutes=1), year - timedelta(minutes=1), timedelta(0))

    purged = await purge_expired(Settings())

    assert purged.security_log == 1
    assert await SecurityLogEntry.count() == 2


async def test_sign_outs_deactivations_password_changes_and_resets_are_recorded(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    donor = await make_account(Role.DONOR)
    other = await make_account(Role.DONOR)
    new_password = "un-tout-nouveau-mot-de-passe-7"

    # In order: a sign-out, a deactivation and a reactivation, a password change, a reset link
    # issued then used.
    assert (await client.post("/api/auth/logout", headers=other.headers)).status_code == 204
    for active in (False, True):
        changed = await client.patch(
            f"/api/users/{donor.user_id}", json={"is_active": active}, headers=coordinator.headers
        )
        assert changed.status_code == 200, changed.text
    fresh = await client.post("/api/auth/login", json={"email": donor.email, "password": PASSWORD})
    changed = await client.post(
        "/api/auth/password",
        json={"current": PASSWORD, "new": new_password},
        headers={"Authorization": f"Bearer {fresh.json()['access_token']}"},
    )
    assert changed.status_code == 200, changed.text
    link = await client.post(f"/api/users/{other.user_id}/reset", headers=coordinator.headers)
    assert link.status_code == 201, link.text
    token = link.json()["url"].rsplit("/", 1)[-1]
    used = await client.post("/api/auth/reset", json={"token": token, "new": new_password})
    assert used.status_code == 204, used.text

    items = list(reversed((await _log(client, coordinator))["items"]))  # oldest first
    seen = [(item["kind"], item["email"]) for item in items if item["kind"] != "sign_in"]
    assert seen == [
        ("sign_out", other.email),
        ("user_deactivated", donor.email),
        ("user_reactivated", donor.email),
        ("password_changed", donor.email),
        ("password_reset", other.email),
        ("password_reset", other.email),
    ]
    by_kind = [item for item in items if item["kind"] != "sign_in"]
    assert by_kind[1]["actor_user_id"] == coordinator.user_id  # who deactivated
    assert by_kind[4]["detail"] == "Lien de réinitialisation émis (valable 24 h)"
    assert by_kind[5]["detail"] == "Nouveau mot de passe choisi avec le lien"
    assert by_kind[5]["actor_user_id"] is None  # nobody signed in: the link did it
