"""Every document renders whatever validation accepts (issue 12): each certificate kind and each
label stock, every text at its longest and worst, read back for its key facts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collecte.documents import certificate_text as t
from collecte.documents.certificates import render
from collecte.documents.certificates.bounds import ELLIPSIS, bounded, shorten
from collecte.documents.certificates.kinds import SPECS
from collecte.documents.certificates.model import (
    CertificateDevice,
    CertificateDocument,
    CertificateMedium,
    Party,
    ProgrammeInfo,
    with_fingerprint,
)
from collecte.documents.certificates.render import render_certificate
from collecte.documents.label_sheets import LABELS_DIR, load_formats, render_labels
from collecte.domain.errors import DocumentTooLarge
from collecte.domain.vocabulary import CertificateKind
from tests.documents import robust_documents as worst
from tests.documents.reading import page_texts

FAST = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def squeezed(pdf: bytes) -> str:
    """The PDF's text with every whitespace removed (wrapping puts breaks anywhere)."""
    return re.sub(r"\s+", "", "".join(page_texts(pdf)))


def start_of(value: str, count: int = 3) -> str:
    """The first printable characters of `value` as the certificate prints them."""
    return re.sub(r"\s+", "", t.pdf_safe(shorten(value)))[:count]


@pytest.mark.parametrize("kind", [k.value for k in CertificateKind])
@FAST
@given(data=st.data())
def test_each_certificate_kind_renders_its_worst_texts(kind: str, data: st.DataObject) -> None:
    doc = data.draw(worst.certificate(kind, devices=3, media=worst.MAX_MEDIA_ROWS))

    pdf = render_certificate(doc)

    text = squeezed(pdf)
    assert doc.number in text
    first = doc.devices[0]
    assert t.format_tag(first.tag) in text
    assert start_of(first.brand or "") in text


@pytest.mark.parametrize("stock", worst.label_stocks())
@FAST
@given(labels=st.lists(worst.label(), min_size=1, max_size=3))
def test_each_label_stock_renders_its_worst_texts(stock: str, labels: list) -> None:  # type: ignore[type-arg]
    formats, _ = load_formats(LABELS_DIR)

    pdf = render_labels(labels, formats[stock])

    assert t.format_tag(labels[0].tag) in squeezed(pdf)


def doc_with(kind: str = "donation", **fields: object) -> CertificateDocument:
    """A plain certificate of `kind`; `fields` override."""
    medium = CertificateMedium(serial="S1", tool="nwipe", tool_version="0.36")
    values: dict[str, object] = {
        "kind": kind,
        "number": f"{SPECS[kind].prefix}-2026-00042",
        "issued_at": datetime(2026, 11, 23, 3, 5, tzinfo=UTC),
        "programme": ProgrammeInfo(),
        "recipient": Party(name="Donateur"),
        "donor": Party(name="Donateur"),
        "reconditioner": Party(name="Atelier"),
        "association": Party(name="Association"),
        "channel": "Trecodec",
        "devices": (CertificateDevice(tag="7K3P9QXM", brand="Dell", media=(medium,)),),
    }
    values.update(fields)
    return with_fingerprint(CertificateDocument(**values))  # type: ignore[arg-type]


def test_a_brand_of_75_lines_stored_earlier_still_renders_on_one_line() -> None:
    brand = "\n".join(["ab"] * 75)
    doc = doc_with(devices=(CertificateDevice(tag="7K3P9QXM", brand=brand),))

    pdf = render_certificate(doc)

    assert "abab" in squeezed(pdf)
    shown = bounded(doc).devices[0].brand or ""
    assert shown.startswith("ab ab ab") and shown.endswith(ELLIPSIS) and len(shown) == 200


def test_a_brand_of_200_wide_letters_wraps_and_is_shortened_with_an_ellipsis() -> None:
    doc = doc_with(devices=(CertificateDevice(tag="7K3P9QXM", brand="W" * 200),))

    pdf = render_certificate(doc)

    text = squeezed(pdf)
    assert "WWWWWWWWWW" in text and ELLIPSIS in text
    assert "7K3P-9QXM" in text


def test_32_media_with_200_character_serials_render() -> None:
    media = tuple(
        CertificateMedium(serial=f"{i:02d}" + "W" * 198, tool="T" * 200, tool_version="V" * 200)
        for i in range(32)
    )
    doc = doc_with("erasure", devices=(CertificateDevice(tag="7K3P9QXM", media=media),))

    text = squeezed(render_certificate(doc))

    assert all(f"{i:02d}WWW" in text for i in range(32))


def test_a_tool_of_100_lines_stored_earlier_still_renders() -> None:
    tool = "\n".join(["nwipe"] * 100)
    medium = CertificateMedium(serial="S1", tool=tool, tool_version="0.36")
    doc = doc_with("erasure", devices=(CertificateDevice(tag="7K3P9QXM", media=(medium,)),))

    assert "nwipenwipe" in squeezed(render_certificate(doc))


def test_an_address_of_250_lines_stored_earlier_renders_shortened_to_six() -> None:
    address = "\n".join(f"ligne {i}" for i in range(250))
    doc = doc_with(donor=Party(name="Donateur", address=address))

    text = squeezed(render_certificate(doc))

    assert "ligne5" in text and "ligne6" not in text and ELLIPSIS in text
    assert bounded(doc).donor.address.count("\n") == 5  # type: ignore[union-attr]


def test_a_certificate_that_still_cannot_be_laid_out_names_the_device_and_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without the bounds a 75-line brand is too tall for a page: the refusal must name it.
    monkeypatch.setattr(render, "bounded", lambda doc: doc)
    monkeypatch.setattr("collecte.documents.certificates.layout.CELL_LINES", 10_000)
    brand = "\n".join(["ab"] * 75)
    doc = doc_with(
        devices=(CertificateDevice(tag="AAAAAAAA"), CertificateDevice(tag="7K3P9QXM", brand=brand))
    )

    with pytest.raises(DocumentTooLarge) as caught:
        render_certificate(doc)

    error = caught.value
    assert (error.field, error.extra["tag"], error.code) == (
        "brand",
        "7K3P9QXM",
        "document_too_large",
    )
    assert error.message == (
        f"Le certificat {doc.number} ne tient pas sur ses pages : le champ « Marque » de "
        "l’appareil 7K3P-9QXM est trop long."
    )
