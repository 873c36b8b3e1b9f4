"""The reconditioner's workshop page: open pickups to close, devices on their way, and those in
its hands."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from collecte.domain.access import Principal
from collecte.domain.vocabulary import Status
from collecte.services import pickups
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.listing import device_list
from collecte.web.pages.rendering import render
from collecte.web.pages.session import require_principal
from collecte.web.statuses import status_of

# In the order the work is done.
_GROUPS = (Status.COLLECTED, Status.RECEIVED, Status.WIPED, Status.REFURBISHED)


async def _workshop_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    listing = await device_list(request, principal, _GROUPS)
    open_pickups = await pickups.list_pickups(principal, "open", limit=500)
    return render(
        request,
        "workshop.html",
        status_code=422 if listing.error and status_code == 200 else status_code,
        principal=principal,
        listing=listing,
        pickups=open_pickups,
        **context,
    )


@get("/atelier", name="workshop_page")
async def workshop_page(
    request: Request[Any, Any, Any],
    cloture: FromQuery[str | None] = None,
    certificat: FromQuery[str | None] = None,
) -> Template:
    """Open pickups to close, then what to receive, wipe, refurbish or recycle next
    (`?q=&status=&category=&cursor=`: search, filters and pages)."""
    principal = require_principal(request)
    return await _workshop_page(request, principal, closed=cloture, certificate=certificat)


@post("/enlevements/{pickup_id:int}/cloture", name="close_pickup", status_code=200)
async def close_pickup(request: Request[Any, Any, Any], pickup_id: FromPath[int]) -> Response[Any]:
    """Close a pickup with the representative's name and, where JavaScript ran, the signature
    drawn on the canvas; back to the workshop page with its attestation (or the refusal)."""
    principal = require_principal(request)
    form = await request.form()
    signature = {
        "name": forms.text(form, "signature_name"),
        "image": forms.text(form, "signature_image") or None,
    }
    try:
        result = await pickups.close_pickup(
            principal,
            pickup_id,
            {"signature": signature},
            request.app.state.settings,
        )  # the attestation in the donor's language, as the API issues it
    except PAGE_ERRORS as error:
        return await _workshop_page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            failed_pickup=pickup_id,
            values={"signature_name": signature["name"]},
        )
    query = {
        "cloture": result["pickup"]["number"],
        "certificat": result["certificate"]["number"],
    }
    return Redirect("/atelier", query_params=query, status_code=303)


ROUTES = [workshop_page, close_pickup]
