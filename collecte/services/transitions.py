"""Moving devices through the lifecycle, one at a time or as an all-or-nothing batch.

Each call is atomic: the status update is conditioned on the status the rules were checked
against (`UPDATE … WHERE status = expected`), so two scanners racing on one device give one
success and one 409, never two events.

A single-device action without a certificate is the scanners' hot path: one statement reads the
device with its history, one statement moves it and logs the event (`collecte.db.device_sql`), and
the answer is built from the rows in hand. Actions that issue a certificate run in one write
transaction, since the number, the certificate's content and the events that cite it commit
together (its PDF is rendered after the commit, `collecte.services.certificate_files`); on
PostgreSQL a one-device `wipe` does so in one statement (`collecte.db.certify_sql`), so the
counter row that keeps numbers gapless is held for no round trip.

A batch of the forward path is read, checked and made (`_plan`) before its write transaction,
which only checks that no device changed meanwhile and writes (`_write`): SQLite's single writer
is held for the status changes, not for thousands of devices' reading and checking.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from collecte.db.batch_tally import Counted, counted_before, counted_together
from collecte.db.certify_sql import Issue, move_and_certify, read_for_certificate
from collecte.db.chunks import each_chunk, insert_rows
from collecte.db.device_sql import move_device, move_device_by_tag, read_device
from collecte.db.engine import backend
from collecte.db.tables import Device, DeviceEvent, Organization
from collecte.db.transactions import retry_on_conflict, write_transaction
from collecte.domain import actions, tags
from collecte.domain.access import Principal, can_see_device
from collecte.domain.actions import ActionData, Collect, Recycle, Wipe
from collecte.domain.clock import NOUMEA, now
from collecte.domain.erasure import check_wipe_minimum
from collecte.domain.errors import BatchRejected, Conflict, Invalid
from collecte.domain.fields import field_label
from collecte.domain.lifecycle import (
    CERTIFICATE_PREFIX,
    ERASURE_GATED,
    FORWARD_ACTIONS,
    KEEPS_DATES,
    RULES,
    UNDOING_ACTIONS,
    ErasureIncomplete,
    InvalidData,
    NothingToRevert,
    NothingToWipe,
    NotYourDevice,
    RoleNotAllowed,
    WrongStatus,
    certificate_for,
    check_erasure,
    check_revert,
    check_transition,
    parse_action,
)
from collecte.domain.vocabulary import Action, MethodClass, Status
from collecte.i18n import Message, msg
from collecte.services import treatment_operators
from collecte.services.certificate_files import render_after_commit
from collecte.services.certificate_sources import SOURCES
from collecte.services.certificates import (
    LANGUAGES,
    Draft,
    Issued,
    drafts_for_transition,
    issue_drafts,
)
from collecte.services.custody import event_fields
from collecte.services.devices import (
    device_select,
    device_summary,
    event_view,
    in_turn,
    not_visible,
    parse_code,
    state_of,
    summaries,
)
from collecte.services.erasure_records import media_of
from collecte.services.pickups import fill_collect, pickups_for_collect
from collecte.services.programme import programme_of, with_current_programme
from collecte.services.supersession import certificates_to_cut, donation_numbers, take_out
from collecte.settings import Settings


async def _check_targets(data: ActionData) -> dict[str, str]:
    """Check the organisations the data points at; return their names by field."""
    names = {}
    for field, (target, kind) in actions.organization_targets(data).items():
        row = (
            await Organization.select(Organization.kind, Organization.name)
            .where(Organization.id == target)
            .first()
        )
        if row is None or row["kind"] != kind.value:
            raise Invalid(
                msg(
                    "Le champ « {field} » ne désigne pas un(e) {kind}.",
                    field=field_label(field),
                    kind=kind,
                ),
                field,
            )
        names[field] = row["name"]
    return names


def _changes(
    to_status: Status, data: ActionData, at: datetime, from_status: Status | None = None
) -> dict[str, Any]:
    """The device columns an action sets: its status, the date it enters it (unless the action
    only moves it back or sideways), what the data says, and the status it leaves (where
    `found` and `revert` lead back; the PostgreSQL hot path sets it in SQL)."""
    changes: dict[str, Any] = {"status": to_status.value, "updated_at": at}
    if data.action not in KEEPS_DATES:
        changes[f"{to_status.value}_at"] = at
    changes.update(data.device_changes())
    if from_status is not None:
        changes["previous_status"] = from_status.value
    return changes


# The columns an event does not record the previous value of (the log says them already).
_NOT_RECORDED = frozenset({"status", "updated_at", "previous_status"})


def _previous(row: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The values the action replaces, as JSON: what a `revert` of it restores."""
    previous = {}
    for column in changes:
        if column in _NOT_RECORDED:
            continue
        value = row.get(column)
        previous[column] = value.isoformat() if isinstance(value, datetime) else value
    return previous


