"""Response bodies as msgspec Structs, so `/schema/openapi.json` documents every field of every
JSON answer and clients (and the fuzzing tests) can check them.

The services return plain dicts, which the HTML pages use too; the controllers convert them at
the edge (`msgspec.convert(result, DeviceOut)`). Each struct lists its fields in the order the
service builds its dict, so the JSON keeps its keys, values and order. `Answer` forbids unknown
fields: a key a service adds without a field here fails loudly in the tests instead of silently
vanishing from the answer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from collecte.domain import tags
from collecte.domain.erasure import Medium
from collecte.domain.vocabulary import (
    EDIT_EVENT,
    REGISTER_EVENT,
    Action,
    Category,
    CertificateKind,
    CertificateStatus,
    ErasureReportFormat,
    Grade,
    Role,
    Status,
)

Tag = Annotated[
    str,
    Meta(
        pattern=f"^[{tags.ALPHABET}]{{{tags.TAG_LENGTH}}}$",
        description="Canonical tag: Crockford base32, the last character a check character",
    ),
]
TagLabel = Annotated[
    str,
    Meta(
        pattern=f"^[{tags.ALPHABET}]{{4}}-[{tags.ALPHABET}]{{4}}$",
        description="The tag as printed and read aloud: four characters, a dash, four (7K3P-9QXM)",
    ),
]
Kilograms = Annotated[float, Meta(description="Kilograms")]
Xpf = Annotated[int, Meta(description="Whole francs CFP")]
Language = Annotated[str, Meta(description="fr or en")]


class Answer(Struct, forbid_unknown_fields=True):
    """Base of the response structs: a key without a field is an error, never dropped."""


# --- public -------------------------------------------------------------------------------------


class HealthOut(Answer):
    """The service and its database (503 with `degraded`/`unreachable`)."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]


class PingOut(Answer):
    """A constant answer."""

    ping: Literal["pong"]


class TokenOut(Answer):
    """A bearer token and who it is for."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: Annotated[int, Meta(description="Seconds until the token expires")]
    role: Role
    organization_id: int
    user_id: int
    password_change_required: Annotated[
        bool,
        Meta(
            description="The password was set by someone else: until it is changed "
            "(POST /api/auth/password) every other route answers 403"
        ),
    ]


class TotpEnrolmentOut(Answer):
    """A second-factor key being enrolled: type it, or scan its URI as a QR code, in the app."""

    secret: Annotated[str, Meta(description="The key, base32, to type into the app")]
    otpauth_uri: Annotated[str, Meta(description="otpauth://totp/… to show as a QR code")]


# --- organisations and users --------------------------------------------------------------------


class OrganizationOut(Answer):
    """An organisation; its kind is the role of its users."""

    id: int
    name: str
    kind: Role
    short_name: Annotated[str | None, Meta(description="Printed on labels")]
    ridet: Annotated[str | None, Meta(description="New Caledonian company id")]
    email: str | None
    phone: str | None
    address: str | None
    city: str | None
    language: Annotated[Language, Meta(description="Language of its certificates: fr or en")]
    created_at: datetime


class TreatmentOperatorOut(Answer):
    """A treatment operator recycled devices may be handed to."""

    id: int
    name: Annotated[str, Meta(description="As printed on recycling certificates")]
    authorization_number: Annotated[
        str | None, Meta(description="Authorisation or ICPE number, printed when given")
    ]
    address: str | None
    is_active: Annotated[bool, Meta(description="False: no longer offered to recyclings")]
    created_at: datetime
    updated_at: datetime


class UserOut(Answer):
    """A user; the role is its organisation's kind."""

    id: int
    email: str
    full_name: str
    role: Role
    organization_id: int
    organization_name: str
    is_active: Annotated[bool, Meta(description="False: cannot sign in, sessions ended")]
    password_change_required: Annotated[
        bool, Meta(description="Provisional password, to be changed at the next sign-in")
    ]


class ResetLinkOut(Answer):
    """A one-time link to choose a new password; shown once, only its hash is kept."""

    user_id: int
    url: str
    expires_at: Annotated[datetime, Meta(description="24 hours after it was issued")]


