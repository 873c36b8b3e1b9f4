"""The pages in headless Chromium, against the real app on a local port.

A donation typed into the form walks to an association; a pile is scanned in batch mode; a form
without its CSRF token is refused; screenshots of the scan page (360 px) and the dashboard
(1280 px) are saved in test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.support import LiveServer, new_page, sign_in
from tests.erasure_samples import SAMPLES
from tests.factory import World, act, make_donation

pytestmark = pytest.mark.browser


async def _pdf_at(page: Page, href: str | None) -> None:
    """The link answers a PDF to this signed-in browser."""
    assert href
    response = await page.request.get(href)
    assert response.status == 200, await response.text()
    assert response.headers["content-type"] == "application/pdf"
    assert (await response.body()).startswith(b"%PDF")


async def _act(page: Page, action: str) -> None:
    """Press an action's big button on the device page and wait for the answer."""
    await page.get_by_role("button", name=action, exact=True).click()
    await expect(page.locator("#done")).to_be_visible()


async def _register_three_devices(page: Page, artifacts: Path) -> list[str]:
    """As the signed-in donor, fill the new donation form; return the labels of its devices."""
    await page.get_by_role("link", name="Enregistrer un nouveau don").click()
    rows = [("laptop", "Dell", "Latitude 5490"), ("laptop", "HP", "EliteBook 840"),
            ("monitor", "Samsung", "S24")]  # fmt: skip
    for index, (category, brand, model) in enumerate(rows, start=1):
        await page.locator(f"#category-{index}").select_option(category)
        await page.locator(f"#brand-{index}").fill(brand)
        await page.locator(f"#model-{index}").fill(model)
    await page.get_by_label("Adresse d’enlèvement (facultatif)").fill(
        "12 rue de Sébastopol, Nouméa"
    )
    await page.screenshot(path=str(artifacts / "donation-form-390.png"), full_page=True)
    await page.get_by_role("button", name="Enregistrer le don").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("LOT-")
    await expect(page.get_by_text("Don enregistré")).to_be_visible()
    labels = await page.locator("table a.tag").all_inner_texts()
    assert len(labels) == 3
    await _pdf_at(page, f"{page.url.split('?')[0]}/etiquettes?format=avery-l7161&skip=4")
    return [label.replace("-", "") for label in labels]


