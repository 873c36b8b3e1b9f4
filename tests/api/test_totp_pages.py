"""The second factor on the pages: the account page's « Double authentification » section (its
QR code read back by a real decoder), and the sign-in form asking for the code."""

from __future__ import annotations

import html
import re

import httpx
import zxingcpp
from PIL import Image, ImageDraw

from collecte.db.tables import SecurityLogEntry, User
from collecte.domain.vocabulary import Role
from tests.api.test_pages import csrf_token, post_form, sign_in
from tests.api.test_totp import BAD_CODE, TOTP_REQUIRED, code, wrong_code
from tests.factory import PASSWORD, Account, make_account

PAGE = "/mot-de-passe"
SECTION = "/mot-de-passe/double-authentification"


def decode_svg_qr(page: str) -> str:
    """Draw the page's inline QR code (its path of row runs) and read it with zxing."""
    svg = re.search(r'<svg class="qr" viewBox="0 0 (\d+) \d+".*?</svg>', page, re.S)
    assert svg is not None, "no QR code on the page"
    side, scale = int(svg.group(1)), 8
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg.group(0)):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + int(width) * scale - 1, top + scale - 1], fill=0)
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return str(found.text)


def shown_secret(page: str) -> str:
    found = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page)
    assert found is not None, "no key on the page"
    return found.group(1)


async def enrol_on_the_page(client: httpx.AsyncClient) -> str:
    """Start, then confirm with the current step's code, through the forms; the key."""
    started = await post_form(client, PAGE, SECTION, {})
    assert started.status_code == 303, started.text
    page = await client.get(PAGE)
    secret = shown_secret(page.text)
    confirmed = await client.post(
        SECTION + "/confirmer", data={"code": code(secret), "_csrf_token": csrf_token(page)}
    )
    assert confirmed.status_code == 303, confirmed.text
    return secret


async def test_a_coordinator_turns_it_on_from_the_account_page(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    await sign_in(client, coordinator)

    before = await client.get(PAGE)
    started = await post_form(client, PAGE, SECTION, {})
    pending = await client.get(PAGE)
    secret = shown_secret(pending.text)
    wrong = await client.post(
        SECTION + "/confirmer",
        data={"code": wrong_code(secret), "_csrf_token": csrf_token(pending)},
    )
    right = await client.post(
        SECTION + "/confirmer",
        data={"code": code(secret), "_csrf_token": csrf_token(pending)},
    )
    after = await client.get(right.headers["location"])

    assert "Double authentification" in before.text
    assert "Mettre en place la double authentification" in before.text
    assert started.status_code == 303
    uri = html.unescape(decode_svg_qr(pending.text))
    assert uri.startswith("otpauth://totp/La%20Grande%20Collecte%20Num%C3%A9rique:")
    assert f"secret={secret}" in uri
    assert wrong.status_code == 422 and html.escape(BAD_CODE) in wrong.text
    assert right.status_code == 303
    assert "Double authentification activée" in after.text
    assert "Désactiver la double authentification" in after.text
    assert 'class="totp-secret"' not in after.text  # the key is shown while enrolling only
    assert await SecurityLogEntry.count().where(SecurityLogEntry.kind == "totp_enabled") == 1


async def test_sign_in_asks_for_the_code_without_writing_the_password_back(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    await sign_in(client, coordinator)
    secret = await enrol_on_the_page(client)
    client.cookies.clear()

    asked = await sign_in(client, coordinator)
    wrong = await client.post(
        "/connexion",
        data={
            "email": coordinator.email,
            "password": PASSWORD,
            "totp": wrong_code(secret),
            "_csrf_token": csrf_token(asked),
        },
    )
    signed = await client.post(
        "/connexion",
        data={
            "email": coordinator.email,
            "password": PASSWORD,
            "totp": code(secret, 1),
            "_csrf_token": csrf_token(asked),
        },
    )

    assert asked.status_code == 401
    assert html.escape(TOTP_REQUIRED) in asked.text
    assert 'name="totp"' in asked.text and 'autocomplete="one-time-code"' in asked.text
    assert PASSWORD not in asked.text and PASSWORD not in wrong.text
    assert wrong.status_code == 401 and 'name="totp"' in wrong.text
    assert "incorrect ou déjà utilisé" in wrong.text
    assert signed.status_code == 303, signed.text
    assert (await client.get(PAGE)).status_code == 200


async def test_the_sign_in_form_has_no_code_field_until_asked(client: httpx.AsyncClient) -> None:
    donor = await make_account(Role.DONOR)

    form = await client.get("/connexion")
    signed = await sign_in(client, donor)

    assert 'name="totp"' not in form.text
    assert signed.status_code == 303


async def test_a_coordinator_turns_it_off_with_a_code(client: httpx.AsyncClient) -> None:
    coordinator = await make_account(Role.COORDINATOR)
    await sign_in(client, coordinator)
    secret = await enrol_on_the_page(client)

    reused = await post_form(client, PAGE, SECTION + "/desactiver", {"code": code(secret)})
    off = await post_form(client, PAGE, SECTION + "/desactiver", {"code": code(secret, 1)})
    after = await client.get(off.headers["location"])

    assert reused.status_code == 422 and html.escape(BAD_CODE) in reused.text
    assert off.status_code == 303
    assert "Double authentification désactivée" in after.text
    assert "Mettre en place la double authentification" in after.text
    row = await User.select(User.totp_secret).where(User.id == coordinator.user_id).first()
    assert row == {"totp_secret": None}


async def _other(client: httpx.AsyncClient, account: Account) -> None:
    await sign_in(client, account)
    page = await client.get(PAGE)
    refused = await client.post(SECTION, data={"_csrf_token": csrf_token(page)})

    assert page.status_code == 200
    assert "Mettre en place la double authentification" not in page.text
    assert refused.status_code == 403
    assert "réservée à la coordination du programme" in refused.text


async def test_other_roles_see_no_section_and_are_refused(client: httpx.AsyncClient) -> None:
    await _other(client, await make_account(Role.DONOR))
    client.cookies.clear()
    await _other(client, await make_account(Role.ASSOCIATION))
    assert await User.count().where(User.totp_pending.is_not_null()) == 0
