"""The device lifecycle, checked against the table of DESIGN.md written out again here.

The expectations below are deliberately NOT derived from `collecte.domain.lifecycle.RULES`:
they are copied by hand from the design document (plain strings, so the stored values are pinned
too), and every status × action × role is checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product
from typing import Any

import pytest

from collecte.domain.lifecycle import (
    CERTIFICATE_PREFIX,
    MAY_HOLD_DATA_STATUSES,
    OPEN_STATUSES,
    STORAGE_BY_DEFAULT,
    TERMINAL_STATUSES,
    WORKSHOP_STATUSES,
    Actor,
    DeviceState,
    InvalidData,
    LifecycleError,
    NothingToRevert,
    NothingToWipe,
    NotYourDevice,
    RoleNotAllowed,
    UnknownAction,
    WrongStatus,
    allowed_actions,
    certificate_for,
    check_revert,
    check_transition,
    counted_wipes,
    last_step,
    parse_action,
)
from collecte.domain.vocabulary import Action, Category, CertificateKind, Role, Status

# --- the expected table (DESIGN.md, "The device lifecycle") ---------------------------------


ALL_STATUSES_TEXT = """registered collected received wiped refurbished recycled allocated
delivered withdrawn missing returned"""
# Copied from the design document; "-" means no certificate. Version 2: `collect` issues none,
# the pickup's close issues one donation attestation for all its devices.
DESIGN_TABLE = """
action           from          to            who may                     certificate
collect          registered    collected     coordinator,reconditioner   -
receive          collected     received      coordinator,reconditioner   -
wipe             received,wiped wiped        coordinator,reconditioner   erasure
refurbish        wiped         refurbished   coordinator,reconditioner   -
recycle          wiped         recycled      coordinator,reconditioner   recycling
allocate         refurbished   allocated     coordinator                 -
confirm_receipt  allocated     delivered     coordinator,association     receipt
withdraw         registered    withdrawn     coordinator,donor           -
deallocate       allocated     refurbished   coordinator                 -
refuse           allocated     refurbished   coordinator,association     -
report_missing   collected,received,wiped,refurbished,allocated missing coordinator,reconditioner -
found            missing       previous      coordinator                 -
return           delivered     returned      coordinator,association     -
transfer         received,wiped,refurbished collected coordinator,reconditioner -
revert           *             previous      coordinator                 -
"""
# "revert: any but registered" (written `*`).
ANY_BUT_REGISTERED = ",".join(s for s in ALL_STATUSES_TEXT.split() if s != "registered")
# "receive: collected **or returned**" (version 2, "Exceptions").
ALSO_FROM = {"receive": {"returned"}}
# "previous": the status the device had before its last step (the `from` of its last event).
PREVIOUS = "wiped"
# "refurbish / recycle: from wiped, or received when the device has no storage".
ALSO_WITHOUT_STORAGE = {"refurbish": {"received"}, "recycle": {"received"}}


@dataclass(frozen=True)
class Expected:
    """One row of the design's transition table."""

    from_statuses: frozenset[str]
    to_status: str
    roles: frozenset[str]
    certificate: str | None
    # Extra starting statuses allowed only for a device without storage (nothing to wipe).
    also_without_storage: frozenset[str] = frozenset()

    def starts(self, has_storage: bool) -> frozenset[str]:
        if has_storage:
            return self.from_statuses
        return self.from_statuses | self.also_without_storage


def _read_design_table() -> dict[str, Expected]:
    rows = {}
    for line in DESIGN_TABLE.strip().splitlines()[1:]:
        action, from_, to, roles, certificate = line.split()
        from_ = ANY_BUT_REGISTERED if from_ == "*" else from_
        rows[action] = Expected(
            from_statuses=frozenset(from_.split(",")) | ALSO_FROM.get(action, set()),
            to_status=to,
            roles=frozenset(roles.split(",")),
            certificate=None if certificate == "-" else certificate,
            also_without_storage=frozenset(ALSO_WITHOUT_STORAGE.get(action, ())),
        )
    return rows


EXPECTED = _read_design_table()

