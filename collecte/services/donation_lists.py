"""The donations page's list: one page of donations with exact counts of their devices per
status, read with COUNT queries instead of loading every device (a donor with 5,000 devices
used to get them all on one page)."""

from __future__ import annotations

from typing import Any

from piccolo.query.functions.aggregate import Count

from collecte.db.tables import Device, Donation
from collecte.domain.access import Principal
from collecte.domain.vocabulary import Role, Status
from collecte.services.devices import visible_to

PER_PAGE = 20


def _visible(query: Any, principal: Principal) -> Any:
    """`query` on donations restricted to those `principal` sees (one of its devices, at
    least, for a workshop or an association)."""
    if principal.role is Role.DONOR:
        return query.where(Donation.donor == principal.organization_id)
    if principal.role is not Role.COORDINATOR:
        return query.where(
            Donation.id.is_in(Device.select(Device.donation).where(visible_to(principal)))
        )
    return query


async def donation_page(
    principal: Principal, page: int, per_page: int = PER_PAGE
) -> dict[str, Any]:
    """Page `page` (from 1) of the donations `principal` sees, newest first, each with its
    visible devices counted per status, and how many donations there are in all."""
    total = await _visible(Donation.count(), principal)
    rows = (
        await _visible(
            Donation.select(
                Donation.id,
                Donation.number,
                Donation.created_at,
                Donation.donor,
                Donation.donor.name.as_alias("donor_name"),
            ),
            principal,
        )
        .order_by(Donation.id, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    counts: dict[int, dict[str, int]] = {row["id"]: {} for row in rows}
    if rows:
        query = (
            Device.select(Device.donation, Device.status, Count(alias="devices"))
            .where(Device.donation.is_in(list(counts)))
            .group_by(Device.donation, Device.status)
        )
        scope = visible_to(principal)
        if scope is not None:
            query = query.where(scope)
        for row in await query:
            counts[row["donation"]][row["status"]] = int(row["devices"])
    order = [status.value for status in Status]
    items = [
        {
            "id": row["id"],
            "number": row["number"],
            "created_at": row["created_at"],
            "donor": {"id": row["donor"], "name": row["donor_name"]},
            "device_count": sum(counts[row["id"]].values()),
            "by_status": sorted(counts[row["id"]].items(), key=lambda item: order.index(item[0])),
        }
        for row in rows
    ]
    return {"items": items, "total": total, "page": page, "pages": max(1, -(-total // per_page))}