# --- devices ------------------------------------------------------------------------------------


class EventAction(StrEnum):
    """What a custody-log event records: the registration, or one of the lifecycle's actions."""

    REGISTER = REGISTER_EVENT
    COLLECT = Action.COLLECT.value
    RECEIVE = Action.RECEIVE.value
    WIPE = Action.WIPE.value
    REFURBISH = Action.REFURBISH.value
    RECYCLE = Action.RECYCLE.value
    ALLOCATE = Action.ALLOCATE.value
    CONFIRM_RECEIPT = Action.CONFIRM_RECEIPT.value
    WITHDRAW = Action.WITHDRAW.value
    EDIT = EDIT_EVENT
    DEALLOCATE = Action.DEALLOCATE.value
    REFUSE = Action.REFUSE.value
    REPORT_MISSING = Action.REPORT_MISSING.value
    FOUND = Action.FOUND.value
    RETURN = Action.RETURN.value
    TRANSFER = Action.TRANSFER.value
    REVERT = Action.REVERT.value


class DonationRefOut(Answer):
    """The donation a device belongs to."""

    id: int
    number: Annotated[str, Meta(description="LOT-{YEAR}-{NNNNN}")]


class DonorRefOut(Answer):
    """The donor of a device."""

    id: int
    name: str
    short_name: str | None


class PartyRefOut(Answer):
    """An organisation by id and name."""

    id: int
    name: str


class DeviceDatesOut(Answer):
    """When the device entered each status (null: not yet, or never)."""

    registered: datetime
    collected: datetime | None
    received: datetime | None
    wiped: datetime | None
    refurbished: datetime | None
    recycled: datetime | None
    allocated: datetime | None
    delivered: datetime | None
    withdrawn: datetime | None
    missing: datetime | None
    returned: datetime | None


class DeviceSummaryOut(Answer):
    """A device without its history."""

    id: int
    tag: Tag
    label: TagLabel
    status: Status
    category: Category
    brand: str | None
    model: str | None
    serial_number: str | None
    year: int | None
    has_storage: bool
    condition: str | None
    estimated_value_xpf: Annotated[int | None, Meta(description="Declared value, francs CFP")]
    weight_kg: Kilograms | None
    weight_estimated: Annotated[
        bool, Meta(description="True when the weight is the category's average, not weighed")
    ]
    grade: Annotated[Grade | None, Meta(description="Given at refurbishment")]
    donation: DonationRefOut
    donor: DonorRefOut
    reconditioner: Annotated[
        PartyRefOut | None, Meta(description="The workshop it was collected for, if any")
    ]
    association: Annotated[
        PartyRefOut | None, Meta(description="The association it is allocated to, if any")
    ]
    dates: DeviceDatesOut
    updated_at: datetime
    allowed_actions: Annotated[list[Action], Meta(description="What the caller may do to it now")]


class DeviceListOut(Answer):
    """One page of a device search, newest first."""

    items: list[DeviceSummaryOut]
    total: Annotated[int, Meta(description="How many devices match, on every page together")]
    next_cursor: Annotated[
        str | None,
        Meta(description="Send back as `cursor` for the next page; null on the last page"),
    ]


class ActorOut(Answer):
    """Who performed an event, copied at the time so the history outlives users."""

    user_id: Annotated[int | None, Meta(description="Null once the user is deleted")]
    name: str
    organization_id: Annotated[
        int | None, Meta(description="Null once the organisation is deleted")
    ]
    organization_name: str
    role: Role


class EventOut(Answer):
    """One entry of the append-only custody log."""

    id: int
    action: EventAction
    from_status: Annotated[Status | None, Meta(description="Null for the registration")]
    to_status: Status
    at: datetime
    actor: ActorOut
    data: Annotated[
        dict[str, Any], Meta(description="The data the action took; its fields depend on it")
    ]
    certificate_number: Annotated[
        str | None, Meta(description="The certificate this event caused, if any")
    ]


class DeviceOut(DeviceSummaryOut):
    """A device with its custody log, oldest event first."""

    events: list[EventOut]