LIFECYCLE_ORDER = [
    "collect",
    "receive",
    "wipe",
    "refurbish",
    "recycle",
    "allocate",
    "confirm_receipt",
    "withdraw",
    "deallocate",
    "refuse",
    "report_missing",
    "found",
    "return",
    "transfer",
    "revert",
]
# The version 1 actions: the forward path, without the exceptions.
FORWARD = LIFECYCLE_ORDER[:8]
ALL_STATUSES = [
    "registered",
    "collected",
    "received",
    "wiped",
    "refurbished",
    "recycled",
    "allocated",
    "delivered",
    "withdrawn",
    "missing",
    "returned",
]
ALL_ROLES = ["donor", "reconditioner", "association", "coordinator"]

# --- the organisations in play -------------------------------------------------------------

COORDINATOR_ORG = 1
DONOR_ORG = 10
OTHER_DONOR_ORG = 11
RECONDITIONER_ORG = 20
OTHER_RECONDITIONER_ORG = 21
ASSOCIATION_ORG = 30
OTHER_ASSOCIATION_ORG = 31

ORG_OF_ROLE = {
    Role.COORDINATOR: COORDINATOR_ORG,
    Role.DONOR: DONOR_ORG,
    Role.RECONDITIONER: RECONDITIONER_ORG,
    Role.ASSOCIATION: ASSOCIATION_ORG,
}


def actor(role: Role, organization_id: int | None = None) -> Actor:
    return Actor(role=role, organization_id=organization_id or ORG_OF_ROLE[role])


def device(status: Status | str, has_storage: bool = True, **overrides: Any) -> DeviceState:
    """A device held by every organisation in play, so only role and status decide."""
    fields: dict[str, Any] = {
        "status": Status(status),
        "has_storage": has_storage,
        "donor_id": DONOR_ORG,
        "reconditioner_id": RECONDITIONER_ORG,
        "association_id": ASSOCIATION_ORG,
        "previous_status": Status(PREVIOUS),
    }
    fields.update(overrides)
    return DeviceState(**fields)


def expected_outcome(
    status: str, action: str, role: str, has_storage: bool
) -> str | type[LifecycleError]:
    """The resulting status, or the error, for an actor whose organisation holds the device."""
    row = EXPECTED[action]
    if role not in row.roles:
        return RoleNotAllowed
    if status not in row.starts(has_storage):
        return WrongStatus
    if action == "wipe" and not has_storage:
        return NothingToWipe  # version 2: nothing to erase, nothing to certify
    return PREVIOUS if row.to_status == "previous" else row.to_status


def outcome(dev: DeviceState, who: Actor, action: Action) -> Status | type[LifecycleError]:
    try:
        return check_transition(dev, who, action)
    except LifecycleError as error:
        return type(error)


# --- the enumerations themselves -----------------------------------------------------------


def test_statuses_actions_and_roles_have_the_stored_values() -> None:
    assert [s.value for s in Status] == ALL_STATUSES
    assert [a.value for a in Action] == LIFECYCLE_ORDER
    assert sorted(r.value for r in Role) == sorted(ALL_ROLES)
    assert set(EXPECTED) == set(LIFECYCLE_ORDER)


# --- every status × action × role ----------------------------------------------------------

MATRIX = list(product(Status, Action, Role))


@pytest.mark.parametrize("has_storage", [True, False], ids=["with_storage", "without_storage"])
@pytest.mark.parametrize(
    ("status", "action", "role"), MATRIX, ids=[f"{s}-{a}-{r}" for s, a, r in MATRIX]
)
def test_check_transition_follows_the_design_table(
    status: Status, action: Action, role: Role, has_storage: bool
) -> None:
    expected = expected_outcome(status.value, action.value, role.value, has_storage)
    dev = device(status, has_storage)

    if isinstance(expected, str):
        result = check_transition(dev, actor(role), action)
        assert result == Status(expected)
        assert isinstance(result, Status)
    else:
        with pytest.raises(expected) as caught:
            check_transition(dev, actor(role), action)
        # A wipe without storage is refused for the device itself (its tag), not the action.
        assert caught.value.field == ("tag" if expected is NothingToWipe else "action")
        if isinstance(caught.value, WrongStatus):
            # The 409 names the current status in words; programs read its code elsewhere
            # (`extra.current_status`), so the sentence holds no code.
            assert f"l’appareil est « {status.label} »" in caught.value.message
            assert f"({status.value}" not in caught.value.message
            assert "attendu" not in caught.value.message
            assert caught.value.current == status
            assert caught.value.action == action


