"""Scanning without network, over HTTP: the routes the phone's queue of scans uses, the manifest,
the service worker, the page shown offline, and the words the pages give their scripts.

The browser side (the queue in IndexedDB, the service worker serving pages offline, the camera)
is tests/browser/test_offline_scanning.py.
"""

from __future__ import annotations

import json
import re
from html import unescape

import httpx

from collecte.db.tables import DeviceEvent, IdempotencyRecord
from collecte.domain.tags import display
from tests.api.test_pages import sign_in
from tests.factory import act, make_donation, make_world

KEY = "9b2f6a4e-0d1c-4b8e-9f51-3c7a2e6d8b10"


def _data(page: httpx.Response, name: str) -> str:
    """The value of the `data-{name}` attribute on the page (the first one)."""
    match = re.search(rf"data-{name}=(['\"])(.*?)\1", page.text, re.S)
    assert match, name
    return unescape(match.group(2))


async def _state(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.get("/scan/etat")
    assert response.status_code == 200
    state: dict[str, object] = response.json()
    return state


async def _send(
    client: httpx.AsyncClient, code: str, fields: list[list[str]], key: str | None = KEY
) -> httpx.Response:
    token = str((await _state(client))["csrf_token"])
    headers = {"X-CSRFToken": token, **({"Idempotency-Key": key} if key else {})}
    return await client.post("/scan/envoi", json={"code": code, "fields": fields}, headers=headers)


async def _events(tag: str, action: str) -> int:
    return await DeviceEvent.count().where(
        (DeviceEvent.device.tag == tag) & (DeviceEvent.action == action)
    )


async def test_a_kept_scan_is_applied_once_however_often_it_is_sent(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    await sign_in(client, world.reconditioner)

    first = await _send(client, f"http://collecte.test/D/{tag.lower()}", [["action", "collect"]])
    again = await _send(client, tag, [["action", "collect"]])
    other_key = await _send(client, tag, [["action", "collect"]], key="another-key")

    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["result"] == "applied"
    assert (answer["tag"], answer["label"], answer["status"]) == (tag, display(tag), "collected")
    said = f"{display(tag)} : « Collecter » enregistré, l’appareil est « Collecté »."
    assert answer["message"] == said
    assert answer["seen"]
    # The same key: the first answer again, nothing done twice.
    assert again.status_code == 200 and again.json()["result"] == "applied"
    assert await _events(tag, "collect") == 1
    assert await IdempotencyRecord.count() == 1
    # Another key is another scan: the rules answer it, in words, with the status code.
    assert other_key.status_code == 409
    refused = other_key.json()
    assert refused["result"] == "refused" and refused["code"] == "wrong_status"
    assert refused["message"].replace("\u00a0", " ") == (
        "« Collecter » impossible : l’appareil est « Collecté » alors qu’il devrait être "
        "« Enregistré ». Cette étape est déjà faite."
    )
    assert await _events(tag, "collect") == 1


async def test_a_kept_scan_takes_the_action_form_fields(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    for action in ("collect", "receive"):
        assert (await act(client, world.reconditioner, tag, action)).status_code == 200
    await sign_in(client, world.reconditioner)
    fields = [
        ["action", "wipe"],
        ["media-0-serial", "S4EL-1"],
        ["media-0-kind", "ssd"],
        ["media-0-technique", "crypto_erase"],
        ["media-0-tool", "nwipe"],
        ["media-0-tool_version", "0.38"],
        ["media-0-result", "erased"],
        ["media-0-verification", "full"],
    ]

    missing = await _send(client, tag, fields[:-1], key="wipe-without-verification")
    done = await _send(client, tag, fields, key="wipe")

    assert missing.status_code == 422
    assert missing.json()["result"] == "refused"
    assert "Vérification" in missing.json()["message"]
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "wiped" and done.json()["certificate"].startswith("EFF-")


async def test_bad_sends_are_refused_in_words(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    await sign_in(client, world.reconditioner)
    wrong_check = tag[:-1] + ("0" if tag[-1] != "0" else "1")

    no_key = await _send(client, tag, [["action", "collect"]], key=None)
    long_key = await _send(client, tag, [["action", "collect"]], key="k" * 201)
    longest_key = await _send(client, tag, [["action", "collect"]], key="k" * 200)
    typo = await _send(client, wrong_check, [["action", "collect"]], key="typo")
    unknown = await _send(client, tag, [["action", "fly"]], key="unknown-action")

    assert no_key.status_code == 422 and no_key.json()["code"] == "idempotency_key_missing"
    assert no_key.json()["message"] == "Envoi sans Idempotency-Key : rien n’a été fait."
    assert long_key.status_code == 422
    assert "1 à 200 caractères" in long_key.json()["message"]
    assert longest_key.status_code == 200, longest_key.text
    assert typo.status_code == 422 and typo.json()["code"] == "invalid_tag"
    assert "le caractère de contrôle ne correspond pas" in typo.json()["message"]
    assert unknown.status_code == 422 and unknown.json()["result"] == "refused"
    assert "Action « fly » inconnue" in unknown.json()["message"]
    assert await _events(tag, "collect") == 1


async def test_a_send_without_a_session_keeps_nothing_and_says_sign_in(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    state = await _state(client)

    response = await client.post(
        "/scan/envoi",
        json={"code": tag, "fields": [["action", "collect"]]},
        headers={"X-CSRFToken": str(state["csrf_token"]), "Idempotency-Key": KEY},
    )
    without_token = await client.post(
        "/scan/envoi",
        json={"code": tag, "fields": [["action", "collect"]]},
        headers={"Idempotency-Key": KEY},
    )

    assert state["user_id"] is None and state["csrf_token"]
    assert response.status_code == 401
    assert response.json() == {
        "result": "signed_out",
        "message": "Session expirée : reconnectez-vous.",
    }
    assert without_token.status_code == 403  # the CSRF check, as for every form
    assert await _events(tag, "collect") == 0


async def test_the_queue_state_names_the_signed_in_user_and_a_fresh_token(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await sign_in(client, world.association)

    state = await _state(client)

    assert state["user_id"] == world.association.user_id
    assert state["password_change_required"] is False
    # The token works for the queue's sends even when the page that asked is older.
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    response = await client.post(
        "/scan/envoi",
        json={"code": tag, "fields": [["action", "confirm_receipt"]]},
        headers={"X-CSRFToken": str(state["csrf_token"]), "Idempotency-Key": KEY},
    )
    assert response.status_code in (403, 404)  # refused by the rules, not by the CSRF check
    assert response.json()["result"] == "refused"


async def test_the_batch_page_gives_its_script_the_refusals_and_the_words(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await sign_in(client, world.reconditioner)

    page = await client.get("/scan?action=receive")
    english = await client.get("/scan?action=receive&lang=en")

    refusals = json.loads(_data(page, "refusals"))
    assert set(refusals) == {"storage", "no_storage"}
    assert "collected" not in refusals["storage"] and "returned" not in refusals["storage"]
    assert refusals["storage"]["registered"].replace("\u00a0", " ") == (
        "« Réceptionner à l’atelier » impossible : l’appareil est « Enregistré » alors qu’il "
        "devrait être « Collecté » ou « Rendu par l’association ». Il faut d’abord « Collecter »."
    )
    assert json.loads(_data(page, "statuses"))["collected"] == "Collecté"
    assert json.loads(_data(page, "actions"))["receive"] == "Réceptionner à l’atelier"
    assert _data(page, "user") == str(world.reconditioner.user_id)
    assert _data(page, "msg-tag-check").startswith("Étiquette « {tag} » invalide")
    assert _data(page, "decoder-url").startswith("/static/vendor/qr/decode.js?v=")
    assert "Envoyer maintenant" in page.text
    english_refusals = json.loads(_data(english, "refusals"))
    assert english_refusals["storage"]["registered"].startswith("“Receive at the workshop”")
    assert _data(english, "msg-tag-check").startswith("Invalid tag “{tag}”")
    assert "Send now" in english.text


async def test_the_device_page_says_what_the_phone_keeps_of_it(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    await sign_in(client, world.reconditioner)

    page = await client.get(f"/d/{tag}")

    assert _data(page, "tag") == tag
    assert _data(page, "status") == "registered"
    assert _data(page, "has-storage") == "true"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*\+00:00", _data(page, "seen"))
    assert 'src="/static/offline.js?v=' in page.text


async def test_the_manifest_and_the_service_worker(client: httpx.AsyncClient) -> None:
    french = await client.get("/manifest.webmanifest")
    english = await client.get("/manifest.webmanifest?lang=en")
    worker = await client.get("/sw.js")
    icons = [await client.get(icon["src"]) for icon in french.json()["icons"]]
    apple = await client.get("/static/icons/apple-touch-icon.png")
    page = await client.get("/connexion")

    assert french.status_code == 200
    assert french.headers["content-type"].startswith("application/manifest+json")
    manifest = french.json()
    assert manifest["start_url"] == "/scan" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["description"] == "Scanner les étiquettes des appareils, même sans réseau."
    assert english.json()["description"] == "Scan the devices’ labels, even without network."
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in [*icons, apple]:
        assert icon.status_code == 200 and icon.content.startswith(b"\x89PNG")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"
    assert "{{" not in worker.text and 'var VERSION = "' in worker.text
    assert re.search(r'var SHELL = "collecte-shell-[0-9a-f]{16}"', worker.text)
    # The pages' policy allows the site's own worker and manifest, and nothing evaluated.
    policy = page.headers["content-security-policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy
    assert "unsafe" not in policy and "script-src" not in policy  # default-src 'self' only
    assert worker.headers["content-security-policy"] == policy
    assert 'rel="manifest" href="/manifest.webmanifest?lang=fr"' in page.text
    assert 'rel="apple-touch-icon"' in page.text


async def test_the_offline_page_names_no_one(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.reconditioner)

    page = await client.get("/hors-ligne")

    assert page.status_code == 200
    assert "Pas de réseau" in page.text
    assert world.reconditioner.email not in page.text
    assert "Se déconnecter" not in page.text
    assert _data(page, "user") == ""
