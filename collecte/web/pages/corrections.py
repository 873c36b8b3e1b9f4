"""Correction forms: a device's fields (its donor, the coordination), an organisation's details
(the coordination, with the organisation's history of corrections)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from collecte.domain.access import Principal
from collecte.domain.corrections import DEVICE_FIELDS
from collecte.domain.organization_input import EDITABLE as ORGANIZATION_FIELDS
from collecte.services import accounts, corrections
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.rendering import render
from collecte.web.pages.scan import device_page_response
from collecte.web.pages.session import require_principal
from collecte.web.statuses import status_of


def _fields(form: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The submitted fields among `names` (a blank field clears its value)."""
    return {name: forms.text(form, name) or None for name in names if name in form}


@post(["/d/{tag:str}/corriger", "/D/{tag:str}/corriger"], name="correct_device", status_code=200)
async def correct_device(request: Request[Any, Any, Any], tag: FromPath[str]) -> Response[Any]:
    """Apply the "Corriger" form; back to the device page (or the form with its error)."""
    principal = require_principal(request)
    form = await request.form()
    try:
        device = await corrections.edit_device(principal, tag, _fields(form, DEVICE_FIELDS))
    except PAGE_ERRORS as error:
        return await device_page_response(
            request,
            principal,
            tag,
            status_code=status_of(error),
            error=message_of(request, error),
            correcting=True,
            correction_values=dict(form.items()),
        )
    return Redirect(f"/d/{device['tag']}", query_params={"corrige": "1"}, status_code=303)


def _coordinator(request: Request[Any, Any, Any]) -> Principal:
    principal = require_principal(request)
    accounts.require_coordinator(principal)
    return principal


async def _organization_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    organization_id: int,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    organization = accounts.organization_view(await accounts.get_organization(organization_id))
    history = await corrections.organization_history(principal, organization_id)
    return render(
        request,
        "coordinator/organization.html",
        status_code=status_code,
        principal=principal,
        organization=organization,
        history=list(reversed(history)),
        **context,
    )


@get("/coordination/organisations/{organization_id:int}", name="organization_page")
async def organization_page(
    request: Request[Any, Any, Any],
    organization_id: FromPath[int],
    corrige: FromQuery[str | None] = None,
) -> Template:
    """One organisation: its details, the form to correct them, and every past correction."""
    principal = _coordinator(request)
    return await _organization_page(
        request, principal, organization_id, corrected=bool(corrige), values={}
    )


@post(
    "/coordination/organisations/{organization_id:int}",
    name="correct_organization",
    status_code=200,
)
async def correct_organization(
    request: Request[Any, Any, Any], organization_id: FromPath[int]
) -> Response[Any]:
    """Apply the organisation's correction form."""
    principal = _coordinator(request)
    form = await request.form()
    try:
        await corrections.edit_organization(
            principal, organization_id, _fields(form, ORGANIZATION_FIELDS)
        )
    except PAGE_ERRORS as error:
        return await _organization_page(
            request,
            principal,
            organization_id,
            status_code=status_of(error),
            error=message_of(request, error),
            values=dict(form.items()),
        )
    return Redirect(
        f"/coordination/organisations/{organization_id}",
        query_params={"corrige": "1"},
        status_code=303,
    )


ROUTES = [correct_device, organization_page, correct_organization]
