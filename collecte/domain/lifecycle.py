"""The device lifecycle: statuses, actions, who may do what, and the data each action takes.

Pure rules, standard library only: no web, no database. Every function either answers or raises
a `LifecycleError`; an illegal transition is never silently ignored, so the rules can be tested
status by status without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """The kind of an organisation, which is the role of its users."""

    DONOR = "donor"
    RECONDITIONER = "reconditioner"
    ASSOCIATION = "association"
    COORDINATOR = "coordinator"


class Status(StrEnum):
    """Where a device stands; stable lowercase values stored in the database."""

    REGISTERED = "registered"
    COLLECTED = "collected"
    RECEIVED = "received"
    WIPED = "wiped"
    REFURBISHED = "refurbished"
    RECYCLED = "recycled"
    ALLOCATED = "allocated"
    DELIVERED = "delivered"
    WITHDRAWN = "withdrawn"


# Named groups of statuses.
TERMINAL_STATUSES = frozenset({Status.RECYCLED, Status.DELIVERED, Status.WITHDRAWN})
OPEN_STATUSES = frozenset(Status) - TERMINAL_STATUSES
# Before a wipe, the device may still carry the donor's data.
MAY_HOLD_DATA_STATUSES = frozenset(
    {Status.REGISTERED, Status.COLLECTED, Status.RECEIVED, Status.WITHDRAWN}
)
# In the hands of a reconditioner (the one recorded on the device).
WORKSHOP_STATUSES = frozenset({Status.RECEIVED, Status.WIPED, Status.REFURBISHED})


class Action(StrEnum):
    """What a user does to a device; each appends one event to the custody log."""

    COLLECT = "collect"
    RECEIVE = "receive"
    WIPE = "wipe"
    REFURBISH = "refurbish"
    RECYCLE = "recycle"
    ALLOCATE = "allocate"
    CONFIRM_RECEIPT = "confirm_receipt"
    WITHDRAW = "withdraw"


# The event recorded when a device is created; not an action a user can request.
REGISTER_EVENT = "register"


class Category(StrEnum):
    """Device categories."""

    LAPTOP = "laptop"
    DESKTOP = "desktop"
    MONITOR = "monitor"
    TABLET = "tablet"
    SMARTPHONE = "smartphone"
    PRINTER = "printer"
    NETWORK = "network"
    PERIPHERAL = "peripheral"
    OTHER = "other"


# Categories that hold user data unless the donor says otherwise.
STORAGE_BY_DEFAULT = frozenset(
    {Category.LAPTOP, Category.DESKTOP, Category.TABLET, Category.SMARTPHONE}
)


class CertificateKind(StrEnum):
    """The documents the programme issues."""

    DONATION = "donation"
    ERASURE = "erasure"
    RECYCLING = "recycling"
    RECEIPT = "receipt"


CERTIFICATE_PREFIX: Mapping[CertificateKind, str] = {
    CertificateKind.DONATION: "DON",
    CertificateKind.ERASURE: "EFF",
    CertificateKind.RECYCLING: "RCY",
    CertificateKind.RECEIPT: "REC",
}


class WipeMethod(StrEnum):
    """Sanitisation method types of NIST SP 800-88."""

    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


class Destination(StrEnum):
    """Where a wiped device is headed, as stated on the erasure certificate."""

    REUSE = "reuse"
    RECYCLING = "recycling"


class Grade(StrEnum):
    """Cosmetic and functional grade given at refurbishment."""

    A = "A"
    B = "B"
    C = "C"


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
            CertificateKind.DONATION,
        ),
        Rule(
            Action.RECEIVE,
            frozenset({Status.COLLECTED}),
            Status.RECEIVED,
            _ANY_COORDINATOR | {Role.RECONDITIONER},
        ),
        Rule(
            Action.WIPE,
            frozenset({Status.RECEIVED}),
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
    """A transition the rules refuse; `code` is stable, the message is French for people."""

    code = "lifecycle_error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


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
        rule = RULES[action]
        expected = sorted(rule.from_statuses)
        if not has_storage:
            expected = sorted(rule.from_statuses | rule.from_statuses_without_storage)
        hint = ""
        if has_storage and current in rule.from_statuses_without_storage:
            hint = " ; un appareil avec stockage doit d’abord être effacé (wipe)"
        super().__init__(
            f"Action « {action} » impossible : l’appareil est au statut « {current} » "
            f"(attendu : {', '.join(expected)}){hint}.",
            field="action",
        )
        self.action = action
        self.current = current


class InvalidData(LifecycleError):
    """The data given with the action is missing or malformed."""

    code = "invalid_data"


def parse_action(value: object) -> Action:
    """Return the action named by `value`, or raise UnknownAction."""
    try:
        return Action(str(value))
    except ValueError:
        known = ", ".join(a.value for a in Action)
        raise UnknownAction(
            f"Action « {value} » inconnue (actions possibles : {known}).", field="action"
        ) from None


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
            f"Le rôle « {actor.role} » ne peut pas effectuer l’action « {action} ».",
            field="action",
        )
    if not _holds_device(device, actor, action):
        raise NotYourDevice(
            f"Cet appareil n’est pas confié à votre organisation pour l’action « {action} ».",
            field="action",
        )
    if device.status not in starting_statuses(action, device.has_storage):
        raise WrongStatus(action, device.status, device.has_storage)
    return rule.to_status


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


# --- the data each action takes -------------------------------------------------------------

_TEXT_MAX = 200


def _text(data: Mapping[str, Any], name: str, required: bool) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidData(f"Le champ « {name} » est obligatoire pour cette action.", name)
        return None
    if not isinstance(value, str):
        raise InvalidData(f"Le champ « {name} » doit être un texte.", name)
    value = value.strip()
    if len(value) > _TEXT_MAX:
        raise InvalidData(f"Le champ « {name} » dépasse {_TEXT_MAX} caractères.", name)
    return value


def _choice(data: Mapping[str, Any], name: str, choices: type[StrEnum]) -> str:
    value = data.get(name)
    if value is None:
        raise InvalidData(f"Le champ « {name} » est obligatoire pour cette action.", name)
    raw = str(value).strip()
    for choice in choices:
        if raw.lower() == choice.value.lower():
            return choice.value
    allowed = ", ".join(c.value for c in choices)
    raise InvalidData(f"Le champ « {name} » doit valoir l’un de : {allowed}.", name)


def _id(data: Mapping[str, Any], name: str, required: bool) -> int | None:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidData(f"Le champ « {name} » est obligatoire pour cette action.", name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidData(f"Le champ « {name} » doit être un identifiant entier positif.", name)
    return value


def validate_data(action: Action, data: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """Return the cleaned data `action` takes from `data`, or raise InvalidData naming the field.

    Fields an action does not take are dropped, so the custody log records only what matters.
    """
    if action is Action.COLLECT:
        # A reconditioner collecting for itself may omit the destination.
        default = actor.organization_id if actor.role is Role.RECONDITIONER else None
        destination = _id(data, "reconditioner_id", required=default is None)
        return {"reconditioner_id": destination or default}
    if action is Action.WIPE:
        verified = data.get("verified")
        if not isinstance(verified, bool):
            raise InvalidData("Le champ « verified » est obligatoire (true ou false).", "verified")
        serials = data.get("storage_serials")
        serials = [] if serials is None else serials
        if not isinstance(serials, list) or not all(isinstance(s, str) for s in serials):
            raise InvalidData(
                "Le champ « storage_serials » doit être une liste de textes.", "storage_serials"
            )
        if len(serials) > 32 or any(len(s) > _TEXT_MAX for s in serials):
            raise InvalidData("Le champ « storage_serials » est trop long.", "storage_serials")
        return {
            "method": _choice(data, "method", WipeMethod),
            "tool": _text(data, "tool", required=True),
            "verified": verified,
            "storage_serials": [s.strip() for s in serials if s.strip()],
            "destination": (
                _choice(data, "destination", Destination)
                if data.get("destination") is not None
                else None
            ),
        }
    if action is Action.REFURBISH:
        return {"grade": _choice(data, "grade", Grade), "notes": _text(data, "notes", False)}
    if action is Action.RECYCLE:
        weight = data.get("weight_kg")
        if weight is not None and (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not 0 < weight <= 1000
        ):
            raise InvalidData(
                "Le champ « weight_kg » doit être un nombre entre 0 et 1000.", "weight_kg"
            )
        return {"channel": _text(data, "channel", required=True), "weight_kg": weight}
    if action is Action.ALLOCATE:
        return {"association_id": _id(data, "association_id", required=True)}
    if action is Action.CONFIRM_RECEIPT:
        return {"received_by": _text(data, "received_by", required=False)}
    if action is Action.WITHDRAW:
        return {"reason": _text(data, "reason", required=True)}
    return {}
