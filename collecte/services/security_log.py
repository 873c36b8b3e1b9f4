"""The security log: who signed in, who failed or was locked out, what happened to accounts.

`record(event, …)` appends one entry, in the caller's transaction when there is one, so an
account change and its entry commit together. The client's address comes from the request being
served (`set_client`, called by the web layer before each handler), so the services that record
need not carry it. Entries are never changed; the coordination reads them (`entries`, a page, a
CSV export), and `collecte.services.housekeeping` forgets them after `RETENTION`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from typing import Any

from collecte.db.tables import SecurityLogEntry
from collecte.db.transactions import write_transaction
from collecte.domain.access import Principal, require_coordinator
from collecte.domain.clock import NOUMEA, now
from collecte.domain.errors import Invalid
from collecte.domain.impact import parse_day
from collecte.domain.vocabulary import SecurityEvent, label_of
from collecte.i18n import N_, gettext, msg
from collecte.services.exports import local_time, neutralise

# A year: long enough to look back over a season of sign-ins when an account is questioned,
# and to answer "who had access last year" at an annual audit; short enough that the addresses
# and e-mails of people who left the programme do not stay forever (data minimisation).
RETENTION = timedelta(days=365)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
CSV_BATCH = 2000

_client: ContextVar[str] = ContextVar("security_log_client", default="")

_COLUMNS = (
    SecurityLogEntry.id,
    SecurityLogEntry.kind,
    SecurityLogEntry.actor_user,
    SecurityLogEntry.actor_name,
    SecurityLogEntry.email,
    SecurityLogEntry.client,
    SecurityLogEntry.detail,
    SecurityLogEntry.created_at,
)


def set_client(address: str | None) -> None:
    """The address of the client whose request is being served (the web layer sets it)."""
    _client.set((address or "")[:64])


async def record(
    event: SecurityEvent, email: str = "", *, actor: Principal | None = None, detail: str = ""
) -> None:
    """Append one entry: `email` is the account concerned, `actor` who acted (None: nobody
    signed in, or the command line), `detail` values worth keeping (a name, a role)."""
    entry = SecurityLogEntry(
        kind=event.value,
        actor_user=actor.user_id if actor else None,
        actor_name=(actor.full_name or actor.email)[:200] if actor else "",
        email=(email or "").strip().lower()[:254],
        client=_client.get(),
        detail=detail[:500],
        created_at=now(),
    )
    async with write_transaction():
        await SecurityLogEntry.insert(entry)


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "actor_user_id": row["actor_user"],
        "actor_name": row["actor_name"],
        "email": row["email"],
        "client": row["client"],
        "detail": row["detail"],
        "created_at": row["created_at"],
    }


def _kind(value: str | None) -> SecurityEvent | None:
    if value is None or not value.strip():
        return None
    try:
        return SecurityEvent(value)
    except ValueError:
        kinds = ", ".join(kind.value for kind in SecurityEvent)
        raise Invalid(
            msg("Le paramètre « kind » doit valoir l’un de : {kinds}.", kinds=kinds), "kind"
        ) from None


def _start_of(day: date | None) -> datetime | None:
    """The first instant of a Nouméa day."""
    return None if day is None else datetime.combine(day, time(), NOUMEA)


def _before(cursor: str | None) -> int | None:
    """The entry id a cursor stands for (entries come newest first: the next page is older)."""
    if cursor is None or not cursor.strip():
        return None
    raw = cursor.strip()
    if not raw.isdecimal() or not 0 < int(raw) < 2**63:
        raise Invalid(
            msg("Le paramètre « cursor » est invalide : reprenez celui de la page précédente."),
            "cursor",
        )
    return int(raw)


def _where(kind: str | None, since: str | None) -> Any:
    """The filters as one condition (None: every entry)."""
    wanted, start = _kind(kind), _start_of(parse_day(since, "since"))
    condition: Any = None
    if wanted is not None:
        condition = SecurityLogEntry.kind == wanted.value
    if start is not None:
        later = SecurityLogEntry.created_at >= start
        condition = later if condition is None else condition & later
    return condition


async def entries(
    principal: Principal,
    kind: str | None = None,
    since: str | None = None,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
) -> dict[str, Any]:
    """A page of the log, newest first, with the exact count of entries the filters keep
    (coordinators only): `{"items", "total", "next_cursor"}`."""
    require_coordinator(principal)
    condition = _where(kind, since)
    before = _before(cursor)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = SecurityLogEntry.select(*_COLUMNS).order_by(SecurityLogEntry.id, ascending=False)
    count = SecurityLogEntry.count()
    if condition is not None:
        query = query.where(condition)
        count = count.where(condition)
    if before is not None:
        query = query.where(SecurityLogEntry.id < before)
    rows = await query.limit(limit + 1)
    more = len(rows) > limit
    items = [_view(row) for row in rows[:limit]]
    return {
        "items": items,
        "total": await count,
        "next_cursor": str(items[-1]["id"]) if more else None,
    }


CSV_HEADERS = [
    N_("Date"),
    N_("Événement"),
    N_("Code"),
    N_("Auteur"),
    N_("Compte concerné"),
    N_("Adresse IP"),
    N_("Détail"),
]


def csv_filename(today: date) -> str:
    """The name the browser saves the export under."""
    return f"collecte-journal-securite-{today.isoformat()}.csv"


def _line(row: dict[str, Any], language: str) -> list[str]:
    cells = [
        local_time(row["created_at"]),
        gettext(language, label_of(SecurityEvent, row["kind"])),
        row["kind"],
        row["actor_name"],
        row["email"],
        row["client"],
        row["detail"],
    ]
    return [neutralise(cell) for cell in cells]


def _encode(lines: list[list[str]], bom: bool = False) -> bytes:
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")  # so a spreadsheet reads the accents
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(lines)
    return buffer.getvalue().encode("utf-8")


async def entries_csv(
    principal: Principal, kind: str | None = None, since: str | None = None, language: str = "fr"
) -> AsyncIterator[bytes]:
    """The entries the filters keep, newest first, as CSV like the devices export (UTF-8 with
    BOM, `;`, Nouméa dates, formulas neutralised), read in batches so memory stays flat."""
    require_coordinator(principal)
    condition = _where(kind, since)  # checked before the first byte is sent
    return _csv_lines(condition, language)


async def _csv_lines(condition: Any, language: str) -> AsyncIterator[bytes]:
    yield _encode([[gettext(language, header) for header in CSV_HEADERS]], bom=True)
    before: int | None = None
    while True:
        query = SecurityLogEntry.select(*_COLUMNS).order_by(SecurityLogEntry.id, ascending=False)
        if condition is not None:
            query = query.where(condition)
        if before is not None:
            query = query.where(SecurityLogEntry.id < before)
        rows = await query.limit(CSV_BATCH)
        if rows:
            yield _encode([_line(row, language) for row in rows])
        if len(rows) < CSV_BATCH:
            return
        before = rows[-1]["id"]
