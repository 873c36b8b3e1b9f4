"""Public pages, no sign-in: verifying a certificate, and the programme's counters."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from collecte.documents.certificate_text import title
from collecte.domain.lifecycle import CERTIFICATE_PREFIX
from collecte.domain.vocabulary import CertificateStatus
from collecte.services import certificates, totals
from collecte.web.pages import forms
from collecte.web.pages.rendering import language_of, render
from collecte.web.throttle import limit_verifications


async def programme_figures() -> dict[str, Any]:
    """The public counters: the totals service's, as `GET /api/public/totals` gives them."""
    return await totals.public_totals()


# How a certificate number reads, for the page that finds none: DON-2026-00042.
NUMBER_SHAPE = "DON-2026-00042"
NUMBER_SHOWN_MAX = 40  # characters of an unknown number echoed back


async def _verify_page(request: Request[Any, Any, Any], number: str, **context: Any) -> Template:
    """The verification of `number`; an unknown or malformed one is a 404 saying so."""
    found = await certificates.check_number_as_printed(number)
    if not found["valid"]:
        shown = found["number"]
        if len(shown) > NUMBER_SHOWN_MAX:
            shown = shown[:NUMBER_SHOWN_MAX] + "…"
        return render(
            request,
            "public/verify.html",
            status_code=404,
            number=shown,
            found=None,
            prefixes=sorted(CERTIFICATE_PREFIX.values()),
            example=NUMBER_SHAPE,
        )
    return render(
        request,
        "public/verify.html",
        number=found["number"],
        found=found,
        kind_title=title(found["kind"], language_of(request)),
        certificate_status=CertificateStatus(found["status"]),
        **context,
    )


@get("/verify/{number:str}", name="verify_page", guards=[limit_verifications])
async def verify_page(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    """Anyone can open it from the certificate's QR code: what a paper copy is checked against,
    no personal data; an unknown number is a 404 page saying what to do."""
    return await _verify_page(request, number)


@post("/verify/{number:str}", name="verify_file", guards=[limit_verifications], status_code=200)
async def verify_file(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    """A PDF file sent from the page (without JavaScript): whether it is, byte for byte, the one
    issued under this number, as `POST /api/verify` answers."""
    body = await forms.upload_bytes(await request.form(), "file")
    if not body:
        return await _verify_page(request, number, file_outcome="missing")
    checked = await certificates.verify_pdf(body)
    if not checked["valid"]:
        outcome = "invalid"
    elif checked["number"] != certificates.canonical_number(number):
        outcome = "other"
    else:
        outcome = "valid"
    return await _verify_page(
        request,
        number,
        file_outcome=outcome,
        file_sha256=checked["sha256"],
        file_number=checked.get("number"),
    )


@get("/programme", name="programme_page")
async def programme_page(request: Request[Any, Any, Any]) -> Template:
    """The programme's counters: collected, delivered, recycled, CO₂e avoided."""
    return render(request, "public/programme.html", counters=await programme_figures())


ROUTES = [verify_page, verify_file, programme_page]
