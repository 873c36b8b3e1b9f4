"""The pages over HTTP (no browser): sessions, redirects, error pages, CSRF, forms → services."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from collecte.db.tables import Device, Donation
from collecte.domain import tags
from collecte.domain.clock import now
from collecte.domain.tags import display
from tests.factory import PASSWORD, WIPE, Account, act, make_donation, make_world, walk_to

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    match = _TOKEN.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


async def sign_in(
    client: httpx.AsyncClient, account: Account, next_path: str = ""
) -> httpx.Response:
    """Sign in through the form, as a browser does."""
    page = await client.get("/connexion")
    return await client.post(
        "/connexion",
        data={
            "email": account.email,
            "password": PASSWORD,
            "next": next_path,
            "_csrf_token": csrf_token(page),
        },
    )


async def post_form(
    client: httpx.AsyncClient, page_path: str, action_path: str, data: dict[str, str]
) -> httpx.Response:
    """Open a page, then submit a form to `action_path` with the page's CSRF token."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    return await client.post(action_path, data={**data, "_csrf_token": csrf_token(page)})


async def test_root_and_pages_send_the_signed_out_to_sign_in(client: httpx.AsyncClient) -> None:
    root = await client.get("/")
    dashboard = await client.get("/coordination")
    sign_in_page = await client.get("/connexion")

    assert root.status_code == 303 and root.headers["location"] == "/connexion"
    assert dashboard.status_code == 303
    assert dashboard.headers["location"] == "/connexion?next=/coordination"
    assert sign_in_page.status_code == 200
    assert sign_in_page.headers["content-type"].startswith("text/html")
    assert "Connexion" in sign_in_page.text


