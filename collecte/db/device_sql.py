"""Hand-written SQL for the scan-and-transition hot path, beside the tables it touches.

Measured (bench/bench_load.py, docs/performance.md): the ORM's query building costs more CPU
than the database itself, and each round trip to PostgreSQL costs as much again. So:

- `read_device`: a device, the names its views show and its whole custody log in one statement
  (the device's columns repeat on each event row: cheaper than a second round trip);
- `move_device` (SQLite, inside the caller's write transaction): the conditional update, then
  the event;
- `move_device_by_tag` (PostgreSQL): the whole transition in ONE statement, atomic by itself:
  the device as it was, its history, and — when the lifecycle allows it — the update and the
  event, in data-modifying CTEs.

The one-statement form needs the lifecycle's verdict in SQL. It is not written by hand:
`allowed_sql` evaluates the pure rules (`check_transition`, `can_see_device`) on every kind of
device a caller can meet — each status, with or without storage, the caller's organisation as
donor, holder and recipient or not — and writes down exactly the cases they accept
(tests/api/test_hot_path.py checks the SQL against the rules on both databases). The Python
rules still have the last word on every answer: when nothing moved, they say why (404, 403, 409).

The columns are taken from the Piccolo tables, so a new column reaches the queries by itself.
"""

from __future__ import annotations

import itertools
import json
from functools import cache
from typing import Any

from piccolo.querystring import QueryString

from collecte.db.engine import fetch
from collecte.db.tables import Device, DeviceEvent
from collecte.domain.access import Principal, can_see_device
from collecte.domain.lifecycle import Actor, DeviceState, LifecycleError, check_transition
from collecte.domain.vocabulary import Action, Role, Status

_DEVICE_COLUMNS = tuple(column._meta.db_column_name for column in Device._meta.columns)
_EVENT_COLUMNS = tuple(
    column._meta.db_column_name for column in DeviceEvent._meta.columns if column._meta.name != "id"
)
# The names a device's views show, as `collecte.services.devices.device_select` aliases them.
_NAMES = (
    "dn.number AS donation_number",
    "od.name AS donor_name",
    "od.short_name AS donor_short_name",
    "orc.name AS reconditioner_name",
    "oa.name AS association_name",
)
_EVENT_PREFIX = "event__"
_NEW_EVENT = "moved__event_id"


def _read(extra_columns: tuple[str, ...] = ()) -> str:
    columns = [
        *(f"d.{c}" for c in _DEVICE_COLUMNS),
        *_NAMES,
        f"e.id AS {_EVENT_PREFIX}id",
        *(f"e.{c} AS {_EVENT_PREFIX}{c}" for c in _EVENT_COLUMNS if c != "device"),
        *extra_columns,
    ]
    return (
        f"SELECT {', '.join(columns)} FROM device d"
        " LEFT JOIN donation dn ON dn.id = d.donation"
        " LEFT JOIN organization od ON od.id = d.donor"
        " LEFT JOIN organization orc ON orc.id = d.reconditioner"
        " LEFT JOIN organization oa ON oa.id = d.association"
        " LEFT JOIN device_event e ON e.device = d.id"
        " WHERE d.tag = {} ORDER BY e.id"
    )


_READ = _read()

Found = tuple[dict[str, Any], list[dict[str, Any]]]


def _split(rows: list[dict[str, Any]]) -> Found:
    """The device row (as `device_select` gives it) and its events (as the event table does)."""
    first = rows[0]
    device = {
        key: value
        for key, value in first.items()
        if not key.startswith(_EVENT_PREFIX) and key != _NEW_EVENT
    }
    start = len(_EVENT_PREFIX)
    events = []
    for row in rows:
        if row[f"{_EVENT_PREFIX}id"] is None:
            continue
        event = {key[start:]: value for key, value in row.items() if key.startswith(_EVENT_PREFIX)}
        event["device"] = device["id"]
        if isinstance(event["data"], str):
            event["data"] = json.loads(event["data"])
        events.append(event)
    return device, events


