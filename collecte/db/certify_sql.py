"""A one-device transition that issues a certificate, in ONE statement on PostgreSQL.

Gapless numbers need a lock: one counter row per prefix and year, bumped by the transaction
that issues, held until it commits. Inside a transaction of several statements, every issuer of
that kind waits for the holder's remaining round trips, and each of those waits for this
process's event loop to come back to it: under load, the row is held for milliseconds and the
issuers queue. Here the number is taken, the certificate stored and the event logged by the
statement that moves the device, committed on its own: the row is held for that statement's
end and its commit, inside PostgreSQL.

The certificate's content is made in Python beforehand, from the device as it was read, with
placeholders for what only the statement knows: the number, and the fingerprint (the SHA-256 of
the canonical content, which contains the number). The statement writes the number into the
canonical content and the stored document (`replace`), hashes the canonical content (`sha256`)
and writes the fingerprint into the document. The placeholders are random, and JSON escapes
nothing in them nor in a number, so each appears exactly where the value goes; the renderer
checks the stored content against its fingerprint again before any PDF is made.

The device moves only if it is still as it was read (same status, same `updated_at`, which
every change of a device sets): otherwise nothing at all is written and the caller takes the
transaction's path, which answers as the rules say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from collecte.db.device_sql import _EVENT_COLUMNS, Found, _event_values, _numbered, _read, _split
from collecte.db.engine import fetch

# What a certificate needs besides the device, read with it: the organisations it names (the
# donor and the workshop holding the device) and the programme's settings in force (JSON).
_ORGANIZATIONS = "certify__organizations"
_PROGRAMME = "certify__programme"
_READ_FOR_CERTIFICATE = _numbered(
    _read(
        (
            "(SELECT json_agg(o) FROM organization o WHERE o.id IN (d.donor, d.reconditioner)) "
            f"AS {_ORGANIZATIONS}",
            "(SELECT row_to_json(p) FROM programme_setting p ORDER BY p.id DESC LIMIT 1) "
            f"AS {_PROGRAMME}",
        )
    )
)


@dataclass(frozen=True)
class ForCertificate:
    """A device as read before a move that certifies it, with what its certificate names."""

    found: Found
    organizations: dict[int, dict[str, Any]]  # the donor and the holder, by id
    programme: dict[str, Any] | None  # the latest programme settings row (None: the defaults)


async def read_for_certificate(tag: str) -> ForCertificate | None:
    """PostgreSQL, one statement: the device with canonical `tag`, its events, the organisations
    a certificate for it names and the programme's settings; None when no such tag."""
    rows = [dict(row) for row in await fetch(_READ_FOR_CERTIFICATE, tag)]
    if not rows:
        return None
    organizations = rows[0][_ORGANIZATIONS]
    programme = rows[0][_PROGRAMME]
    for row in rows:
        del row[_ORGANIZATIONS], row[_PROGRAMME]
    return ForCertificate(
        _split(rows),
        {o["id"]: o for o in json.loads(organizations or "[]")},
        json.loads(programme) if programme else None,
    )


# The columns of a certificate the statement writes; the others keep their defaults (no PDF yet).
_CERTIFICATE_COLUMNS = (
    "number",
    "kind",
    "issued_at",
    "language",
    "recipient",
    "issuer",
    "issued_by",
    "device_count",
    "content_fingerprint",
    "document",
    "status",
)


@dataclass(frozen=True)
class Templates:
    """A certificate's content with placeholders for its number and fingerprint."""

    number_placeholder: str
    fingerprint_placeholder: str
    canonical: str  # the canonical content, as its fingerprint is computed over (UTF-8)
    document: str  # the document as stored


@dataclass(frozen=True)
class Issue:
    """The certificate a move issues: its counter, content and parties."""

    counter: str  # `{PREFIX}-{YEAR}`, the counter row and the number's head
    kind: str
    issued_at: datetime
    language: str
    recipient: int
    issuer: int | None
    issued_by: int | None
    templates: Templates


@cache
def _statement(columns: tuple[str, ...]) -> str:
    assignments = ", ".join(
        [*(f"{column} = {{}}" for column in columns), "previous_status = d.status"]
    )
    event_values = ", ".join(
        "numbered.number" if column == "certificate_number" else "{}"
        for column in _EVENT_COLUMNS[1:]
    )
    return _numbered(
        f"WITH moved AS (UPDATE device d SET {assignments} "
        "WHERE d.id = {} AND d.status = {} AND d.updated_at = {} RETURNING d.id), "
        "counted AS (INSERT INTO counter (name, value) SELECT {}, 1 FROM moved "
        "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value), "
        # At least five digits, more past 99999 (lpad alone would cut them).
        "numbered AS (SELECT {} || '-' || lpad(value::text, greatest(5, length(value::text)), "
        "'0') AS number FROM counted), "
        "fingerprinted AS (SELECT number, "
        "encode(sha256(convert_to(replace({}, {}, number), 'UTF8')), 'hex') AS fingerprint "
        "FROM numbered), "
        f"issued AS (INSERT INTO certificate ({', '.join(_CERTIFICATE_COLUMNS)}) "
        "SELECT number, {}, {}, {}, {}, {}, {}, 1, fingerprint, "
        "replace(replace({}, {}, number), {}, fingerprint), 'valid' "
        "FROM fingerprinted RETURNING number), "
        f"logged AS (INSERT INTO device_event ({', '.join(_EVENT_COLUMNS)}) "
        f"SELECT moved.id, {event_values} FROM moved, numbered RETURNING id) "
        "SELECT (SELECT number FROM issued) AS number, (SELECT id FROM logged) AS event_id"
    )


async def move_and_certify(
    device_id: int,
    expected_status: str,
    expected_updated_at: datetime,
    changes: dict[str, Any],
    event: dict[str, Any],
    issue: Issue,
) -> tuple[str, int] | None:
    """PostgreSQL, one statement: if the device is still as read, move it (`changes`), number
    and store its certificate (`issue`) and append `event` citing it. The number and the
    event's id; None when the device changed since it was read (nothing written)."""
    templates = issue.templates
    rows = await fetch(
        _statement(tuple(changes)),
        *changes.values(),
        device_id,
        expected_status,
        expected_updated_at,
        issue.counter,
        issue.counter,
        templates.canonical,
        templates.number_placeholder,
        issue.kind,
        issue.issued_at,
        issue.language,
        issue.recipient,
        issue.issuer,
        issue.issued_by,
        templates.document,
        templates.number_placeholder,
        templates.fingerprint_placeholder,
        *_event_values(event, skip=("certificate_number",)),
    )
    number, event_id = rows[0]["number"], rows[0]["event_id"]
    if number is None or event_id is None:
        return None
    return str(number), int(event_id)