def _restored(step: Mapping[str, Any]) -> dict[str, Any]:
    """The device columns a `revert` of `step` (an event) puts back as they were: those its
    event recorded; for an event of the hot path, which records none, the date it set and the
    organisation it pointed at."""
    recorded = (step["data"] or {}).get("previous")
    if isinstance(recorded, Mapping):
        return {
            column: datetime.fromisoformat(value)
            if column.endswith("_at") and isinstance(value, str)
            else value
            for column, value in recorded.items()
            if column not in _NOT_RECORDED
        }
    restored: dict[str, Any] = {}
    if step["to_status"] != step["from_status"] and step["to_status"] != Status.REGISTERED.value:
        restored[f"{step['to_status']}_at"] = None
    if step["action"] == Action.ALLOCATE.value:
        restored["association"] = None
    if step["action"] == Action.COLLECT.value:
        restored["reconditioner"] = None
    return restored


async def _histories(ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The custody logs of these devices, oldest first."""
    rows = await each_chunk(
        list(ids),
        lambda part: (
            DeviceEvent.select(
                DeviceEvent.id,
                DeviceEvent.device,
                DeviceEvent.action,
                DeviceEvent.from_status,
                DeviceEvent.to_status,
                DeviceEvent.data,
                DeviceEvent.certificate_number,
            )
            .where(DeviceEvent.device.is_in(part))
            .order_by(DeviceEvent.id)
            .output(load_json=True)
        ),
    )  # each device's events come whole from one piece, oldest first
    histories: dict[int, list[dict[str, Any]]] = {device_id: [] for device_id in ids}
    for row in rows:
        histories[row["device"]].append(row)
    return histories


def _event_fields(
    principal: Principal,
    data: ActionData,
    from_status: Status,
    to_status: Status,
    at: datetime,
    certificate_number: str | None = None,
    device: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of the event a transition appends to `device`, but the device itself."""
    return event_fields(
        principal,
        data.action.value,
        from_status.value,
        to_status.value,
        data.event_data(device),
        at,
        certificate_number,
    )


async def _lost_race(ids: Sequence[int]) -> Conflict:
    """The 409 for devices another scanner moved between our read and our update."""
    current = await each_chunk(
        list(ids),
        lambda part: Device.select(Device.tag, Device.status).where(Device.id.is_in(part)),
    )
    moved = [
        msg("{tag} ({status})", tag=tags.display(r["tag"]), status=Status(r["status"]))
        for r in current
    ]
    return Conflict(
        msg("Un autre scan vient de modifier : {devices}. Rien n’a été enregistré.",
            devices=moved),
        "tags",
        code="wrong_status",
        current_status=current[0]["status"] if current else None,
    )  # fmt: skip


async def _update_where(
    ids: Sequence[int], columns: Mapping[str, Any], status: str | None = None
) -> set[int]:
    """Set `columns` (by name) on the devices `ids` (those still in `status`, when given); the
    ids updated. In pieces, for a batch's thousands of ids; written by hand (Piccolo's query
    building costs as much as SQLite's update, inside the write transaction)."""
    names = list(columns)
    for name in names:  # written into the statement: a device's column (ValueError if not)
        Device._meta.get_column_by_name(name)
    assignments = ", ".join(f"{name} = {{}}" for name in names)

    def update(part: list[int]) -> Any:
        where = f"id IN ({', '.join('{}' for _ in part)})"
        arguments = [*columns.values(), *part]
        if status is not None:
            where += " AND status = {}"
            arguments.append(status)
        return Device.raw(f"UPDATE device SET {assignments} WHERE {where} RETURNING id", *arguments)

    return {row["id"] for row in await each_chunk(list(ids), update)}


# From this many devices, a transition keeps the tally per statement (`counted_together`).
BATCH_TALLY_FROM = 20


@dataclass(frozen=True)
class Context:
    """What a transition needs beyond the request: settings and the certificate language."""

    settings: Settings
    language: str | None = None


@dataclass(frozen=True)
class _Plan:
    """What a transition writes, made from the devices as read: their changes, grouped by what
    is set, the events (their certificate numbers filled once taken) and the certificates'
    drafts."""

    rows: Sequence[dict[str, Any]]
    data: ActionData
    at: datetime
    changes_of: dict[int, dict[str, Any]]
    groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[int]]
    pickup_of: dict[int, tuple[int, str]]
    undone: dict[int, Mapping[str, Any]]
    events: list[dict[str, Any]]
    drafts: list[Draft]

    def tallied(self) -> tuple[list[int], list[str]]:
        """The devices counted in the tally per statement (a batch's), and the columns set."""
        if len(self.rows) < BATCH_TALLY_FROM:
            return [], []
        columns = sorted({name for _, changed in self.groups for name, _ in changed})
        return [row["id"] for row in self.rows], columns