async def test_a_donation_walks_from_the_form_to_the_association(
    browser: Browser, live: LiveServer, world: World, artifacts: Path
) -> None:
    donor_context, donor = await new_page(browser, live)
    await sign_in(donor, world.donor)
    assert donor.url.endswith("/dons")
    tag = (await _register_three_devices(donor, artifacts))[0]
    await donor_context.close()

    # The reconditioner's phone opens the label's address: sign in, then back to the device.
    context, workshop = await new_page(browser, live)
    await workshop.goto(f"/D/{tag}")
    assert "/connexion?next=" in workshop.url
    await sign_in(workshop, world.reconditioner)
    assert workshop.url.endswith(f"/D/{tag}")
    await expect(workshop.locator("#device-tag")).to_have_text(f"{tag[:4]}-{tag[4:]}")
    await _act(workshop, "Collecter")
    # No certificate of its own: the pickup's close issues the donation attestation.
    await expect(workshop.locator("#done a.doc")).to_have_count(0)
    await _act(workshop, "Réceptionner à l’atelier")
    await expect(workshop.locator(".status-line")).to_have_text("Réceptionné à l’atelier")
    # The wipe form: one row per medium, the minimum for reuse said, nothing assumed.
    await expect(workshop.locator("#wipe-media-minimum")).to_contain_text(
        "au moins : Purge — effacement sécurisé du support"
    )
    verification = workshop.locator("#wipe-media-0-verification")
    await expect(verification).to_have_value("")
    await expect(verification).to_have_attribute("required", "")
    await workshop.locator("#wipe-media-0-kind").select_option("ssd")
    await workshop.locator("#wipe-media-0-technique").select_option("crypto_erase")
    await workshop.locator("#wipe-media-0-tool").fill("nwipe")
    await workshop.locator("#wipe-media-0-tool_version").fill("0.38")
    await workshop.locator("#wipe-media-0-result").select_option("erased")
    await workshop.get_by_role("button", name="Ajouter un support").click()
    await expect(workshop.locator("#wipe-media-1-kind")).to_be_visible()
    await expect(workshop.locator("#wipe-media-0-tool")).to_have_value("nwipe")  # kept
    await workshop.locator("#wipe-media-1-serial").fill("WD-HDD-77")
    await workshop.locator("#wipe-media-1-kind").select_option("hdd")
    await workshop.locator("#wipe-media-1-technique").select_option("sanitize")
    await workshop.locator("#wipe-media-1-tool").fill("nwipe")
    await workshop.locator("#wipe-media-1-tool_version").fill("0.38")
    await workshop.locator("#wipe-media-1-result").select_option("erased")
    await workshop.locator("#wipe-media-1-verification").select_option("full")
    await workshop.screenshot(path=str(artifacts / "wipe-form-390.png"), full_page=True)
    await workshop.get_by_role("button", name="Effacer les données").click()
    # The browser itself refuses the form while the first medium's verification is unsaid.
    await expect(workshop.locator(".status-line")).to_have_text("Réceptionné à l’atelier")
    await verification.select_option("full")
    await _act(workshop, "Effacer les données")
    await expect(workshop.locator(".timeline li").first).to_contain_text(
        "WD-HDD-77 : Commande Sanitize du support, Effacé, Vérification complète"
    )
    erasure = await workshop.locator("#done a.doc").get_attribute("href")
    assert erasure and re.search(r"/certificats/EFF-\d{4}-\d{5}\.pdf$", erasure)
    await _pdf_at(workshop, erasure)
    await workshop.get_by_text("A", exact=True).click()
    await _act(workshop, "Reconditionner")
    await expect(workshop.locator(".status-line")).to_have_text("Reconditionné")
    await expect(workshop.locator(".timeline li")).to_have_count(5)
    await workshop.screenshot(path=str(artifacts / "device-390.png"), full_page=True)
    await context.close()

    # The coordination allocates it.
    context, office = await new_page(browser, live, width=1280)
    await sign_in(office, world.coordinator)
    await office.goto("/coordination/attribution")
    await office.get_by_label("Association").select_option(str(world.association.organization_id))
    await office.locator(f"#pick-{tag}").check()
    await office.get_by_role("button", name="Attribuer les appareils cochés").click()
    await expect(office.get_by_text("Appareils attribués : 1")).to_be_visible()
    await context.close()

    # The association ticks it as received and gets its receipt.
    context, charity = await new_page(browser, live)
    await sign_in(charity, world.association)
    assert charity.url.endswith("/association")
    await charity.locator(f"#pick-{tag}").check()
    await charity.get_by_label("Reçu par (nom, facultatif)").fill("Marie Wayenece")
    await charity.get_by_role("button", name="Confirmer la réception").click()
    await expect(charity.locator("#done")).to_contain_text("Réception confirmée : 1")
    receipt = await charity.locator("#done a.doc").get_attribute("href")
    assert receipt and re.search(r"/certificats/REC-\d{4}-\d{5}\.pdf$", receipt)
    await _pdf_at(charity, receipt)
    await charity.screenshot(path=str(artifacts / "association-390.png"), full_page=True)
    await charity.goto(f"/d/{tag}")
    await expect(charity.locator(".status-line")).to_have_text("Remis à l’association")
    await context.close()


async def _scan(page: Page, code: str) -> None:
    box = page.get_by_label("Scannez ou tapez une étiquette, puis Entrée")
    await box.fill(code)
    await box.press("Enter")