async def read_device(tag: str) -> Found | None:
    """The device with canonical `tag` and its events (oldest first), or None; one statement."""
    rows = await Device.raw(_READ, tag)
    if not rows:
        return None
    return _split(rows)


# --- the lifecycle's verdict as SQL ---------------------------------------------------------

# What the rules look at, besides the status: (name, SQL when true, SQL when false); `{}` is the
# caller's organisation. Comparisons are null-safe (IS [NOT] DISTINCT FROM: PostgreSQL, and
# SQLite since 3.39).
_FACTS = (
    ("has_storage", "d.has_storage", "NOT d.has_storage"),
    ("donor", "d.donor = {}", "d.donor <> {}"),
    (
        "reconditioner",
        "d.reconditioner IS NOT DISTINCT FROM {}",
        "d.reconditioner IS DISTINCT FROM {}",
    ),
    ("association", "d.association IS NOT DISTINCT FROM {}", "d.association IS DISTINCT FROM {}"),
)


def _accepts(role: Role, action: Action, status: Status, facts: tuple[bool, ...]) -> bool:
    """Whether the rules let a `role` user act on a device of `status` with these facts."""
    has_storage, donor, reconditioner, association = facts
    org, other = 1, 2
    device = DeviceState(
        status=status,
        has_storage=has_storage,
        donor_id=org if donor else other,
        reconditioner_id=org if reconditioner else None,
        association_id=org if association else None,
    )
    if not can_see_device(Principal(0, "", "", org, "", role), device):
        return False
    try:
        check_transition(device, Actor(role, org), action)
    except LifecycleError:
        return False
    return True


Term = tuple[frozenset[Status], tuple[bool | None, ...]]


def _merge(terms: list[Term]) -> list[Term]:
    """Merge terms that differ in one fact only (the fact does not matter) or in statuses only."""
    changed = True
    while changed:
        changed = False
        for a, b in itertools.combinations(terms, 2):
            (statuses_a, facts_a), (statuses_b, facts_b) = a, b
            differing = [i for i, (x, y) in enumerate(zip(facts_a, facts_b, strict=True)) if x != y]
            if statuses_a == statuses_b and len(differing) == 1:
                i = differing[0]
                if None in (facts_a[i], facts_b[i]):
                    continue
                merged: Term = (statuses_a, (*facts_a[:i], None, *facts_a[i + 1 :]))
            elif not differing:
                merged = (statuses_a | statuses_b, facts_a)
            else:
                continue
            terms = [t for t in terms if t is not a and t is not b] + [merged]
            changed = True
            break
    return terms


@cache
def allowed_sql(role: Role, action: Action) -> tuple[str, int] | None:
    """A WHERE clause on `device d`, true exactly for the devices a `role` user may see and
    move with `action`, and how many `{}` (the user's organisation) it holds; None if none."""
    terms: list[Term] = []
    for combination in itertools.product((True, False), repeat=len(_FACTS)):
        statuses = frozenset(s for s in Status if _accepts(role, action, s, combination))
        if statuses:
            terms.append((statuses, tuple(combination)))
    if not terms:
        return None
    clauses = []
    for statuses, facts in sorted(_merge(terms), key=repr):
        listed = ", ".join(f"'{s.value}'" for s in sorted(statuses))
        parts = [f"d.status IN ({listed})"]
        for (_, when_true, when_false), fact in zip(_FACTS, facts, strict=True):
            if fact is not None:
                parts.append(when_true if fact else when_false)
        clauses.append("(" + " AND ".join(parts) + ")")
    sql = " OR ".join(clauses)
    return sql, sql.count("{}")


# --- moving a device ------------------------------------------------------------------------


def _event_values(event: dict[str, Any], skip: tuple[str, ...] = ()) -> list[Any]:
    return [
        json.dumps(event[c], ensure_ascii=False) if c == "data" else event[c]
        for c in _EVENT_COLUMNS[1:]
        if c not in skip
    ]