async def _plan(
    principal: Principal,
    rows: Sequence[dict[str, Any]],
    data: ActionData,
    context: Context,
    prepared: bool = False,
) -> _Plan:
    """Check the rules on every device and make what the transition writes (`_write`); with
    `prepared`, the certificates' content too, so numbering them costs no JSON.

    Reads only, but for a collect, which may open its pickup: call inside the write transaction,
    or, for an action `_plannable`, before it (then `_moved_meanwhile` checks the devices)."""
    at = now()
    action = data.action
    targets: dict[int, Status] = {}
    for row in rows:
        targets[row["id"]] = check_transition(state_of(row), principal.actor, action)
        await in_turn()
    # A collect joins a pickup (named, or its donation's open one for the workshop): resolved
    # before any device moves, so a closed pickup refuses the whole move.
    pickup_of: dict[int, tuple[int, str]] = {}
    if isinstance(data, Collect):
        pickup_of = await pickups_for_collect(principal, rows, data, at)
    if action in ERASURE_GATED:
        media = await media_of([row["id"] for row in rows])
        minimum = context.settings.programme.reuse_minimum
        for row in rows:
            check_erasure(action, bool(row["has_storage"]), media[row["id"]], minimum)
    undone: dict[int, Mapping[str, Any]] = {}
    if action is Action.REVERT:
        histories = await _histories([row["id"] for row in rows])
        undone = {row["id"]: check_revert(histories[row["id"]]) for row in rows}
    changes_of: dict[int, dict[str, Any]] = {}
    groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[int]] = {}
    events = []
    for row in rows:
        changes = _changes(targets[row["id"]], data, at, Status(row["status"]))
        if row["id"] in undone:
            changes.update(_restored(undone[row["id"]]))
        changes_of[row["id"]] = changes
        key = (row["status"], tuple(sorted(changes.items(), key=lambda item: item[0])))
        groups.setdefault(key, []).append(row["id"])
        event = _event_of(principal, row, data, targets, at, changes, undone, pickup_of)
        # As stored: a batch's thousands of events are not serialised while a lock is held.
        event["data"] = json.dumps(event["data"], ensure_ascii=False)
        events.append(event)
        await in_turn()
    drafts = await drafts_for_transition(
        principal, rows, data, at, context.settings, context.language
    )
    if prepared:
        drafts = [draft.prepared() for draft in drafts]
    return _Plan(rows, data, at, changes_of, groups, pickup_of, undone, events, drafts)


def _event_of(
    principal: Principal,
    row: dict[str, Any],
    data: ActionData,
    targets: Mapping[int, Status],
    at: datetime,
    changes: Mapping[str, Any],
    undone: Mapping[int, Mapping[str, Any]],
    pickup_of: Mapping[int, tuple[int, str]],
) -> dict[str, Any]:
    """The event a transition appends to the device `row` (its certificate number not yet)."""
    fields = _event_fields(
        principal, data, Status(row["status"]), targets[row["id"]], at, device=row
    )
    if data.action not in FORWARD_ACTIONS:
        # What the exceptions replace, so that a revert of them restores it.
        fields["data"] = {**fields["data"], "previous": _previous(row, changes)}
    if row["id"] in undone:
        step = undone[row["id"]]
        fields["data"] = {
            **fields["data"],
            "undone_event": step["id"],
            "undone_action": step["action"],
            "undone_certificate": step["certificate_number"],
        }
    if row["id"] in pickup_of:
        pickup_id, pickup_number = pickup_of[row["id"]]
        fields["data"] = {**fields["data"], "pickup_id": pickup_id, "pickup": pickup_number}
    return {"device": row["id"], **fields}


