"""Request bodies as msgspec Structs: typed in the OpenAPI schema, checked before any service."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import PathParameter
from msgspec import Meta, Struct

from collecte.domain.text import SINGLE_LINE

# Database integer keys are 32-bit; a larger id is bad input, not a database error.
MAX_ID = 2_147_483_647
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
# PostgreSQL text cannot hold NUL characters: refuse them at the door, naming the field.
Text = Annotated[str, Meta(pattern=r"^[^\x00]*$")]
# One line: no line break or control character (a name, a brand, a serial); several lines
# (an address, notes) are `Text`, their number of lines bounded by the services.
Line = Annotated[str, Meta(pattern=SINGLE_LINE)]
# The schema names the values the services accept, so clients (and fuzzers) send valid ones;
# tests/unit/test_schema_vocabulary.py keeps them equal to the domain's.
Kind = Literal["donor", "reconditioner", "association", "coordinator"]
Lang = Literal["fr", "en"]
# A tag in a path, read leniently: 8 characters, case, spaces and dashes forgiven (7K3P-9QXM).
TAG_PATTERN = r"^[\s-]*([0-9A-Za-z][\s-]*){8}$"
Tag = Annotated[
    str,
    PathParameter(
        pattern=TAG_PATTERN,
        description="A device tag: 7K3P-9QXM (case, spaces and dashes forgiven)",
    ),
]


class LoginIn(Struct):
    """Credentials."""

    email: Text
    password: Text


class OrganizationIn(Struct, kw_only=True):
    """A new organisation; `kind` is donor, reconditioner, association or coordinator."""

    name: Line
    kind: Kind
    short_name: Line | None = None
    ridet: Line | None = None
    email: Line | None = None
    phone: Line | None = None
    address: Text | None = None
    city: Line | None = None
    language: Lang | None = None


# A password as typed: checked by the password policy (collecte.domain.passwords) for a new one.
Password = Annotated[str, Meta(pattern=r"^[^\x00]*$", max_length=1024)]


class PasswordChangeIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """The current password and the new one (at least 12 characters, not a common one)."""

    current: Password
    new: Password


class PasswordResetIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """The secret of a reset link (the end of its address) and the new password."""

    token: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,100}$")]
    new: Password


class UserPatchIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """What the coordination may change on an account."""

    is_active: bool | None = None
    full_name: Line | None = None


class UserIn(Struct, kw_only=True):
    """A new user of an organisation."""

    email: Line
    password: Text
    organization_id: Id
    full_name: Line | None = None


class DeviceIn(Struct, kw_only=True):
    """A device to register; `tag` binds a scanned blank label."""

    category: Line
    brand: Line | None = None
    model: Line | None = None
    serial_number: Line | None = None
    year: int | None = None
    has_storage: bool | None = None
    condition: Line | None = None
    estimated_value_xpf: int | None = None
    weight_kg: float | None = None
    tag: Text | None = None  # read leniently: a scanner's trailing line break is forgiven


class DonationIn(Struct, kw_only=True):
    """A donation and its devices; coordinators name the donor."""

    donor_id: Id | None = None
    pickup_address: Text | None = None
    notes: Text | None = None
    devices: list[DeviceIn] = []


class ScanIn(Struct):
    """A scanned label: its URL or the bare tag."""

    code: Text
