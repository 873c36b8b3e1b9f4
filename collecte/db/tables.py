"""The database tables (Piccolo). Statuses and kinds are the enums of the domain lifecycle."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Bytea,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from collecte.domain.vocabulary import (
    Category,
    CertificateKind,
    CertificateStatus,
    ErasureReportFormat,
    PickupStatus,
    Role,
    SecurityEvent,
    SessionEnd,
    Status,
)


class Organization(Table, tablename="organization"):
    """A donor company, a reconditioning workshop, an association or the coordination."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    name = Varchar(length=200, unique=True, help_text="Legal name, unique.")
    short_name = Varchar(length=60, null=True, default=None, help_text="Printed on labels.")
    kind = Varchar(length=20, choices=Role, index=True, help_text="The role of its users.")
    ridet = Varchar(length=20, null=True, default=None, help_text="New Caledonian company id.")
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=40, null=True, default=None)
    address = Text(null=True, default=None)
    city = Varchar(length=100, null=True, default=None)
    language = Varchar(length=2, default="fr", help_text="Language of its certificates.")
    created_at = Timestamptz()


class User(Table, tablename="account"):
    """A person who signs in; belongs to exactly one organisation."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    email = Varchar(length=254, unique=True, help_text="Stored lower-case.")
    password_hash = Varchar(length=255, secret=True)
    full_name = Varchar(length=200, default="")
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    is_active = Boolean(default=True)
    password_provisional = Boolean(
        default=False,
        help_text="Set by someone else (a coordinator, the command line): changed at sign-in.",
    )
    totp_secret = Varchar(
        length=64,
        null=True,
        default=None,
        secret=True,
        help_text="Base32 key of the second factor (TOTP); null: signs in with the password alone.",
    )
    totp_pending = Varchar(
        length=64,
        null=True,
        default=None,
        secret=True,
        help_text="A TOTP key being enrolled, kept until a code from it is confirmed.",
    )
    totp_last_step = BigInt(
        null=True,
        default=None,
        help_text="The last accepted 30-second TOTP step: a code is never accepted twice.",
    )
    created_at = Timestamptz()


class Donation(Table, tablename="donation"):
    """A lot of devices given by one donor at one time."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    number = Varchar(length=20, unique=True, help_text="LOT-{YEAR}-{NNNNN}.")
    donor = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    pickup_address = Text(null=True, default=None)
    notes = Text(null=True, default=None)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(index=True)


