"""The answers of the corrections' routes (an organisation's audit log), typed for OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from collecte.web.responses import Answer

Value = str | int | float | bool | None


class FieldChangeOut(Answer, rename={"old": "from", "new": "to"}):
    """One field of a correction: its value before and after."""

    field: Annotated[str, Meta(description="The field corrected (name, ridet, address, …)")]
    old: Value
    new: Value


class EditorOut(Answer):
    """Who made a correction (copied: it reads right after the account is gone)."""

    user_id: int | None
    name: str
    organization_name: str


class OrganizationEditOut(Answer):
    """One correction of an organisation's details."""

    id: int
    at: datetime
    actor: EditorOut
    changes: list[FieldChangeOut]
