"""The custody log's rows: who did what to a device, copied so the history outlives its actors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from collecte.domain.access import Principal


def event_fields(
    principal: Principal,
    action: str,
    from_status: str | None,
    to_status: str,
    data: dict[str, Any],
    at: datetime,
    certificate_number: str | None = None,
) -> dict[str, Any]:
    """The columns of one event, but its device."""
    return {
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "actor_user": principal.user_id,
        "actor_name": principal.display_name,
        "actor_organization": principal.organization_id,
        "actor_organization_name": principal.organization_name,
        "actor_role": principal.role.value,
        "created_at": at,
        "data": data,
        "certificate_number": certificate_number,
    }
