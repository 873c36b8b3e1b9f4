"""The workshops a device may be sent to (a return, a transfer): names and towns only, which
every signed-in user may read (they are printed on the certificates anyway)."""

from __future__ import annotations

from typing import Any

from collecte.db.tables import Organization
from collecte.domain.vocabulary import Role


async def workshops() -> list[dict[str, Any]]:
    """Every reconditioner, by name: `{"id", "name", "city"}`."""
    rows = (
        await Organization.select(Organization.id, Organization.name, Organization.city)
        .where(Organization.kind == Role.RECONDITIONER.value)
        .order_by(Organization.name)
    )
    return list(rows)