def test_error_codes_are_stable() -> None:
    assert UnknownAction.code == "unknown_action"
    assert RoleNotAllowed.code == "role_not_allowed"
    assert NotYourDevice.code == "not_your_device"
    assert WrongStatus.code == "wrong_status"
    assert InvalidData.code == "invalid_data"
    for error in (UnknownAction, RoleNotAllowed, NotYourDevice, WrongStatus, InvalidData):
        assert issubclass(error, LifecycleError)


def test_wrong_status_message_names_the_expected_statuses() -> None:
    with pytest.raises(WrongStatus) as caught:
        check_transition(device(Status.DELIVERED), actor(Role.COORDINATOR), Action.ALLOCATE)
    assert caught.value.message == (
        "« Attribuer à une association » impossible : l’appareil est « Remis à l’association » "
        "alors qu’il devrait être « Reconditionné ». Son parcours est terminé."
    )
    assert str(caught.value) == caught.value.message
    assert caught.value.sentence.render("en") == (
        "“Allocate to an association” is not possible: the device is “Delivered to the "
        "association” but it should be “Refurbished”. Its journey is over."
    )


def _refusal(status: Status, action: Action, has_storage: bool = True) -> str:
    with pytest.raises(WrongStatus) as caught:
        check_transition(device(status, has_storage), actor(Role.COORDINATOR), action)
    return caught.value.message


def test_a_missing_device_must_be_found_by_the_coordination_first() -> None:
    assert _refusal(Status.MISSING, Action.REFURBISH) == (
        "« Reconditionner » impossible : l’appareil est « Introuvable » alors qu’il devrait "
        "être « Données effacées ». Il faut d’abord « Signaler retrouvé » (par la coordination)."
    )


def test_a_refusal_says_the_step_to_take_first() -> None:
    assert _refusal(Status.REGISTERED, Action.RECEIVE) == (
        "« Réceptionner à l’atelier » impossible : l’appareil est « Enregistré » alors qu’il "
        "devrait être « Collecté » ou « Rendu par l’association ». Il faut d’abord « Collecter »."
    )
    # Three statuses are listed; a sideways move (a transfer, a refusal) is never suggested.
    assert _refusal(Status.COLLECTED, Action.TRANSFER) == (
        "« Transférer à un autre atelier » impossible : l’appareil est « Collecté » alors qu’il "
        "devrait être « Réceptionné à l’atelier », « Données effacées » ou « Reconditionné ». "
        "Il faut d’abord « Réceptionner à l’atelier »."
    )
    assert _refusal(Status.ALLOCATED, Action.TRANSFER) == (
        "« Transférer à un autre atelier » impossible : l’appareil est « Attribué à une "
        "association » alors qu’il devrait être « Réceptionné à l’atelier », « Données effacées » "
        "ou « Reconditionné »."
    )
    assert _refusal(Status.WIPED, Action.RECEIVE) == (
        "« Réceptionner à l’atelier » impossible : l’appareil est « Données effacées » alors "
        "qu’il devrait être « Collecté » ou « Rendu par l’association »."
    )


def test_a_step_asked_twice_says_it_is_done() -> None:
    assert _refusal(Status.COLLECTED, Action.COLLECT) == (
        "« Collecter » impossible : l’appareil est « Collecté » alors qu’il devrait être "
        "« Enregistré ». Cette étape est déjà faite."
    )
    # A move back to a status is not "that step done": the step it undoes comes first.
    assert _refusal(Status.REFURBISHED, Action.DEALLOCATE) == (
        "« Annuler l’attribution » impossible : l’appareil est « Reconditionné » alors qu’il "
        "devrait être « Attribué à une association ». Il faut d’abord « Attribuer à une "
        "association » (par la coordination)."
    )


def test_more_than_three_expected_statuses_are_not_listed() -> None:
    # `report_missing` starts from five statuses, `revert` from all but one.
    assert _refusal(Status.REGISTERED, Action.REPORT_MISSING) == (
        "« Signaler introuvable » impossible : l’appareil est « Enregistré ». "
        "Il faut d’abord « Collecter »."
    )
    assert _refusal(Status.REGISTERED, Action.REVERT) == (
        "« Annuler la dernière étape » impossible : l’appareil est « Enregistré ». "
        "Il n’a encore aucune étape à annuler."
    )


# --- storage: no refurbishing or recycling without a wipe ----------------------------------

