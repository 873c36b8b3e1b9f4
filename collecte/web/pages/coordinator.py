"""The coordination's pages: dashboard, organisations and users, allocation, blank tags."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from collecte.domain.access import Principal
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import Role, Status
from collecte.services import accounts, impact_export, labels, totals, transitions, worklists
from collecte.settings import Settings
from collecte.web.pages import forms
from collecte.web.pages.charts import monthly_chart
from collecte.web.pages.errors import PAGE_ERRORS, failures_of, message_of
from collecte.web.pages.i18n import Words
from collecte.web.pages.listing import device_list
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import require_principal
from collecte.web.statuses import status_of

_ORGANIZATION_FIELDS = ("name", "kind", "short_name", "ridet", "email", "phone", "address", "city")


async def dashboard_figures(
    principal: Principal, settings: Settings, start: str | None, end: str | None
) -> dict[str, Any]:
    """Everything the dashboard shows, gathered in one place: the totals service's figures."""
    return await totals.totals(principal, start, end, settings.yearly_target)


def _coordinator(request: Request[Any, Any, Any]) -> Principal:
    principal = require_principal(request)
    accounts.require_coordinator(principal)
    return principal


@get("/coordination", name="dashboard")
async def dashboard(
    request: Request[Any, Any, Any],
    du: FromQuery[str | None] = None,
    au: FromQuery[str | None] = None,
) -> Template:
    """The programme at a glance, for a period of Nouméa days (`?du=&au=`, both optional)."""
    principal = _coordinator(request)
    settings = request.app.state.settings
    period = {"du": du or "", "au": au or ""}
    try:
        figures = await dashboard_figures(principal, settings, du or None, au or None)
    except Invalid as error:
        figures = await dashboard_figures(principal, settings, None, None)
        return render(
            request,
            "coordinator/dashboard.html",
            status_code=422,
            principal=principal,
            figures=figures,
            period={"du": "", "au": ""},
            error=message_of(request, error),
        )
    return render(
        request,
        "coordinator/dashboard.html",
        principal=principal,
        figures=figures,
        period=period,
        attention=await worklists.needing_attention(settings.stale_days),
        monthly_chart=monthly_chart(figures["monthly"][-12:], Words(language_of(request)).text),
    )


@get("/exports/impact.csv", name="impact_export")
async def impact_export_page(
    request: Request[Any, Any, Any],
    du: FromQuery[str | None] = None,
    au: FromQuery[str | None] = None,
) -> Response[bytes]:
    """The dashboard's impact, per category, with the method and sources (`GET /api/impact.csv`)."""
    principal = _coordinator(request)
    name, body = await impact_export.impact_csv(
        principal,
        du or None,
        au or None,
        request.app.state.settings.yearly_target,
        language_of(request),
    )
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _organizations_page(
    request: Request[Any, Any, Any], principal: Principal, *, status_code: int = 200, **context: Any
) -> Template:
    found = await accounts.list_organizations(principal)
    return render(
        request,
        "coordinator/organizations.html",
        status_code=status_code,
        principal=principal,
        organizations=found,
        kinds=[role.value for role in Role],
        **context,
    )


@get("/coordination/organisations", name="organizations_page")
async def organizations_page(
    request: Request[Any, Any, Any],
    cree: FromQuery[str | None] = None,
    compte: FromQuery[str | None] = None,
) -> Template:
    """Every organisation, and the forms to add an organisation or a user."""
    principal = _coordinator(request)
    return await _organizations_page(request, principal, created=cree, account=compte, values={})


