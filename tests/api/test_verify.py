"""Public verification of a certificate, as a reader holding paper does it: the API and the page
give the fingerprint printed on the document, the organisations, the device count and the total,
never a person's name; an unknown number is a clear page; both are limited per address. On both
databases."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import replace
from ipaddress import ip_network
from typing import Any

import httpx
import pytest

from collecte.db.tables import Certificate, Organization, User
from collecte.documents.certificates.render import render_certificate
from collecte.services.certificate_files import decode_document
from collecte.settings import Settings
from collecte.web.app import create_app
from tests.api.test_certificates_api import (
    batch,
    certified,
    download,
    flat,
    number,
    tags_of,
    text_of,
)
from tests.api.test_pages import csrf_token
from tests.documents.reading import decode_qr_codes, page_texts
from tests.factory import WIPE, Account, World, act, attest, make_world, walk_to

PROGRAMME = (
    "OPEN NC — La Grande Collecte Numérique"  # the default programme, as certificates name it
)
# The fingerprint line at the foot of every page (a French certificate).
PRINTED = re.compile(r"Empreinte SHA-256 du contenu : ([0-9a-f]{64})")
FIELDS = {
    "valid",
    "number",
    "kind",
    "issued_at",
    "device_count",
    "sha256",
    "content_sha256",
    "issuer",
    "recipient",
    "total_value_xpf",
    "total_weight_kg",
    "status",
    "reason",
    "replaced_by",
    "replaces",
}
# Persons the certificates may name (operators, signatories): never in a public answer.
PERSONS = ("Eulalie Tchoupinet", "Ferdinand Ouvéa-Kasarhérou", "Gwendoline Poindimié")
RECEIVER = "Marie Wayenece"  # who signs the receipts walk_to confirms
SIGNER = "Jeanne Wamytan"  # who signs the pickups attest closes


async def named_world() -> World:
    """Every role, each user with a recognisable full name."""
    world = await make_world()
    for account, name in zip(
        (world.donor, world.reconditioner, world.association), PERSONS, strict=True
    ):
        await User.update({User.full_name: name}).where(User.id == account.user_id)
    await User.update({User.full_name: "Hippolyte Coordinateur"}).where(
        User.id == world.coordinator.user_id
    )
    return world


def printed_fingerprint(pdf: bytes) -> str:
    """The content fingerprint as the PDF prints it; the same on every page."""
    found = {m for page in text_of_pages(pdf) for m in PRINTED.findall(page)}
    assert len(found) == 1, found
    return found.pop()


def text_of_pages(pdf: bytes) -> list[str]:
    """Each page's text, whitespace flattened."""
    return [flat(page) for page in page_texts(pdf)]


async def verified(client: httpx.AsyncClient, cert: str) -> dict[str, Any]:
    """The public answer for `cert`, checked for its shape and for persons' names."""
    response = await client.get(f"/api/verify/{cert}")
    assert response.status_code == 200, response.text
    assert set(response.json()) == FIELDS
    no_person_in(response.text)
    answer: dict[str, Any] = response.json()
    return answer


async def page_of(client: httpx.AsyncClient, cert: str, **params: str) -> str:
    """The public page of `cert`, checked for persons' names."""
    response = await client.get(f"/verify/{cert}", params=params)
    assert response.status_code == 200, response.text
    no_person_in(response.text)
    return words_of(response.text)


def words_of(page: str) -> str:
    """The text a person reads on a page, whitespace flattened."""
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def no_person_in(text: str) -> None:
    """Assert no person the certificates may name, and no e-mail address, is in `text`."""
    for person in (*PERSONS, RECEIVER, SIGNER, "Hippolyte Coordinateur"):
        assert person not in text, person
    assert re.search(r"user\d+@", text) is None