STORAGE_SENSITIVE = [Action.REFURBISH, Action.RECYCLE]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.RECONDITIONER])
@pytest.mark.parametrize("action", STORAGE_SENSITIVE)
def test_device_with_storage_cannot_skip_the_wipe(role: Role, action: Action) -> None:
    with pytest.raises(WrongStatus) as caught:
        check_transition(device(Status.RECEIVED, has_storage=True), actor(role), action)
    # The message tells the person what to do instead.
    assert caught.value.message == (
        f"« {action.label} » impossible : l’appareil est « Réceptionné à l’atelier » alors "
        "qu’il devrait être « Données effacées ». Un appareil avec stockage doit d’abord être "
        "effacé (« Effacer les données »)."
    )


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.RECONDITIONER])
@pytest.mark.parametrize("action", STORAGE_SENSITIVE)
def test_device_without_storage_may_skip_the_wipe(role: Role, action: Action) -> None:
    result = check_transition(device(Status.RECEIVED, has_storage=False), actor(role), action)
    assert result == Status(EXPECTED[action.value].to_status)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.RECONDITIONER])
@pytest.mark.parametrize("action", STORAGE_SENSITIVE)
def test_wiped_device_may_be_refurbished_or_recycled_either_way(role: Role, action: Action) -> None:
    for has_storage in (True, False):
        result = check_transition(device(Status.WIPED, has_storage), actor(role), action)
        assert result == Status(EXPECTED[action.value].to_status)


def _paths_from_registered(has_storage: bool) -> list[list[tuple[Action, Status]]]:
    """Every sequence of legal transitions (as the coordinator) from registration to an end."""
    coordinator = actor(Role.COORDINATOR)
    paths: list[list[tuple[Action, Status]]] = []

    def walk(status: Status, path: list[tuple[Action, Status]]) -> None:
        steps = [
            action
            for action in allowed_actions(device(status, has_storage), coordinator)
            if action.value in FORWARD
        ]
        if not steps:
            paths.append(path)
            return
        for action in steps:
            to = check_transition(device(status, has_storage), coordinator, action)
            if to == status:  # a repeated wipe: another pass, same status
                continue
            walk(to, [*path, (action, to)])

    walk(Status.REGISTERED, [])
    return paths


def test_every_path_of_a_device_with_storage_is_wiped_before_reuse_or_recycling() -> None:
    paths = _paths_from_registered(has_storage=True)
    assert paths, "the lifecycle must lead somewhere"
    for path in paths:
        statuses = [to for _, to in path]
        for end in (Status.REFURBISHED, Status.RECYCLED):
            if end in statuses:
                assert Status.WIPED in statuses[: statuses.index(end)], path


def test_a_device_without_storage_has_a_path_without_wipe() -> None:
    paths = _paths_from_registered(has_storage=False)
    no_wipe_ends = {path[-1][1] for path in paths if all(a != Action.WIPE for a, _ in path)}
    assert {Status.DELIVERED, Status.RECYCLED, Status.WITHDRAWN} <= no_wipe_ends


def test_full_journey_of_a_laptop() -> None:
    steps = [
        (Role.RECONDITIONER, Action.COLLECT, Status.COLLECTED),
        (Role.RECONDITIONER, Action.RECEIVE, Status.RECEIVED),
        (Role.RECONDITIONER, Action.WIPE, Status.WIPED),
        (Role.RECONDITIONER, Action.REFURBISH, Status.REFURBISHED),
        (Role.COORDINATOR, Action.ALLOCATE, Status.ALLOCATED),
        (Role.ASSOCIATION, Action.CONFIRM_RECEIPT, Status.DELIVERED),
    ]
    dev = device(Status.REGISTERED, reconditioner_id=None, association_id=None)
    for role, action, to in steps:
        if action is Action.RECEIVE:
            dev = replace(dev, reconditioner_id=RECONDITIONER_ORG)
        if action is Action.CONFIRM_RECEIPT:
            dev = replace(dev, association_id=ASSOCIATION_ORG)
        assert check_transition(dev, actor(role), action) == to
        dev = replace(dev, status=to)
    # Delivered: only the exceptions remain (a return, or undoing the last step).
    assert allowed_actions(dev, actor(Role.COORDINATOR)) == [Action.RETURN, Action.REVERT]


# --- organisations: who holds the device ---------------------------------------------------


def _start(action: str) -> str:
    """The status `action` starts from first (for a device with storage)."""
    return min(EXPECTED[action].from_statuses, key=ALL_STATUSES.index)


