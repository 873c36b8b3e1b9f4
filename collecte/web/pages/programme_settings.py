"""The programme's settings page (coordinators): the form, and every past change."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from collecte.domain import programme as rules
from collecte.domain.access import Principal, require_coordinator
from collecte.domain.vocabulary import MethodClass
from collecte.services import programme
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.rendering import render
from collecte.web.pages.session import require_principal
from collecte.web.statuses import status_of

PATH = "/coordination/reglages"


def _coordinator(request: Request[Any, Any, Any]) -> Principal:
    principal = require_principal(request)
    require_coordinator(principal)
    return principal


async def _page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    **context: Any,
) -> Template:
    settings = request.app.state.settings
    current = await programme.get_settings(principal, settings)
    return render(
        request,
        "coordinator/programme_settings.html",
        status_code=status_code,
        principal=principal,
        current=current,
        values=values if values is not None else current,
        history=await programme.history(principal, settings),
        labels=rules.LABELS,
        methods=list(MethodClass),
        **context,
    )


@get(PATH, name="programme_settings_page")
async def programme_settings_page(
    request: Request[Any, Any, Any], enregistre: FromQuery[str | None] = None
) -> Template:
    """The programme's settings, the form to change them, and their history."""
    return await _page(request, _coordinator(request), saved=bool(enregistre))


@post(PATH, name="change_programme_settings", status_code=200)
async def change_programme_settings(request: Request[Any, Any, Any]) -> Response[Any]:
    """Apply the settings form (an unticked box is false); back to the page, or the form with
    its error and what was typed."""
    principal = _coordinator(request)
    form = await request.form()
    payload: dict[str, Any] = {name: forms.text(form, name) for name in rules.TEXT_FIELDS}
    payload["tax_receipts_eligible"] = form.get("tax_receipts_eligible") == "on"
    try:
        await programme.update_settings(principal, payload, request.app.state.settings)
    except PAGE_ERRORS as error:
        return await _page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            failed=getattr(error, "field", None),
            values=payload,
        )
    return Redirect(PATH, query_params={"enregistre": "1"}, status_code=303)


ROUTES = [programme_settings_page, change_programme_settings]