async def matches_its_pdf(
    client: httpx.AsyncClient, account: Account, answer: dict[str, Any]
) -> bytes:
    """Assert the answer gives the printed fingerprint and the file's hash, and the document's
    QR code (decoded from the rendered page, as a phone would) leads to its verification;
    return the PDF."""
    pdf = await download(client, account, answer["number"])
    codes = {code.text for code in decode_qr_codes(pdf, dpi=150)}
    assert codes == {f"http://collecte.test/verify/{answer['number']}"}
    scanned = await client.get(codes.pop().removeprefix("http://collecte.test"))
    assert scanned.status_code == 200 and answer["content_sha256"] in scanned.text
    assert answer["content_sha256"] == printed_fingerprint(pdf)
    assert answer["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert answer["content_sha256"] != answer["sha256"]
    return pdf


# --- each kind --------------------------------------------------------------------------------


async def test_a_donation_gives_the_programme_the_donor_and_the_total_value(
    client: httpx.AsyncClient,
) -> None:
    world = await named_world()
    tags = await tags_of(client, world.donor, 2, estimated_value_xpf=60_000)
    cert = await attest(client, world.reconditioner, tags)

    answer = await verified(client, cert)
    pdf = await matches_its_pdf(client, world.donor, answer)
    page = await page_of(client, cert)

    assert answer["kind"] == "donation" and answer["device_count"] == 2
    assert answer["issuer"] == PROGRAMME
    assert answer["recipient"] == world.donor.organization_name
    assert (answer["total_value_xpf"], answer["total_weight_kg"]) == (120_000, None)
    assert (answer["status"], answer["replaced_by"], answer["replaces"]) == ("valid", None, None)
    assert "Total · 2 appareils 120 000 XPF" in text_of(pdf)
    assert "Valeur totale déclarée par le donateur 120 000 XPF" in page
    assert answer["content_sha256"] in page and answer["sha256"] in page
    assert f"Émis par {PROGRAMME}" in page
    assert f"Établi pour {world.donor.organization_name}" in page
    assert "Appareils 2" in page and "Poids total" not in page
    assert "Vérifier une copie papier" in page


async def test_an_erasure_gives_the_workshop_and_the_donor_and_no_total(
    client: httpx.AsyncClient,
) -> None:
    world = await named_world()
    [tag] = await tags_of(client, world.donor, 1)
    wiped = await walk_to(client, world, tag, "wiped")
    cert = wiped["certificate"]["number"]

    answer = await verified(client, cert)
    await matches_its_pdf(client, world.donor, answer)
    page = await page_of(client, cert)

    assert answer["kind"] == "erasure" and answer["device_count"] == 1
    assert answer["issuer"] == world.reconditioner.organization_name
    assert answer["recipient"] == world.donor.organization_name
    assert (answer["total_value_xpf"], answer["total_weight_kg"]) == (None, None)
    assert f"Émis par {world.reconditioner.organization_name}" in page
    assert "Valeur totale" not in page and "Poids total" not in page


async def test_a_recycling_gives_the_programme_the_donor_and_the_total_weight(
    client: httpx.AsyncClient,
) -> None:
    world = await named_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "wiped")
    recycled = await act(
        client, world.reconditioner, tag, "recycle", channel="Trecodec", weight_kg=2.5
    )
    cert = recycled.json()["certificate"]["number"]

    answer = await verified(client, cert)
    pdf = await matches_its_pdf(client, world.donor, answer)
    page = await page_of(client, cert)

    assert answer["kind"] == "recycling" and answer["device_count"] == 1
    assert answer["issuer"] == PROGRAMME
    assert answer["recipient"] == world.donor.organization_name
    assert (answer["total_value_xpf"], answer["total_weight_kg"]) == (None, 2.5)
    assert "Poids total 2,50 kg" in text_of(pdf)
    assert "Poids total 2,50 kg" in page
    assert "Valeur totale" not in page


async def test_a_receipt_gives_the_association_and_the_workshop(
    client: httpx.AsyncClient,
) -> None:
    world = await named_world()
    [tag] = await tags_of(client, world.donor, 1)
    delivered = await walk_to(client, world, tag, "delivered")
    cert = delivered["certificate"]["number"]

    answer = await verified(client, cert)
    await matches_its_pdf(client, world.association, answer)
    page = await page_of(client, cert, lang="en")

    assert answer["kind"] == "receipt" and answer["device_count"] == 1
    assert answer["issuer"] == world.association.organization_name
    assert answer["recipient"] == world.reconditioner.organization_name
    assert (answer["total_value_xpf"], answer["total_weight_kg"]) == (None, None)
    assert f"Issued by {world.association.organization_name}" in page
    assert f"Issued for {world.reconditioner.organization_name}" in page
    assert "Checking a paper copy" in page


async def test_an_english_certificate_prints_its_total_as_the_page_shows_it(
    client: httpx.AsyncClient,
) -> None:
    world = await named_world()
    await Organization.update({Organization.language: "en"}).where(
        Organization.id == world.donor.organization_id
    )
    tags = await tags_of(client, world.donor, 2, estimated_value_xpf=1_234_567)
    cert = await attest(client, world.reconditioner, tags)

    answer = await verified(client, cert)
    pdf = await download(client, world.donor, cert)
    page = await page_of(client, cert)

    assert answer["total_value_xpf"] == 2_469_134
    assert "2,469,134 XPF" in text_of(pdf)
    assert "2,469,134 XPF" in page  # as printed, whatever the page's language
    english = re.search(r"SHA-256 .*?: ([0-9a-f]{64})", text_of(pdf))
    assert english is not None and english.group(1) == answer["content_sha256"]


