"""Request bodies as msgspec Structs: typed in the OpenAPI schema, checked before any service."""

from __future__ import annotations

from msgspec import Struct


class LoginIn(Struct):
    """Credentials."""

    email: str
    password: str


class TokenOut(Struct):
    """A bearer token and who it is for."""

    access_token: str
    token_type: str
    expires_in: int
    role: str
    organization_id: int
    user_id: int


class OrganizationIn(Struct, kw_only=True):
    """A new organisation; `kind` is donor, reconditioner, association or coordinator."""

    name: str
    kind: str
    short_name: str | None = None
    ridet: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    language: str | None = None


class UserIn(Struct, kw_only=True):
    """A new user of an organisation."""

    email: str
    password: str
    organization_id: int
    full_name: str | None = None


class DeviceIn(Struct, kw_only=True):
    """A device to register; `tag` binds a scanned blank label."""

    category: str
    brand: str | None = None
    model: str | None = None
    serial_number: str | None = None
    year: int | None = None
    has_storage: bool | None = None
    condition: str | None = None
    estimated_value_xpf: int | None = None
    weight_kg: float | None = None
    tag: str | None = None


class DonationIn(Struct, kw_only=True):
    """A donation and its devices; coordinators name the donor."""

    donor_id: int | None = None
    pickup_address: str | None = None
    notes: str | None = None
    devices: list[DeviceIn] = []


class TransitionIn(Struct, kw_only=True):
    """An action and the data it takes (see the lifecycle table)."""

    action: str
    reconditioner_id: int | None = None
    method: str | None = None
    tool: str | None = None
    verified: bool | None = None
    storage_serials: list[str] | None = None
    destination: str | None = None
    grade: str | None = None
    notes: str | None = None
    channel: str | None = None
    weight_kg: float | None = None
    association_id: int | None = None
    received_by: str | None = None
    reason: str | None = None


class BatchTransitionIn(TransitionIn, kw_only=True):
    """One action on many devices, all or nothing."""

    tags: list[str]


class ScanIn(Struct):
    """A scanned label: its URL or the bare tag."""

    code: str
