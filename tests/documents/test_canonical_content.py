"""The canonical content, computed without `dataclasses.asdict`, is byte for byte what it was:
every certificate issued keeps its fingerprint."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collecte.documents.certificates import model
from collecte.documents.certificates.model import (
    CertificateDocument,
    canonical_content,
    content_fingerprint,
)
from collecte.domain.vocabulary import CertificateKind
from tests.documents import robust_documents as worst
from tests.documents.test_robust_documents import doc_with


def _as_before(doc: CertificateDocument) -> bytes:
    """`canonical_content` as it was written first, on `dataclasses.asdict`."""
    model.check(doc)
    data: dict[str, Any] = asdict(doc)
    del data["content_fingerprint"]
    if data["replaces"] is None:
        del data["replaces"]
    for name, unset in model._PICKUP_FIELDS.items():
        if data[name] == unset:
            del data[name]
    for name in model._RECYCLING_FIELDS:
        if data[name] is None:
            del data[name]
    for device in data["devices"]:
        if device["weight_source"] is None:
            del device["weight_source"]
    if doc.signature_image is not None:
        data["signature_image"] = hashlib.sha256(doc.signature_image).hexdigest()
    data["issued_at"] = doc.issued_at.astimezone(UTC).isoformat()
    data["handover_date"] = doc.handover_date.isoformat() if doc.handover_date else None
    payload = {"format": model.CANONICAL_FORMAT, "certificate": data}
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


@pytest.mark.parametrize("kind", [k.value for k in CertificateKind])
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_the_worst_texts_hash_as_before(kind: str, data: st.DataObject) -> None:
    doc = data.draw(worst.certificate(kind, devices=3, media=2))

    assert canonical_content(doc) == _as_before(doc)


def test_every_optional_field_set_hashes_as_before() -> None:
    doc = doc_with(
        "recycling",
        issued_at=datetime(2026, 11, 23, 14, 5, 6, 789, tzinfo=timezone(timedelta(hours=11))),
        handover_date=date(2026, 11, 23),
        replaces="RCY-2026-00041",
        signature_image=b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        signed_by="Jeanne Wamytan",
        received_by="Marie Wayenece",
        bsd_number="BSD 42",
        channel_authorization="ICPE 7",
        channel_address="Ducos",
        place="Nouméa",
    )
    doc = replace(doc, devices=(replace(doc.devices[0], weight_kg=1.25, weight_source="weighed"),))

    assert canonical_content(doc) == _as_before(doc)
    assert content_fingerprint(doc) == hashlib.sha256(_as_before(doc)).hexdigest()


def test_a_pickup_attestation_hashes_as_before() -> None:
    doc = doc_with(
        "donation",
        pickup_number="ENL-2026-00007",
        closed_unsigned=True,
        tax_receipt=True,
        handover_date=date(2026, 11, 23),
    )

    assert canonical_content(doc) == _as_before(doc)