class Pickup(Table, tablename="pickup"):
    """One collection run at a donor (an enlèvement): the devices a workshop took that day,
    attested by one donation certificate when it closes."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    number = Varchar(length=20, unique=True, help_text="ENL-{YEAR}-{NNNNN}.")
    donation = ForeignKey(Donation, on_delete=OnDelete.restrict, index=True)
    # Copied from the donation so scoping needs no join.
    donor = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    reconditioner = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=10, choices=PickupStatus, index=True)
    opened_at = Timestamptz()
    opened_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    opened_by_name = Varchar(length=200, default="")
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    closed_by_name = Varchar(length=200, default="")
    closed_automatically = Boolean(default=False, help_text="Closed unsigned at the day's end.")
    signature_name = Varchar(length=200, null=True, default=None)
    signature_image = Bytea(null=True, default=None, secret=True, help_text="PNG, ≤ 100 KB.")
    certificate_number = Varchar(length=20, null=True, default=None)
    # At most one open pickup per donation and workshop: a partial unique index made by the
    # pickups' migration (`pickup_one_open`), so two scans opening one on the fly make one.


class DeviceTally(Table, tablename="device_tally"):
    """Running totals for `/api/totals`, kept by database triggers on `device`; never written by
    the app (the `device_tally_triggers` migration holds the rules).

    How many devices entered `status` during a Nouméa day, month or year (`grain`; `day` is the
    first day of it), by one `dimension`: `category` (registered, delivered, recycled), `all`
    (the other statuses), current `status` (registered), `donor` (registered, collected),
    `reconditioner` (collected, delivered, recycled) or `association` (delivered); `key` holds
    the value or the organisation id. A period of days reads whole years, whole months and the
    remaining days: a year of totals reads a few thousand rows whatever the number of devices.
    The view `device_tally_expected` computes the same figures straight from `device` (summed
    over shards), `device_tally_expected_shards` the same rows per shard. Once a day, month or
    year is over, its shards are folded into shard 0 (`collecte.services.tally_folding`).
    """

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    grain = Varchar(length=5, help_text="day, month or year.")
    day = Date(help_text="First day (Pacific/Noumea) of the day, month or year counted.")
    status = Varchar(length=20, choices=Status)
    dimension = Varchar(length=20, help_text="category, all, status, donor, reconditioner, …")
    key = Varchar(length=20, help_text="The category, current status or organisation id.")
    devices = BigInt(default=0)
    weight_g = BigInt(default=0, help_text="Delivered and recycled devices only, in grams.")
    value_xpf = BigInt(default=0, help_text="Registered and collected devices only.")
    shard = SmallInt(
        default=0, help_text="Device id mod 16: a figure is the sum of its shards' rows."
    )
    # Unique on (grain, day, status, dimension, key, shard): an index made by the shards'
    # migration (Piccolo's Unique constraint is an ALTER TABLE, which SQLite lacks). Each device
    # adds into the row of its own shard, so concurrent transitions of one day do not all wait on
    # one row's lock; every read sums over the shards.


class Device(Table, tablename="device"):
    """One device and where it stands; its history is in DeviceEvent."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    tag = Varchar(length=8, unique=True, help_text="Canonical Crockford tag, check char last.")
    donation = ForeignKey(Donation, on_delete=OnDelete.restrict, index=True)
    # Copied from the donation so scoping and totals need no join.
    donor = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    category = Varchar(length=20, choices=Category, index=True)
    brand = Varchar(length=200, null=True, default=None)
    model = Varchar(length=200, null=True, default=None)
    serial_number = Varchar(length=200, null=True, default=None)
    year = Integer(null=True, default=None)
    has_storage = Boolean(default=True)
    condition = Varchar(length=200, null=True, default=None)
    estimated_value_xpf = BigInt(null=True, default=None)
    weight_kg = DoublePrecision(null=True, default=None)
    weight_estimated = Boolean(default=False, help_text="Weight taken from category defaults.")
    status = Varchar(length=20, choices=Status, index=True)
    reconditioner = ForeignKey(
        Organization, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    association = ForeignKey(
        Organization, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    grade = Varchar(length=1, null=True, default=None)
    pickup = ForeignKey(
        Pickup,
        on_delete=OnDelete.restrict,
        null=True,
        default=None,
        index=True,
        help_text="The pickup it was collected in.",
    )
    # When the device entered each status: totals filter on these, exports print them.
    registered_at = Timestamptz(index=True)
    collected_at = Timestamptz(null=True, default=None, index=True)
    received_at = Timestamptz(null=True, default=None)
    wiped_at = Timestamptz(null=True, default=None)
    refurbished_at = Timestamptz(null=True, default=None)
    recycled_at = Timestamptz(null=True, default=None, index=True)
    allocated_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None, index=True)
    withdrawn_at = Timestamptz(null=True, default=None)
    missing_at = Timestamptz(null=True, default=None)
    returned_at = Timestamptz(null=True, default=None)
    previous_status = Varchar(
        length=20,
        null=True,
        default=None,
        choices=Status,
        help_text="The `from` of the last step: where `found` and `revert` lead back.",
    )
    updated_at = Timestamptz()


class DeviceEvent(Table, tablename="device_event"):
    """The append-only custody log: one row per transition, never updated or deleted.

    The actor's name and organisation are copied so the history reads right after a user or an
    organisation is gone.
    """

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    device = ForeignKey(Device, on_delete=OnDelete.restrict, index=True)
    action = Varchar(length=20)
    from_status = Varchar(length=20, null=True, default=None)
    to_status = Varchar(length=20, choices=Status)
    actor_user = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    actor_name = Varchar(length=200, default="")
    actor_organization = ForeignKey(
        Organization, on_delete=OnDelete.set_null, null=True, default=None
    )
    actor_organization_name = Varchar(length=200, default="")
    actor_role = Varchar(length=20, choices=Role)
    created_at = Timestamptz(index=True)
    data = JSON(default="{}")
    certificate_number = Varchar(length=20, null=True, default=None, index=True)


class Certificate(Table, tablename="certificate"):
    """An issued certificate: its content (the JSON it is rendered from) and fingerprint, stored
    by the transaction that issues it; its PDF bytes and their hash, stored once by whoever
    renders it first (`collecte.services.certificate_files`), never regenerated differently."""

    id: Serial
    number = Varchar(length=20, unique=True, help_text="{PREFIX}-{YEAR}-{NNNNN}.")
    kind = Varchar(length=20, choices=CertificateKind, index=True)
    issued_at = Timestamptz(index=True)
    language = Varchar(length=2, default="fr")
    recipient = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    issuer = ForeignKey(
        Organization, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    issued_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    device_count = Integer(default=0)
    sha256 = Varchar(
        length=64,
        unique=True,
        null=True,
        default=None,
        help_text="SHA-256 of the PDF bytes; null until the PDF is rendered.",
    )
    content_fingerprint = Varchar(length=64, help_text="SHA-256 of the canonical content.")
    pdf = Bytea(secret=True, null=True, default=None, help_text="Null until rendered.")
    document = Text(
        null=True,
        default=None,
        secret=True,
        help_text="The issued content (JSON), from which a replacement is made.",
    )
    status = Varchar(length=20, default="valid", choices=CertificateStatus, index=True)
    reason = Varchar(length=200, null=True, default=None, help_text="Why superseded or revoked.")
    replaced_by = Varchar(length=20, null=True, default=None, help_text="The replacement's number.")
    replaces = Varchar(length=20, null=True, default=None, help_text="The number it replaces.")


class ErasureReport(Table, tablename="erasure_report"):
    """An erasure tool's report as uploaded: its bytes and hash, kept as evidence, never changed.

    The media read from it are kept too, so listing reports needs no parsing; the uploader's
    name is copied so the record reads right after the account is gone.
    """

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    device = ForeignKey(Device, on_delete=OnDelete.restrict, index=True)
    format = Varchar(length=20, choices=ErasureReportFormat)
    filename = Varchar(length=200, help_text="The name it was uploaded with, cleaned.")
    sha256 = Varchar(length=64, index=True, help_text="SHA-256 of the stored bytes.")
    size = Integer(help_text="Bytes.")
    content = Bytea(secret=True)
    media = JSON(default="[]", help_text="The media read from it, as the wipe takes them.")
    uploaded_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    uploaded_by_name = Varchar(length=200, default="")
    uploaded_at = Timestamptz(index=True)


class OrganizationEdit(Table, tablename="organization_edit"):
    """The audit log of corrections to an organisation: one row per edit, never changed.

    The editor's name and organisation are copied so the record reads right after the account
    is gone; `changes` lists each field with its old and new value.
    """

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    actor_user = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    actor_name = Varchar(length=200, default="")
    actor_organization_name = Varchar(length=200, default="")
    created_at = Timestamptz(index=True)
    changes = JSON(default="[]", help_text='[{"field", "from", "to"}], in field order.')


class ProgrammeSetting(Table, tablename="programme_setting"):
    """The programme's settings, one row per change, never changed: the latest row is the
    current one; none yet: the environment's defaults. Who changed them is copied, so the
    history reads right after the account is gone."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    name = Varchar(length=200, help_text="The programme's name, on every page and document.")
    operator = Varchar(length=200, help_text="The organisation that runs the programme.")
    ridet = Varchar(length=20, default="", help_text="The operator's RIDET; empty: unknown.")
    address = Text(default="")
    signatory_name = Varchar(length=200, default="")
    signatory_title = Varchar(length=200, default="")
    legal_mention = Text(default="", help_text="Printed on donation attestations when set.")
    tax_receipts_eligible = Boolean(
        default=False, help_text="Holds a DSF ruling: donation attestations are tax receipts."
    )
    minimum_erasure_method = Varchar(
        length=10, default="", help_text="clear, purge or destruct; empty: any wipe is accepted."
    )
    impact_note = Text(default="")
    changed_at = Timestamptz(index=True)
    changed_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    changed_by_name = Varchar(length=200, default="")


class TreatmentOperator(Table, tablename="treatment_operator"):
    """A waste treatment operator a recycled device may be handed to, kept by the coordinator.

    A recycling names one of the active ones; an operator is deactivated, never deleted, so the
    certificates and histories that name it still read right.
    """

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    name = Varchar(length=200, unique=True, help_text="As printed on recycling certificates.")
    authorization_number = Varchar(
        length=100, null=True, default=None, help_text="Authorisation or ICPE number."
    )
    address = Text(null=True, default=None)
    is_active = Boolean(default=True, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class BlankTag(Table, tablename="blank_tag"):
    """A tag printed ahead of a collection day, bound to a device when first registered."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    tag = Varchar(length=8, unique=True)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz()
    device = ForeignKey(Device, on_delete=OnDelete.set_null, null=True, default=None, unique=True)


class Counter(Table, tablename="counter"):
    """Gapless numbering (LOT-2026, DON-2026, …): incremented inside the issuing transaction."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    name = Varchar(length=40, unique=True)
    value = Integer(default=0)


class IdempotencyRecord(Table, tablename="idempotency_record"):
    """The first answer to a request sent with an Idempotency-Key, replayed on retries."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    key = Varchar(length=300, unique=True, help_text="'{user id}:{Idempotency-Key}'.")
    request_hash = Varchar(length=64)
    status_code = Integer()
    body = Text()
    created_at = Timestamptz(index=True)


class LoginAttempt(Table, tablename="login_attempt"):
    """Sign-in attempts, kept in the database so every app process sees the same count."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    email = Varchar(length=254, index=True)
    # The client's address (the socket peer, or the address a trusted proxy forwarded), so one
    # address guessing across many e-mails is limited too.
    client = Varchar(length=64, default="", index=True)
    # False until the password is verified: an attempt is recorded as a failure before Argon2
    # runs, so parallel guesses cannot all read the same count.
    succeeded = Boolean(default=False)
    created_at = Timestamptz(index=True)


class SecurityLogEntry(Table, tablename="security_log"):
    """The security log: sign-ins, failures, locks and what happens to accounts, never changed.

    The actor's name is copied so an entry reads right after the account is gone; `email` is the
    account concerned (the address typed, for a failed sign-in).
    """

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    kind = Varchar(length=30, choices=SecurityEvent, index=True)
    actor_user = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    actor_name = Varchar(length=200, default="", help_text="Empty when nobody signed in acted.")
    email = Varchar(length=254, default="", index=True, help_text="The account concerned.")
    client = Varchar(length=64, default="", help_text="The client's IP address; empty off-web.")
    detail = Varchar(length=500, default="", help_text="Values, not sentences (names, roles).")
    created_at = Timestamptz(index=True)


class AppSecret(Table, tablename="app_secret"):
    """Secrets generated on first run and shared by every process (the token signing key)."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    name = Varchar(length=50, unique=True)
    value = Text()


class UserSession(Table, tablename="user_session"):
    """One sign-in: its random key is in the token, and every request checks it is still live.

    Ending it (logout, deactivation, a password change) refuses its token at once in every
    process, though the token's signature and expiry still hold.
    """

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    key = Varchar(length=64, unique=True, help_text="Random; the token's `sid` claim.")
    account = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True, help_text="The token's own expiry.")
    ended_at = Timestamptz(null=True, default=None)
    end_reason = Varchar(length=20, null=True, default=None, choices=SessionEnd)


class PasswordReset(Table, tablename="password_reset"):
    """A one-time link a coordinator issued so a user can choose a new password."""

    id: Serial  # the primary key Piccolo adds; annotated so type checkers know it

    token_hash = Varchar(length=64, unique=True, help_text="SHA-256 of the link's secret.")
    account = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


ALL_TABLES: tuple[type[Table], ...] = (
    Organization,
    User,
    Donation,
    Pickup,
    # Before Device: emptying tables in reverse order removes devices (whose triggers adjust
    # the tally) before the tally itself.
    DeviceTally,
    Device,
    DeviceEvent,
    Certificate,
    ErasureReport,
    OrganizationEdit,
    ProgrammeSetting,
    BlankTag,
    TreatmentOperator,
    Counter,
    IdempotencyRecord,
    LoginAttempt,
    SecurityLogEntry,
    AppSecret,
    UserSession,
    PasswordReset,
)
