"""The device lifecycle: the transition table, who may do what, and why a transition is refused.

Pure rules: no web, no database. The words (statuses, actions) are in `vocabulary`, the data each
action takes in `actions`. Every function either answers or raises
a `LifecycleError`; an illegal transition is never silently ignored, so the rules can be tested
status by status without a database.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from collecte.domain.erasure import Gap, MediumRecord, recycling_gaps, reuse_gaps
from collecte.domain.vocabulary import (
    EDIT_EVENT,
    REGISTER_EVENT,
    Action,
    Category,
    CertificateKind,
    MethodClass,
    Role,
    Status,
)
from collecte.i18n import Message, msg

# Named groups of statuses.
# The ends of the normal path (only the exceptions, a `return` or a `revert`, leave them).
TERMINAL_STATUSES = frozenset({Status.RECYCLED, Status.DELIVERED, Status.WITHDRAWN})
OPEN_STATUSES = frozenset(Status) - TERMINAL_STATUSES
# Before a wipe, the device may still carry the donor's data.
# A returned device has been used since its wipe: it must be wiped again before reuse.
MAY_HOLD_DATA_STATUSES = frozenset(
    {Status.REGISTERED, Status.COLLECTED, Status.RECEIVED, Status.WITHDRAWN, Status.RETURNED}
)
# In the hands of a reconditioner (the one recorded on the device).
WORKSHOP_STATUSES = frozenset({Status.RECEIVED, Status.WIPED, Status.REFURBISHED})
# Between collection and delivery: what a holder may report missing.
HELD_STATUSES = WORKSHOP_STATUSES | {Status.COLLECTED, Status.ALLOCATED}
# The version 1 actions: the path when everything goes right.
FORWARD_ACTIONS = frozenset(
    {
        Action.COLLECT,
        Action.RECEIVE,
        Action.WIPE,
        Action.REFURBISH,
        Action.RECYCLE,
        Action.ALLOCATE,
        Action.CONFIRM_RECEIPT,
        Action.WITHDRAW,
    }
)
# The actions whose destination is the device's previous status, read from its history.
BACKWARD_ACTIONS = frozenset({Action.FOUND, Action.REVERT})
# The actions that take a device out of a certificate already issued (supersession).
UNDOING_ACTIONS = frozenset({Action.REVERT, Action.REPORT_MISSING})


# Categories that hold user data unless the donor says otherwise: computers, phones and tablets,
# and, as R2v3 counts them, printers and network gear; only screens and peripherals hold none.
STORAGE_BY_DEFAULT = frozenset(set(Category) - {Category.MONITOR, Category.PERIPHERAL})
# The actions a device with storage may take only once its media are sanitised.
ERASURE_GATED = frozenset({Action.REFURBISH, Action.RECYCLE})


CERTIFICATE_PREFIX: Mapping[CertificateKind, str] = {
    CertificateKind.DONATION: "DON",
    CertificateKind.ERASURE: "EFF",
    CertificateKind.RECYCLING: "RCY",
    CertificateKind.RECEIPT: "REC",
}


@dataclass(frozen=True)
class Rule:
    """One row of the transition table; `to_status` None means "the status the device had
    before its last step" (`found`, `revert`: `DeviceState.previous_status`)."""

    action: Action
    from_statuses: frozenset[Status]
    to_status: Status | None
    roles: frozenset[Role]
    certificate: CertificateKind | None = None
    # Statuses allowed only when the device has no storage (nothing to wipe).
    from_statuses_without_storage: frozenset[Status] = frozenset()


_ANY_COORDINATOR = frozenset({Role.COORDINATOR})

