"""The signature blocks never stand alone on a page: whatever the number of devices, the page
that holds them also holds the last rows of the device table, read back from the PDF's text."""

from __future__ import annotations

import re

import pytest

from collecte.documents import certificate_text as t
from collecte.documents.certificates.kinds import SPECS
from collecte.documents.certificates.model import CertificateDocument
from collecte.documents.certificates.render import render_certificate
from tests.documents.reading import page_texts
from tests.documents.test_certificate_pdf import certificate, flat

# Counts spread from one page over the next page turns, for each kind: a donation's first page
# turns after about ten devices and its second after about thirty; an erasure's rows (one per
# medium, with times and tools) are taller, so fewer devices cross as many pages. Every fourth
# count (every second for erasures) keeps the test quick; the keeping does not depend on it.
COUNTS = {"donation": (40, 4), "erasure": (20, 2), "recycling": (40, 4), "receipt": (40, 4)}
CASES = [
    (kind, count)
    for kind, (last, step) in COUNTS.items()
    for count in sorted({1, 2, 3, *range(5, last + 1, step)})
]
DEVICE_ROW = re.compile(r"7K3P-\d{4}")  # a device's tag, printed in its row


def headings(doc: CertificateDocument) -> list[str]:
    """The headings of the kind's signature blocks, as printed."""
    return [
        flat(t.text(doc.language, s.heading.key, **s.heading.values(doc)))
        for s in SPECS[doc.kind].signatures
        if s is not None
    ]


@pytest.mark.parametrize(("kind", "count"), CASES, ids=[f"{k}-{n}" for k, n in CASES])
def test_the_signatures_share_their_page_with_device_rows(kind: str, count: int) -> None:
    doc = certificate(kind, count)
    pages = [flat(text) for text in page_texts(render_certificate(doc))]

    for heading in headings(doc):
        holding = [number for number, text in enumerate(pages, start=1) if heading in text]
        assert holding, f"{heading!r} is printed on no page"
        text = pages[holding[-1] - 1]
        assert DEVICE_ROW.search(text), f"{heading!r} stands alone on page {holding[-1]}"
        assert "Total ·" in text  # the table's end, not only its first rows
    whole = " ".join(pages)
    assert all(f"7K3P-{i:04d}" in whole for i in range(1, count + 1))  # no row lost


def test_a_long_table_keeps_its_header_on_the_signatures_page() -> None:
    pages = [flat(text) for text in page_texts(render_certificate(certificate(count=29)))]

    assert len(pages) == 2
    assert "Pour le donateur" in pages[1]
    assert "Étiquette Catégorie Marque / modèle N° de série Valeur estimée" in pages[1]