# A non-coordinator actor, a device in the action's starting status with one of its
# organisations set as given (the others are the actor's), and whether the actor may act.
# fmt: off
OWNERSHIP: list[tuple[str, str, str, int | None, bool]] = [
    # role           action             device field        set to                    allowed
    # A reconditioner has the label in hand at pick-up: it may collect any registered device.
    ("reconditioner", "collect",         "reconditioner_id", None,                     True),
    ("reconditioner", "collect",         "reconditioner_id", RECONDITIONER_ORG,        True),
    ("reconditioner", "collect",         "reconditioner_id", OTHER_RECONDITIONER_ORG,  True),
    ("reconditioner", "collect",         "donor_id",         OTHER_DONOR_ORG,          True),
    # After that, only the reconditioner recorded on the device may act on it.
    ("reconditioner", "receive",         "reconditioner_id", RECONDITIONER_ORG,        True),
    ("reconditioner", "receive",         "reconditioner_id", OTHER_RECONDITIONER_ORG,  False),
    ("reconditioner", "receive",         "reconditioner_id", None,                     False),
    ("reconditioner", "wipe",            "reconditioner_id", RECONDITIONER_ORG,        True),
    ("reconditioner", "wipe",            "reconditioner_id", OTHER_RECONDITIONER_ORG,  False),
    ("reconditioner", "wipe",            "reconditioner_id", None,                     False),
    ("reconditioner", "refurbish",       "reconditioner_id", RECONDITIONER_ORG,        True),
    ("reconditioner", "refurbish",       "reconditioner_id", OTHER_RECONDITIONER_ORG,  False),
    ("reconditioner", "refurbish",       "reconditioner_id", None,                     False),
    ("reconditioner", "recycle",         "reconditioner_id", RECONDITIONER_ORG,        True),
    ("reconditioner", "recycle",         "reconditioner_id", OTHER_RECONDITIONER_ORG,  False),
    ("reconditioner", "recycle",         "reconditioner_id", None,                     False),
    # An association confirms only what is allocated to it.
    ("association",   "confirm_receipt", "association_id",   ASSOCIATION_ORG,          True),
    ("association",   "confirm_receipt", "association_id",   OTHER_ASSOCIATION_ORG,    False),
    ("association",   "confirm_receipt", "association_id",   None,                     False),
    # A donor withdraws only its own devices.
    ("donor",         "withdraw",        "donor_id",         DONOR_ORG,                True),
    ("donor",         "withdraw",        "donor_id",         OTHER_DONOR_ORG,          False),
    # The exceptions: the holder only.
    ("association",   "refuse",          "association_id",   ASSOCIATION_ORG,          True),
    ("association",   "refuse",          "association_id",   OTHER_ASSOCIATION_ORG,    False),
    ("association",   "return",          "association_id",   ASSOCIATION_ORG,          True),
    ("association",   "return",          "association_id",   OTHER_ASSOCIATION_ORG,    False),
    ("association",   "return",          "association_id",   None,                     False),
    ("reconditioner", "report_missing",  "reconditioner_id", RECONDITIONER_ORG,        True),
    ("reconditioner", "report_missing",  "reconditioner_id", OTHER_RECONDITIONER_ORG,  False),
    ("reconditioner", "transfer",        "reconditioner_id", RECONDITIONER_ORG,        True),
    ("reconditioner", "transfer",        "reconditioner_id", OTHER_RECONDITIONER_ORG,  False),
]
# fmt: on


@pytest.mark.parametrize("has_storage", [True, False], ids=["with_storage", "without_storage"])
@pytest.mark.parametrize(
    ("role", "action", "field", "value", "allowed"),
    OWNERSHIP,
    ids=[f"{r}-{a}-{f}={v}" for r, a, f, v, _ in OWNERSHIP],
)
def test_organisation_must_hold_the_device(
    role: str, action: str, field: str, value: int | None, allowed: bool, has_storage: bool
) -> None:
    dev = device(_start(action), has_storage, **{field: value})
    who = actor(Role(role))
    if allowed and action == "wipe" and not has_storage:
        with pytest.raises(NothingToWipe):
            check_transition(dev, who, Action(action))
        assert Action(action) not in allowed_actions(dev, who)
    elif allowed:
        assert check_transition(dev, who, Action(action)) == Status(EXPECTED[action].to_status)
        assert Action(action) in allowed_actions(dev, who)
    else:
        with pytest.raises(NotYourDevice) as caught:
            check_transition(dev, who, Action(action))
        assert caught.value.field == "action"
        assert Action(action) not in allowed_actions(dev, who)


