"""What the pages list: the devices waiting for someone (to receive, allocate, confirm…)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collecte.db.tables import Device
from collecte.domain.access import Principal
from collecte.domain.vocabulary import Status
from collecte.services.devices import device_select, device_summary, visible_to

MAX_LISTED = 500


async def list_devices(
    principal: Principal, statuses: Sequence[Status], limit: int = MAX_LISTED
) -> list[dict[str, Any]]:
    """The devices in `statuses` the caller may see, most recently changed first."""
    query = (
        device_select()
        .where(Device.status.is_in([status.value for status in statuses]))
        .order_by(Device.updated_at, ascending=False)
        .limit(limit)
    )
    scope = visible_to(principal)
    if scope is not None:
        query = query.where(scope)
    return [device_summary(row, principal) for row in await query]