# --- superseded and revoked -------------------------------------------------------------------


async def test_a_superseded_then_revoked_erasure_says_so_with_its_replacement(
    client: httpx.AsyncClient,
) -> None:
    world = await named_world()
    tags = await tags_of(client, world.donor, 2)
    for tag in tags:
        await walk_to(client, world, tag, "received")
    cert = await certified(await batch(client, world.reconditioner, "wipe", tags, **WIPE))
    reverted = await act(client, world.coordinator, tags[0], "revert", reason="Mauvaise étiquette")
    assert reverted.status_code == 200, reverted.text

    old = await verified(client, cert)
    new = await verified(client, old["replaced_by"])
    old_page = await page_of(client, cert)
    await matches_its_pdf(client, world.donor, new)

    assert (old["status"], old["device_count"]) == ("superseded", 2)
    assert old["reason"] == "Annuler la dernière étape : Mauvaise étiquette"
    assert (new["status"], new["replaces"], new["device_count"]) == ("valid", cert, 1)
    assert (new["issuer"], new["recipient"]) == (old["issuer"], old["recipient"])
    assert new["content_sha256"] != old["content_sha256"]
    assert f"État Remplacé par {new['number']}" in old_page
    assert "Motif Annuler la dernière étape : Mauvaise étiquette" in old_page

    last = await act(client, world.coordinator, tags[1], "revert", reason="Erreur")
    assert last.status_code == 200, last.text
    revoked = await verified(client, new["number"])
    revoked_page = await page_of(client, new["number"])

    assert (revoked["status"], revoked["replaced_by"]) == ("revoked", None)
    assert "Certificat révoqué" in revoked_page and "État Révoqué" in revoked_page
    assert "Motif Annuler la dernière étape : Erreur" in revoked_page


# --- a paper copy altered ---------------------------------------------------------------------


async def test_a_donation_with_one_figure_altered_is_told_apart(client: httpx.AsyncClient) -> None:
    world = await named_world()
    tags = await tags_of(client, world.donor, 2, estimated_value_xpf=60_000)
    cert = await attest(client, world.reconditioner, tags)
    row = await Certificate.select(Certificate.document).where(Certificate.number == cert).first()
    assert row is not None
    issued = decode_document(row["document"])
    # A forger raises one device's value and copies the printed fingerprint as it was.
    first = replace(issued.devices[0], declared_value_xpf=90_000)
    forged_pdf = render_certificate(replace(issued, devices=(first, *issued.devices[1:])))
    forged_text = text_of(forged_pdf)

    answer = await verified(client, cert)
    page = await page_of(client, cert)
    checked = await client.post(
        "/api/verify", content=forged_pdf, headers={"Content-Type": "application/pdf"}
    )

    assert printed_fingerprint(forged_pdf) == answer["content_sha256"]  # copied: same line
    assert "150 000 XPF" in forged_text  # the paper's total...
    assert answer["total_value_xpf"] == 120_000  # ...is not the issued one
    assert "120 000 XPF" in page and "150 000 XPF" not in page
    assert checked.json() == {"valid": False, "sha256": hashlib.sha256(forged_pdf).hexdigest()}


# --- a file checked on the page, without JavaScript -------------------------------------------


async def test_the_page_checks_a_file_sent_by_its_form(client: httpx.AsyncClient) -> None:
    world = await named_world()
    [one, two] = await tags_of(client, world.donor, 2)
    cert = await attest(client, world.reconditioner, [one])
    other = await attest(client, world.reconditioner, [two])
    pdf = await download(client, world.donor, cert)
    other_pdf = await download(client, world.donor, other)
    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 0x01

    async def send(content: bytes) -> httpx.Response:
        page = await client.get(f"/verify/{cert}")
        return await client.post(
            f"/verify/{cert}",
            data={"_csrf_token": csrf_token(page)},
            files={"file": ("certificat.pdf", content, "application/pdf")},
        )

    genuine, forged, wrong, empty = [await send(c) for c in (pdf, bytes(tampered), other_pdf, b"")]

    assert genuine.status_code == 200, genuine.text
    assert 'data-outcome="valid"' in genuine.text
    assert "Fichier authentique et intact" in genuine.text
    assert hashlib.sha256(pdf).hexdigest() in genuine.text
    assert 'data-outcome="invalid"' in forged.text
    assert hashlib.sha256(bytes(tampered)).hexdigest() in forged.text
    assert 'data-outcome="other"' in wrong.text and other in wrong.text
    assert 'data-outcome="missing"' in empty.text