@pytest.mark.parametrize("action", list(Action))
def test_coordinator_may_act_on_any_organisations_device(action: Action) -> None:
    dev = DeviceState(
        status=Status(_start(action.value)),
        has_storage=True,
        donor_id=OTHER_DONOR_ORG,
        reconditioner_id=OTHER_RECONDITIONER_ORG,
        association_id=OTHER_ASSOCIATION_ORG,
    )
    expected = EXPECTED[action.value].to_status
    dev = replace(dev, previous_status=Status(PREVIOUS))
    assert check_transition(dev, actor(Role.COORDINATOR), action) == Status(
        PREVIOUS if expected == "previous" else expected
    )


@pytest.mark.parametrize("action", list(Action))
def test_coordinator_may_act_on_unassigned_device(action: Action) -> None:
    dev = device(_start(action.value), reconditioner_id=None, association_id=None)
    expected = EXPECTED[action.value].to_status
    dev = replace(dev, previous_status=Status(PREVIOUS))
    assert check_transition(dev, actor(Role.COORDINATOR), action) == Status(
        PREVIOUS if expected == "previous" else expected
    )


STRANGERS = [
    (Role.DONOR, Action.WITHDRAW, {"donor_id": OTHER_DONOR_ORG}),
    (Role.RECONDITIONER, Action.WIPE, {"reconditioner_id": OTHER_RECONDITIONER_ORG}),
    (Role.ASSOCIATION, Action.CONFIRM_RECEIPT, {"association_id": OTHER_ASSOCIATION_ORG}),
]


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize(
    ("role", "action", "fields"), STRANGERS, ids=[f"{r}-{a}" for r, a, _ in STRANGERS]
)
def test_a_stranger_is_told_not_yours_before_the_status(
    role: Role, action: Action, fields: dict[str, Any], status: Status
) -> None:
    """Another organisation's device: the refusal must not reveal its current status."""
    with pytest.raises(NotYourDevice):
        check_transition(device(status, **fields), actor(role), action)


WRONG_ROLES = [(s, a, r) for s, a, r in MATRIX if r.value not in EXPECTED[a.value].roles]


@pytest.mark.parametrize(
    ("status", "action", "role"), WRONG_ROLES, ids=[f"{s}-{a}-{r}" for s, a, r in WRONG_ROLES]
)
def test_a_wrong_role_is_refused_first(status: Status, action: Action, role: Role) -> None:
    """A role that may never do the action gets RoleNotAllowed, even on a stranger's device."""
    stranger_device = DeviceState(
        status=status,
        has_storage=True,
        donor_id=OTHER_DONOR_ORG,
        reconditioner_id=OTHER_RECONDITIONER_ORG,
        association_id=OTHER_ASSOCIATION_ORG,
    )
    with pytest.raises(RoleNotAllowed):
        check_transition(stranger_device, actor(role), action)


# --- allowed_actions -----------------------------------------------------------------------

OWNERSHIP_VARIANTS: dict[str, dict[str, int | None]] = {
    "held": {},
    "held_by_others": {
        "donor_id": OTHER_DONOR_ORG,
        "reconditioner_id": OTHER_RECONDITIONER_ORG,
        "association_id": OTHER_ASSOCIATION_ORG,
    },
    "unassigned": {"reconditioner_id": None, "association_id": None},
}
ALLOWED_CASES = list(product(Status, Role, [True, False], OWNERSHIP_VARIANTS))


@pytest.mark.parametrize(
    ("status", "role", "has_storage", "variant"),
    ALLOWED_CASES,
    ids=[f"{s}-{r}-{'storage' if h else 'nostorage'}-{v}" for s, r, h, v in ALLOWED_CASES],
)
def test_allowed_actions_are_exactly_those_check_transition_accepts(
    status: Status, role: Role, has_storage: bool, variant: str
) -> None:
    dev = device(status, has_storage, **OWNERSHIP_VARIANTS[variant])
    who = actor(role)
    accepted = [a for a in LIFECYCLE_ORDER if isinstance(outcome(dev, who, Action(a)), Status)]

    result = allowed_actions(dev, who)

    assert [a.value for a in result] == accepted
    assert all(isinstance(a, Action) for a in result)
    if variant == "held":
        # With the organisation holding the device, only role and status decide.
        assert accepted == [
            a
            for a in LIFECYCLE_ORDER
            if isinstance(expected_outcome(status.value, a, role.value, has_storage), str)
        ]