@cache
def _sqlite_statements(columns: tuple[str, ...]) -> tuple[str, str]:
    assignments = ", ".join(f"{column} = {{}}" for column in columns)
    update = f"UPDATE device SET {assignments} WHERE id = {{}} AND status = {{}} RETURNING id"
    values = ", ".join("{}" for _ in _EVENT_COLUMNS[1:])
    insert = (
        f"INSERT INTO device_event ({', '.join(_EVENT_COLUMNS)}) VALUES ({{}}, {values}) "
        "RETURNING id"
    )
    return update, insert


async def move_device(
    device_id: int, expected_status: str, changes: dict[str, Any], event: dict[str, Any]
) -> int | None:
    """SQLite, inside a write transaction: set `changes` if the status is still
    `expected_status` and append `event`; the new event's id, or None if nothing moved."""
    update, insert = _sqlite_statements(tuple(changes))
    if not await Device.raw(update, *changes.values(), device_id, expected_status):
        return None
    rows = await DeviceEvent.raw(insert, device_id, *_event_values(event))
    return int(rows[0]["id"])


def _numbered(sql: str) -> str:
    """Piccolo's `{}` placeholders as PostgreSQL's `$1`, `$2`…, for `collecte.db.engine.fetch`."""
    placeholders = [None] * sql.count("{}")
    return QueryString(sql, *placeholders).compile_string(engine_type="postgres")[0]


@cache
def _postgres_statement(columns: tuple[str, ...], role: Role, action: Action) -> str | None:
    allowed = allowed_sql(role, action)
    if allowed is None:
        return None
    predicate, _ = allowed
    # The status it leaves is where `found` and `revert` lead back (the row's value before the
    # update: SQL's right-hand sides read the old row).
    assignments = ", ".join(
        [*(f"{column} = {{}}" for column in columns), "previous_status = d.status"]
    )
    values = ", ".join("before.status" if c == "from_status" else "{}" for c in _EVENT_COLUMNS[1:])
    # Every part sees the device as it was when the statement began (one snapshot); the update
    # also requires the status it saw, so a concurrent move makes it touch nothing. `before` is
    # found by its tag and the update by its id (scalar subqueries: the planner cannot trade
    # those indexes for the status index, whatever its statistics say).
    return _numbered(
        "WITH before AS MATERIALIZED (SELECT id, status FROM device WHERE tag = {}), "
        f"moved AS (UPDATE device d SET {assignments} "
        "WHERE d.id = (SELECT id FROM before) AND d.status = (SELECT status FROM before) "
        f"AND ({predicate}) RETURNING d.id), "
        f"logged AS (INSERT INTO device_event ({', '.join(_EVENT_COLUMNS)}) "
        f"SELECT moved.id, {values} FROM moved, before RETURNING id) "
        + _read((f"(SELECT id FROM logged) AS {_NEW_EVENT}",))
    )


async def move_device_by_tag(
    tag: str, actor: Actor, action: Action, changes: dict[str, Any], event: dict[str, Any]
) -> tuple[Found | None, int | None]:
    """PostgreSQL, one statement: move the device `tag` if the rules let `actor` do `action`
    now, appending `event` (its `from_status` is the status found).

    Return the device as it was before, with its events (None if no such tag), and the new
    event's id (None if nothing moved: the caller asks the rules why).
    """
    statement = _postgres_statement(tuple(changes), actor.role, action)
    allowed = allowed_sql(actor.role, action)
    if statement is None or allowed is None:
        return await read_device(tag), None
    _, uses = allowed
    rows = await fetch(
        statement,
        tag,
        *changes.values(),
        *([actor.organization_id] * uses),
        *_event_values(event, skip=("from_status",)),
        tag,
    )
    if not rows:
        return None, None
    event_id = rows[0][_NEW_EVENT]
    return _split(rows), None if event_id is None else int(event_id)