RULES: Mapping[Action, Rule] = {
    rule.action: rule
    for rule in (
        Rule(
            Action.COLLECT,
            frozenset({Status.REGISTERED}),
            Status.COLLECTED,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
            # No certificate of its own: the pickup's close issues one donation attestation for
            # every device collected in it (`collecte.services.pickups`).
        ),
        Rule(
            Action.RECEIVE,
            frozenset({Status.COLLECTED, Status.RETURNED}),
            Status.RECEIVED,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
        ),
        # A wipe may be repeated (another pass, a destruction); only devices with storage.
        Rule(
            Action.WIPE,
            frozenset({Status.RECEIVED, Status.WIPED}),
            Status.WIPED,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
            CertificateKind.ERASURE,
        ),
        Rule(
            Action.REFURBISH,
            frozenset({Status.WIPED}),
            Status.REFURBISHED,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
            from_statuses_without_storage=frozenset({Status.RECEIVED}),
        ),
        Rule(
            Action.RECYCLE,
            frozenset({Status.WIPED}),
            Status.RECYCLED,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
            CertificateKind.RECYCLING,
            from_statuses_without_storage=frozenset({Status.RECEIVED}),
        ),
        Rule(
            Action.ALLOCATE,
            frozenset({Status.REFURBISHED}),
            Status.ALLOCATED,
            _ANY_COORDINATOR,
        ),
        Rule(
            Action.CONFIRM_RECEIPT,
            frozenset({Status.ALLOCATED}),
            Status.DELIVERED,
            _ANY_COORDINATOR | {Role.ASSOCIATION},
            CertificateKind.RECEIPT,
        ),
        Rule(
            Action.WITHDRAW,
            frozenset({Status.REGISTERED}),
            Status.WITHDRAWN,
            _ANY_COORDINATOR | {Role.DONOR},
        ),
        # The exceptions (DESIGN.md, "Exceptions: compensating events, never edits").
        Rule(
            Action.DEALLOCATE,
            frozenset({Status.ALLOCATED}),
            Status.REFURBISHED,
            _ANY_COORDINATOR,
        ),
        Rule(
            Action.REFUSE,
            frozenset({Status.ALLOCATED}),
            Status.REFURBISHED,
            _ANY_COORDINATOR | {Role.ASSOCIATION},
        ),
        # The holder of a device on its way or in a workshop is its reconditioner (an allocated
        # device waits there for the association to fetch it).
        Rule(
            Action.REPORT_MISSING,
            HELD_STATUSES,
            Status.MISSING,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
        ),
        Rule(Action.FOUND, frozenset({Status.MISSING}), None, _ANY_COORDINATOR),
        Rule(
            Action.RETURN,
            frozenset({Status.DELIVERED}),
            Status.RETURNED,
            _ANY_COORDINATOR | {Role.ASSOCIATION},
        ),
        Rule(
            Action.TRANSFER,
            WORKSHOP_STATUSES,
            Status.COLLECTED,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
        ),
        Rule(
            Action.REVERT,
            frozenset(Status) - {Status.REGISTERED},
            None,
            _ANY_COORDINATOR,
        ),
    )
}


@dataclass(frozen=True)
class DeviceState:
    """What the rules need to know of a device."""

    status: Status
    has_storage: bool
    donor_id: int
    reconditioner_id: int | None = None
    association_id: int | None = None
    # The `from` of the device's last step (`found` and `revert` lead back there); None when
    # unknown.
    previous_status: Status | None = None


@dataclass(frozen=True)
class Actor:
    """Who asks: the user's organisation and its kind."""

    role: Role
    organization_id: int


class LifecycleError(Exception):
    """A transition the rules refuse: a stable `code`, the `field` at fault, and a `sentence`
    said in the reader's language at the edge (`message` is its French)."""

    code = "lifecycle_error"

    def __init__(self, sentence: Message, field: str | None = None) -> None:
        # The Message itself, said only when printed: `allowed_actions` raises one refusal per
        # action it rules out, and saying each one cost 80 % of a list page of 50 devices.
        super().__init__(sentence)
        self.sentence = sentence
        self.field = field

    @property
    def message(self) -> str:
        """The sentence in French (logs and tests)."""
        return str(self.sentence)


class UnknownAction(LifecycleError):
    """The action name is not one of the lifecycle's."""

    code = "unknown_action"


class RoleNotAllowed(LifecycleError):
    """The caller's role may never perform this action."""

    code = "role_not_allowed"


class NotYourDevice(LifecycleError):
    """The caller's role may perform the action, but not on a device held by someone else."""

    code = "not_your_device"


class WrongStatus(LifecycleError):
    """The device is not in a status the action starts from."""

    code = "wrong_status"

    def __init__(self, action: Action, current: Status, has_storage: bool) -> None:
        # Worded only when read (`sentence`): `allowed_actions` raises one per action ruled out.
        Exception.__init__(self, action, current, has_storage)  # args rebuild it (pickle)
        self.field = "action"
        self.action = action
        self.current = current
        self.has_storage = has_storage

    @functools.cached_property
    def sentence(self) -> Message:  # type: ignore[override]
        """The refusal in words: the status the device is in, the one it should be in, and
        what to do first. Statuses by their labels only; programs read `extra.current_status`."""
        expected = [s for s in Status if s in starting_statuses(self.action, self.has_storage)]
        should_be = _either(expected)
        return msg(
            "« {action} » impossible : l’appareil est « {status} »{should_be}.{hint}",
            action=self.action,
            status=self.current,
            should_be=msg(" alors qu’il devrait être {expected}", expected=should_be)
            if should_be is not None
            else "",
            hint=_what_to_do(self.action, self.current, self.has_storage, expected),
        )

    def __str__(self) -> str:
        return str(self.sentence)