# fmt: off
ALLOWED_EXAMPLES = [
    # status,        has_storage, role,                 expected actions, in lifecycle order
    (Status.REGISTERED,  True,  Role.COORDINATOR,   ["collect", "withdraw"]),
    (Status.REGISTERED,  True,  Role.RECONDITIONER, ["collect"]),
    (Status.REGISTERED,  True,  Role.DONOR,         ["withdraw"]),
    (Status.REGISTERED,  True,  Role.ASSOCIATION,   []),
    (Status.RECEIVED,    True,  Role.RECONDITIONER, ["wipe", "report_missing", "transfer"]),
    (Status.RECEIVED,    False, Role.RECONDITIONER, ["refurbish", "recycle", "report_missing",
                                                     "transfer"]),
    (Status.WIPED,       True,  Role.RECONDITIONER, ["wipe", "refurbish", "recycle",
                                                     "report_missing", "transfer"]),
    (Status.WIPED,       False, Role.RECONDITIONER, ["refurbish", "recycle", "report_missing",
                                                     "transfer"]),
    (Status.REFURBISHED, True,  Role.RECONDITIONER, ["report_missing", "transfer"]),
    (Status.REFURBISHED, True,  Role.COORDINATOR,   ["allocate", "report_missing", "transfer",
                                                     "revert"]),
    (Status.ALLOCATED,   True,  Role.ASSOCIATION,   ["confirm_receipt", "refuse"]),
    (Status.ALLOCATED,   True,  Role.COORDINATOR,   ["confirm_receipt", "deallocate", "refuse",
                                                     "report_missing", "revert"]),
    (Status.DELIVERED,   True,  Role.COORDINATOR,   ["return", "revert"]),
    (Status.DELIVERED,   True,  Role.ASSOCIATION,   ["return"]),
    (Status.MISSING,     True,  Role.COORDINATOR,   ["found", "revert"]),
    (Status.MISSING,     True,  Role.RECONDITIONER, []),
    (Status.RETURNED,    True,  Role.RECONDITIONER, ["receive"]),
    (Status.WITHDRAWN,   True,  Role.COORDINATOR,   ["revert"]),
    (Status.RECYCLED,    False, Role.COORDINATOR,   ["revert"]),
]
# fmt: on


@pytest.mark.parametrize(("status", "has_storage", "role", "expected"), ALLOWED_EXAMPLES)
def test_allowed_actions_examples(
    status: Status, has_storage: bool, role: Role, expected: list[str]
) -> None:
    assert allowed_actions(device(status, has_storage), actor(role)) == [
        Action(a) for a in expected
    ]


# --- certificates --------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
def test_certificate_for_each_action(action: Action) -> None:
    expected = EXPECTED[action.value].certificate
    result = certificate_for(action)
    if expected is None:
        assert result is None
    else:
        assert result == CertificateKind(expected)
        assert isinstance(result, CertificateKind)


def test_certificate_kinds_and_prefixes() -> None:
    assert {k.value for k in CertificateKind} == {"donation", "erasure", "recycling", "receipt"}
    assert {k.value: p for k, p in CERTIFICATE_PREFIX.items()} == {
        "donation": "DON",
        "erasure": "EFF",
        "recycling": "RCY",
        "receipt": "REC",
    }


# --- parse_action --------------------------------------------------------------------------


@pytest.mark.parametrize("name", LIFECYCLE_ORDER)
def test_parse_action_accepts_every_action_name(name: str) -> None:
    assert parse_action(name) is Action(name)


@pytest.mark.parametrize(
    "value",
    ["register", "delete", "", "collected", "wiped", "confirm-receipt", None, 42, ["collect"]],
)
def test_parse_action_rejects_unknown_names(value: object) -> None:
    with pytest.raises(UnknownAction) as caught:
        parse_action(value)
    assert caught.value.field == "action"
    assert f"« {value} »" in caught.value.message
    # The message lists what would have worked.
    assert "confirm_receipt" in caught.value.message


# --- status groups -------------------------------------------------------------------------


