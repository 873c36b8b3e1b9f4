"""What each kind of certificate takes from a device row and the action's data; no database."""

from __future__ import annotations

from typing import Any

import pytest

from collecte.domain.actions import ActionData, decode
from collecte.domain.vocabulary import CertificateKind
from collecte.services.certificate_sources import SOURCES

ROW: dict[str, Any] = {
    "id": 7,
    "tag": "7K3P9QXM",
    "category": "laptop",
    "brand": "Dell",
    "model": "Latitude 5490",
    "serial_number": "SN1",
    "weight_kg": 2.0,
    "weight_estimated": True,
    "estimated_value_xpf": 40_000,
    "grade": "B",
    "donor": 3,
    "association": None,
}
WIPE = {
    "action": "wipe",
    "method": "purge",
    "tool": "nwipe 0.36",
    "verified": True,
    "storage_serials": ["DISK1"],
    "destination": "reuse",
}


# The action each kind of certificate follows, with the data it took.
ACTION = {
    CertificateKind.DONATION: {"action": "collect", "reconditioner_id": 5},
    CertificateKind.ERASURE: WIPE,
    CertificateKind.RECYCLING: {"action": "recycle", "channel": "Ecotrade"},
    CertificateKind.RECEIPT: {"action": "confirm_receipt", "signature": {"name": "Marie"}},
}


def line(kind: CertificateKind, data: dict[str, Any] | None = None, lang: str = "fr") -> Any:
    """Return the device line `kind` makes of ROW, after its action with `data`."""
    action: ActionData = decode({**ACTION[kind], **(data or {})})
    return SOURCES[kind].line(ROW, action, lang, ("EFF-2026-00001",))


def test_every_kind_has_a_source() -> None:
    assert set(SOURCES) == set(CertificateKind)


def test_every_line_names_the_device_and_only_its_kinds_own_fields() -> None:
    donation = line(CertificateKind.DONATION)
    receipt = line(CertificateKind.RECEIPT)
    erasure = line(CertificateKind.ERASURE)

    for device in (donation, receipt, erasure):
        assert (device.tag, device.category, device.serial_number) == ("7K3P9QXM", "laptop", "SN1")
    assert donation.declared_value_xpf == 40_000 and donation.media == ()
    assert receipt.grade == "B" and receipt.erasure_certificates == ("EFF-2026-00001",)
    assert receipt.declared_value_xpf is None and receipt.media == ()
    assert erasure.grade is None and erasure.erasure_certificates == ()
    [medium] = erasure.media
    assert (medium.serial, medium.method_class, medium.technique, medium.tool) == (
        "DISK1", "purge", None, "nwipe 0.36")  # fmt: skip
    assert erasure.destination == "reuse"


MEDIUM = {"kind": "nvme", "capacity_gb": 512, "technique": "sanitize", "tool": "nvme-cli",
          "tool_version": "2.8", "result": "erased", "verification": "full"}  # fmt: skip


@pytest.mark.parametrize(
    ("record", "certified"),
    [
        (MEDIUM, True),
        ({**MEDIUM, "verification": "sample"}, True),
        ({**MEDIUM, "verification": "none"}, False),
        ({**MEDIUM, "result": "erased_with_exceptions"}, False),
        ({**MEDIUM, "result": "failed"}, False),
    ],
)
def test_an_erasure_line_certifies_only_media_erased_and_verified(
    record: dict[str, Any], certified: bool
) -> None:
    device = line(CertificateKind.ERASURE, {"action": "wipe", "media": [record],
                                            "method": None, "tool": None, "verified": None,
                                            "storage_serials": None})  # fmt: skip
    [medium] = device.media
    assert medium.certified is certified
    assert medium.serial == "SN1"  # no serial given: the device's own
    assert (medium.kind, medium.capacity_gb, medium.method_class) == ("nvme", 512, "purge")


@pytest.mark.parametrize(("verified", "verification"), [(True, "sample"), (False, "none")])
def test_a_shorthand_wipe_is_certified_only_when_verified(
    verified: bool, verification: str
) -> None:
    [medium] = line(CertificateKind.ERASURE, {**WIPE, "verified": verified}).media
    assert (medium.verification, medium.certified) == (verification, verified)


def test_a_weight_weighed_at_the_recycling_replaces_the_estimate() -> None:
    assert line(CertificateKind.RECYCLING, {"weight_kg": 2.35}).weight_kg == 2.35
    assert line(CertificateKind.RECYCLING, {"weight_kg": None}).weight_kg == 2.0
    assert line(CertificateKind.DONATION).weight_kg == 2.0


def test_a_recycling_line_says_how_its_weight_is_known() -> None:
    weighed = line(CertificateKind.RECYCLING, {"weight_kg": 2.35})
    estimated = line(CertificateKind.RECYCLING)
    ROW["weight_estimated"] = False
    try:
        declared = line(CertificateKind.RECYCLING)
    finally:
        ROW["weight_estimated"] = True

    assert (weighed.weight_kg, weighed.weight_source) == (2.35, "weighed")
    assert (estimated.weight_kg, estimated.weight_source) == (2.0, "estimated")
    assert (declared.weight_kg, declared.weight_source) == (2.0, "declared")
    # The other kinds do not say it.
    assert line(CertificateKind.DONATION).weight_source is None


def test_the_receipt_goes_to_the_association_the_others_to_the_donor() -> None:
    receipt = SOURCES[CertificateKind.RECEIPT]

    confirmed = decode(ACTION[CertificateKind.RECEIPT])
    assert receipt.recipient({**ROW, "association": 9}, confirmed) == 9
    assert receipt.recipient_is == "association" and not receipt.per_workshop
    for kind in (CertificateKind.DONATION, CertificateKind.ERASURE, CertificateKind.RECYCLING):
        assert SOURCES[kind].recipient(ROW, decode(ACTION[kind])) == 3
        assert SOURCES[kind].recipient_is == "donor" and SOURCES[kind].per_workshop
