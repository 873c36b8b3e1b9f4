"""A page asked for while the database is away answers a French page, 503 with Retry-After.

A real fault on each database, on a live server: PostgreSQL cut off by the TCP proxy of
test_db_faults, SQLite's directory moved away (as a volume unmounted). Pages answer HTML, the
API still answers its JSON 503, and both answer 200 again once the database is back.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

from tests.api.test_pages import csrf_token
from tests.crash.test_db_faults import FAST, Proxy
from tests.factory import SECRET
from tests.live import HOST, LiveServer, dedicated_database

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")
HTML = {"Accept": "text/html", "Accept-Language": "fr"}


async def _check_outage_answers(http: httpx.AsyncClient) -> None:
    """While the database is away: a page in French, the API in JSON, both 503 Retry-After."""
    page = await http.get("/programme?annee=1", headers=HTML)
    assert page.status_code == 503, page.text
    assert page.headers["Retry-After"] == "5"
    assert page.headers["content-type"].startswith("text/html")
    assert "Service momentanément indisponible" in page.text
    assert "Réessayez dans quelques secondes" in page.text
    assert 'href="/programme?annee=1"' in page.text  # "Réessayer" reads the same page again
    assert "Réessayer" in page.text

    # A form sent during the outage (the sign-in page itself needs no database): the page,
    # without a link that would send the form again.
    sign_in = await http.get("/connexion", headers=HTML)
    assert sign_in.status_code == 200
    form = await http.post(
        "/connexion",
        data={"email": "x@example.org", "password": "p" * 12, "_csrf_token": csrf_token(sign_in)},
        headers=HTML,
    )
    assert form.status_code == 503, form.text
    assert form.headers["Retry-After"] == "5"
    assert "Service momentanément indisponible" in form.text
    assert "Réessayer" not in form.text

    # Last: the language choice stays in a cookie.
    english = await http.get("/programme?lang=en", headers=HTML)
    assert english.status_code == 503
    assert "Service temporarily unavailable" in english.text

    api = await http.get("/api/public/totals")
    assert api.status_code == 503, api.text
    assert api.headers["Retry-After"] == "5"
    assert api.json()["extra"]["code"] == "unavailable"

    health = await http.get("/health")
    assert health.status_code == 503, health.text
    assert health.json() == {"status": "degraded", "database": "unreachable"}


async def _wait_until_back(http: httpx.AsyncClient) -> None:
    async with asyncio.timeout(8):
        while (await http.get("/programme", headers=HTML)).status_code != 200:
            await asyncio.sleep(0.1)
    assert (await http.get("/api/public/totals")).status_code == 200


@pytest.mark.skipif(not POSTGRES_URL, reason="COLLECTE_TEST_POSTGRES_URL is not set")
async def test_a_page_answers_503_in_french_while_postgresql_is_cut(tmp_path: Path) -> None:
    async with dedicated_database("postgres", tmp_path, POSTGRES_URL) as url:
        parsed = urlparse(url)
        proxy = Proxy(parsed.hostname or HOST, parsed.port or 5432)
        await proxy.start()
        through = urlunparse(parsed._replace(netloc=f"{parsed.username}@{HOST}:{proxy.port}"))
        server = LiveServer(through, tmp_path / "server.log", SECRET, extra_env=FAST)
        try:
            await asyncio.to_thread(server.start)
            async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
                assert (await http.get("/programme", headers=HTML)).status_code == 200
                proxy.cut()
                await _check_outage_answers(http)
                proxy.restore()
                await _wait_until_back(http)
            log = server.log(100_000)
            assert "Traceback" not in log, log
        finally:
            await asyncio.to_thread(server.stop)
            await proxy.close()


async def test_a_page_answers_503_in_french_while_the_sqlite_file_is_away(tmp_path: Path) -> None:
    home = tmp_path / "volume"
    home.mkdir()
    async with dedicated_database("sqlite", home, None) as url:
        server = LiveServer(url, tmp_path / "server.log", SECRET)
        try:
            server.start()
            async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
                assert (await http.get("/programme", headers=HTML)).status_code == 200
                home.rename(tmp_path / "unmounted")
                try:
                    await _check_outage_answers(http)
                finally:
                    (tmp_path / "unmounted").rename(home)
                await _wait_until_back(http)
            log = server.log(100_000)
            assert "Database unavailable" in log
            assert "Traceback" not in log, log
        finally:
            server.stop()