def test_terminal_statuses_are_those_no_action_leaves() -> None:
    # The ends of the normal path: only the exceptions (a return, a revert) leave them.
    starting: set[str] = set()
    for action in FORWARD:
        starting |= EXPECTED[action].starts(has_storage=False)
    starting |= EXPECTED["report_missing"].starts(has_storage=False) | {"missing", "returned"}
    ends = {s for s in ALL_STATUSES if s not in starting}
    assert ends == {"recycled", "delivered", "withdrawn"}
    assert {s.value for s in TERMINAL_STATUSES} == ends


def test_open_statuses_are_all_the_others() -> None:
    assert frozenset(Status) - TERMINAL_STATUSES == OPEN_STATUSES
    assert not OPEN_STATUSES & TERMINAL_STATUSES
    assert {s.value for s in OPEN_STATUSES} == {
        "registered",
        "collected",
        "received",
        "wiped",
        "refurbished",
        "allocated",
        "missing",
        "returned",
    }


def test_may_hold_data_statuses_are_those_before_a_wipe() -> None:
    assert {s.value for s in MAY_HOLD_DATA_STATUSES} == {
        "registered",
        "collected",
        "received",
        "withdrawn",
        "returned",  # used by the association since its wipe: wiped again before reuse
    }


def test_workshop_statuses_are_those_in_a_reconditioners_hands() -> None:
    assert {s.value for s in WORKSHOP_STATUSES} == {"received", "wiped", "refurbished"}


def test_categories_with_storage_by_default() -> None:
    assert {c.value for c in Category} == {
        "laptop",
        "desktop",
        "monitor",
        "tablet",
        "smartphone",
        "printer",
        "network",
        "peripheral",
        "other",
    }
    # Version 2: printers, network gear and "other" hold data too (R2v3); screens and
    # peripherals alone default to none.
    assert {c.value for c in STORAGE_BY_DEFAULT} == {
        "laptop",
        "desktop",
        "tablet",
        "smartphone",
        "printer",
        "network",
        "other",
    }


# --- the exceptions: back to where the device was ------------------------------------------


@pytest.mark.parametrize("action", [Action.FOUND, Action.REVERT])
def test_found_and_revert_lead_back_to_the_previous_status(action: Action) -> None:
    start = Status.MISSING
    for previous in (Status.COLLECTED, Status.WIPED, Status.ALLOCATED):
        dev = device(start, previous_status=previous)
        assert check_transition(dev, actor(Role.COORDINATOR), action) == previous


@pytest.mark.parametrize("action", [Action.FOUND, Action.REVERT])
def test_found_and_revert_need_a_known_previous_status(action: Action) -> None:
    with pytest.raises(NothingToRevert) as caught:
        check_transition(device(Status.MISSING, previous_status=None), actor(Role.COORDINATOR),
                         action)  # fmt: skip
    assert caught.value.code == "nothing_to_revert"
    assert "le statut précédent de l’appareil n’est pas connu" in caught.value.message


def test_revert_never_starts_from_registered() -> None:
    with pytest.raises(WrongStatus):
        check_transition(device(Status.REGISTERED), actor(Role.COORDINATOR), Action.REVERT)


def test_a_returned_device_may_hold_data_again() -> None:
    assert Status.RETURNED in MAY_HOLD_DATA_STATUSES
    assert check_transition(device(Status.RETURNED), actor(Role.RECONDITIONER), Action.RECEIVE) == (
        Status.RECEIVED
    )


def _event(id_: int, action: str, **data: Any) -> dict[str, Any]:
    return {"id": id_, "action": action, "data": data}


def test_only_wipes_after_the_last_return_and_not_reverted_count() -> None:
    events = [
        _event(1, "register"),
        _event(2, "wipe"),
        _event(3, "return"),
        _event(4, "wipe"),
        _event(5, "wipe"),
        _event(6, "revert", undone_event=5),
    ]
    assert [e["id"] for e in counted_wipes(events)] == [4]
    # A reverted return gives the earlier wipes back.
    undone_return = [*events[:3], _event(7, "revert", undone_event=3)]
    assert [e["id"] for e in counted_wipes(undone_return)] == [2]


def test_the_last_step_skips_registration_and_corrections() -> None:
    events = [_event(1, "register"), _event(2, "collect"), _event(3, "edit")]
    assert last_step(events) == events[1]
    assert last_step(events[:1]) is None
    assert check_revert(events)["id"] == 2
    with pytest.raises(NothingToRevert):
        check_revert([*events, _event(4, "revert", undone_event=2)])
