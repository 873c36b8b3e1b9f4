"""The coordination's security log page: entries newest first, filters, and the CSV export."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Stream, Template

from collecte.domain.clock import now
from collecte.domain.errors import Invalid
from collecte.domain.impact import noumea_day
from collecte.domain.vocabulary import SecurityEvent
from collecte.services import security_log
from collecte.web.pages.errors import message_of
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import require_principal

PATH = "/coordination/securite"


def _filters(kind: str | None, since: str | None) -> dict[str, str]:
    """The page's query (French names, as the other pages), empty values left out."""
    return {k: v for k, v in {"evenement": kind or "", "depuis": since or ""}.items() if v}


@get(PATH, name="security_log_page")
async def security_log_page(
    request: Request[Any, Any, Any],
    evenement: FromQuery[str | None] = None,
    depuis: FromQuery[str | None] = None,
    suite: FromQuery[str | None] = None,
) -> Template:
    """Sign-ins, failures, locks and account changes, newest first, a page at a time."""
    principal = require_principal(request)
    filters = _filters(evenement, depuis)
    try:
        found = await security_log.entries(principal, evenement, depuis, cursor=suite)
        error = None
    except Invalid as refused:
        found = await security_log.entries(principal)
        filters, error = {}, message_of(request, refused)
    following = found["next_cursor"]
    return render(
        request,
        "coordinator/security_log.html",
        status_code=422 if error else 200,
        principal=principal,
        found=found,
        filters=filters,
        kinds=list(SecurityEvent),
        error=error,
        first_page=PATH + (f"?{urlencode(filters)}" if filters else ""),
        next_page=f"{PATH}?{urlencode({**filters, 'suite': following})}" if following else None,
        export=f"{PATH}.csv" + (f"?{urlencode(filters)}" if filters else ""),
        continued=bool(suite) and not error,
    )


@get(f"{PATH}.csv", name="security_log_export")
async def security_log_export(
    request: Request[Any, Any, Any],
    evenement: FromQuery[str | None] = None,
    depuis: FromQuery[str | None] = None,
) -> Stream:
    """The entries the filters keep, as `GET /api/security-log.csv`."""
    principal = require_principal(request)
    lines = await security_log.entries_csv(principal, evenement, depuis, language_of(request))
    name = security_log.csv_filename(noumea_day(now()))
    return Stream(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [security_log_page, security_log_export]
