"""Certificate PDFs read back: text extracted, QR codes decoded, bytes compared."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pypdfium2 as pdfium
import pytest
from babel.numbers import format_decimal

from collecte.documents import certificate_text as t
from collecte.documents.certificates.kinds import SPECS
from collecte.documents.certificates.model import (
    CertificateDevice,
    CertificateDocument,
    CertificateMedium,
    Party,
    ProgrammeInfo,
    canonical_content,
    content_fingerprint,
    with_fingerprint,
)
from collecte.documents.certificates.render import render_certificate
from tests.documents.reading import decode_qr_codes, page_count, page_texts
from tests.language import french_left_in

PROGRAMME = ProgrammeInfo(
    address="7 rue Suffren\n98800 Nouméa",
    ridet="1 234 567.001",
    signatory_name="Léa Coordinatrice",
    signatory_title="Coordinatrice du programme",
    public_url="https://collecte.example.nc",
)
DONOR = Party(
    name="Société Minière du Sud SAS",
    ridet="0 123 456.001",
    address="12 rue de Sébastopol",
    city="98800 Nouméa",
)
RECONDITIONER = Party(name="Atelier Réemploi Nord", ridet="1 000 111.002", city="Koné")
ASSOCIATION = Party(name="Association Drehu Numérique", ridet="0 555 666.001", city="Wé")


def medium(serial: str, **fields: Any) -> CertificateMedium:
    """A medium erased by nwipe 0.36, verified in full; `fields` override."""
    values: dict[str, Any] = {
        "serial": serial,
        "kind": "ssd",
        "capacity_gb": 256,
        "technique": "block_erase",
        "method_class": "purge",
        "tool": "nwipe",
        "tool_version": "0.36",
        "started_at": "2026-11-22T09:00:00+11:00",
        "ended_at": "2026-11-22T09:42:00+11:00",
        "result": "erased",
        "verification": "full",
        "certified": True,
    }
    values.update(fields)
    return CertificateMedium(**values)


def device(index: int = 1, **fields: Any) -> CertificateDevice:
    """Return a device whose serial and tag derive from `index`; `fields` override the rest."""
    values: dict[str, Any] = {
        "tag": f"7K3P{index:04d}",
        "category": "laptop",
        "brand": "Dell",
        "model": "Latitude 5490",
        "serial_number": f"SN{index:06d}X",
        "declared_value_xpf": 40_000,
        "weight_kg": 1.6,
        "grade": "B",
        "media": (medium(f"DISK{index:05d}"),),
        "destination": "reuse",
        "erasure_certificates": ("EFF-2026-00007",),
    }
    values.update(fields)
    return CertificateDevice(**values)


def certificate(kind: str = "donation", count: int = 3, **fields: Any) -> CertificateDocument:
    """Return a certificate of `kind` for `count` devices, fingerprinted; `fields` override."""
    number = f"{SPECS[kind].prefix}-2026-00042"
    values: dict[str, Any] = {
        "kind": kind,
        "number": number,
        "issued_at": datetime(2026, 11, 23, 3, 5, tzinfo=UTC),  # 14 h 05 in Nouméa
        "programme": PROGRAMME,
        "recipient": ASSOCIATION if kind == "receipt" else DONOR,
        "donor": DONOR,
        "reconditioner": RECONDITIONER,
        "association": ASSOCIATION if kind == "receipt" else None,
        "operator_name": "Jean Wayenece",
        "handover_date": date(2026, 11, 20) if kind == "donation" else None,
        "channel": "Trecodec Recyclage" if kind == "recycling" else None,
        "received_by": "Marie Hnawia" if kind == "receipt" else None,
        "place": "Wé, Lifou" if kind == "receipt" else None,
        "devices": tuple(device(i) for i in range(1, count + 1)),
        "verify_url": f"HTTPS://COLLECTE.EXAMPLE.NC/VERIFY/{number}",
    }
    values.update(fields)
    return with_fingerprint(CertificateDocument(**values))


def flat(text: str) -> str:
    """Return `text` with every run of whitespace (no-break spaces included) as one space."""
    return " ".join(text.split())


def text_of(pdf: bytes) -> str:
    """Return the whole text of a PDF, whitespace flattened."""
    return flat(" ".join(page_texts(pdf)))


TITLES = {
    "donation": "Attestation de don en nature",
    "erasure": "Certificat d’effacement des données",
    "recycling": "Certificat de recyclage",
    "receipt": "Attestation de réception",
}

EXPECTED = {
    "donation": [
        DONOR.name, "RIDET : 0 123 456.001", "12 rue de Sébastopol", "20 novembre 2026",
        "Don manuel, en nature", "sans contrepartie", "Pour le donateur",
        "Léa Coordinatrice", "Total · 3 appareils", "120 000 XPF",
        "Total, valeur estimée par le donateur", "n'est pas un reçu fiscal",
    ],
    "erasure": [
        DONOR.name, RECONDITIONER.name, "RIDET : 1 000 111.002", "Jean Wayenece",
        "23 novembre 2026 à 14 h 05", "NIST SP 800-88 Rev. 2 / IEEE 2883-2022",
        "Purge — effacement sécurisé du support", "Effacement par blocs (Block Erase)",
        "nwipe 0.36", "SSD (SATA) · 256 Go", "début : 22 novembre 2026 à 9 h 00",
        "fin : 22 novembre 2026 à 9 h 42", "Effacé Vérification complète effacement certifié",
        "Destination : Réemploi", "DISK00001", "DISK00003", "Effacement certifié 3 / 3",
    ],
    "recycling": [
        DONOR.name, "RIDET : 0 123 456.001", "Trecodec Recyclage", "23 novembre 2026",
        "1,60 kg", "Poids total 4,80 kg",
    ],
    "receipt": [
        ASSOCIATION.name, "RIDET : 0 555 666.001", "Marie Hnawia", "Wé, Lifou",
        "23 novembre 2026 à 14 h 05", RECONDITIONER.name, "EFF-2026-00007", "Grade",
        "Répartition par grade B : 3", "Pour l'association",
    ],
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(TITLES))
def test_each_kind_carries_its_title_number_parties_serials_and_totals(kind: str) -> None:
    doc = certificate(kind)
    text = text_of(render_certificate(doc))

    assert TITLES[kind] in text
    assert doc.number in text
    assert PROGRAMME.name in text and "RIDET : 1 234 567.001" in text
    for serial in ("SN000001X", "SN000002X", "SN000003X"):
        assert serial in text
    assert "7K3P-0001" in text
    assert "Nombre d'appareils 3" in text
    for expected in EXPECTED[kind]:
        assert expected in text, expected
    assert doc.content_fingerprint in text.replace(" ", "")


def test_donation_gives_values_per_device_and_in_total_in_figures_and_words() -> None:
    devices = (device(1, declared_value_xpf=50_000), device(2, declared_value_xpf=70_000))
    text = text_of(render_certificate(certificate(devices=devices, tax_receipt=True)))

    assert "50 000 XPF" in text and "70 000 XPF" in text
    assert "Montant du don (valeur déclarée par le donateur) 120 000 XPF" in text
    assert "la somme de cent vingt mille francs CFP (120 000 XPF)" in text
    assert "Reçu fiscal" in text and "numéro d'ordre DON-2026-00042" in text


def test_a_donation_that_is_no_tax_receipt_gives_the_donors_estimate_not_words() -> None:
    devices = (device(1, declared_value_xpf=50_000), device(2, declared_value_xpf=70_000))
    text = text_of(render_certificate(certificate(devices=devices)))

    assert "Valeur estimée" in text
    assert "Total, valeur estimée par le donateur 120 000 XPF" in text
    assert "cent vingt mille" not in text and "Reçu fiscal" not in text
    assert "Mention légale" not in text  # none configured: none printed


def test_donation_marks_devices_without_declared_value() -> None:
    devices = (device(1, declared_value_xpf=1_000_000), device(2, declared_value_xpf=None))
    text = text_of(render_certificate(certificate(devices=devices, tax_receipt=True)))

    assert "1 000 000 XPF — dont 1 sans valeur déclarée" in text
    assert "un million de francs CFP" in text


def test_donation_without_ridet_says_so() -> None:
    donor = dataclasses.replace(DONOR, ridet=None)
    text = text_of(render_certificate(certificate(recipient=donor, donor=donor)))

    assert "RIDET : non communiqué" in text


def test_english_variant_speaks_english() -> None:
    devices = (device(1, declared_value_xpf=50_000), device(2, declared_value_xpf=70_000))
    text = text_of(
        render_certificate(certificate(language="en", devices=devices, tax_receipt=True))
    )

    assert "Certificate of in-kind donation" in text
    assert "Issued on 23 November 2026 at 14:05" in text
    assert "120,000 XPF" in text
    assert "one hundred and twenty thousand CFP francs" in text
    assert "Laptop" in text and "page 1 / 1" in text
    assert "Attestation de don" not in text


@pytest.mark.parametrize("kind", ["erasure", "recycling", "receipt"])
def test_english_titles(kind: str) -> None:
    text = text_of(render_certificate(certificate(kind, language="en")))

    assert t.title(kind, "en") in text
    assert t.title(kind, "fr") not in text


def test_qr_code_decodes_to_the_verify_url_on_every_page() -> None:
    doc = certificate("erasure", count=40)
    pdf = render_certificate(doc)

    codes = decode_qr_codes(pdf)

    assert page_count(pdf) > 1
    assert {code.page for code in codes} == set(range(page_count(pdf)))
    assert {code.text for code in codes} == {doc.verify_url}


def test_verify_url_defaults_to_the_programme_verify_page() -> None:
    pdf = render_certificate(certificate("receipt", verify_url=""))

    assert {c.text for c in decode_qr_codes(pdf)} == {
        "https://collecte.example.nc/verify/REC-2026-00042"
    }


def test_a_300_device_certificate_repeats_the_table_header_and_numbers_its_pages() -> None:
    pdf = render_certificate(certificate(count=300, tax_receipt=True))
    pages = [flat(text) for text in page_texts(pdf)]
    total = len(pages)

    assert total >= 5
    for number, text in enumerate(pages, start=1):
        assert f"page {number} / {total}" in text
        assert "DON-2026-00042" in text
        # The last page too: the signatures never stand alone, the table's end is with them.
        assert "Étiquette Catégorie Marque / modèle N° de série Valeur déclarée" in text
    whole = " ".join(pages)
    assert all(f"SN{i:06d}X" in whole for i in range(1, 301))
    assert "Total · 300 appareils 12 000 000 XPF" in whole
    assert "douze millions de francs CFP" in whole


def test_long_cell_text_wraps_inside_the_page() -> None:
    long_serial = "SN" + "0123456789ABCDEF" * 4
    long_model = "ThinkPad X1 Carbon Gen 11 édition spéciale pour les très longs noms " * 2
    devices = (
        device(1, serial_number=long_serial, model=long_model,
               media=(medium("D1", tool="x" * 80),)),
    )  # fmt: skip
    for kind in ("donation", "erasure", "receipt"):
        pdf = render_certificate(certificate(kind, devices=devices))

        assert long_serial in text_of(pdf).replace(" ", "")
        document = pdfium.PdfDocument(pdf)
        try:
            for page in document:
                right_margin = page.get_width() - 18 * 72 / 25.4 + 0.5
                chars = page.get_textpage()
                for i in range(chars.count_chars()):
                    if chars.get_text_range(i, 1).isspace():
                        continue  # line ends pdfium adds to the text: no ink
                    _left, _bottom, right, _top = chars.get_charbox(i)
                    assert right <= right_margin, (kind, chars.get_text_range(i, 1), right)
        finally:
            document.close()


def test_user_text_with_markup_characters_prints_as_written() -> None:
    donor = Party(name="Dupont & Fils <SARL>", ridet="0 000 001.001")
    text = text_of(render_certificate(certificate(recipient=donor, donor=donor)))

    assert "Dupont & Fils <SARL>" in text


def test_characters_outside_the_standard_fonts_lose_their_accent_not_their_letter() -> None:
    donor = Party(name="Tribu de Nengonē — Hōtel", ridet="0 000 001.001")
    text = text_of(render_certificate(certificate(recipient=donor, donor=donor)))

    assert "Tribu de Nengone — Hotel" in text


def test_same_document_gives_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = certificate("erasure", count=30)
    first = render_certificate(doc)

    assert render_certificate(doc) == first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # read by reportlab when set
    assert render_certificate(doc) == first


def test_fingerprint_changes_when_a_serial_changes() -> None:
    doc = certificate()
    changed = dataclasses.replace(doc, devices=(device(1, serial_number="OTHER"), *doc.devices[1:]))

    assert content_fingerprint(changed) != content_fingerprint(doc)
    assert render_certificate(with_fingerprint(changed)) != render_certificate(doc)


def test_fingerprint_ignores_itself_and_the_time_zone_of_the_issue_time() -> None:
    doc = certificate()
    noumea = timezone(timedelta(hours=11))

    assert b"content_fingerprint" not in canonical_content(doc)
    assert content_fingerprint(dataclasses.replace(doc, content_fingerprint="x")) == (
        doc.content_fingerprint
    )
    same_moment = dataclasses.replace(doc, issued_at=doc.issued_at.astimezone(noumea))
    assert content_fingerprint(same_moment) == doc.content_fingerprint
    assert len(doc.content_fingerprint) == 64


def test_fingerprint_is_printed_on_every_page() -> None:
    doc = certificate(count=80)
    for text in page_texts(render_certificate(doc)):
        assert "Empreinte SHA-256 du contenu" in text
        assert doc.content_fingerprint in text.replace(" ", "").replace("\n", "")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"issued_at": datetime(2026, 11, 23, 14, 5)}, "issued_at"),
        ({"number": "EFF-2026-00001"}, "number"),
        ({"language": "de"}, "language"),
        ({"kind": "invoice"}, "kind"),
    ],
)
def test_an_incomplete_or_inconsistent_document_is_refused(
    fields: dict[str, Any], field: str
) -> None:
    doc = dataclasses.replace(certificate(), **fields)

    with pytest.raises(ValueError, match=field):
        render_certificate(doc)


def test_a_recycling_certificate_needs_its_channel() -> None:
    with pytest.raises(ValueError, match="channel"):
        certificate("recycling", channel=None)


# The wording helpers, without a PDF.


@pytest.mark.parametrize(
    ("amount", "fr", "en"),
    [
        (0, "zéro franc CFP", "zero CFP francs"),
        (1, "un franc CFP", "one CFP franc"),
        (80, "quatre-vingts francs CFP", "eighty CFP francs"),
        (120_000, "cent vingt mille francs CFP", "one hundred and twenty thousand CFP francs"),
        (1_200, "mille deux cents francs CFP", "one thousand two hundred CFP francs"),
        (2_000_000, "deux millions de francs CFP", "two million CFP francs"),
        (2_500_000, "deux millions cinq cent mille francs CFP",
         "two million five hundred thousand CFP francs"),
    ],
)  # fmt: skip
def test_amounts_in_words(amount: int, fr: str, en: str) -> None:
    assert t.xpf_in_words(amount, "fr") == fr
    assert t.xpf_in_words(amount, "en") == en


def test_figures_dates_and_weights() -> None:
    assert flat(t.format_xpf(120_000, "fr")) == "120 000 XPF"
    assert flat(t.format_xpf(120_000, "en")) == "120,000 XPF"
    assert flat(t.format_kg(1234.5, "fr")) == "1 234,50 kg"
    assert flat(t.format_kg(0.09, "en")) == "0.09 kg"
    moment = datetime(2026, 10, 31, 13, 5, tzinfo=UTC)  # already 1 November in Nouméa
    assert flat(t.format_datetime(moment, "fr")) == "1er novembre 2026 à 0 h 05"
    assert t.format_datetime(moment, "en") == "1 November 2026 at 00:05"
    assert t.format_tag("7k3p9qxm") == "7K3P-9QXM"


@pytest.mark.parametrize("kind", list(SPECS))
def test_an_english_certificate_holds_no_french_message(kind: str) -> None:
    english = text_of(render_certificate(certificate(kind, count=12, language="en")))
    french = text_of(render_certificate(certificate(kind, count=12, language="fr")))

    typed = (RECONDITIONER.name, ASSOCIATION.name)
    assert french_left_in(english, typed) == []
    assert french_left_in(french, typed)  # the check does find French where there is some


# --- erasure: what is certified, and what is said plainly -----------------------------------

ERASURE_INTRO = (
    "Jean Wayenece, pour le compte de Atelier Réemploi Nord, certifie que les données des "
    "supports de stockage marqués « effacement certifié » ci-dessous ont été effacées selon la "
    "technique indiquée pour chacun, et que cet effacement a été vérifié, conformément à "
    "NIST SP 800-88 Rev. 2 / IEEE 2883-2022. Les autres supports du tableau ne sont pas "
    "certifiés effacés."
)


def test_an_erasure_certificate_certifies_only_the_media_erased_and_verified() -> None:
    mixed = device(2, media=(
        medium("D2A", verification="none", certified=False),
        medium("D2B", result="failed", verification="full", certified=False),
        medium("D2C", result="erased_with_exceptions", verification="sample", certified=False),
        medium("D2D", verification="sample"),
    ))  # fmt: skip
    text = text_of(render_certificate(certificate("erasure", devices=(device(1), mixed))))

    assert ERASURE_INTRO in text
    assert "D2A SSD (SATA) · 256 Go" in text
    assert "Effacé Non vérifié non certifié" in text
    assert "Échec Vérification complète non certifié" in text
    assert "Effacé avec exceptions Vérification par échantillonnage non certifié" in text
    assert "Effacé Vérification par échantillonnage effacement certifié" in text
    assert "Total · 2 appareils · 5 supports" in text
    assert "Effacement certifié 2 / 5" in text
    assert (
        "Non certifiés D2A (Effacé, Non vérifié) · D2B (Échec, Vérification complète) · "
        "D2C (Effacé avec exceptions, Vérification par échantillonnage)"
    ) in text


def test_an_erasure_certificate_with_nothing_verified_certifies_nothing() -> None:
    unverified = device(1, media=(medium("D1", verification="none", certified=False),))
    text = text_of(render_certificate(certificate("erasure", devices=(unverified,))))

    assert "Effacement certifié 0 / 1" in text
    assert "Non certifiés D1 (Effacé, Non vérifié)" in text
    assert "effacement certifié" not in text.replace("« effacement certifié »", "")


def test_an_erasure_certificate_names_the_second_person_and_a_configured_reference() -> None:
    programme = dataclasses.replace(
        PROGRAMME, erasure_reference="NIST SP 800-88 Rev. 2 (procédure atelier v3)"
    )
    doc = certificate("erasure", programme=programme, verified_by="Paul Néaoutyine")
    text = text_of(render_certificate(doc))

    assert "Vérifié par Paul Néaoutyine" in text
    assert "conformément à NIST SP 800-88 Rev. 2 (procédure atelier v3)." in text
    assert "Référentiel NIST SP 800-88 Rev. 2 (procédure atelier v3)" in text
    assert "Rev. 1" not in text


def test_a_shorthand_medium_is_stated_by_its_class() -> None:
    v1 = medium("DISK9", kind=None, capacity_gb=None, technique=None, method_class="clear",
                tool="Blancco", tool_version="", started_at=None, ended_at=None,
                verification="sample")  # fmt: skip
    text = text_of(render_certificate(certificate("erasure", devices=(device(1, media=(v1,)),))))

    assert "DISK9" in text and "Clear — effacement logique" in text and "Blancco" in text


@pytest.mark.parametrize("language", t.LANGUAGES)
def test_integers_are_grouped_as_the_locale_groups_them(language: str) -> None:
    values = [0, 7, 999, 1_000, 12_345, 120_000, 999_999, 1_000_000, 2_147_483_647, 10**15]

    for value in values:
        expected = format_decimal(value, locale=language).replace("\u202f", "\u00a0")
        assert t.format_int(value, language) == expected, value
