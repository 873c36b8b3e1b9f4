"""A pickup closed on the workshop's phone: the donor's representative types their name and
draws a signature on the canvas with a finger (mouse moves here); one donation attestation comes
back, listing every device, with the name and the drawing in it."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect
from pypdf import PdfReader

from tests.browser.support import LiveServer, new_page, sign_in
from tests.documents.reading import page_texts
from tests.factory import World, act, make_donation

pytestmark = pytest.mark.browser

SIGNER = "Jeanne Wamytan"


def _images(pdf: bytes) -> int:
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        count += sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")
    return count


async def test_a_pickup_closed_with_a_drawn_signature_gives_its_one_attestation(
    browser: Browser, live: LiveServer, world: World, api: httpx.AsyncClient, artifacts: Path
) -> None:
    donation = await make_donation(api, world.donor, count=3)
    tags = [d["tag"] for d in donation["devices"]]
    for tag in tags:
        assert (await act(api, world.reconditioner, tag, "collect")).status_code == 200

    context, page = await new_page(browser, live)
    await sign_in(page, world.reconditioner)
    await page.goto("/atelier")
    pickup = page.locator("article.pickup")
    await expect(pickup).to_have_count(1)
    await expect(pickup.locator("h3")).to_contain_text("ENL-")
    await expect(pickup.locator("h3")).to_contain_text("3 appareil(s)")
    await pickup.get_by_label("Nom du représentant du donateur").fill(SIGNER)
    canvas = pickup.locator("canvas")
    await expect(canvas).to_be_visible()  # JavaScript revealed the pad
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    await page.mouse.down()
    for x, y in [(0.2, 0.2), (0.35, 0.8), (0.5, 0.25), (0.65, 0.75), (0.8, 0.3)]:
        await page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=8)
    await page.mouse.up()
    await page.screenshot(path=str(artifacts / "pickup-signature-390.png"), full_page=True)
    await pickup.get_by_role("button", name="Clôturer et émettre l’attestation de don").click()

    await page.wait_for_url(lambda url: "cloture=ENL-" in url)
    await expect(page.get_by_text("Enlèvement clôturé :")).to_be_visible()
    await expect(page.locator("article.pickup")).to_have_count(0)
    links = page.locator("a.doc")
    await expect(links).to_have_count(1)
    href = await links.get_attribute("href")
    assert href and "/certificats/DON-" in href
    response = await page.request.get(href)
    assert response.status == 200, await response.text()
    assert response.headers["content-type"] == "application/pdf"
    pdf = await response.body()
    text = " ".join(" ".join(page_texts(pdf)).split())
    assert f"Signé par : {SIGNER}" in text
    assert all(f"{tag[:4]}-{tag[4:]}" in text for tag in tags)
    assert _images(pdf) == 1  # the drawn signature
    await context.close()

    # The donor finds the one attestation on the donation's page.
    context, donor = await new_page(browser, live, width=1280)
    await sign_in(donor, world.donor)
    await donor.goto(f"/dons/{donation['id']}")
    attestations = donor.locator("section[aria-labelledby=pickups-title] a.doc")
    await expect(attestations).to_have_count(1)
    await expect(donor.get_by_text(f"Signée par {SIGNER}")).to_be_visible()
    number = href.rsplit("/", 1)[-1].removesuffix(".pdf")
    await expect(attestations).to_contain_text(number)
    downloaded = await donor.request.get(str(await attestations.get_attribute("href")))
    assert downloaded.status == 200 and await downloaded.body() == pdf
    await context.close()
