"""Request bodies as msgspec Structs: typed in the OpenAPI schema, checked before any service."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

# Database integer keys are 32-bit; a larger id is bad input, not a database error.
MAX_ID = 2_147_483_647
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
# PostgreSQL text cannot hold NUL characters: refuse them at the door, naming the field.
Text = Annotated[str, Meta(pattern=r"^[^\x00]*$")]


class LoginIn(Struct):
    """Credentials."""

    email: Text
    password: Text


class OrganizationIn(Struct, kw_only=True):
    """A new organisation; `kind` is donor, reconditioner, association or coordinator."""

    name: Text
    kind: Text
    short_name: Text | None = None
    ridet: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    address: Text | None = None
    city: Text | None = None
    language: Text | None = None


class UserIn(Struct, kw_only=True):
    """A new user of an organisation."""

    email: Text
    password: Text
    organization_id: Id
    full_name: Text | None = None


class DeviceIn(Struct, kw_only=True):
    """A device to register; `tag` binds a scanned blank label."""

    category: Text
    brand: Text | None = None
    model: Text | None = None
    serial_number: Text | None = None
    year: int | None = None
    has_storage: bool | None = None
    condition: Text | None = None
    estimated_value_xpf: int | None = None
    weight_kg: float | None = None
    tag: Text | None = None


class DonationIn(Struct, kw_only=True):
    """A donation and its devices; coordinators name the donor."""

    donor_id: Id | None = None
    pickup_address: Text | None = None
    notes: Text | None = None
    devices: list[DeviceIn] = []


class ScanIn(Struct):
    """A scanned label: its URL or the bare tag."""

    code: Text
