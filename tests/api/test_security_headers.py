"""Security headers on every answer, the `__Host-` session cookie under HTTPS, and the API docs
page served without any third-party asset."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from piccolo.engine.base import Engine

from collecte.domain.vocabulary import Role
from collecte.settings import Settings
from collecte.web.app import create_app
from tests.api.test_pages import csrf_token
from tests.factory import PASSWORD, make_account, make_donation, make_world

EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest.fixture
async def https_client(db: Engine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app published at an https:// address."""
    app = create_app(settings.with_(public_url="https://collecte.test"), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://collecte.test") as http:
        yield http


def assert_protected(response: httpx.Response, cache: str | None = "no-store") -> None:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (name, response.url)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    if cache is not None:
        assert response.headers.get("cache-control") == cache, response.url


async def test_api_answers_and_documents_carry_the_headers(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor)
    coordinator = world.coordinator.headers

    answers = [
        await client.get("/health"),
        await client.get("/api/ping"),
        await client.get("/api/donations", headers=world.donor.headers),
        await client.get("/api/donations"),  # 401
        await client.get("/api/nothing-here"),  # 404
        await client.get("/api/devices.csv", headers=coordinator),
        await client.get(f"/api/donations/{donation['id']}/labels.pdf", headers=coordinator),
        await client.post("/api/auth/login", json={"email": "x@y.nc", "password": "faux"}),
        await client.get("/connexion"),
        await client.get("/schema"),
        await client.get("/schema/openapi.json"),
    ]

    assert [answer.status_code for answer in answers] == [
        200, 200, 200, 401, 404, 200, 200, 401, 200, 200, 200,
    ]  # fmt: skip
    for answer in answers:
        assert_protected(answer)
        assert "strict-transport-security" not in answer.headers  # http:// public address
    # The pages keep their own, stricter policy.
    assert "default-src 'self'" in answers[8].headers["content-security-policy"]


async def test_static_files_may_be_cached(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/app.css")

    assert response.status_code == 200
    assert_protected(response, cache="max-age=3600")


async def test_https_adds_strict_transport_security(https_client: httpx.AsyncClient) -> None:
    for path in ("/health", "/api/donations", "/connexion", "/static/app.css"):
        response = await https_client.get(path)
        assert response.headers["strict-transport-security"] == "max-age=31536000", path


async def _sign_in(http: httpx.AsyncClient, email: str) -> httpx.Response:
    page = await http.get("/connexion")
    return await http.post(
        "/connexion",
        data={"email": email, "password": PASSWORD, "_csrf_token": csrf_token(page)},
    )


async def test_under_https_the_session_cookie_is_host_prefixed_and_secure(
    https_client: httpx.AsyncClient,
) -> None:
    account = await make_account(Role.DONOR)

    signed = await _sign_in(https_client, account.email)

    cookie = signed.headers["set-cookie"]
    assert signed.status_code == 303
    assert cookie.startswith("__Host-collecte_session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    home = await https_client.get("/dons")
    assert home.status_code == 200
    # The bare name is not read under https: a cookie planted over plain http is worth nothing.
    https_client.cookies.set("collecte_session", https_client.cookies["__Host-collecte_session"])
    del https_client.cookies["__Host-collecte_session"]
    assert (await https_client.get("/dons")).status_code == 303


async def test_under_https_the_csrf_cookie_is_host_prefixed_and_secure(
    https_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    page = await https_client.get("/connexion")
    plain = await client.get("/connexion")

    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-collecte_csrf=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert plain.headers["set-cookie"].startswith("collecte_csrf=")
    # The prefixed cookie is the one checked: a form sent with it goes through.
    account = await make_account(Role.DONOR)
    signed = await https_client.post(
        "/connexion",
        data={"email": account.email, "password": PASSWORD, "_csrf_token": csrf_token(page)},
    )
    assert signed.status_code == 303


async def test_under_http_the_session_cookie_keeps_its_bare_name(
    client: httpx.AsyncClient,
) -> None:
    account = await make_account(Role.DONOR)

    signed = await _sign_in(client, account.email)

    assert signed.headers["set-cookie"].startswith("collecte_session=")
    assert "secure" not in signed.headers["set-cookie"].lower()


async def test_the_api_docs_page_loads_only_same_origin_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema")

    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert len(assets) >= 4
    assert not re.search(r"https?://|//[a-z]", page.text.split("<body>")[0], re.IGNORECASE)
    for asset in assets:
        assert asset.startswith("/static/swagger-ui/"), asset
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
        assert loaded.headers["content-type"].split(";")[0] in {
            "text/css",
            "text/javascript",
            "image/png",
        }
        assert len(loaded.content) > 500