class CertificateRefOut(Answer):
    """A certificate an action issued."""

    number: Annotated[str, Meta(description="{PREFIX}-{YEAR}-{NNNNN}")]
    kind: CertificateKind


class SupersededOut(Answer):
    """A certificate a `revert` or `report_missing` took a device out of."""

    number: str
    status: Annotated[CertificateStatus, Meta(description="superseded, or revoked")]
    replaced_by: Annotated[
        str | None, Meta(description="The replacement listing the remaining devices")
    ]


class TransitionOut(DeviceOut):
    """The device after an action, and the certificate the action issued."""

    certificate: Annotated[
        CertificateRefOut | None, Meta(description="Null when the action issues none")
    ]
    superseded: Annotated[
        list[SupersededOut],
        Meta(description="Certificates the action took the device out of (revert, report_missing)"),
    ]


class BatchOut(Answer):
    """One action performed on many devices."""

    action: Action
    devices: list[DeviceSummaryOut]
    certificate: Annotated[
        CertificateRefOut | None,
        Meta(description="The first certificate issued (null if none): see `certificates`"),
    ]
    certificates: Annotated[
        list[CertificateRefOut],
        Meta(description="Every certificate issued: one per recipient and workshop"),
    ]
    superseded: Annotated[
        list[SupersededOut],
        Meta(description="Certificates the action took devices out of (revert, report_missing)"),
    ]


class DonationOut(Answer):
    """A donation with the devices the caller may see."""

    id: int
    number: Annotated[str, Meta(description="LOT-{YEAR}-{NNNNN}")]
    donor_id: int
    donor: PartyRefOut
    pickup_address: str | None
    notes: str | None
    created_at: datetime
    device_count: Annotated[int, Meta(description="How many devices are listed (visible ones)")]
    devices: list[DeviceSummaryOut]


# --- certificates -------------------------------------------------------------------------------


class CertificateOut(Answer):
    """A certificate's metadata."""

    number: Annotated[str, Meta(description="{PREFIX}-{YEAR}-{NNNNN}")]
    kind: CertificateKind
    issued_at: datetime
    language: Language
    device_count: int
    sha256: Annotated[str, Meta(description="SHA-256 of the issued PDF's bytes")]
    content_fingerprint: Annotated[
        str, Meta(description="SHA-256 of the canonical content, printed on the document")
    ]
    recipient_id: int
    issuer_id: Annotated[int | None, Meta(description="Null once the organisation is deleted")]
    pdf_url: str
    verify_url: str


class VerifyOut(Answer):
    """A certificate number that was issued, with what a paper copy is matched against line by
    line; organisations only, never a person's name. A field that does not apply to the kind is
    null."""

    valid: Annotated[Literal[True], Meta(description="The number was issued (see status)")]
    number: Annotated[str, Meta(description="{PREFIX}-{YEAR}-{NNNNN}, as printed under the title")]
    kind: Annotated[
        CertificateKind,
        Meta(description="donation (DON), erasure (EFF), recycling (RCY) or receipt (REC)"),
    ]
    issued_at: Annotated[
        datetime, Meta(description="When it was issued; printed in Nouméa time on the document")
    ]
    device_count: Annotated[int, Meta(description="How many devices the certificate lists")]
    sha256: Annotated[
        str,
        Meta(
            description="SHA-256 of the issued PDF file's bytes: a downloaded file is the "
            "original when its hash is this one (POST /api/verify checks it)"
        ),
    ]
    content_sha256: Annotated[
        str,
        Meta(
            description="The content fingerprint printed at the foot of every page and in the "
            'authenticity note ("Empreinte SHA-256 du contenu"): SHA-256 of the certificate\'s '
            "canonical content, so a paper copy can be matched"
        ),
    ]
    issuer: Annotated[
        str | None,
        Meta(
            description="The organisation that attests, as printed: donation and recycling, "
            'the programme ("operator — programme"); erasure, the workshop that erased; '
            "receipt, the association that received the devices"
        ),
    ]
    recipient: Annotated[
        str | None,
        Meta(
            description="The organisation the attestation is for, as printed: donation, "
            "erasure and recycling, the donor; receipt, the workshop(s) that handed the "
            "devices over (names joined by commas; null if none is named)"
        ),
    ]
    total_value_xpf: Annotated[
        int | None,
        Meta(
            description="Donation only: the total value declared by the donor, in francs CFP, "
            "as printed (a device without a value counts 0); null for other kinds"
        ),
    ]
    total_weight_kg: Annotated[
        float | None,
        Meta(
            description="Recycling only: the total weight printed, in kilograms to two "
            "decimals (devices without a weight count 0); null for other kinds"
        ),
    ]
    status: Annotated[
        CertificateStatus,
        Meta(description="valid; superseded (see replaced_by) or revoked when devices left it"),
    ] = CertificateStatus.VALID
    reason: Annotated[str | None, Meta(description="Why it was superseded or revoked")] = None
    replaced_by: Annotated[
        str | None, Meta(description="The certificate that replaces it, if superseded")
    ] = None
    replaces: Annotated[
        str | None, Meta(description="The certificate this one replaces, if any")
    ] = None


