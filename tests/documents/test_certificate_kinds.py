"""The certificate specs as data: one per kind, tables that fit the page, wording that exists."""

from __future__ import annotations

import pytest
from reportlab.lib.units import mm

from collecte.documents import certificate_text as t
from collecte.documents.certificates.kinds import SPECS
from collecte.documents.certificates.layout import CONTENT_WIDTH
from collecte.documents.certificates.spec import CertificateSpec
from collecte.domain.lifecycle import CERTIFICATE_PREFIX
from collecte.domain.vocabulary import CertificateKind
from collecte.i18n import catalog_messages


def wording_keys(spec: CertificateSpec) -> list[str]:
    """Return every key of `certificate_text.TEXT` the spec names."""
    keys = [spec.issued, spec.intro.key]
    keys += [box.label for box in spec.parties]
    keys += [fact.label for fact in spec.facts]
    keys += [column.heading for column in spec.columns]
    keys += [row.label for row in spec.summary]
    keys += [spec.summary_note.key] if spec.summary_note else []
    keys += [s.heading.key for s in spec.signatures if s is not None]
    return keys


def test_every_kind_has_its_spec_and_the_domains_prefix() -> None:
    assert set(SPECS) == set(CertificateKind)
    for kind, spec in SPECS.items():
        assert spec.kind == kind
        assert spec.prefix == CERTIFICATE_PREFIX[CertificateKind(kind)]
    assert SPECS["erasure"].prefix == "EFF"  # a plain string finds its spec


@pytest.mark.parametrize("kind", list(CertificateKind))
def test_the_device_table_spans_the_page_between_the_margins(kind: CertificateKind) -> None:
    widths = [column.width for column in SPECS[kind].columns]

    assert sum(widths) * mm == pytest.approx(CONTENT_WIDTH)
    assert sum(widths) == 174


@pytest.mark.parametrize("kind", list(CertificateKind))
def test_every_word_a_spec_names_exists_and_is_translated(kind: CertificateKind) -> None:
    spec = SPECS[kind]

    assert CertificateKind(spec.title).label == t.title(spec.title, "fr")
    assert t.title(spec.title, "en") != t.title(spec.title, "fr")
    missing = [key for key in wording_keys(spec) if key not in t.TEXT]
    assert missing == []
    english = set(catalog_messages("en"))
    untranslated = [key for key in wording_keys(spec) if t.TEXT[key] not in english]
    assert untranslated == []
