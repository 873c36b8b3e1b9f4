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
    CertificateKind.RECEIPT: {"action": "confirm_receipt"},
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
    assert donation.declared_value_xpf == 40_000 and donation.wipe_method is None
    assert receipt.grade == "B" and receipt.erasure_certificates == ("EFF-2026-00001",)
    assert receipt.declared_value_xpf is None and receipt.storage_serials == ()
    assert erasure.grade is None and erasure.erasure_certificates == ()
    assert (erasure.wipe_method, erasure.wipe_tool, erasure.storage_serials) == (
        "purge",
        "nwipe 0.36",
        ("DISK1",),
    )


@pytest.mark.parametrize(
    ("lang", "verified", "result"),
    [
        ("fr", True, "Effacement réussi et vérifié"),
        ("fr", False, "Effacement effectué, non vérifié"),
        ("en", True, "Erasure successful and verified"),
    ],
)
def test_an_erasure_line_says_whether_it_was_verified(
    lang: str, verified: bool, result: str
) -> None:
    device = line(CertificateKind.ERASURE, {**WIPE, "verified": verified}, lang)

    assert device.wipe_verified is verified
    assert device.wipe_result == result


def test_a_weight_weighed_at_the_recycling_replaces_the_estimate() -> None:
    assert line(CertificateKind.RECYCLING, {"weight_kg": 2.35}).weight_kg == 2.35
    assert line(CertificateKind.RECYCLING, {"weight_kg": None}).weight_kg == 2.0
    assert line(CertificateKind.DONATION).weight_kg == 2.0


def test_the_receipt_goes_to_the_association_the_others_to_the_donor() -> None:
    receipt = SOURCES[CertificateKind.RECEIPT]

    confirmed = decode(ACTION[CertificateKind.RECEIPT])
    assert receipt.recipient({**ROW, "association": 9}, confirmed) == 9
    assert receipt.recipient_is == "association" and not receipt.per_workshop
    for kind in (CertificateKind.DONATION, CertificateKind.ERASURE, CertificateKind.RECYCLING):
        assert SOURCES[kind].recipient(ROW, decode(ACTION[kind])) == 3
        assert SOURCES[kind].recipient_is == "donor" and SOURCES[kind].per_workshop
