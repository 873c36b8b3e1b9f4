"""Batch scanning: which actions a user may run on a pile, and checking each label as it is read.

A check changes nothing; the batch itself is `transitions.transition_batch`, all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collecte.domain import tags
from collecte.domain.access import Principal
from collecte.domain.errors import Invalid, NotFound
from collecte.domain.lifecycle import (
    ERASURE_GATED,
    RULES,
    Actor,
    DeviceState,
    ErasureIncomplete,
    LifecycleError,
    NothingToWipe,
    WrongStatus,
    check_erasure,
    check_transition,
    parse_action,
)
from collecte.domain.vocabulary import Action, MethodClass, Role, Status
from collecte.i18n import Message, msg
from collecte.services.devices import get_visible_row, parse_code, state_of
from collecte.services.erasure_records import media_of


def batch_actions(principal: Principal) -> list[Action]:
    """The actions the caller's role may perform at all, in lifecycle order."""
    return [action for action in Action if principal.role in RULES[action].roles]


def _answer(
    result: str, message: Message, row: dict[str, Any] | None = None, code: str | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "result": result,
        "message": message,
        "code": code,
        "tag": None,
        "label": None,
    }
    if row is not None:
        answer.update(
            tag=row["tag"],
            label=tags.display(row["tag"]),
            status=row["status"],
            category=row["category"],
            brand=row["brand"],
            model=row["model"],
            has_storage=bool(row["has_storage"]),
        )
    return answer


def offline_refusals(action_name: object) -> dict[str, dict[str, Message]]:
    """What the rules answer to `action_name` for a device in each status it may not be done
    in, for a device with storage (`storage`) and without (`no_storage`).

    A phone without network refuses a scan with these words when the last status it saw of the
    device rules the action out; every other check (whose device, the erasure) is the server's.
    """
    action = parse_action(action_name)
    # The coordination may do every action on every device: only the status can refuse.
    anyone = Actor(Role.COORDINATOR, 0)
    refusals: dict[str, dict[str, Message]] = {}
    for key, has_storage in (("storage", True), ("no_storage", False)):
        said: dict[str, Message] = {}
        for status in Status:
            try:
                check_transition(DeviceState(status, has_storage, 0), anyone, action)
            except (WrongStatus, NothingToWipe) as refusal:
                said[status.value] = refusal.sentence
            except LifecycleError:
                continue  # found, revert: the status they lead back to is the server's to know
        refusals[key] = said
    return refusals


async def check_scan(
    principal: Principal,
    code: object,
    action_name: object,
    scanned: Sequence[str] = (),
    minimum: MethodClass | None = None,
) -> dict[str, Any]:
    """Whether the scanned `code` may join a batch of `action_name`; changes nothing.

    `result` is "accepted", "already" (in `scanned`, the tags read so far) or "refused" with
    the reason in `message` (a Message, said by the page) and its `code` (`wrong_status`:
    `status` is the current one). With `minimum`, a device whose erasure does not allow a
    refurbish or recycle is refused at the scan, not at "Terminer".
    """
    action = parse_action(action_name)
    try:
        row = await get_visible_row(principal, parse_code(code))
    except (Invalid, NotFound) as error:
        return _answer("refused", error.sentence, code=error.code)
    if row["tag"] in scanned:
        return _answer("already", msg("{tag} : déjà scanné.", tag=tags.display(row["tag"])), row)
    try:
        check_transition(state_of(row), principal.actor, action)
    except LifecycleError as error:
        return _answer("refused", error.sentence, row, error.code)
    if minimum is not None and action in ERASURE_GATED:
        records = (await media_of([row["id"]]))[row["id"]]
        try:
            check_erasure(action, bool(row["has_storage"]), records, minimum)
        except ErasureIncomplete as error:
            return _answer("refused", error.sentence, row, error.code)
    return _answer("accepted", msg("{tag} : accepté.", tag=tags.display(row["tag"])), row)
