"""Who may see a device at all (before any question of what they may do to it)."""

from __future__ import annotations

from itertools import product

import pytest

from collecte.domain.access import Principal, can_see_device
from collecte.domain.lifecycle import Actor, DeviceState
from collecte.domain.vocabulary import Role, Status

DONOR, OTHER_DONOR = 10, 11
RECONDITIONER, OTHER_RECONDITIONER = 20, 21
ASSOCIATION, OTHER_ASSOCIATION = 30, 31
COORDINATOR = 1

ORG_OF_ROLE = {
    Role.COORDINATOR: COORDINATOR,
    Role.DONOR: DONOR,
    Role.RECONDITIONER: RECONDITIONER,
    Role.ASSOCIATION: ASSOCIATION,
}


def principal(role: Role, organization_id: int | None = None) -> Principal:
    return Principal(
        user_id=7,
        email="marie@example.nc",
        full_name="Marie Wayewol",
        organization_id=organization_id or ORG_OF_ROLE[role],
        organization_name="Org",
        role=role,
    )


def device(
    status: Status,
    donor: int = DONOR,
    reconditioner: int | None = None,
    association: int | None = None,
) -> DeviceState:
    return DeviceState(
        status=status,
        has_storage=True,
        donor_id=donor,
        reconditioner_id=reconditioner,
        association_id=association,
    )


# fmt: off
# The organisations a device may be tied to, as (donor, reconditioner, association).
TIES = {
    "ours":          (DONOR,       RECONDITIONER,       ASSOCIATION),
    "theirs":        (OTHER_DONOR, OTHER_RECONDITIONER, OTHER_ASSOCIATION),
    "our_donor":     (DONOR,       OTHER_RECONDITIONER, OTHER_ASSOCIATION),
    "our_recond":    (OTHER_DONOR, RECONDITIONER,       OTHER_ASSOCIATION),
    "our_assoc":     (OTHER_DONOR, OTHER_RECONDITIONER, ASSOCIATION),
    "unassigned":    (OTHER_DONOR, None,                None),
}
# fmt: on


def expected_visibility(role: Role, status: Status, tie: str) -> bool:
    """Written from the design: donors their own, reconditioners what is destined to them or in
    their hands plus registered devices awaiting collection, associations what is allocated to
    them, coordinators everything."""
    donor, reconditioner, association = TIES[tie]
    if role is Role.COORDINATOR:
        return True
    if role is Role.DONOR:
        return donor == DONOR
    if role is Role.RECONDITIONER:
        return reconditioner == RECONDITIONER or status is Status.REGISTERED
    return association == ASSOCIATION


CASES = list(product(Role, Status, TIES))


@pytest.mark.parametrize(
    ("role", "status", "tie"), CASES, ids=[f"{r}-{s}-{t}" for r, s, t in CASES]
)
def test_can_see_device(role: Role, status: Status, tie: str) -> None:
    donor, reconditioner, association = TIES[tie]
    dev = device(status, donor, reconditioner, association)
    assert can_see_device(principal(role), dev) is expected_visibility(role, status, tie)


# fmt: off
# (role, viewer's organisation), (status, donor, reconditioner, association), whether it sees
EXAMPLES = [
    ((Role.COORDINATOR, 999),       (Status.WIPED, OTHER_DONOR, OTHER_RECONDITIONER, None), True),
    ((Role.DONOR, DONOR),           (Status.DELIVERED, DONOR, RECONDITIONER, ASSOCIATION),  True),
    ((Role.DONOR, DONOR),           (Status.REGISTERED, OTHER_DONOR, None, None),           False),
    ((Role.DONOR, OTHER_DONOR),     (Status.REGISTERED, OTHER_DONOR, None, None),           True),
    ((Role.RECONDITIONER, RECONDITIONER), (Status.REGISTERED, OTHER_DONOR, None, None),     True),
    ((Role.RECONDITIONER, RECONDITIONER), (Status.COLLECTED, DONOR, OTHER_RECONDITIONER, None),
     False),
    ((Role.RECONDITIONER, RECONDITIONER), (Status.COLLECTED, DONOR, RECONDITIONER, None),   True),
    ((Role.RECONDITIONER, RECONDITIONER), (Status.WITHDRAWN, DONOR, None, None),            False),
    ((Role.RECONDITIONER, RECONDITIONER), (Status.DELIVERED, DONOR, RECONDITIONER, ASSOCIATION),
     True),
    ((Role.ASSOCIATION, ASSOCIATION), (Status.REFURBISHED, DONOR, RECONDITIONER, None),     False),
    ((Role.ASSOCIATION, ASSOCIATION), (Status.ALLOCATED, DONOR, RECONDITIONER, ASSOCIATION), True),
    ((Role.ASSOCIATION, ASSOCIATION), (Status.ALLOCATED, DONOR, RECONDITIONER, OTHER_ASSOCIATION),
     False),
    ((Role.ASSOCIATION, ASSOCIATION), (Status.REGISTERED, DONOR, None, None),               False),
    # an association whose id happens to be a donor's sees nothing of that donor's devices
    ((Role.ASSOCIATION, DONOR),     (Status.REGISTERED, DONOR, None, None),                 False),
]
# fmt: on


@pytest.mark.parametrize(("viewer", "dev", "sees"), EXAMPLES)
def test_can_see_device_examples(
    viewer: tuple[Role, int], dev: tuple[Status, int, int | None, int | None], sees: bool
) -> None:
    assert can_see_device(principal(*viewer), device(*dev)) is sees


def test_an_organisation_id_alone_does_not_grant_sight() -> None:
    """A reconditioner whose id happens to equal the donor's sees nothing more for it."""
    reconditioner = principal(Role.RECONDITIONER, DONOR)
    assert not can_see_device(reconditioner, device(Status.COLLECTED, DONOR, OTHER_RECONDITIONER))


def test_principal_actor_and_display_name() -> None:
    who = principal(Role.RECONDITIONER)
    assert who.actor == Actor(role=Role.RECONDITIONER, organization_id=RECONDITIONER)
    assert who.display_name == "Marie Wayewol"
    nameless = Principal(
        user_id=1,
        email="atelier@example.nc",
        full_name="",
        organization_id=RECONDITIONER,
        organization_name="Atelier",
        role=Role.RECONDITIONER,
    )
    assert nameless.display_name == "atelier@example.nc"
