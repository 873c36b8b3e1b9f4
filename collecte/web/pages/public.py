"""Public pages, no sign-in: verifying a certificate, and the programme's counters."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import Template

from collecte.documents.certificate_text import title
from collecte.domain.vocabulary import CertificateStatus
from collecte.services import certificates, totals
from collecte.web.pages.rendering import language_of, render


async def programme_figures() -> dict[str, Any]:
    """The public counters: the totals service's, as `GET /api/public/totals` gives them."""
    return await totals.public_totals()


@get("/verify/{number:str}", name="verify_page")
async def verify_page(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    """Anyone can open it from the certificate's QR code; no personal data; unknown → 404."""
    found = await certificates.verify_number(number)
    if not found["valid"]:
        return render(
            request, "public/verify.html", status_code=404, number=found["number"], found=None
        )
    kind_title = title(found["kind"], language_of(request))
    return render(
        request,
        "public/verify.html",
        number=found["number"],
        found=found,
        kind_title=kind_title,
        certificate_status=CertificateStatus(found["status"]),
    )


@get("/programme", name="programme_page")
async def programme_page(request: Request[Any, Any, Any]) -> Template:
    """The programme's counters: collected, delivered, recycled, CO₂e avoided."""
    return render(request, "public/programme.html", counters=await programme_figures())


ROUTES = [verify_page, programme_page]