async def test_batch_scanning_accepts_labels_and_refuses_a_wrong_status(
    browser: Browser, live: LiveServer, world: World, api: httpx.AsyncClient, artifacts: Path
) -> None:
    donation = await make_donation(api, world.donor, count=3)
    first, second, third = (device["tag"] for device in donation["devices"])
    assert (await act(api, world.reconditioner, third, "collect")).status_code == 200
    context, page = await new_page(browser, live, width=360)
    await sign_in(page, world.reconditioner)
    await page.goto("/scan")
    await page.get_by_role("link", name="Collecter").click()
    feedback = page.locator("#scan-feedback")

    await _scan(page, f"{live.base_url.upper()}/D/{first}")
    await expect(feedback).to_have_class(re.compile("is-accepted"))
    await _scan(page, f"{second[:4].lower()}-{second[4:].lower()}")
    await expect(page.locator("#scan-count")).to_have_text("2")
    await _scan(page, first)
    await expect(feedback).to_have_class(re.compile("is-already"))
    await _scan(page, third)
    await expect(feedback).to_have_class(re.compile("is-refused"))
    await expect(feedback).to_contain_text(re.compile(r"l’appareil est «\s*Collecté\s*»"))
    await expect(page.locator("#scan-list li")).to_have_count(2)
    # The refused label stays listed with its reason after the next scans.
    await _scan(page, "7K3P-9QXL")
    await _scan(page, second)
    await expect(feedback).to_have_class(re.compile("is-already"))
    refused = page.locator("#refused-list li")
    await expect(refused).to_have_count(2)
    await expect(page.locator("#refused-count")).to_have_text("2")
    await expect(refused.nth(1)).to_contain_text(f"{third[:4]}-{third[4:]}")
    await expect(refused.nth(1)).to_contain_text(re.compile(r"l’appareil est «\s*Collecté\s*»"))
    await refused.nth(0).get_by_role("button").click()
    await expect(refused).to_have_count(1)
    await page.screenshot(path=str(artifacts / "scan-360.png"), full_page=True)

    await page.get_by_role("button", name="Terminer").click()
    await expect(page.locator("#done")).to_contain_text("Lot enregistré")
    await expect(page.locator("#done")).to_contain_text("2 appareil(s)")
    # A collect issues no certificate: its pickup's close does (tests/browser/test_pickup_…).
    await expect(page.locator("#done a.doc")).to_have_count(0)
    await context.close()


async def test_the_dashboard_at_desktop_width(
    browser: Browser, live: LiveServer, world: World, api: httpx.AsyncClient, artifacts: Path
) -> None:
    await make_donation(api, world.donor, count=4)
    context, page = await new_page(browser, live, width=1280)
    await sign_in(page, world.coordinator)

    assert page.url.endswith("/coordination")
    await expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    await expect(page.locator(".kpi").first).to_be_visible()
    await page.screenshot(path=str(artifacts / "dashboard-1280.png"), full_page=True)
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await context.close()


async def _form_post_without_token(page: Page, path: str, data: dict[str, str]) -> int:
    response = await page.request.post(path, form=data)
    return response.status


async def test_a_form_post_without_its_csrf_token_is_refused(
    browser: Browser, live: LiveServer, world: World, api: httpx.AsyncClient
) -> None:
    tag = (await make_donation(api, world.donor, count=1))["devices"][0]["tag"]
    context, page = await new_page(browser, live)
    await sign_in(page, world.reconditioner)
    await page.goto(f"/d/{tag}")

    status = await _form_post_without_token(page, f"/d/{tag}", {"action": "collect"})

    assert status == 403
    await page.reload()
    await expect(page.locator(".status-line")).to_have_text("Enregistré")
    await context.close()


async def test_a_tool_report_uploaded_from_the_phone_fills_the_wipe_form(
    browser: Browser, live: LiveServer, world: World, api: httpx.AsyncClient, artifacts: Path
) -> None:
    tag = (await make_donation(api, world.donor, count=1))["devices"][0]["tag"]
    for action in ("collect", "receive"):
        assert (await act(api, world.reconditioner, tag, action)).status_code == 200
    context, page = await new_page(browser, live)
    await sign_in(page, world.reconditioner)
    await page.goto(f"/d/{tag}")

    await page.locator("#wipe-report-file").set_input_files(str(SAMPLES / "nwipe_two_disks.json"))
    await page.get_by_role("button", name="Lire le rapport").click()

    await expect(page.locator("#report-read")).to_contain_text("nwipe_two_disks.json")
    await expect(page.locator("#report-read")).to_contain_text("2 support(s)")
    await expect(page.locator("#wipe-media-0-serial")).to_have_value("S4ELNX0N912345")
    await expect(page.locator("#wipe-media-1-serial")).to_have_value("WD-WCC6Y3KJ0123")
    await expect(page.locator("#wipe-media-1-result")).to_have_value("failed")
    await page.screenshot(path=str(artifacts / "wipe-report-390.png"), full_page=True)
    # The operator states what the report does not: how the first disk was verified.
    await page.locator("#wipe-media-0-verification").select_option("full")
    await page.locator("#wipe-media-1-verification").select_option("none")
    await _act(page, "Effacer les données")
    await expect(page.locator(".status-line")).to_have_text("Données effacées")
    await expect(page.locator(".timeline li").first).to_contain_text("WD-WCC6Y3KJ0123 : ")
    listed = await api.get(f"/api/devices/{tag}/erasure-reports", headers=world.coordinator.headers)
    assert [report["filename"] for report in listed.json()] == ["nwipe_two_disks.json"]
    await context.close()
