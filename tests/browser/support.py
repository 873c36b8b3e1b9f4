"""Helpers of the browser tests: the live server's description, fresh pages, signing in."""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.engine.base import Engine
from playwright.async_api import Browser, BrowserContext, Page

from tests.factory import PASSWORD, Account


@dataclass(frozen=True)
class LiveServer:
    """The app listening on `base_url`, and the engine of its database (for seeding)."""

    base_url: str
    engine: Engine
    backend: str


async def new_page(
    browser: Browser, live: LiveServer, width: int = 390, javascript: bool = True
) -> tuple[BrowserContext, Page]:
    """A fresh browser (its own cookies) showing the live server, `width` pixels wide (with
    scripts off when `javascript` is False)."""
    context = await browser.new_context(
        base_url=live.base_url,
        viewport={"width": width, "height": 800},
        locale="fr-FR",
        java_script_enabled=javascript,
    )
    context.set_default_timeout(20_000)
    return context, await context.new_page()


async def sign_in(page: Page, account: Account | str, password: str = PASSWORD) -> None:
    """Fill and send the sign-in form the page shows (or open it first); `account` or an e-mail."""
    email = account if isinstance(account, str) else account.email
    if "/connexion" not in page.url:
        await page.goto("/connexion")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url(lambda url: "/connexion" not in url)
