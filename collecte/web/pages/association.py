"""The association's page: what is allocated to it, confirming receipt, its receipts."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from collecte.domain.access import Principal
from collecte.domain.vocabulary import Status
from collecte.services import certificates, transitions
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, failures_of, message_of
from collecte.web.pages.listing import device_list
from collecte.web.pages.rendering import render
from collecte.web.pages.session import require_principal
from collecte.web.statuses import status_of


async def _page(
    request: Request[Any, Any, Any], principal: Principal, *, status_code: int = 200, **context: Any
) -> Template:
    settings = request.app.state.settings
    listing = await device_list(
        request, principal, (Status.ALLOCATED, Status.DELIVERED), default=Status.ALLOCATED
    )
    return render(
        request,
        "association/home.html",
        status_code=422 if listing.error and status_code == 200 else status_code,
        principal=principal,
        listing=listing,
        receipts=await certificates.list_certificates(
            principal, "receipt", settings.public_url, 20, 0
        ),
        **context,
    )


@get("/association", name="association_page")
async def association_page(
    request: Request[Any, Any, Any],
    recus: FromQuery[str | None] = None,
    certificat: FromQuery[str | None] = None,
) -> Template:
    """Devices allocated to the association, to tick when they arrive, and those received
    (`?q=&status=&category=&cursor=`: search, filters and pages)."""
    principal = require_principal(request)
    return await _page(
        request,
        principal,
        received=forms.integer(recus),
        certificate=certificat,
        values={},
        codes=[],
    )


@post("/association/reception", name="confirm_receipt", status_code=200)
async def confirm_receipt(request: Request[Any, Any, Any]) -> Response[Any]:
    """Confirm receipt of the ticked devices in one go: one receipt certificate."""
    principal = require_principal(request)
    form = await request.form()
    payload = {**forms.action_payload(form, "confirm_receipt"), "tags": forms.codes(form)}
    context = transitions.Context(request.app.state.settings, None)
    try:
        result = await transitions.act_on_batch(principal, payload, context)
    except PAGE_ERRORS as error:
        return await _page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            failures=failures_of(request, error),
            values=dict(form.items()),
            codes=payload["tags"],
        )
    query = {"recus": str(len(result["devices"]))}
    if result["certificate"]:
        query["certificat"] = result["certificate"]["number"]
    return Redirect("/association", query_params=query, status_code=303)


ROUTES = [association_page, confirm_receipt]
