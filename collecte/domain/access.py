"""Who is asking, and what they may see. Pure: no web, no database."""

from __future__ import annotations

from dataclasses import dataclass

from collecte.domain.errors import Forbidden
from collecte.domain.lifecycle import Actor, DeviceState
from collecte.domain.vocabulary import Role, Status
from collecte.i18n import msg


@dataclass(frozen=True)
class Principal:
    """The signed-in user, as carried by their token."""

    user_id: int
    email: str
    full_name: str
    organization_id: int
    organization_name: str
    role: Role

    @property
    def actor(self) -> Actor:
        """The lifecycle's view of this user."""
        return Actor(role=self.role, organization_id=self.organization_id)

    @property
    def display_name(self) -> str:
        """The name recorded in the custody log."""
        return self.full_name or self.email


def require_coordinator(principal: Principal) -> None:
    """Raise Forbidden unless `principal` is a coordinator."""
    if principal.role is not Role.COORDINATOR:
        raise Forbidden(msg("Réservé à la coordination du programme."))


def can_see_device(principal: Principal, device: DeviceState) -> bool:
    """Whether `principal` may see `device` at all.

    Donors see their own devices; a reconditioner sees what is destined to it or in its hands,
    and registered devices waiting for collection (it holds their labels at pick-up); an
    association sees what is allocated to it; coordinators see everything.
    """
    role, org = principal.role, principal.organization_id
    if role is Role.COORDINATOR:
        return True
    if role is Role.DONOR:
        return device.donor_id == org
    if role is Role.RECONDITIONER:
        return device.reconditioner_id == org or device.status is Status.REGISTERED
    return device.association_id == org