# --- unknown numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["DON-2026-00042", "abc", "REC-1999-0000000001", "%3Cb%3Ex"])
async def test_an_unknown_or_malformed_number_is_a_clear_page(
    client: httpx.AsyncClient, asked: str
) -> None:
    french = await client.get(f"/verify/{asked}")
    english = await client.get(f"/verify/{asked}?lang=en")
    api = await client.get(f"/api/verify/{asked}")

    assert french.status_code == 404
    assert french.headers["content-type"].startswith("text/html")
    text = words_of(french.text)
    assert "Certificat inconnu" in words_of(french.text)
    assert "Aucun certificat n’a été émis sous le numéro" in text
    assert "DON-2026-00042" in text and "DON, EFF, RCY, REC" in text
    assert "scannez le code QR du document" in text
    assert "<b>" not in french.text.split("<main", 1)[-1]  # the number asked is escaped
    assert english.status_code == 404
    assert "No certificate was issued under the number" in words_of(english.text)
    assert "A certificate number reads like" in words_of(english.text)
    assert api.status_code == 404 and api.json()["valid"] is False


# --- the limit per address --------------------------------------------------------------------


class Clock:
    """A clock the test moves on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_verifications_are_limited_per_address_and_the_window_ends(
    client: httpx.AsyncClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(app.state.verify_window, "clock", clock)
    limit = app.state.settings.verify_max_requests
    assert limit == 60
    unknown = number("DON", 99)
    pdf = {"Content-Type": "application/pdf"}

    # Every verification counts, whatever its route: API or page, number or file.
    answers = []
    for i in range(limit):
        kind = i % 3
        if kind == 0:
            answers.append(await client.get(f"/api/verify/{unknown}"))
        elif kind == 1:
            answers.append(await client.get(f"/verify/{unknown}"))
        else:
            answers.append(await client.post("/api/verify", content=b"%PDF-1.7", headers=pdf))
    clock.now += 30
    refused = await client.get(f"/api/verify/{unknown}", headers={"Accept-Language": "en"})
    refused_fr = await client.post("/api/verify", content=b"%PDF-1.7", headers=pdf)
    refused_page = await client.get(f"/verify/{unknown}")
    token = {"_csrf_token": client.cookies["collecte_csrf"]}  # the double-submit cookie's
    refused_post = await client.post(f"/verify/{unknown}", data=token, files={"file": b"x"})

    assert [a.status_code for a in answers] == [404, 404, 200] * (limit // 3)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert refused.json()["extra"]["code"] == "too_many_requests"
    assert refused.json()["detail"] == (
        "Too many verifications from your address. Try again in 30 s, or contact the programme "
        "if you need to verify many certificates."
    )
    assert refused_fr.status_code == 429
    assert refused_fr.json()["detail"].startswith(
        "Trop de vérifications depuis votre adresse. Réessayez dans 30 s"
    )
    assert refused_page.status_code == 429
    assert refused_page.headers["content-type"].startswith("text/html")
    assert refused_page.headers["Retry-After"] == "30"
    assert "Trop de vérifications depuis votre adresse" in words_of(refused_page.text)
    assert refused_post.status_code == 429

    # Another address has its own allowance.
    elsewhere = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("192.0.2.7", 4000)),
        base_url="http://collecte.test",
    )
    async with elsewhere:
        assert (await elsewhere.get(f"/api/verify/{unknown}")).status_code == 404

    # The window ends 60 s after its first request: the allowance is whole again.
    clock.now += 29.5
    assert (await client.get(f"/api/verify/{unknown}")).status_code == 429
    clock.now += 0.5
    again = [await client.get(f"/api/verify/{unknown}") for _ in range(limit)]
    assert {a.status_code for a in again} == {404}
    assert (await client.get(f"/api/verify/{unknown}")).status_code == 429


async def test_behind_a_trusted_proxy_each_forwarded_address_counts_apart(
    db: Any, settings: Settings
) -> None:
    proxied = create_app(
        settings.with_(trusted_proxies=(ip_network("127.0.0.0/8"),), verify_max_requests=2),
        manage_database=False,
    )
    transport = httpx.ASGITransport(app=proxied)  # the peer is 127.0.0.1: the proxy
    unknown = number("DON", 99)

    async def verify(forwarded: str) -> int:
        headers = {"X-Forwarded-For": forwarded}
        async with httpx.AsyncClient(transport=transport, base_url="http://collecte.test") as c:
            return (await c.get(f"/api/verify/{unknown}", headers=headers)).status_code

    first = [await verify("198.51.100.1") for _ in range(3)]
    second = [await verify("198.51.100.2") for _ in range(2)]
    spoofed = await verify("203.0.113.9, 198.51.100.1")  # what the client wrote is ignored

    assert first == [404, 404, 429]
    assert second == [404, 404]
    assert spoofed == 429
