"""The coordination's list of treatment operators: the channels a recycling may be handed to."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from collecte.domain.access import Principal
from collecte.services import accounts, treatment_operators
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.rendering import render
from collecte.web.pages.session import require_principal
from collecte.web.statuses import status_of

PATH = "/coordination/filieres"
_FIELDS = ("name", "authorization_number", "address")


def _coordinator(request: Request[Any, Any, Any]) -> Principal:
    principal = require_principal(request)
    accounts.require_coordinator(principal)
    return principal


async def _page(
    request: Request[Any, Any, Any], principal: Principal, *, status_code: int = 200, **context: Any
) -> Template:
    return render(
        request,
        "coordinator/treatment_operators.html",
        status_code=status_code,
        principal=principal,
        operators=await treatment_operators.list_operators(principal),
        **{"values": {}, "failed": None, **context},
    )


@get(PATH, name="treatment_operators_page")
async def operators_page(
    request: Request[Any, Any, Any],
    ajoute: FromQuery[str | None] = None,
    modifie: FromQuery[str | None] = None,
) -> Template:
    """The operators, active first, and the forms to add one, edit or deactivate it."""
    principal = _coordinator(request)
    return await _page(request, principal, added=ajoute, edited=modifie)


@post(PATH, name="add_treatment_operator", status_code=200)
async def add_operator(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add an operator to the list."""
    principal = _coordinator(request)
    form = await request.form()
    data = {name: str(form.get(name) or "") for name in _FIELDS}
    try:
        created = await treatment_operators.create_operator(principal, data)
    except PAGE_ERRORS as error:
        return await _page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            values=dict(form.items()),
            failed="new",
        )
    return Redirect(PATH, query_params={"ajoute": created["name"]}, status_code=303)


@post(PATH + "/{operator_id:int}", name="edit_treatment_operator", status_code=200)
async def edit_operator(
    request: Request[Any, Any, Any], operator_id: FromPath[int]
) -> Response[Any]:
    """Change an operator's details, or (`is_active` = 0 / 1) take it out of the choices or
    back in."""
    principal = _coordinator(request)
    form = await request.form()
    changes: dict[str, Any] = {name: str(form[name]) for name in _FIELDS if name in form}
    active = forms.text(form, "is_active")
    if active in ("0", "1"):
        changes["is_active"] = active == "1"
    try:
        edited = await treatment_operators.update_operator(principal, operator_id, changes)
    except PAGE_ERRORS as error:
        return await _page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            values=dict(form.items()),
            failed=operator_id,
        )
    return Redirect(PATH, query_params={"modifie": edited["name"]}, status_code=303)


ROUTES = [operators_page, add_operator, edit_operator]
