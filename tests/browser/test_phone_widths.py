"""No page wider than a phone: every page of every role at 390 px, on the demo's data.

The live server's database gets `collecte demo`'s organisations, accounts and devices (150 by
default, enough for every status, long names, serials and full tables, and quick on a loaded
machine; bench or a hunt raises it to 5,000 with COLLECTE_PHONE_DEVICES=5000). Each demo account
signs in and opens every page its role has; `document.documentElement.scrollWidth` must not
exceed the viewport's 390 px (COLLECTE_PHONE_WIDTH=360 checks a smaller phone). Every failing
page is listed with its width and the innermost elements that stick out, and each page's
screenshot is saved in test-artifacts/phone-390/.

The layout does not depend on the database, so SQLite alone is enough.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from collecte.db.engine import use_engine
from collecte.db.tables import Certificate, Device, Donation, Organization
from collecte.demo import (
    ASSOCIATIONS,
    COORDINATION,
    DEMO_PASSWORD,
    DONORS,
    RECONDITIONERS,
    load_demo,
)
from collecte.settings import load_settings
from tests.browser.support import LiveServer, new_page, sign_in

pytestmark = pytest.mark.browser

WIDTH = int(os.environ.get("COLLECTE_PHONE_WIDTH", "390"))
# The innermost elements that reach past the viewport's right edge: what to fix on a failing page.
CULPRITS = """width => [...document.querySelectorAll('main *, header *, nav *, footer *')]
  .filter(e => e.getBoundingClientRect().right > width + 0.5
    && ![...e.children].some(c => c.getBoundingClientRect().right > width + 0.5))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase()
    + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
    + ' ' + Math.round(e.getBoundingClientRect().right) + ' px')"""
DEVICES = int(os.environ.get("COLLECTE_PHONE_DEVICES", "150"))


async def _hrefs(page: Page, selector: str) -> list[str]:
    """The distinct `href`s of the links `selector` finds, in page order."""
    found = await page.locator(selector).evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return list(dict.fromkeys(href for href in found if href))


class _Visits:
    """Opens pages at the phone width, measures them and keeps a screenshot of each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.too_wide: list[str] = []
        self.seen = 0

    async def visit(self, page: Page, who: str, path: str) -> None:
        response = await page.goto(path)
        assert response is not None, (who, path)
        assert response.status < 400, (who, path, response.status)
        width = await page.evaluate("document.documentElement.scrollWidth")
        name = re.sub(r"[^A-Za-z0-9]+", "-", f"{who}-{path}").strip("-")
        await page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        self.seen += 1
        if width > WIDTH:
            culprits = await page.evaluate(CULPRITS, WIDTH)
            self.too_wide.append(f"{who} {path}: {width} px ({', '.join(culprits)})")


@pytest.mark.parametrize("live", ["sqlite"], indirect=True)
async def test_no_page_is_wider_than_a_phone(
    browser: Browser, live: LiveServer, artifacts: Path
) -> None:
    use_engine(live.engine)
    await load_demo(DEVICES, replace(load_settings(), public_url=live.base_url))
    folder = artifacts / f"phone-{WIDTH}"
    folder.mkdir(exist_ok=True)
    visits = _Visits(folder)

    # The worst cases the data holds: the donation with most devices, one device per status.
    biggest = (
        await Donation.raw(
            "SELECT donation AS id FROM device GROUP BY donation ORDER BY COUNT(*) DESC LIMIT 1"
        )
    )[0]["id"]
    by_status = await Device.raw(
        "SELECT status, MIN(tag) AS tag FROM device GROUP BY status ORDER BY status"
    )
    certificate = await Certificate.select(Certificate.number).order_by(Certificate.id).first()
    assert certificate
    organization = (
        await Organization.select(Organization.id)
        .order_by(Organization.name, ascending=False)
        .first()
    )
    assert organization

    # Signed out: the sign-in form, the public counters, a certificate's check, and the page
    # shown without network.
    context, page = await new_page(browser, live, WIDTH)
    for path in ("/connexion", "/programme", f"/verify/{certificate['number']}", "/hors-ligne"):
        await visits.visit(page, "public", path)
    await context.close()

    for spec in (COORDINATION, DONORS[0], RECONDITIONERS[0], ASSOCIATIONS[0]):
        who = spec.key
        context, page = await new_page(browser, live, WIDTH)
        await sign_in(page, spec.user_email, DEMO_PASSWORD)
        paths = await _hrefs(page, ".nav a")
        paths.append("/mot-de-passe")
        index = 0
        while index < len(paths):  # the list grows with the links the pages offer
            path = paths[index]
            index += 1
            await visits.visit(page, who, path)
            if path == "/scan":
                paths += await _hrefs(page, "a[href^='/scan?action=']")
            if path in ("/dons", "/atelier", "/association"):
                found = await _hrefs(page, "a[href^='/dons/'], a.tag[href^='/d/']")
                paths += [href for href in found if href not in paths][:2]
            if path == "/certificats":
                found = await _hrefs(page, "a[href^='/verify/']")
                paths += [href for href in found if href not in paths][:1]
        if spec is COORDINATION:
            for path in (
                f"/dons/{biggest}",
                f"/coordination/organisations/{organization['id']}",
                *(f"/d/{row['tag']}" for row in by_status),
                "/dons?q=Dell",
            ):
                await visits.visit(page, who, path)
        await context.close()

    assert visits.seen > 30
    assert not visits.too_wide, "Wider than a phone:\n" + "\n".join(visits.too_wide)