@post("/coordination/organisations", name="create_organization", status_code=200)
async def create_organization(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add an organisation (donor, reconditioner, association or coordination)."""
    principal = _coordinator(request)
    form = await request.form()
    data = {name: forms.text(form, name) or None for name in _ORGANIZATION_FIELDS}
    try:
        created = await accounts.create_organization(principal, data)
    except PAGE_ERRORS as error:
        return await _organizations_page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            values=dict(form.items()),
            failed="organization",
        )
    return Redirect(
        "/coordination/organisations", query_params={"cree": created["name"]}, status_code=303
    )


@post("/coordination/utilisateurs", name="create_user", status_code=200)
async def create_user(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a user to an organisation; the organisation's kind is the user's role."""
    principal = _coordinator(request)
    form = await request.form()
    data = {
        "email": forms.text(form, "email"),
        "password": str(form.get("password") or ""),
        "full_name": forms.text(form, "full_name"),
        "organization_id": forms.integer(forms.text(form, "organization_id")),
    }
    try:
        created = await accounts.create_user(principal, data)
    except PAGE_ERRORS as error:
        values = {k: v for k, v in form.items() if k != "password"}
        return await _organizations_page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            values=values,
            failed="user",
        )
    return Redirect(
        "/coordination/organisations", query_params={"compte": created["email"]}, status_code=303
    )


async def _allocation_page(
    request: Request[Any, Any, Any], principal: Principal, *, status_code: int = 200, **context: Any
) -> Template:
    listing = await device_list(request, principal, (Status.REFURBISHED,))
    return render(
        request,
        "coordinator/allocate.html",
        status_code=422 if listing.error and status_code == 200 else status_code,
        principal=principal,
        listing=listing,
        associations=await accounts.list_organizations(principal, "association"),
        **context,
    )


@get("/coordination/attribution", name="allocation_page")
async def allocation_page(
    request: Request[Any, Any, Any], attribues: FromQuery[str | None] = None
) -> Template:
    """Refurbished devices waiting for an association (`?q=&category=&cursor=`)."""
    principal = _coordinator(request)
    return await _allocation_page(
        request, principal, allocated=forms.integer(attribues), values={}, codes=[]
    )


@post("/coordination/attribution", name="allocate", status_code=200)
async def allocate(request: Request[Any, Any, Any]) -> Response[Any]:
    """Allocate the ticked devices to one association, all or nothing."""
    principal = _coordinator(request)
    form = await request.form()
    payload = {**forms.action_payload(form, "allocate"), "tags": forms.codes(form)}
    context = transitions.Context(request.app.state.settings, None)
    try:
        result = await transitions.act_on_batch(principal, payload, context)
    except PAGE_ERRORS as error:
        return await _allocation_page(
            request,
            principal,
            status_code=status_of(error),
            error=message_of(request, error),
            failures=failures_of(request, error),
            values=dict(form.items()),
            codes=payload["tags"],
        )
    return Redirect(
        "/coordination/attribution",
        query_params={"attribues": str(len(result["devices"]))},
        status_code=303,
    )


@get("/coordination/etiquettes-vierges", name="blank_tags_page")
async def blank_tags_page(request: Request[Any, Any, Any]) -> Template:
    """The form to print tags ahead of a collection day."""
    principal = _coordinator(request)
    stocks = labels.list_formats(request.app.state.settings)
    return render(
        request, "coordinator/blank_tags.html", principal=principal, stocks=stocks, values={}
    )


@post("/coordination/etiquettes-vierges", name="blank_tags", status_code=200)
async def blank_tags(request: Request[Any, Any, Any]) -> Response[Any]:
    """Reserve the tags and answer their labels as a PDF."""
    principal = _coordinator(request)
    form = await request.form()
    settings = request.app.state.settings
    try:
        pdf = await labels.reserve_blank_tags(
            principal,
            settings,
            forms.integer(forms.text(form, "count")),
            forms.text(form, "format") or None,
            forms.integer(forms.text(form, "skip") or "0"),
            language=language_of(request),
        )
    except PAGE_ERRORS as error:
        return render(
            request,
            "coordinator/blank_tags.html",
            status_code=status_of(error),
            principal=principal,
            stocks=labels.list_formats(settings),
            error=message_of(request, error),
            values=dict(form.items()),
        )
    return Response(
        pdf.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf.filename}"'},
    )


ROUTES = [
    dashboard,
    impact_export_page,
    organizations_page,
    create_organization,
    create_user,
    allocation_page,
    allocate,
    blank_tags_page,
    blank_tags,
]