async def test_a_label_opens_sign_in_then_comes_back_to_the_device(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    lower = f"/d/{tag[:4].lower()}-{tag[4:].lower()}"

    first = await client.get(f"/D/{tag}")
    signed = await sign_in(client, world.reconditioner, f"/D/{tag}")
    device = await client.get(signed.headers["location"])
    forgiving = await client.get(lower)

    assert first.status_code == 303
    assert first.headers["location"] == f"/connexion?next=/D/{tag}"
    assert signed.status_code == 303 and signed.headers["location"] == f"/D/{tag}"
    assert device.status_code == 200
    assert tags.display(tag) in device.text and "Enregistré" in device.text
    assert "Collecter" in device.text  # the action a reconditioner may perform now
    assert forgiving.status_code == 200 and tags.display(tag) in forgiving.text


async def test_the_session_cookie_is_http_only_and_same_site(client: httpx.AsyncClient) -> None:
    world = await make_world()

    signed = await sign_in(client, world.donor)

    cookie = signed.headers["set-cookie"].lower()
    assert signed.status_code == 303 and signed.headers["location"] == "/dons"
    assert "collecte_session=" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # http:// public address in tests
    home = await client.get("/")
    assert home.headers["location"] == "/dons"
    signed_out = await post_form(client, "/dons", "/deconnexion", {})
    assert signed_out.status_code == 303
    assert (await client.get("/")).headers["location"] == "/connexion"


async def test_sign_in_ignores_a_next_address_off_the_site(client: httpx.AsyncClient) -> None:
    world = await make_world()

    signed = await sign_in(client, world.association, "//evil.example/phish")

    assert signed.headers["location"] == "/association"


async def test_a_wrong_password_shows_a_french_message(client: httpx.AsyncClient) -> None:
    world = await make_world()
    page = await client.get("/connexion")

    response = await client.post(
        "/connexion",
        data={"email": world.donor.email, "password": "faux", "_csrf_token": csrf_token(page)},
    )

    assert response.status_code == 401
    assert "E-mail ou mot de passe incorrect" in response.text
    assert "collecte_session" not in response.headers.get("set-cookie", "")


async def test_unknown_and_malformed_tags_get_french_error_pages(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await sign_in(client, world.coordinator)
    unknown = tags.generate()
    wrong_check = unknown[:-1] + ("0" if unknown[-1] != "0" else "1")

    missing = await client.get(f"/d/{unknown}")
    malformed = await client.get(f"/d/{wrong_check}")

    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "Aucun appareil visible" in missing.text
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("text/html")
    assert "caractère de contrôle" in malformed.text


async def test_a_form_post_without_the_csrf_token_is_refused(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    await sign_in(client, world.reconditioner)

    forged = await client.post(f"/d/{tag}", data={"action": "collect"})
    forged_sign_in = await client.post(
        "/connexion", data={"email": world.donor.email, "password": PASSWORD}
    )

    assert forged.status_code == 403
    assert forged.headers["content-type"].startswith("text/html")
    assert "formulaire a expiré" in forged.text
    assert forged_sign_in.status_code == 403
    device = await client.get(f"/api/devices/{tag}", headers=world.donor.headers)
    assert device.json()["status"] == "registered"


async def test_the_api_needs_no_csrf_token(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]

    response = await act(client, world.reconditioner, tag, "collect")

    assert response.status_code == 200, response.text


async def test_an_action_form_moves_the_device_and_links_its_certificate(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    screen = (
        await make_donation(client, world.donor, count=1, category="monitor", has_storage=False)
    )["devices"][0]["tag"]
    await act(client, world.reconditioner, screen, "collect")
    await act(client, world.reconditioner, screen, "receive")
    await sign_in(client, world.reconditioner)

    done = await post_form(client, f"/d/{tag}", f"/d/{tag}", {"action": "collect"})
    page = await client.get(done.headers["location"])
    # Collecting issues nothing (the pickup's close does); recycling issues its certificate.
    recycled = await post_form(
        client, f"/d/{screen}", f"/d/{screen}", {"action": "recycle", "channel": "Trecodec"}
    )
    number = re.search(r"certificat=(RCY-\d{4}-\d{5})", recycled.headers["location"])
    assert number, recycled.text
    pdf = await client.get(f"/certificats/{number.group(1)}.pdf")

    assert done.status_code == 303
    assert done.headers["location"] == f"/d/{tag}?fait=collect"
    assert page.status_code == 200 and "Collecté" in page.text
    assert re.search(r"Enlèvement ENL-\d{4}-\d{5}", page.text)  # the pickup it joined
    assert "Réceptionner" in page.text  # the next action
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


async def test_a_refused_action_shows_the_reason_on_the_page(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    await sign_in(client, world.coordinator)

    response = await post_form(client, f"/d/{tag}", f"/d/{tag}", {"action": "receive"})
    invalid = await post_form(
        client, f"/d/{tag}", f"/d/{tag}", {"action": "collect", "reconditioner_id": "abc"}
    )

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    text = response.text.replace("\u00a0", " ")
    assert (
        "« Réceptionner à l’atelier » impossible : l’appareil est « Enregistré » alors qu’il "
        "devrait être « Collecté » ou « Rendu par l’association ». Il faut d’abord « Collecter »."
    ) in text
    # The field is said by its label; its API name stays in the form, not in the sentence.
    invalid_text = invalid.text.replace("\u00a0", " ")
    assert invalid.status_code == 422
    assert "Le champ « Atelier » doit être un nombre entier." in invalid_text


async def test_the_batch_check_answers_accepted_already_or_refused(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=2)
    first, second = (device["tag"] for device in donation["devices"])
    await act(client, world.reconditioner, second, "collect")
    page = await client.get("/scan?action=collect")
    assert page.status_code == 303  # not signed in yet
    await sign_in(client, world.reconditioner)
    page = await client.get("/scan?action=collect")
    headers = {"X-CSRFToken": csrf_token(page)}

    async def check(code: str, scanned: list[str]) -> dict[str, object]:
        body = {"code": code, "action": "collect", "scanned": scanned}
        response = await client.post("/scan/verifier", json=body, headers=headers)
        assert response.status_code == 200, response.text
        answer: dict[str, object] = response.json()
        return answer

    accepted = await check(f"HTTP://COLLECTE.TEST/D/{first}", [])
    already = await check(first.lower(), [first])
    refused = await check(second, [first])
    unknown = await check("not-a-tag", [first])
    no_token = await client.post("/scan/verifier", json={"code": first, "action": "collect"})

    assert accepted["result"] == "accepted" and accepted["tag"] == first
    assert already["result"] == "already"
    assert refused["result"] == "refused" and refused["code"] == "wrong_status"
    message = str(refused["message"]).replace("\u00a0", " ")
    assert message.endswith(
        "« Collecter » impossible : l’appareil est « Collecté » alors qu’il devrait être "
        "« Enregistré ». Cette étape est déjà faite."
    )
    assert unknown["result"] == "refused"
    assert no_token.status_code == 403


async def test_the_batch_check_refuses_a_device_whose_erasure_does_not_allow_reuse(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=2)
    verified, unverified = (device["tag"] for device in donation["devices"])
    for tag in (verified, unverified):
        await walk_to(client, world, tag, "received")
    await act(client, world.reconditioner, verified, "wipe", **WIPE)
    await act(client, world.reconditioner, unverified, "wipe", **{**WIPE, "verified": False})
    await sign_in(client, world.reconditioner)
    page = await client.get("/scan?action=refurbish")
    headers = {"X-CSRFToken": csrf_token(page)}

    async def check(code: str) -> dict[str, object]:
        body = {"code": code, "action": "refurbish", "scanned": []}
        response = await client.post("/scan/verifier", json=body, headers=headers)
        assert response.status_code == 200, response.text
        answer: dict[str, object] = response.json()
        return answer

    accepted, refused = await check(verified), await check(unverified)

    assert accepted["result"] == "accepted"
    assert refused["result"] == "refused" and refused["code"] == "erasure_incomplete"
    assert str(refused["message"]).startswith(
        "« Reconditionner » impossible : l’effacement des données est incomplet ("
    )
    assert "effacement non vérifié" in str(refused["message"])
    # The batch form explains the minimum and asks for the verification, with no default.
    wipe_page = await client.get("/scan?action=wipe")
    assert "atteindre au moins :" in wipe_page.text
    assert 'name="media-0-verification" id="batch-media-0-verification" required' in (
        wipe_page.text
    )


async def test_the_batch_form_moves_every_device_or_none(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=3)
    codes = [device["tag"] for device in donation["devices"]]
    await act(client, world.reconditioner, codes[2], "collect")
    await sign_in(client, world.reconditioner)

    refused = await post_form(
        client, "/scan?action=collect", "/scan", {"action": "collect", "tags": "\n".join(codes)}
    )
    done = await post_form(
        client, "/scan?action=collect", "/scan", {"action": "collect", "tags": " ".join(codes[:2])}
    )

    assert refused.status_code == 409
    assert tags.display(codes[0]) not in refused.text or codes[2] in refused.text
    assert "rien n’a été modifié" in refused.text
    assert done.status_code == 200 and "Lot enregistré" in done.text
    assert not re.search(r"/certificats/DON-\d{4}-\d{5}\.pdf", done.text)
    assert 'href="/atelier#pickups-title"' in done.text  # where the pickup is closed


async def test_a_donor_registers_a_donation_through_the_form(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.donor)
    rows = {
        "category": ["laptop", "monitor", ""],
        "brand": ["Dell", "HP", ""],
        "model": ["Latitude 5490", "E24", ""],
        "serial_number": ["SN-1", "", ""],
        "estimated_value_xpf": ["25 000", "", ""],
        "weight_kg": ["", "4,5", ""],
    }
    page = await client.get("/dons/nouveau?appareils=3")

    created = await client.post(
        "/dons/nouveau", data={**rows, "_csrf_token": csrf_token(page)}, files={"x": b""}
    )
    donation = await client.get(created.headers["location"])
    listing = await client.get("/api/donations", headers=world.donor.headers)

    assert page.status_code == 200 and page.text.count('name="category"') == 3
    assert created.status_code == 303
    assert donation.status_code == 200 and "LOT-" in donation.text
    devices = listing.json()[0]["devices"]
    assert [d["category"] for d in devices] == ["laptop", "monitor"]
    assert devices[0]["estimated_value_xpf"] == 25000 and devices[1]["weight_kg"] == 4.5
    labels = await client.get(
        f"/dons/{listing.json()[0]['id']}/etiquettes?format=avery-l7160&skip=2"
    )
    assert labels.status_code == 200 and labels.headers["content-type"] == "application/pdf"


async def test_changing_the_row_count_keeps_what_was_typed(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.donor)
    page = await client.get("/dons/nouveau?appareils=2")
    typed = {
        "pickup_address": "12 rue de Sébastopol, Nouméa",
        "category": ["laptop", ""],
        "brand": ["Lenovo", ""],
        "serial_number": ["PF-KEEP-1", ""],
        "notes": "Carton au 2e étage",
        "_csrf_token": csrf_token(page),
    }

    more = await client.post(
        "/dons/nouveau", data={**typed, "appareils": "4", "show_rows": "1"}, files={"x": b""}
    )
    fewer = await client.post(
        "/dons/nouveau", data={**typed, "appareils": "0", "show_rows": "1"}, files={"x": b""}
    )

    assert more.status_code == 200, more.text[:300]
    assert more.text.count('name="category"') == 4
    for kept in ("PF-KEEP-1", "Lenovo", "12 rue de Sébastopol, Nouméa", "Carton au 2e étage"):
        assert kept in more.text and kept in fewer.text, kept
    assert fewer.text.count('name="category"') == 1  # the typed row stays
    assert not await Donation.exists()  # nothing registered by asking for rows


async def test_a_bad_csv_line_is_named_and_nothing_is_added(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    await sign_in(client, world.donor)
    page = await client.get(f"/dons/{donation['id']}")
    csv = b"category,brand,model\nlaptop,Dell,E7450\nfrigo,Brandt,X\n"

    response = await client.post(
        f"/dons/{donation['id']}/import",
        data={"_csrf_token": csrf_token(page)},
        files={"csv": ("lot.csv", csv, "text/csv")},
    )

    assert response.status_code == 422
    assert "frigo" in response.text
    again = await client.get(f"/api/donations/{donation['id']}", headers=world.donor.headers)
    assert again.json()["device_count"] == 1


async def test_coordination_pages_are_for_coordinators(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.donor)

    response = await client.get("/coordination")

    assert response.status_code == 403
    assert "Réservé à la coordination" in response.text


async def test_the_coordinator_dashboard_counts_by_status(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await make_donation(client, world.donor, count=3)
    await sign_in(client, world.coordinator)

    page = await client.get("/coordination")

    assert page.status_code == 200
    assert "Tableau de bord" in page.text and "Enregistré" in page.text


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


async def test_the_dashboard_lists_missing_and_stale_devices_by_holder(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=3)
    lost, stale, recent = (device["tag"] for device in donation["devices"])
    for tag in (lost, stale, recent):
        await walk_to(client, world, tag, "received")
    await act(client, world.reconditioner, lost, "report_missing", reason="introuvable")
    moment = now()
    await Device.update({Device.updated_at: moment - timedelta(days=30, minutes=1)}).where(
        Device.tag == stale
    )
    await Device.update({Device.updated_at: moment - timedelta(days=29, hours=23)}).where(
        Device.tag == recent
    )
    await sign_in(client, world.coordinator)

    page = (await client.get("/coordination")).text

    missing, waiting = _section(page, "missing-devices"), _section(page, "stale-devices")
    workshop = world.reconditioner.organization_name
    assert display(lost) in missing and workshop in missing  # held last by the workshop
    assert "Sans mouvement depuis plus de 30 jours" in waiting
    assert display(stale) in waiting
    assert display(recent) not in waiting and display(recent) not in missing
    assert waiting.index(workshop) < waiting.index(display(stale))


async def test_english_on_request_and_kept(client: httpx.AsyncClient) -> None:
    english = await client.get("/connexion?lang=en")
    kept = await client.get("/connexion")
    french = await client.get("/connexion?lang=fr")

    assert 'lang="en"' in english.text and "Sign in" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    assert "Sign in" in kept.text
    assert 'lang="fr"' in french.text and "Se connecter" in french.text


async def test_public_pages_and_static_files(client: httpx.AsyncClient) -> None:
    programme = await client.get("/programme")
    css = await client.get("/static/app.css")
    script = await client.get("/static/scan.js")

    assert programme.status_code == 200 and "CO₂e" in programme.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert script.status_code == 200 and "BarcodeDetector" in script.text


async def test_an_unknown_address_is_a_page_for_browsers_and_json_for_programs(
    client: httpx.AsyncClient,
) -> None:
    browser = await client.get("/nulle-part", headers={"Accept": "text/html,*/*;q=0.8"})
    program = await client.get("/nulle-part")
    api = await client.get("/api/nulle-part", headers={"Accept": "text/html"})

    assert browser.status_code == 404 and "Cette page n’existe pas" in browser.text
    assert program.status_code == 404 and program.json()["status_code"] == 404
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")


async def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/connexion")

    response = await client.post(
        "/association/reception",
        data={"tags": "7K3P9QXM", "_csrf_token": csrf_token(page)},
        headers={"Referer": "http://collecte.test/association"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?next=/association"