def _either(statuses: Sequence[Status]) -> Message | None:
    """« A », « A » ou « B », « A », « B » ou « C »; None for more (a list too long to help)."""
    if len(statuses) == 1:
        return msg("« {a} »", a=statuses[0])
    if len(statuses) == 2:
        return msg("« {a} » ou « {b} »", a=statuses[0], b=statuses[1])
    if len(statuses) == 3:
        return msg("« {a} », « {b} » ou « {c} »", a=statuses[0], b=statuses[1], c=statuses[2])
    return None


# The steps a refusal may point to: the normal path, a missing device found, a delivered one
# returned; not the sideways moves (a transfer, a refusal), which are choices, not the way on.
_STEPS_TO_SUGGEST = FORWARD_ACTIONS | {Action.FOUND, Action.RETURN, Action.REPORT_MISSING}


def _what_to_do(
    action: Action, current: Status, has_storage: bool, expected: Sequence[Status]
) -> Message | str:
    """The sentence that says what must happen first, led by a space (or nothing)."""
    rule = RULES[action]
    if has_storage and current in rule.from_statuses_without_storage:
        return msg(
            " Un appareil avec stockage doit d’abord être effacé (« {wipe} »).", wipe=Action.WIPE
        )
    if current == rule.to_status and action in _STEPS_TO_SUGGEST:
        return msg(" Cette étape est déjà faite.")
    if action is Action.REVERT:
        return msg(" Il n’a encore aucune étape à annuler.")
    for step in Action:
        if step not in _STEPS_TO_SUGGEST or current not in starting_statuses(step, has_storage):
            continue
        leads_to = RULES[step].to_status
        if step is Action.REPORT_MISSING:
            continue  # never the way on, but "already done" when asked twice
        if (leads_to in expected) or (step is Action.FOUND and leads_to is None):
            if RULES[step].roles == _ANY_COORDINATOR:
                return msg(" Il faut d’abord « {step} » (par la coordination).", step=step)
            return msg(" Il faut d’abord « {step} ».", step=step)
    if current in TERMINAL_STATUSES:
        return msg(" Son parcours est terminé.")
    return ""


class NothingToWipe(LifecycleError):
    """A wipe asked for a device that has no storage: nothing would be certified."""

    code = "nothing_to_wipe"


class ErasureIncomplete(LifecycleError):
    """A data-bearing device whose media are not sanitised enough for the action."""

    code = "erasure_incomplete"

    def __init__(self, action: Action, gaps: Sequence[Gap]) -> None:
        super().__init__(
            msg(
                "« {action} » impossible : l’effacement des données est incomplet ({gaps}).",
                action=action,
                gaps=[gap.sentence for gap in gaps],
            ),
            field="action",
        )
        self.action = action
        self.gaps = tuple(gaps)


class NothingToRevert(LifecycleError):
    """A `found` or `revert` on a device whose previous status is not known."""

    code = "nothing_to_revert"


class InvalidData(LifecycleError):
    """The data given with the action is missing or malformed; `field` names it."""

    code = "invalid_data"


def parse_action(value: object) -> Action:
    """Return the action named by `value`, or raise UnknownAction."""
    try:
        return Action(str(value))
    except ValueError:
        known = ", ".join(a.value for a in Action)
        raise UnknownAction(
            msg("Action « {action} » inconnue (actions possibles : {known}).", action=str(value),
                known=known),
            field="action",
        ) from None  # fmt: skip


def starting_statuses(action: Action, has_storage: bool) -> frozenset[Status]:
    """Return the statuses `action` may start from for a device with or without storage."""
    rule = RULES[action]
    if has_storage:
        return rule.from_statuses
    return rule.from_statuses | rule.from_statuses_without_storage


def _holds_device(device: DeviceState, actor: Actor, action: Action) -> bool:
    """Whether the actor's organisation is the one that may act on this particular device."""
    if actor.role is Role.COORDINATOR:
        return True
    if actor.role is Role.DONOR:
        return device.donor_id == actor.organization_id
    if actor.role is Role.ASSOCIATION:
        return device.association_id == actor.organization_id
    # A reconditioner may collect any registered device (it has the label in hand); after
    # that only the reconditioner recorded on the device may act on it.
    if action is Action.COLLECT:
        return True
    return device.reconditioner_id == actor.organization_id


