"""Response and request bodies of the pickups' API, as msgspec Structs (see `responses`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from collecte.domain.vocabulary import Category, PickupStatus, Status
from collecte.web.responses import Answer, CertificateRefOut, Tag, TagLabel
from collecte.web.schemas import FilledLine, Id

PickupNumber = Annotated[str, Meta(description="ENL-{YEAR}-{NNNNN}")]


class PickupIn(Struct, kw_only=True):
    """A pickup to open; a reconditioner opening for itself may omit `reconditioner_id`."""

    donation_id: Id
    reconditioner_id: Id | None = None


class SignatureIn(Struct, kw_only=True):
    """The donor representative's signature: the name, and the PNG drawn on screen."""

    name: FilledLine
    image: (
        Annotated[
            str,
            Meta(description="data:image/png;base64,… (a PNG of at most 100 KB), optional"),
        ]
        | None
    ) = None


class PickupCloseIn(Struct, kw_only=True):
    """Close a pickup: who signed for the donor."""

    signature: SignatureIn


class PickupOut(Answer):
    """A pickup (enlèvement) and how many devices were collected in it."""

    id: int
    number: PickupNumber
    status: PickupStatus
    donation_id: int
    donation_number: str
    donor_id: int
    donor_name: str
    reconditioner_id: int
    reconditioner_name: str
    opened_at: datetime
    opened_by_name: str
    closed_at: datetime | None
    closed_by_name: Annotated[str | None, Meta(description="Null when closed automatically")]
    closed_automatically: Annotated[
        bool, Meta(description="Closed unsigned at the end of the Nouméa day")
    ]
    signature_name: Annotated[str | None, Meta(description="Who signed for the donor")]
    certificate_number: Annotated[
        str | None, Meta(description="Its donation attestation (DON), once closed")
    ]
    device_count: int


class PickupDeviceOut(Answer):
    """A device expected from a pickup, and whether the workshop has received it."""

    tag: Tag
    label: TagLabel
    status: Status
    category: Category
    brand: str | None
    model: str | None
    serial_number: str | None
    received: bool


class PickupDetailOut(PickupOut):
    """A pickup with the devices expected (collected in it) and which have been received."""

    devices: list[PickupDeviceOut]
    received_count: int
    not_received: Annotated[list[Tag], Meta(description="Tags expected but not yet received")]


class PickupClosedOut(Answer):
    """A closed pickup and its one donation attestation."""

    pickup: PickupOut
    certificate: CertificateRefOut


class ReconciledOut(Answer):
    """A pickup reconciled: the devices it marked missing (none when everything arrived)."""

    missing: Annotated[list[Tag], Meta(description="Tags now `missing`, in collection order")]
