"""The security log (coordinators): a page of entries as JSON, or every entry as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Stream
from msgspec import Meta

from collecte.domain.clock import now
from collecte.domain.impact import noumea_day
from collecte.domain.vocabulary import SecurityEvent
from collecte.services import security_log
from collecte.web.auth import principal_of
from collecte.web.language import api_language
from collecte.web.responses import Answer


class SecurityLogEntryOut(Answer):
    """One entry; the actor's name is a copy, so it reads right after the account is gone."""

    id: int
    kind: SecurityEvent
    actor_user_id: Annotated[int | None, Meta(description="Who acted; null: nobody signed in")]
    actor_name: str
    email: Annotated[str, Meta(description="The account concerned (as typed, on a failure)")]
    client: Annotated[str, Meta(description="The client's IP address; empty off the web")]
    detail: str
    created_at: datetime


class SecurityLogPageOut(Answer):
    """A page of entries, newest first, and how many the filters keep in all."""

    items: list[SecurityLogEntryOut]
    total: int
    next_cursor: Annotated[str | None, Meta(description="Pass as ?cursor= for the next page")]


KindFilter = Annotated[SecurityEvent | None, QueryParameter(required=False)]
SinceFilter = Annotated[
    str | None,
    QueryParameter(required=False, description="First Nouméa day, YYYY-MM-DD (included)"),
]


@get("/api/security-log", tags=["security"], summary="The security log")
async def list_security_log(
    request: Request[Any, Any, Any],
    kind: KindFilter = None,
    since: SinceFilter = None,
    limit: Annotated[
        int, QueryParameter(ge=1, le=security_log.MAX_PAGE_SIZE, required=False)
    ] = security_log.PAGE_SIZE,
    cursor: Annotated[str | None, QueryParameter(required=False, max_length=20)] = None,
) -> SecurityLogPageOut:
    """Coordinators. Sign-ins, failures, locks and account changes, newest first."""
    found = await security_log.entries(
        principal_of(request), kind.value if kind else None, since, limit, cursor
    )
    return msgspec.convert(found, SecurityLogPageOut)


@get(
    "/api/security-log.csv",
    tags=["security", "exports"],
    summary="The security log as CSV",
    media_type="text/csv; charset=utf-8",
)
async def security_log_csv(
    request: Request[Any, Any, Any], kind: KindFilter = None, since: SinceFilter = None
) -> Stream:
    """Coordinators. UTF-8 with BOM, `;`, Nouméa dates, newest first; same filters as the list."""
    lines = await security_log.entries_csv(
        principal_of(request), kind.value if kind else None, since, api_language(request)
    )
    return Stream(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{security_log.csv_filename(noumea_day(now()))}"'
            )
        },
    )
