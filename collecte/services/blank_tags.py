"""Blank labels met by a scan: a tag printed ahead of a collection day and stuck on a device
before anyone registered it. Scanning one leads the donor or the coordination to bind it
(the device is added to one of their donations with that tag), instead of a dead end."""

from __future__ import annotations

from typing import Any

from collecte.db.tables import Donation
from collecte.domain.access import Principal
from collecte.domain.errors import Forbidden, Invalid
from collecte.domain.vocabulary import Role
from collecte.i18n import msg
from collecte.services import donations
from collecte.services.devices import is_unbound_blank, parse_code

# Who may bind a blank label: those who register devices.
BINDERS = (Role.DONOR, Role.COORDINATOR)
# The donations offered in the binding form, newest first.
RECENT_DONATIONS = 30


async def unbound(code: object) -> str | None:
    """The canonical tag of `code` when it is a blank label not bound to a device yet."""
    tag = parse_code(code, "tag")
    return tag if await is_unbound_blank(tag) else None


async def recent_donations(principal: Principal) -> list[dict[str, Any]]:
    """The donations a device may be added to from the binding form: the donor's own, or
    every donor's for the coordination; newest first."""
    query = (
        Donation.select(
            Donation.id,
            Donation.number,
            Donation.created_at,
            Donation.donor.name.as_alias("donor_name"),
        )
        .order_by(Donation.id, ascending=False)
        .limit(RECENT_DONATIONS)
    )
    if principal.role is Role.DONOR:
        query = query.where(Donation.donor == principal.organization_id)
    return list(await query)


async def bind(
    principal: Principal, code: object, donation_id: object, device: dict[str, Any]
) -> dict[str, Any]:
    """Register the device wearing the blank label `code` in the donation `donation_id`."""
    if principal.role not in BINDERS:
        raise Forbidden(msg("Seuls le donateur et la coordination associent une étiquette vierge."))
    tag = await unbound(code)
    if tag is None:
        raise Invalid(
            msg("Cette étiquette n’est pas une étiquette vierge libre : scannez-la de nouveau."),
            "tag",
        )
    if isinstance(donation_id, bool) or not isinstance(donation_id, int):
        raise Invalid(msg("Choisissez le don auquel ajouter cet appareil."), "donation_id")
    return await donations.add_device(principal, donation_id, {**device, "tag": tag})
