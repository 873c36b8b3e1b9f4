"""A receipt confirmed on the association's phone: its representative ticks the devices, types
their name and draws a signature with a finger (mouse moves here); the receipt (REC) comes back
with the name and the drawing in its signature block. Without JavaScript the typed name signs."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from pypdf import PdfReader

from tests.browser.support import LiveServer, new_page, sign_in
from tests.documents.reading import page_texts
from tests.factory import World, make_donation, walk_to

pytestmark = pytest.mark.browser

REPRESENTATIVE = "Marie Hnawia"


def _images_per_page(pdf: bytes) -> list[int]:
    counts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        counts.append(
            sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")
        )
    return counts


async def _allocated(api: httpx.AsyncClient, world: World, count: int) -> list[str]:
    donation = await make_donation(api, world.donor, count=count)
    tags = [d["tag"] for d in donation["devices"]]
    for tag in tags:
        await walk_to(api, world, tag, "allocated")
    return tags


async def _receipt(page: Page) -> bytes:
    """Send the receipt form, follow to the confirmation and download the REC it links."""
    await page.get_by_role("button", name="Confirmer la réception").click()
    await page.wait_for_url(lambda url: "certificat=REC-" in url)
    link = page.locator("#done a.doc")
    await expect(link).to_have_count(1)
    href = await link.get_attribute("href")
    assert href and "/certificats/REC-" in href
    response = await page.request.get(href)
    assert response.status == 200, await response.text()
    return await response.body()


async def test_a_receipt_signed_with_a_finger_prints_the_name_and_the_drawing(
    browser: Browser, live: LiveServer, world: World, api: httpx.AsyncClient, artifacts: Path
) -> None:
    tags = await _allocated(api, world, 2)

    context, page = await new_page(browser, live)
    await sign_in(page, world.association)
    await page.goto("/association")
    await page.get_by_text("Tout cocher").click()
    await page.get_by_label("Nom de la personne qui signe").fill(REPRESENTATIVE)
    canvas = page.locator("form canvas")
    await expect(canvas).to_be_visible()  # JavaScript revealed the pad
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    await page.mouse.down()
    for x, y in [(0.2, 0.2), (0.35, 0.8), (0.5, 0.25), (0.65, 0.75), (0.8, 0.3)]:
        await page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y, steps=8)
    await page.mouse.up()
    await page.screenshot(path=str(artifacts / "receipt-signature-390.png"), full_page=True)
    pdf = await _receipt(page)
    await context.close()

    pages = [" ".join(text.split()) for text in page_texts(pdf)]
    [signed] = [i for i, text in enumerate(pages) if "Pour l'association" in text]
    assert f"Signé par : {REPRESENTATIVE}" in pages[signed]
    assert all(f"{tag[:4]}-{tag[4:]}" in " ".join(pages) for tag in tags)
    assert _images_per_page(pdf)[signed] == 1  # the drawing, on the signature's page
    assert sum(_images_per_page(pdf)) == 1


async def test_without_javascript_the_typed_name_signs_the_receipt(
    browser: Browser, live: LiveServer, world: World, api: httpx.AsyncClient
) -> None:
    [tag] = await _allocated(api, world, 1)

    context, page = await new_page(browser, live, javascript=False)
    await sign_in(page, world.association)
    await page.goto("/association")
    await expect(page.locator("form canvas")).to_be_hidden()
    await page.locator(f"#pick-{tag}").check()
    await page.get_by_label("Nom de la personne qui signe").fill(REPRESENTATIVE)
    pdf = await _receipt(page)
    await context.close()

    text = " ".join(" ".join(page_texts(pdf)).split())
    assert f"Signé par : {REPRESENTATIVE}" in text
    assert sum(_images_per_page(pdf)) == 0
