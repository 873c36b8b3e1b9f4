"""The device lifecycle: the transition table, who may do what, and why a transition is refused.

Pure rules: no web, no database. The words (statuses, actions) are in `vocabulary`, the data each
action takes in `actions`. Every function either answers or raises
a `LifecycleError`; an illegal transition is never silently ignored, so the rules can be tested
status by status without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from collecte.domain.erasure import Gap, MediumRecord, recycling_gaps, reuse_gaps
from collecte.domain.vocabulary import (
    Action,
    Category,
    CertificateKind,
    MethodClass,
    Role,
    Status,
)
from collecte.i18n import Message, msg

# Named groups of statuses.
TERMINAL_STATUSES = frozenset({Status.RECYCLED, Status.DELIVERED, Status.WITHDRAWN})
OPEN_STATUSES = frozenset(Status) - TERMINAL_STATUSES
# Before a wipe, the device may still carry the donor's data.
MAY_HOLD_DATA_STATUSES = frozenset(
    {Status.REGISTERED, Status.COLLECTED, Status.RECEIVED, Status.WITHDRAWN}
)
# In the hands of a reconditioner (the one recorded on the device).
WORKSHOP_STATUSES = frozenset({Status.RECEIVED, Status.WIPED, Status.REFURBISHED})


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
    """One row of the transition table."""

    action: Action
    from_statuses: frozenset[Status]
    to_status: Status
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
            frozenset({Status.COLLECTED}),
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
        super().__init__(str(sentence))
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
        expected = [s for s in Status if s in starting_statuses(action, has_storage)]
        must_wipe = has_storage and current in RULES[action].from_statuses_without_storage
        # For pages: the statuses in words. For the API: their codes too, for programs.
        self.plain_sentence = msg(
            "« {action} » impossible : l’appareil est au statut « {status} »{hint}.",
            action=action,
            status=current,
            hint=msg(" ; un appareil avec stockage doit d’abord être effacé") if must_wipe else "",
        )
        sentence = msg(
            "Action « {action} » impossible : l’appareil est au statut « {status} » "
            "({code} ; attendu : {expected}){hint}.",
            action=action,
            status=current,
            code=current.value,
            expected=", ".join(s.value for s in expected),
            hint=msg(" ; un appareil avec stockage doit d’abord être effacé") if must_wipe else "",
        )
        super().__init__(sentence, field="action")
        self.action = action
        self.current = current


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
    return rule.to_status


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