class VerifyMissingOut(Answer):
    """A certificate number never issued (the 404 of `GET /api/verify/{number}`)."""

    valid: Literal[False]
    number: Annotated[str, Meta(description="The number asked, upper-cased")]
    detail: str


class VerifyPdfOut(Answer, kw_only=True):
    """Whether a file is byte for byte an issued certificate."""

    valid: bool
    # Absent, not null, when the file is no certificate: the answer has always omitted it.
    number: Annotated[
        str | UnsetType, Meta(description="The certificate's number, only when valid")
    ] = UNSET
    sha256: Annotated[str, Meta(description="SHA-256 of the file sent")]


# --- erasure reports ----------------------------------------------------------------------------


class ErasureReportOut(Answer):
    """An erasure tool's report filed for a device, and the media read from it."""

    id: int
    format: ErasureReportFormat
    filename: Annotated[str, Meta(description="The name it was uploaded with, cleaned")]
    sha256: Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="SHA-256 of the file")]
    size: Annotated[int, Meta(description="Bytes")]
    uploaded_at: datetime
    uploaded_by: Annotated[str, Meta(description="The uploader's name, as it was then")]
    media: Annotated[list[Medium], Meta(description="One entry per medium, as `wipe` takes them")]
    form: Annotated[
        dict[str, str],
        Meta(
            description="The wipe form's fields to pre-fill (media-0-serial, media-0-kind, …; "
            "times in Nouméa as datetime-local)"
        ),
    ]
    warnings: Annotated[
        list[str],
        Meta(
            description="What the report leaves unsaid, to check on the form (said in the "
            "reader's language; only in the upload's answer)"
        ),
    ]


# --- labels -------------------------------------------------------------------------------------


class LabelFormatOut(Answer):
    """A label stock, in millimetres, as its file in `labels/` describes it."""

    id: str
    name: str
    description: str
    page_width_mm: float
    page_height_mm: float
    rows: int
    columns: int
    label_width_mm: float
    label_height_mm: float
    margin_top_mm: float
    margin_left_mm: float
    gap_x_mm: float
    gap_y_mm: float
    offset_x_mm: Annotated[float, Meta(description="Printer calibration, to the right")]
    offset_y_mm: Annotated[float, Meta(description="Printer calibration, downwards")]
    name_en: Annotated[str, Meta(description="The name in English; empty: `name`")]
    description_en: Annotated[str, Meta(description="The description in English")]
    per_page: Annotated[int, Meta(description="Labels on one page")]


class LabelDefaultsOut(Answer):
    """The stock used when a request names none."""

    sheet: Annotated[str, Meta(description="For a donation's labels, tags and blank tags")]
    single: Annotated[str, Meta(description="For one device's label")]


class LabelFormatsOut(Answer):
    """The usable label stocks, the defaults, and the files that could not be read."""

    formats: list[LabelFormatOut]
    defaults: LabelDefaultsOut
    errors: Annotated[list[str], Meta(description="One French message per unreadable file")]
