"""Totals and impact, the devices export, and the public counters."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Response, Stream

from collecte.domain.clock import now
from collecte.domain.impact import noumea_day
from collecte.services import exports, impact_export, totals
from collecte.web.auth import PUBLIC, principal_of
from collecte.web.language import api_language
from collecte.web.schemas import DAY_PATTERN
from collecte.web.totals_responses import PublicTotalsOut, TotalsOut

# The period of the totals and of the impact export. Documented, not enforced here: the
# service's refusal names `from` / `to`.
FirstDay = Annotated[
    str | None,
    QueryParameter(
        name="from",
        required=False,
        schema_extra={"pattern": DAY_PATTERN},
        description="First Nouméa day, YYYY-MM-DD (included)",
    ),
]
LastDay = Annotated[
    str | None,
    QueryParameter(
        name="to",
        required=False,
        schema_extra={"pattern": DAY_PATTERN},
        description="Last Nouméa day, YYYY-MM-DD (included)",
    ),
]


@get("/api/totals", tags=["totals"], summary="Totals and impact of a period")
async def get_totals(
    request: Request[Any, Any, Any],
    start: FirstDay = None,
    end: LastDay = None,
) -> TotalsOut:
    """Coordinators. Each figure counts the devices that entered a status during the period."""
    settings = request.app.state.settings
    found = await totals.totals(principal_of(request), start, end, settings.yearly_target)
    return msgspec.convert(found, TotalsOut)


@get(
    "/api/devices.csv",
    tags=["exports"],
    summary="Every visible device as CSV",
    media_type="text/csv; charset=utf-8",
)
async def devices_csv(request: Request[Any, Any, Any]) -> Stream:
    """UTF-8 with BOM, `;`, decimal comma, Nouméa dates; streamed (coordinators: every device)."""
    name = exports.filename(noumea_day(now()))
    return Stream(
        exports.devices_csv(principal_of(request), language=api_language(request)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/api/impact.csv",
    tags=["exports"],
    summary="CO₂e avoided by reuse per category, with the method, as CSV",
    media_type="text/csv; charset=utf-8",
)
async def impact_csv(
    request: Request[Any, Any, Any],
    start: FirstDay = None,
    end: LastDay = None,
) -> Response[bytes]:
    """Coordinators. The figures of `GET /api/totals` per category (reused, recycled, weight,
    yearly factor, years of extra use, CO₂e avoided, upper bound, sources), then the method,
    the substitution assumption and the period, in words. UTF-8 with BOM, `;`, decimal comma."""
    settings = request.app.state.settings
    name, body = await impact_export.impact_csv(
        principal_of(request), start, end, settings.yearly_target, api_language(request)
    )
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/api/public/totals", opt=PUBLIC, tags=["public"], summary="Programme counters")
async def public_totals() -> PublicTotalsOut:
    """Collected, delivered and recycled devices, kilograms and CO₂e avoided; no names."""
    return msgspec.convert(await totals.public_totals(), PublicTotalsOut)
