"""What the pages list: the devices waiting for someone (to receive, allocate, confirm…)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from collecte.db.tables import Device
from collecte.domain import tags
from collecte.domain.clock import now
from collecte.domain.lifecycle import OPEN_STATUSES
from collecte.domain.vocabulary import Status
from collecte.services.devices import device_select

MAX_LISTED = 500  # per list: the dashboard says « 500 sur N » beyond


# Who has a device in hand at each status (for a missing one: who had it last).
_HELD_BY = {
    Status.REGISTERED: "donor",
    Status.COLLECTED: "reconditioner",
    Status.RECEIVED: "reconditioner",
    Status.WIPED: "reconditioner",
    Status.REFURBISHED: "reconditioner",
    Status.RETURNED: "reconditioner",
    Status.ALLOCATED: "association",
}


def holder_of(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The organisation that has (or, for a missing device, last had) the device in hand."""
    status = Status(row["status"])
    if status is Status.MISSING and row.get("previous_status"):
        status = Status(row["previous_status"])
    party = _HELD_BY.get(status)
    if party is None or row[party] is None:
        return None
    return {"id": row[party], "name": row[f"{party}_name"], "role": party}


def _by_holder(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by their holder, the holders in name order, oldest change first."""
    groups: dict[Any, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["updated_at"]):
        holder = holder_of(row)
        key = (holder or {}).get("id")
        group = groups.setdefault(key, {"holder": holder, "devices": []})
        group["devices"].append(
            {
                "tag": row["tag"],
                "label": tags.display(row["tag"]),
                "status": row["status"],
                "category": row["category"],
                "brand": row["brand"],
                "model": row["model"],
                "updated_at": row["updated_at"],
            }
        )
    return sorted(groups.values(), key=lambda g: ((g["holder"] or {}).get("name") or "").lower())


async def needing_attention(stale_days: int, at: datetime | None = None) -> dict[str, Any]:
    """For the coordination: the devices reported missing, and those in an open status with no
    event for more than `stale_days` days, each list grouped by holder."""
    cutoff = (at or now()) - timedelta(days=stale_days)
    waiting = [status.value for status in OPEN_STATUSES if status is not Status.MISSING]
    found: dict[str, Any] = {"stale_days": stale_days}
    for key, where in (
        ("missing", Device.status == Status.MISSING.value),
        ("stale", Device.status.is_in(waiting) & (Device.updated_at < cutoff)),
    ):
        rows = await device_select().where(where).order_by(Device.updated_at).limit(MAX_LISTED)
        found[key] = _by_holder(rows)
        found[f"{key}_shown"] = len(rows)
        found[f"{key}_total"] = (
            len(rows) if len(rows) < MAX_LISTED else await Device.count().where(where)
        )
    return found
