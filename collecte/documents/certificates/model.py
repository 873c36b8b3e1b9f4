"""What a certificate says, as plain data: the document, its checks and its fingerprint; pure.

The caller gathers the data, numbers the certificate, computes its fingerprint with
`content_fingerprint` (or `with_fingerprint`), renders it once and stores the bytes. The
fingerprint covers the canonical content, so it does not depend on how the PDF is laid out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from collecte.documents import certificate_text as t
from collecte.domain.lifecycle import CERTIFICATE_PREFIX
from collecte.domain.vocabulary import CertificateKind

CANONICAL_FORMAT = "collecte.certificate/2"  # bump when the canonical content changes shape
# /2: erasure lines carry one record per storage medium; the erasure reference is printed.

# The reference an erasure certificate names, unless the programme configures another.
DEFAULT_ERASURE_REFERENCE = "NIST SP 800-88 Rev. 2 / IEEE 2883-2022"

# The fields a kind cannot be printed without, beyond those every kind has, with the reason
# given when one is missing.
REQUIRED: Mapping[CertificateKind, tuple[tuple[str, str], ...]] = {
    CertificateKind.RECYCLING: (
        ("channel", "a recycling certificate names its treatment organisation"),
    ),
}


@dataclass(frozen=True, kw_only=True)
class ProgrammeInfo:
    """The programme that issues the certificates and heads every page."""

    name: str = "La Grande Collecte Numérique"
    operator: str = "OPEN NC"
    address: str = ""
    ridet: str | None = None
    signatory_name: str = ""
    signatory_title: str = ""
    legal_mention: str = ""  # printed on donation attestations when set
    erasure_reference: str = DEFAULT_ERASURE_REFERENCE
    public_url: str = "http://localhost:8000"


@dataclass(frozen=True, kw_only=True)
class Party:
    """An organisation named on a certificate."""

    name: str
    ridet: str | None = None
    address: str | None = None
    city: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, kw_only=True)
class CertificateMedium:
    """One storage medium's erasure record, as an erasure certificate prints it (codes of the
    vocabulary: the certificate says them in its language)."""

    serial: str
    kind: str | None = None
    capacity_gb: float | None = None
    technique: str | None = None  # None: stated by its class alone (version 1's shorthand)
    method_class: str = "purge"
    tool: str = ""
    tool_version: str = ""
    started_at: str | None = None  # ISO 8601
    ended_at: str | None = None
    result: str = "erased"
    verification: str = "none"
    certified: bool = False  # erased and verified: the certificate attests its erasure


@dataclass(frozen=True, kw_only=True)
class CertificateDevice:
    """One device line of a certificate; fields a kind does not use are left empty."""

    tag: str
    category: str = "other"
    brand: str | None = None
    model: str | None = None
    serial_number: str | None = None
    declared_value_xpf: int | None = None
    weight_kg: float | None = None
    # recycling: how the weight was known: "weighed" (at the recycling), "declared" (given when
    # the device was registered) or "estimated" (its category's average weight).
    weight_source: str | None = None
    grade: str | None = None
    media: tuple[CertificateMedium, ...] = ()  # erasure: one record per storage medium
    destination: str | None = None
    erasure_certificates: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CertificateDocument:
    """Everything printed on one certificate."""

    kind: str
    number: str
    issued_at: datetime
    language: str = "fr"
    programme: ProgrammeInfo
    recipient: Party
    donor: Party | None = None
    reconditioner: Party | None = None
    association: Party | None = None
    operator_name: str | None = None
    verified_by: str | None = None  # erasure: the second person who checked
    handover_date: date | None = None
    channel: str | None = None
    # recycling: the treatment operator's authorisation (ICPE) number and address, and the waste
    # tracking slip (BSD) the devices left with, where known.
    channel_authorization: str | None = None
    channel_address: str | None = None
    bsd_number: str | None = None
    received_by: str | None = None
    place: str | None = None
    devices: tuple[CertificateDevice, ...] = ()
    # A replacement (a device was taken out of an issued certificate) names the one it replaces.
    replaces: str | None = None
    # Donation, from a pickup: its number, and the donor's representative who signed on the
    # workshop's screen (the name typed, and the PNG drawn), or a close at the day's end unsigned.
    # Receipt: the association's representative who signed at `confirm_receipt`, likewise.
    pickup_number: str | None = None
    signed_by: str | None = None
    signature_image: bytes | None = None
    closed_unsigned: bool = False
    # A donation attestation issued as a tax receipt on the DSF model (the programme holds a DSF
    # ruling); otherwise the values are the donor's own estimate and it says so.
    tax_receipt: bool = False
    verify_url: str = ""
    content_fingerprint: str = ""


# Recycling's operator details and slip, only where set, likewise.
_RECYCLING_FIELDS = ("channel_authorization", "channel_address", "bsd_number")
WEIGHT_SOURCES = ("weighed", "declared", "estimated")

_PICKUP_FIELDS: Mapping[str, Any] = {
    "pickup_number": None,
    "signed_by": None,
    "signature_image": None,
    "closed_unsigned": False,
    "tax_receipt": False,
}


def check(doc: CertificateDocument) -> None:
    """Refuse a document that would print a wrong or incomplete certificate."""
    if doc.kind not in CERTIFICATE_PREFIX:
        raise ValueError(f"kind: unknown certificate kind {doc.kind!r}")
    kind = CertificateKind(doc.kind)
    if doc.language not in t.LANGUAGES:
        raise ValueError(f"language: expected one of {t.LANGUAGES}, got {doc.language!r}")
    prefix = CERTIFICATE_PREFIX[kind]
    if not doc.number.startswith(prefix + "-"):
        raise ValueError(f"number: a {doc.kind} certificate number starts with {prefix}-")
    t.to_noumea(doc.issued_at)
    for field, reason in REQUIRED.get(kind, ()):
        if not getattr(doc, field):
            raise ValueError(f"{field}: {reason}")
    for device in doc.devices:
        if device.declared_value_xpf is not None and device.declared_value_xpf < 0:
            raise ValueError(f"declared_value_xpf: negative for device {device.tag}")
        if device.weight_kg is not None and device.weight_kg < 0:
            raise ValueError(f"weight_kg: negative for device {device.tag}")
        if device.weight_source is not None and device.weight_source not in WEIGHT_SOURCES:
            raise ValueError(f"weight_source: unknown {device.weight_source!r}")


def canonical_content(doc: CertificateDocument) -> bytes:
    """Return the deterministic JSON of everything on the certificate except its fingerprint."""
    check(doc)
    # The same dictionary as `dataclasses.asdict` (dates and bytes kept, tuples as lists: the
    # same JSON), without its deep copies: 20 times cheaper, and a certificate's fingerprint is
    # computed in the transaction that issues it (tests/documents/test_canonical_content.py).
    data: dict[str, Any] = msgspec.to_builtins(doc, builtin_types=(datetime, date, bytes))
    del data["content_fingerprint"]
    if data["replaces"] is None:
        del data["replaces"]  # the fingerprints of certificates issued before replacements
    # The pickup's fields and the tax receipt's mark, only where set: a certificate without
    # them hashes as it always did.
    for name, unset in _PICKUP_FIELDS.items():
        if data[name] == unset:
            del data[name]
    for name in _RECYCLING_FIELDS:
        if data[name] is None:
            del data[name]
    for device in data["devices"]:
        if device["weight_source"] is None:
            del device["weight_source"]
    if doc.signature_image is not None:
        data["signature_image"] = hashlib.sha256(doc.signature_image).hexdigest()
    # One instant, one text: the same moment given in any time zone hashes the same.
    data["issued_at"] = doc.issued_at.astimezone(UTC).isoformat()
    data["handover_date"] = doc.handover_date.isoformat() if doc.handover_date else None
    payload = {"format": CANONICAL_FORMAT, "certificate": data}
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def content_fingerprint(doc: CertificateDocument) -> str:
    """Return the SHA-256 hex digest of the certificate's canonical content."""
    return hashlib.sha256(canonical_content(doc)).hexdigest()


def with_fingerprint(doc: CertificateDocument) -> CertificateDocument:
    """Return `doc` with its content fingerprint filled in."""
    return replace(doc, content_fingerprint=content_fingerprint(doc))


def verify_url_for(doc: CertificateDocument) -> str:
    """Return the URL the QR code carries: the one given, or the programme's verify page."""
    return doc.verify_url or f"{doc.programme.public_url.rstrip('/')}/verify/{doc.number}"
