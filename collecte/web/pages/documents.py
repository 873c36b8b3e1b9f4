"""Documents behind the session cookie: certificates (list, PDFs) and the devices export."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream, Template

from collecte.domain.clock import now
from collecte.domain.impact import noumea_day
from collecte.i18n import msg
from collecte.services import certificates, exports
from collecte.web.pages import forms
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import require_principal

PER_PAGE = 100


@get("/certificats", name="certificates_page")
async def certificates_page(
    request: Request[Any, Any, Any],
    type: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
) -> Template:
    """The certificates the user's organisation received or issued (coordination: all), a
    hundred a page (`?page=`), newest first."""
    principal = require_principal(request)
    settings = request.app.state.settings
    number = forms.integer(page or "1")
    wanted = number if isinstance(number, int) and 1 <= number <= 1_000_000 else 1
    found = await certificates.list_certificates(
        principal, type or None, settings.public_url, PER_PAGE, (wanted - 1) * PER_PAGE
    )
    total = await certificates.count_certificates(principal, type or None)
    return render(
        request,
        "certificates.html",
        principal=principal,
        certificates=found,
        kind=type,
        page=wanted,
        pages=max(1, -(-total // PER_PAGE)),
        shown=msg("{count} certificat(s)", count=total)
        if len(found) == total
        else msg("{shown} sur {total} certificat(s)", shown=len(found), total=total),
    )


@get("/certificats/{filename:str}", name="certificate_pdf")
async def certificate_pdf(
    request: Request[Any, Any, Any], filename: FromPath[str]
) -> Response[Any]:
    """`/certificats/EFF-2026-00001.pdf`: the issued PDF, byte-identical on every download."""
    principal = require_principal(request)
    number = filename.removesuffix(".pdf").removesuffix(".PDF")
    canonical, pdf = await certificates.certificate_pdf(principal, number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{canonical}.pdf"'},
    )


@get("/exports/appareils.csv", name="devices_export")
async def devices_export(request: Request[Any, Any, Any]) -> Stream:
    """Every device the user may see, with its status and dates (as `GET /api/devices.csv`)."""
    principal = require_principal(request)
    name = exports.filename(noumea_day(now()))
    return Stream(
        exports.devices_csv(principal, language=language_of(request)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [certificates_page, certificate_pdf, devices_export]