async def _write(
    principal: Principal, plan: _Plan, ahead: Counted | None = None
) -> tuple[list[int], list[Issued], list[dict[str, Any]]]:
    """Update the devices conditionally, issue the certificates (and supersede those the action
    takes devices out of) and append the events citing them; `ahead`: the devices' tally
    contributions read before (`_tallied_ahead`).

    Call inside a write transaction; raise Conflict on a lost race, which rolls everything back.
    """
    rows, data, at = plan.rows, plan.data, plan.at
    # A batch counts its devices in the totals' tally in a few statements (SQLite's trigger
    # would run once per device while the single writer is held).
    tallied, changed_columns = plan.tallied()
    async with counted_together(tallied, changed_columns, ahead):
        for (from_status, changed), ids in plan.groups.items():
            updated = await _update_where(ids, dict(changed), from_status)
            if len(updated) != len(ids):
                raise await _lost_race(sorted(set(ids) - updated))
    by_pickup: dict[int, list[int]] = {}
    for device_id, (pickup_id, _) in plan.pickup_of.items():
        by_pickup.setdefault(pickup_id, []).append(device_id)
    for pickup_id, ids in sorted(by_pickup.items()):
        await _update_where(ids, {"pickup": pickup_id})
    issued = await issue_drafts(principal, plan.drafts, at)
    superseded = await _take_out(principal, rows, data, plan.undone, at)
    number_of = {device_id: item.number for item in issued for device_id in item.device_ids}
    events = [
        {**event, "certificate_number": number_of.get(event["device"])} for event in plan.events
    ]
    await insert_rows(DeviceEvent, events)
    return [row["id"] for row in rows], issued, superseded


async def _apply(
    principal: Principal,
    rows: Sequence[dict[str, Any]],
    data: ActionData,
    context: Context,
) -> tuple[list[int], list[Issued], list[dict[str, Any]]]:
    """Plan and write a transition inside its write transaction, after the rules accepted every
    device; Conflict on a lost race, which rolls everything back."""
    return await _write(principal, await _plan(principal, rows, data, context))


async def _take_out(
    principal: Principal,
    rows: Sequence[dict[str, Any]],
    data: ActionData,
    undone: Mapping[int, Mapping[str, Any]],
    at: datetime,
) -> list[dict[str, Any]]:
    """Supersede or revoke the certificates the action takes devices out of."""
    if data.action not in UNDOING_ACTIONS:
        return []
    cuts: dict[str, set[str]] = {}
    for row in rows:
        numbers = certificates_to_cut(data.action, Status(row["status"]), undone.get(row["id"]))
        if numbers is None:
            numbers = await donation_numbers(row["id"])
        for number in numbers:
            cuts.setdefault(number, set()).add(row["tag"])
    if not cuts:
        return []
    reason = msg(
        "{action} : {reason}", action=data.action, reason=getattr(data, "reason", "") or ""
    ).render("fr")
    return await take_out(principal, cuts, reason, at)


async def _checked_data(
    principal: Principal, data: ActionData
) -> tuple[ActionData, dict[str, str]]:
    """The action's data completed for the actor (checked after the rules, so 403/409 come before
    422), and the names of the organisations it points at."""
    if isinstance(data, Collect):
        data = await fill_collect(principal, data)
    if isinstance(data, Recycle):
        data, _ = await treatment_operators.resolve(data)
    data = actions.complete(data, principal.role, principal.organization_id)
    return data, await _check_targets(data)


async def _in_force(context: Context) -> Context:
    """The context with the programme's settings in force (they live in the database)."""
    return replace(context, settings=await with_current_programme(context.settings))


def _check_wipe_minimum(data: ActionData, context: Context) -> None:
    """A wipe below the programme's minimum erasure method is refused (422), whole."""
    if isinstance(data, Wipe):
        minimum = context.settings.programme.minimum_erasure_method
        check_wipe_minimum(data.media, data.method, MethodClass(minimum) if minimum else None)


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise Invalid(msg("Le paramètre « lang » doit valoir fr ou en."), "lang")