def check_transition(device: DeviceState, actor: Actor, action: Action) -> Status:
    """Return the status `action` leads to, or raise why `actor` may not perform it now."""
    rule = RULES[action]
    if actor.role not in rule.roles:
        raise RoleNotAllowed(
            msg("Le rôle « {role} » ne peut pas effectuer l’action « {action} ».",
                role=actor.role, action=action),
            field="action",
        )  # fmt: skip
    if not _holds_device(device, actor, action):
        raise NotYourDevice(
            msg("Cet appareil n’est pas confié à votre organisation pour l’action « {action} ».",
                action=action),
            field="action",
        )  # fmt: skip
    if device.status not in starting_statuses(action, device.has_storage):
        raise WrongStatus(action, device.status, device.has_storage)
    if action is Action.WIPE and not device.has_storage:
        raise NothingToWipe(
            msg("Cet appareil n’a pas de support de stockage : il n’y a rien à effacer."),
            field="tag",
        )
    if rule.to_status is not None:
        return rule.to_status
    previous = device.previous_status
    if previous is None or (action is Action.FOUND and previous is Status.MISSING):
        raise NothingToRevert(
            msg("« {action} » impossible : le statut précédent de l’appareil n’est pas connu.",
                action=action),
            field="action",
        )  # fmt: skip
    return previous


def check_erasure(
    action: Action,
    has_storage: bool,
    records: Sequence[MediumRecord],
    minimum: MethodClass,
) -> None:
    """Raise ErasureIncomplete when `action` needs the device's media sanitised and they are not:
    reuse needs every medium erased, verified and at least `minimum`; recycling needs every
    medium erased or destructed. A device without storage passes."""
    if action not in ERASURE_GATED or not has_storage:
        return
    gaps = reuse_gaps(records, minimum) if action is Action.REFURBISH else recycling_gaps(records)
    if gaps:
        raise ErasureIncomplete(action, gaps)


def allowed_actions(device: DeviceState, actor: Actor) -> list[Action]:
    """Return the actions `actor` may perform on `device` now, in lifecycle order."""
    allowed = []
    for action in Action:
        try:
            check_transition(device, actor, action)
        except LifecycleError:
            continue
        allowed.append(action)
    return allowed


def certificate_for(action: Action) -> CertificateKind | None:
    """Return the kind of certificate `action` issues, if any."""
    return RULES[action].certificate


def check_may_record_erasure(device: DeviceState, actor: Actor) -> None:
    """Raise why `actor` may not file an erasure tool's report for `device`: those who may wipe
    it, whatever its status (a report may come before the wipe it proves, or after)."""
    action = Action.WIPE
    if actor.role not in RULES[action].roles:
        raise RoleNotAllowed(
            msg("Le rôle « {role} » ne peut pas effectuer l’action « {action} ».",
                role=actor.role, action=action),
            field="action",
        )  # fmt: skip
    if not _holds_device(device, actor, action):
        raise NotYourDevice(
            msg("Cet appareil n’est pas confié à votre organisation pour l’action « {action} ».",
                action=action),
            field="action",
        )  # fmt: skip
    if not device.has_storage:
        raise NothingToWipe(
            msg("Cet appareil n’a pas de support de stockage : il n’y a rien à effacer."),
            field="tag",
        )


# --- the exceptions: reading a device's history ----------------------------------------------

# Events that are not steps of the lifecycle (the registration, a correction of typed data).
NOT_STEPS = frozenset({REGISTER_EVENT, EDIT_EVENT})
# The actions that keep the device's dates as they are: they move it back or sideways, they do
# not make it enter a status again (the totals count each device once, at its dates).
KEEPS_DATES = frozenset(
    {Action.DEALLOCATE, Action.REFUSE, Action.TRANSFER, Action.FOUND, Action.REVERT}
)


def last_step(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The device's last lifecycle step (its events oldest first), or None."""
    for event in reversed(events):
        if event["action"] not in NOT_STEPS:
            return event
    return None


def check_revert(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The step a `revert` undoes, or NothingToRevert: there is none, or it is itself a revert
    (a revert is undone by doing the step again, which issues its certificates anew)."""
    step = last_step(events)
    if step is None or step["action"] == Action.REVERT.value:
        raise NothingToRevert(
            msg("« {action} » impossible : la dernière étape de l’appareil est déjà une "
                "annulation ; refaites l’étape elle-même.", action=Action.REVERT),
            field="action",
        )  # fmt: skip
    return step


def counted_wipes(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The `wipe` events whose records count for the erasure gates: not undone by a `revert`,
    and after the device's last `return` (a returned device must be wiped again)."""
    undone = {
        (event["data"] or {}).get("undone_event")
        for event in events
        if event["action"] == Action.REVERT.value
    }
    counted: list[Mapping[str, Any]] = []
    for event in events:
        if event.get("id") in undone:
            continue
        if event["action"] == Action.RETURN.value:
            counted = []
        elif event["action"] == Action.WIPE.value:
            counted.append(event)
    return counted
