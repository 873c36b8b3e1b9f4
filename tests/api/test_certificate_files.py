"""Certificate files rendered after their transaction: on the first download, by the renderer,
at start-up; stored once, identical whoever renders them.

The app of these tests runs without its lifespan, so no renderer runs unless a test starts one:
a certificate stays without its PDF until something asks for it, the case of a download that
comes before the renderer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import httpx
import pytest

from collecte.db.tables import Certificate, Counter
from collecte.services import certificate_files, idempotency
from collecte.services.certificate_files import Renderer, file_of, render_stored, store, unrendered
from tests.api.test_certificates_api import download, number, text_of
from tests.api.test_pages import csrf_token, sign_in
from tests.documents.reading import decode_qr_codes
from tests.factory import WIPE, World, act, make_donation, make_world, walk_to


async def _row(cert: str) -> dict[str, Any]:
    row = await (
        Certificate.select(
            Certificate.sha256,
            Certificate.pdf,
            Certificate.content_fingerprint,
            Certificate.document,
            Certificate.status,
        )
        .where(Certificate.number == cert)
        .first()
    )
    assert row is not None, cert
    return row


async def _wiped(client: httpx.AsyncClient, world: World, count: int = 1) -> tuple[str, list[str]]:
    """An erasure certificate for `count` devices wiped in one batch, and their tags."""
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count))["devices"]]
    for action, data in (("collect", {}), ("receive", {}), ("wipe", WIPE)):
        response = await client.post(
            "/api/transitions",
            json={"action": action, "tags": tags, **data},
            headers=world.reconditioner.headers,
        )
        assert response.status_code == 200, response.text
    return response.json()["certificate"]["number"], tags


def _sha(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


# --- on demand --------------------------------------------------------------------------------


async def test_the_transition_stores_the_content_and_the_first_download_renders_the_file(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = [d["tag"] for d in (await make_donation(client, world.donor, 1))["devices"]]
    wiped = await walk_to(client, world, tag, "wiped")
    cert = wiped["certificate"]["number"]
    committed = await _row(cert)

    pdf = await download(client, world.donor, cert)
    stored = await _row(cert)
    again = await download(client, world.reconditioner, cert)

    # The transition answered the number at once; its transaction stored no file.
    assert wiped["certificate"] == {"number": number("EFF", 1), "kind": "erasure"}
    assert committed["pdf"] is None and committed["sha256"] is None
    assert committed["document"] and len(committed["content_fingerprint"]) == 64
    assert again == pdf and bytes(stored["pdf"]) == pdf and stored["sha256"] == _sha(pdf)
    assert stored["content_fingerprint"] == committed["content_fingerprint"]
    assert cert in text_of(pdf) and committed["content_fingerprint"] in text_of(pdf)
    codes = {code.text for code in decode_qr_codes(pdf, dpi=150)}
    assert codes == {f"http://collecte.test/verify/{cert}"}


async def test_a_page_link_metadata_and_a_list_before_the_file_render_it(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    linked, described, listed = [(await _wiped(client, world))[0] for _ in range(3)]
    await sign_in(client, world.donor)

    page = await client.get(f"/certificats/{linked}.pdf")
    meta = await client.get(f"/api/certificates/{described}", headers=world.donor.headers)
    listing = await client.get("/api/certificates", headers=world.donor.headers)

    assert page.status_code == 200 and page.content.startswith(b"%PDF-")
    assert page.content == await download(client, world.donor, linked)
    assert meta.status_code == 200 and listing.status_code == 200
    assert meta.json()["sha256"] == (await _row(described))["sha256"] is not None
    shown = {c["number"]: c["sha256"] for c in listing.json()}
    assert shown == {number: (await _row(number))["sha256"] for number in shown}
    assert shown[listed] == _sha(await download(client, world.donor, listed))
    assert await unrendered() == []


async def test_verification_before_and_after_the_file_agrees(client: httpx.AsyncClient) -> None:
    world = await make_world()
    cert, _ = await _wiped(client, world)
    later, _ = await _wiped(client, world)

    # Before any file: the public answer and the page render it to give its SHA-256.
    before = await client.get(f"/api/verify/{cert}")
    page_before = await client.get(f"/verify/{later}")
    pdf, later_pdf = (
        await download(client, world.donor, cert),
        await download(client, world.donor, later),
    )
    after = await client.get(f"/api/verify/{cert}")
    checked = await client.post(
        "/api/verify", content=pdf, headers={"Content-Type": "application/pdf"}
    )
    form = await client.get(f"/verify/{later}")
    sent = await client.post(
        f"/verify/{later}",
        data={"_csrf_token": csrf_token(form)},
        files={"file": ("certificat.pdf", later_pdf, "application/pdf")},
    )

    assert before.status_code == 200 and before.json()["valid"] is True
    assert before.json() == after.json()
    assert before.json()["sha256"] == _sha(pdf)
    assert before.json()["content_sha256"] == (await _row(cert))["content_fingerprint"]
    assert page_before.status_code == 200 and _sha(later_pdf) in page_before.text
    assert checked.json() == {"valid": True, "number": cert, "sha256": _sha(pdf)}
    assert 'data-outcome="valid"' in sent.text and _sha(later_pdf) in sent.text


async def test_concurrent_renders_store_one_identical_file(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    world = await make_world()
    cert, _ = await _wiped(client, world, count=3)
    shared, _ = await _wiped(client, world)
    renders = []
    real = certificate_files.render_stored

    def counted(*args: Any) -> bytes:
        renders.append(args)
        return real(*args)

    # As several processes would: each renders and stores, the first stored stays.
    apart = await asyncio.gather(*(certificate_files._render(cert) for _ in range(4)))
    # In one process, the requests for a file under way wait for it: one rendering.
    monkeypatch.setattr(certificate_files, "render_stored", counted)
    together = await asyncio.gather(*(file_of(shared) for _ in range(5)))
    other = bytearray(apart[0].pdf)
    other[-20] ^= 0x01
    with caplog.at_level(logging.ERROR, logger="collecte"):
        kept = await store(cert, bytes(other))

    assert {(f.pdf, f.sha256) for f in apart} == {(apart[0].pdf, _sha(apart[0].pdf))}
    assert (await _row(cert))["sha256"] == apart[0].sha256
    assert len(renders) == 1 and len({f.pdf for f in together}) == 1
    assert kept == apart[0] and (await _row(cert))["sha256"] == apart[0].sha256
    assert "rendered differently" in caplog.text and cert in caplog.text


async def test_content_no_longer_matching_its_fingerprint_is_never_rendered(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    cert, _ = await _wiped(client, world)
    row = await _row(cert)
    altered = row["document"].replace("SN-", "XX-", 1)
    assert altered != row["document"]
    await Certificate.update({Certificate.document: altered}).where(Certificate.number == cert)

    response = await client.get(f"/api/certificates/{cert}/pdf", headers=world.donor.headers)
    english = await client.get(
        f"/api/certificates/{cert}/pdf",
        headers={**world.donor.headers, "Accept-Language": "en"},
    )

    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.json()["extra"]["code"] == "unavailable"
    assert response.json()["detail"] == (
        f"Le fichier du certificat {cert} n’a pas encore pu être produit. Réessayez dans une "
        "minute ; si cela se répète, prévenez la coordination."
    )
    assert english.json()["detail"] == (
        f"The file of certificate {cert} could not be produced yet. Try again in a minute; "
        "if this goes on, tell the coordination."
    )
    assert (await _row(cert))["sha256"] is None


# --- the renderer ---------------------------------------------------------------------------


async def test_start_up_renders_every_certificate_left_without_its_file(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    issued = [(await _wiped(client, world))[0] for _ in range(3)]
    assert await unrendered() == issued  # as a crash between commit and rendering leaves them

    renderer = Renderer(processes=0)
    await renderer.start()
    try:
        await asyncio.wait_for(renderer.drained(), 60)
    finally:
        await renderer.stop()

    assert await unrendered() == []
    for cert in issued:
        row = await _row(cert)
        assert row["sha256"] == _sha(render_stored(row["document"], row["content_fingerprint"]))
        assert await download(client, world.donor, cert) == bytes(row["pdf"])


async def test_the_renderer_renders_what_commits_and_nothing_rolled_back(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world()
    renderer = Renderer(processes=1)  # a rendering process, as `collecte serve` runs
    await renderer.start(repair=False)
    submitted: list[str] = []
    submit = renderer.submit

    def spied(numbers: Any) -> None:
        submitted.extend(numbers)
        submit(numbers)

    monkeypatch.setattr(renderer, "submit", spied)
    try:
        cert, tags = await _wiped(client, world, count=2)
        # A revert takes one device out: the erasure certificate is superseded and its
        # replacement issued in the same transaction, rendered after it the same way.
        reverted = await act(client, world.coordinator, tags[0], "revert", reason="erreur")
        assert reverted.status_code == 200, reverted.text
        replacement = reverted.json()["superseded"][0]["replaced_by"]

        def broken() -> Any:
            # Storing the answer of an Idempotency-Key fails, after the certificate was stored
            # in the same transaction: everything rolls back.
            raise RuntimeError("disque plein")

        [more] = [d["tag"] for d in (await make_donation(client, world.donor, 1))["devices"]]
        await walk_to(client, world, more, "received")
        with monkeypatch.context() as patch:
            patch.setattr(idempotency, "now", broken)
            failed = await client.post(
                f"/api/devices/{more}/transitions",
                json={"action": "wipe", **WIPE},
                headers={**world.reconditioner.headers, "Idempotency-Key": "essai"},
            )
        await asyncio.wait_for(renderer.drained(), 60)
    finally:
        await renderer.stop()

    assert failed.status_code == 500
    assert submitted == [cert, replacement]
    assert await unrendered() == []
    assert await Certificate.count() == 2
    # The failed wipe's number was given back: the counter stands at the replacement's.
    [counter] = await Counter.select(Counter.value).where(Counter.name == cert.rsplit("-", 1)[0])
    assert counter["value"] == 2 and replacement == number("EFF", 2)
    for made in (cert, replacement):
        row = await _row(made)
        # Rendered in another process, the file is the one this process renders.
        assert bytes(row["pdf"]) == render_stored(row["document"], row["content_fingerprint"])
    assert f"Remplace le certificat n° {cert}" in text_of(bytes((await _row(replacement))["pdf"]))