async def _read_visible(
    principal: Principal, tag: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    found = await read_device(tag)
    if found is None or not can_see_device(principal, state_of(found[0])):
        raise not_visible(tag)
    return found


def _view(
    row: dict[str, Any], events: list[dict[str, Any]], principal: Principal
) -> dict[str, Any]:
    return {**device_summary(row, principal), "events": [event_view(e) for e in events]}


def _answer(
    principal: Principal,
    found: tuple[dict[str, Any], list[dict[str, Any]]],
    changes: dict[str, Any],
    names: dict[str, str],
    event: dict[str, Any],
) -> dict[str, Any]:
    """The device after a move, from the rows in hand: what a re-read would give."""
    row, events = found
    moved = {**row, **changes}
    for field, name in names.items():
        moved[f"{field.removesuffix('_id')}_name"] = name
    return {**_view(moved, [*events, event], principal), "certificate": None, "superseded": []}


async def _move_one_sqlite(principal: Principal, tag: str, data: ActionData) -> dict[str, Any]:
    """An action without certificate, in one write transaction: read, check, update."""
    async with write_transaction():
        row, events = await _read_visible(principal, tag)
        from_status = Status(row["status"])
        to_status = check_transition(state_of(row), principal.actor, data.action)
        data, names = await _checked_data(principal, data)
        at = now()
        changes = _changes(to_status, data, at, from_status)
        event = _event_fields(principal, data, from_status, to_status, at)
        event_id = await move_device(row["id"], from_status.value, changes, event)
        if event_id is None:
            raise await _lost_race([row["id"]])
        event = {"id": event_id, "device": row["id"], **event}
        return _answer(principal, (row, events), changes, names, event)


async def _move_one_postgres(principal: Principal, tag: str, data: ActionData) -> dict[str, Any]:
    """An action without certificate in one round trip: the statement checks the rules as SQL
    (derived from them), moves the device and logs the event, and returns the device as it
    was; when nothing moved, the rules say why. Atomic by itself (it joins the caller's
    transaction when there is one, as for an Idempotency-Key)."""
    action = data.action
    try:
        data, names = await _checked_data(principal, data)
    except (InvalidData, Invalid):
        # The rules speak before the data: a 404, 403 or 409 wins over a 422.
        row, _ = await _read_visible(principal, tag)
        check_transition(state_of(row), principal.actor, action)
        raise
    at = now()
    to_status = RULES[action].to_status
    assert to_status is not None  # the backward actions take the transaction's path
    changes = _changes(to_status, data, at)
    event = _event_fields(principal, data, Status.REGISTERED, to_status, at)
    found, event_id = await move_device_by_tag(tag, principal.actor, action, changes, event)
    if found is None or not can_see_device(principal, state_of(found[0])):
        raise not_visible(tag)
    row = found[0]
    if event_id is None:
        check_transition(state_of(row), principal.actor, action)
        raise await _lost_race([row["id"]])  # allowed as we saw it: another scan came first
    event = {**event, "id": event_id, "device": row["id"], "from_status": row["status"]}
    changes["previous_status"] = row["status"]  # set by the statement itself
    return _answer(principal, found, changes, names, event)


# The one-device move without certificate, for each kind of database; the engine chosen at
# start-up picks its path (`collecte.db.engine.backend`).
_MOVE_ONE: Mapping[str, Callable[[Principal, str, ActionData], Awaitable[dict[str, Any]]]] = {
    "postgres": _move_one_postgres,
    "sqlite": _move_one_sqlite,
}


def _hot(action: Action) -> bool:
    """Whether a one-device action takes the hot path: one of the forward path's, without
    certificate, gate or pickup. The exceptions take the transaction's path: they read the history,
    record what they replace, and may supersede certificates."""
    return (
        action in FORWARD_ACTIONS
        and certificate_for(action) is None
        and action not in ERASURE_GATED
        and action is not Action.COLLECT  # it joins a pickup, whose row it locks
    )


def _issues_in_one_statement(action: Action) -> bool:
    """Whether a one-device action on PostgreSQL issues its certificate in the statement that
    moves the device (`collecte.db.certify_sql`): one of the forward path's, issuing one
    certificate whose content needs nothing but the device and the organisations (not the
    erasure gate, nor a receipt's erasure numbers read from the log)."""
    kind = certificate_for(action)
    return (
        kind is not None
        and action in FORWARD_ACTIONS
        and action not in ERASURE_GATED
        and not SOURCES[kind].erasure_numbers
    )


async def _issue_one_postgres(
    principal: Principal, tag: str, data: ActionData, context: Context
) -> dict[str, Any] | None:
    """A one-device action that issues a certificate, the counter row held by one statement
    only: read, check the rules, make the certificate's content, then move, number, store and
    log at once. None when the device changed in between (nothing written): the caller takes
    the transaction's path, which answers as the rules say. Inside a caller's transaction (an
    Idempotency-Key), the same statement joins it."""
    read = await read_for_certificate(tag)
    if read is None or not can_see_device(principal, state_of(read.found[0])):
        raise not_visible(tag)
    found = read.found
    row = found[0]
    from_status = Status(row["status"])
    to_status = check_transition(state_of(row), principal.actor, data.action)
    settings = context.settings
    context = replace(
        context,
        settings=settings.with_(programme=programme_of(settings.programme, read.programme)),
    )
    data, names = await _checked_data(principal, data)
    _check_wipe_minimum(data, context)
    at = now()
    changes = _changes(to_status, data, at)
    event = _event_fields(principal, data, from_status, to_status, at, device=row)
    [draft] = await drafts_for_transition(
        principal, [row], data, at, context.settings, context.language, read.organizations
    )
    issue = Issue(
        counter=f"{CERTIFICATE_PREFIX[draft.kind]}-{at.astimezone(NOUMEA).year}",
        kind=draft.kind.value,
        issued_at=at,
        language=draft.document.language,
        recipient=draft.recipient_id,
        issuer=principal.organization_id,
        issued_by=principal.user_id,
        templates=draft.templates(),
    )
    moved = await move_and_certify(
        row["id"], row["status"], row["updated_at"], changes, event, issue
    )
    if moved is None:
        return None
    number, event_id = moved
    render_after_commit([number])
    event = {**event, "id": event_id, "device": row["id"], "certificate_number": number}
    changes["previous_status"] = row["status"]  # set by the statement itself
    answer = _answer(principal, found, changes, names, event)
    return {**answer, "certificate": Issued(number, draft.kind, (row["id"],)).as_json()}


def _check_other_workshop(row: Mapping[str, Any], data: ActionData) -> None:
    """A transfer goes to another workshop than the one holding the device."""
    if isinstance(data, actions.Transfer) and data.reconditioner_id == row["reconditioner"]:
        raise Invalid(
            msg("Un transfert va vers un autre atelier que celui qui détient l’appareil."),
            "reconditioner_id",
        )


async def transition_device(
    principal: Principal, code: str, data: ActionData, context: Context
) -> dict[str, Any]:
    """Perform one action on one device; return the device as it now is, and its certificate."""
    return await retry_on_conflict(lambda: _transition_device(principal, code, data, context))


async def _transition_device(
    principal: Principal, code: str, data: ActionData, context: Context
) -> dict[str, Any]:
    _check_language(context.language)
    tag = parse_code(code, "tag")
    if _hot(data.action):
        return await _MOVE_ONE[backend()](principal, tag, data)
    if backend() == "postgres" and _issues_in_one_statement(data.action):
        answer = await _issue_one_postgres(principal, tag, data, context)
        if answer is not None:
            return answer
    async with write_transaction():
        context = await _in_force(context)
        row, _ = await _read_visible(principal, tag)
        check_transition(state_of(row), principal.actor, data.action)
        data, _ = await _checked_data(principal, data)
        _check_wipe_minimum(data, context)
        _check_other_workshop(row, data)
        _, issued, superseded = await _apply(principal, [row], data, context)
        # Not re-checked for visibility: a reconditioner collecting for another one no longer
        # sees the device, but sees the answer to what it just did.
        found = await read_device(tag)
        assert found is not None
        row, events = found
        return {
            **_view(row, events, principal),
            "certificate": issued[0].as_json() if issued else None,
            "superseded": superseded,
        }


def _failure(tag: str, status: int, sentence: Message, current: str | None = None) -> dict:
    failure: dict[str, Any] = {"tag": tag, "status_code": status, "sentence": sentence}
    if current:
        failure["current_status"] = current
    return failure


def batch_codes(raw: object, max_devices: int) -> list[str]:
    """The codes of a batch, or Invalid when there are none, too many, or one is not text."""
    if not isinstance(raw, list) or not raw:
        raise Invalid(
            msg(
                "Le champ « {field} » doit être une liste non vide d’étiquettes.",
                field=field_label("tags"),
            ),
            "tags",
        )
    if len(raw) > max_devices:
        raise Invalid(msg("Au plus {max} étiquettes par lot.", max=max_devices), "tags")
    for index, code in enumerate(raw):
        if not isinstance(code, str):
            field = f"tags[{index}]"
            raise Invalid(
                msg("Le champ « {field} » doit être un texte.", field=field_label(field)), field
            )
    return list(raw)


async def _accepted_or_rejected(
    principal: Principal,
    codes: Sequence[str],
    action: Action,
    minimum: MethodClass | None = None,
) -> list[dict[str, Any]]:
    """The device rows of a batch the rules accept, in scan order; BatchRejected listing every
    failing tag otherwise. With `minimum`, the erasure gate is checked too. Call inside the
    batch's transaction."""
    failures: list[dict[str, Any]] = []
    wanted: dict[str, None] = {}  # ordered set: the same label scanned twice counts once
    for code in codes:
        try:
            tag = tags.parse(code)
        except tags.TagError as error:
            failures.append(_failure(code, 422, error.sentence))
            continue
        wanted[tag] = None
    rows = await each_chunk(
        list(wanted), lambda part: device_select().where(Device.tag.is_in(part))
    )
    by_tag = {row["tag"]: row for row in rows}
    accepted = []
    for tag in wanted:
        await in_turn()
        row = by_tag.get(tag)
        if row is None or not can_see_device(principal, state_of(row)):
            failures.append(_failure(tag, 404, msg("Appareil inconnu.")))
            continue
        try:
            check_transition(state_of(row), principal.actor, action)
        except WrongStatus as error:
            failures.append(_failure(tag, 409, error.sentence, row["status"]))
        except NothingToRevert as error:
            failures.append(_failure(tag, 409, error.sentence, row["status"]))
        except (RoleNotAllowed, NotYourDevice) as error:
            failures.append(_failure(tag, 403, error.sentence))
        except NothingToWipe as error:
            failures.append(_failure(tag, 422, error.sentence))
        else:
            accepted.append(row)
    if minimum is not None and action in ERASURE_GATED and accepted:
        media = await media_of([row["id"] for row in accepted])
        for row in list(accepted):
            try:
                check_erasure(action, bool(row["has_storage"]), media[row["id"]], minimum)
            except ErasureIncomplete as error:
                failures.append(_failure(row["tag"], 409, error.sentence, row["status"]))
                accepted.remove(row)
    if failures:
        codes_seen = {f["status_code"] for f in failures}
        status = 422 if codes_seen & {422, 404} else 403 if 403 in codes_seen else 409
        raise BatchRejected(
            msg("Lot refusé : {count} étiquette(s) en défaut, rien n’a été modifié.",
                count=len(failures)),
            status,
            failures,
        )  # fmt: skip
    return accepted


async def decode_for_device(principal: Principal, code: str, payload: object) -> ActionData:
    """The typed data of an action on one device; when the data is bad, the rules speak first
    (404, 403, 409 before the data's 422)."""
    try:
        return actions.decode(payload)
    except (InvalidData, Invalid):
        if not isinstance(payload, Mapping):
            raise
        row, _ = await _read_visible(principal, parse_code(code, "tag"))
        check_transition(state_of(row), principal.actor, parse_action(payload.get("action")))
        raise


async def decode_for_batch(
    principal: Principal, codes: Sequence[str], payload: object
) -> ActionData:
    """The typed data of an action on a batch; when the data is bad, the batch's refusal
    (every failing tag) comes first."""
    try:
        return actions.decode(payload)
    except (InvalidData, Invalid):
        if not isinstance(payload, Mapping):
            raise
        await _accepted_or_rejected(principal, codes, parse_action(payload.get("action")))
        raise


async def transition_batch(
    principal: Principal, codes: Sequence[str], data: ActionData, context: Context
) -> dict[str, Any]:
    """Perform one action on many devices, all or nothing; any failing tag is listed.

    One certificate per recipient (the donor, or the association for a receipt).
    """
    return await retry_on_conflict(lambda: _transition_batch(principal, codes, data, context))


def _plannable(action: Action) -> bool:
    """Whether a batch of `action` is made before its write transaction: an action of the
    forward path (the exceptions read and supersede certificates, a collect may open its
    pickup), whose checks read nothing that changes without the device's `updated_at`."""
    return action in FORWARD_ACTIONS and action is not Action.COLLECT


async def _last_event() -> int:
    """The custody log's last event id: read before the devices, `_moved_since` then tells
    whether any of them changed (every change of a device appends its event: a transition,
    a correction)."""
    rows = await DeviceEvent.raw("SELECT max(id) AS last FROM device_event")
    return int(rows[0]["last"] or 0)


async def _moved_since(ids: Sequence[int], last_event: int) -> bool:
    """Whether any of the devices `ids` has an event after `last_event`; call inside the write
    transaction. The log's newest events only are read (by their primary key)."""
    found = await each_chunk(
        list(ids),
        lambda part: DeviceEvent.raw(
            f"SELECT 1 AS moved FROM device_event WHERE id > {{}} "
            f"AND device IN ({', '.join('{}' for _ in part)}) LIMIT 1",
            last_event,
            *part,
        ),
    )
    return bool(found)


async def _moved_summaries(
    principal: Principal, plan: _Plan, names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The devices of a batch as they are once it is written, from the rows in hand, by
    increasing id (what `summaries` would read again)."""
    shaped = []
    for row in sorted(plan.rows, key=lambda r: r["id"]):
        moved = {**row, **plan.changes_of[row["id"]]}
        for field, name in names.items():
            moved[f"{field.removesuffix('_id')}_name"] = name
        shaped.append(device_summary(moved, principal))
        await in_turn()
    return shaped


async def _batch_made_ahead(
    principal: Principal, codes: Sequence[str], data: ActionData, context: Context
) -> dict[str, Any] | None:
    """A batch read, checked and made before its write transaction, which then only checks
    that no device changed meanwhile and writes: on SQLite the single writer is held for the
    status changes alone (a 2,000-device batch once held it for a second, every scan waiting).
    None when a device changed meanwhile: nothing written, the caller does it all in the
    transaction. Inside a caller's transaction (an Idempotency-Key) it all runs there."""
    context = await _in_force(context)
    minimum = context.settings.programme.reuse_minimum
    last_event = await _last_event()
    accepted = await _accepted_or_rejected(principal, codes, data.action, minimum)
    data, names = await _checked_data(principal, data)
    _check_wipe_minimum(data, context)
    for row in accepted:
        _check_other_workshop(row, data)
    plan = await _plan(principal, accepted, data, context, prepared=True)
    tallied, _ = plan.tallied()
    ahead = (
        await counted_before([(ids, dict(changed)) for (_, changed), ids in plan.groups.items()])
        if tallied
        else None
    )
    devices = await _moved_summaries(principal, plan, names)
    async with write_transaction():
        if await _moved_since([row["id"] for row in accepted], last_event):
            return None
        _, issued, superseded = await _write(principal, plan, ahead)
    return {
        "action": data.action.value,
        "devices": devices,
        "certificate": issued[0].as_json() if issued else None,
        "certificates": [item.as_json() for item in issued],
        "superseded": superseded,
    }


async def _transition_batch(
    principal: Principal, codes: Sequence[str], data: ActionData, context: Context
) -> dict[str, Any]:
    _check_language(context.language)
    codes = batch_codes(list(codes), context.settings.max_devices_per_request)
    if _plannable(data.action):
        answer = await _batch_made_ahead(principal, codes, data, context)
        if answer is not None:
            return answer
    async with write_transaction():
        context = await _in_force(context)
        minimum = context.settings.programme.reuse_minimum
        accepted = await _accepted_or_rejected(principal, codes, data.action, minimum)
        data, _ = await _checked_data(principal, data)
        _check_wipe_minimum(data, context)
        for row in accepted:
            _check_other_workshop(row, data)
        ids, issued, superseded = await _apply(principal, accepted, data, context)
        return {
            "action": data.action.value,
            "devices": await summaries(principal, ids),
            "certificate": issued[0].as_json() if issued else None,
            "certificates": [item.as_json() for item in issued],
            "superseded": superseded,
        }


async def act_on_device(
    principal: Principal, code: str, payload: Mapping[str, Any], context: Context
) -> dict[str, Any]:
    """`transition_device` for data not yet typed (a page's form, the demo): decoded first."""
    data = await decode_for_device(principal, code, payload)
    return await transition_device(principal, code, data, context)


async def act_on_batch(
    principal: Principal, payload: Mapping[str, Any], context: Context
) -> dict[str, Any]:
    """`transition_batch` for data not yet typed (`{"action", "tags", …}`): decoded first."""
    codes = batch_codes(payload.get("tags"), context.settings.max_devices_per_request)
    data = await decode_for_batch(principal, codes, payload)
    return await transition_batch(principal, codes, data, context)
