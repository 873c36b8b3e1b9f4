"""The donor's pages: donations, a new donation (rows or CSV), each device's journey, labels."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from collecte.domain.access import Principal
from collecte.domain.vocabulary import Category, Role, Status
from collecte.i18n import msg
from collecte.services import accounts, donation_lists, donations, labels, pickups
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.listing import device_list
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import require_principal
from collecte.web.statuses import status_of

DEFAULT_ROWS = 3
MAX_ROWS = 100


def _rows_wanted(value: str | None) -> int:
    number = forms.integer(value or "")
    return min(max(number, 1), MAX_ROWS) if isinstance(number, int) else DEFAULT_ROWS


@get("/dons", name="donations_page")
async def donations_page(
    request: Request[Any, Any, Any], page: FromQuery[str | None] = None
) -> Template:
    """The donations the user may see, newest first, a page at a time (`?page=`), with where
    their devices stand; a search or filter (`?q=&status=&category=&cursor=`) lists devices."""
    principal = require_principal(request)
    listing = await device_list(request, principal, tuple(Status))
    number = forms.integer(page or "1")
    wanted = number if isinstance(number, int) and 1 <= number <= 1_000_000 else 1
    found = await donation_lists.donation_page(principal, wanted)
    return render(
        request,
        "donor/donations.html",
        status_code=422 if listing.error else 200,
        principal=principal,
        donations=found,
        donations_shown=msg(
            "{shown} sur {total} don(s)", shown=len(found["items"]), total=found["total"]
        ),
        listing=listing,
    )


async def _new_donation_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    rows: list[dict[str, str]],
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    donors = []
    if principal.role is Role.COORDINATOR:
        donors = await accounts.list_organizations(principal, "donor")
    return render(
        request,
        "donor/new_donation.html",
        status_code=status_code,
        principal=principal,
        rows=rows,
        donors=donors,
        categories=[category.value for category in Category],
        max_devices=request.app.state.settings.max_devices_per_request,
        **context,
    )


@get("/dons/nouveau", name="new_donation_page")
async def new_donation_page(
    request: Request[Any, Any, Any], appareils: FromQuery[str | None] = None
) -> Template:
    """The form: one row per device (`?appareils=N` rows), or a CSV file."""
    principal = require_principal(request)
    rows: list[dict[str, str]] = [{} for _ in range(_rows_wanted(appareils))]
    return await _new_donation_page(request, principal, rows, values={})


@get("/dons/modele.csv", name="import_template_page")
async def import_template_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The CSV import template, in the page's language, for any signed-in user."""
    require_principal(request)
    name, content = donations.csv_template(language_of(request))
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@post("/dons/nouveau", name="new_donation", status_code=200)
async def new_donation(request: Request[Any, Any, Any]) -> Response[Any]:
    """Register the donation with its rows and the devices of its CSV file, all or nothing."""
    principal = require_principal(request)
    form = await request.form()
    settings = request.app.state.settings
    rows = forms.device_rows(form)
    if form.get("show_rows"):
        # More or fewer rows asked: the same form again, nothing typed lost (typed rows stay
        # even when fewer are asked for), nothing registered.
        wanted = _rows_wanted(forms.text(form, "appareils"))
        shown = rows + [{} for _ in range(max(wanted - len(rows), 0))]
        return await _new_donation_page(
            request, principal, shown or [{}], values=dict(form.items())
        )
    data: dict[str, Any] = {
        "pickup_address": forms.text(form, "pickup_address"),
        "notes": forms.text(form, "notes"),
        "devices": [forms.device_payload(row) for row in rows],
    }
    if principal.role is Role.COORDINATOR:
        data["donor_id"] = forms.integer(forms.text(form, "donor_id"))
    csv = await forms.upload_bytes(form, "csv")
    try:
        # Rows and file in one transaction: a refused row or line leaves no empty donation.
        created = await donations.create_donation(
            principal, data, settings.max_devices_per_request, csv=csv or None
        )
    except PAGE_ERRORS as error:
        return await _new_donation_page(
            request,
            principal,
            rows or [{}],
            status_code=status_of(error),
            error=message_of(request, error),
            values=dict(form.items()),
        )
    return Redirect(f"/dons/{created['id']}", query_params={"cree": "1"}, status_code=303)


async def _donation_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    donation_id: int,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    donation = await donations.get_donation(principal, donation_id)
    stocks = labels.list_formats(request.app.state.settings)
    context.setdefault("pickups", await pickups.list_pickups(principal, donation_id=donation_id))
    return render(
        request,
        "donor/donation.html",
        status_code=status_code,
        principal=principal,
        donation=donation,
        stocks=stocks,
        may_edit=principal.role in (Role.DONOR, Role.COORDINATOR),
        **context,
    )


@get("/dons/{donation_id:int}", name="donation_page")
async def donation_page(
    request: Request[Any, Any, Any],
    donation_id: FromPath[int],
    cree: FromQuery[str | None] = None,
    importes: FromQuery[str | None] = None,
) -> Template:
    """One donation: its devices and their journey, label printing, CSV import."""
    principal = require_principal(request)
    return await _donation_page(
        request, principal, donation_id, created=bool(cree), imported=forms.integer(importes)
    )


@post("/dons/{donation_id:int}/import", name="import_devices", status_code=200)
async def import_devices(
    request: Request[Any, Any, Any], donation_id: FromPath[int]
) -> Response[Any]:
    """Add the devices of a CSV file; one bad line and nothing is added."""
    principal = require_principal(request)
    form = await request.form()
    settings = request.app.state.settings
    try:
        added = await donations.import_devices_csv(
            principal,
            donation_id,
            await forms.upload_bytes(form, "csv"),
            settings.max_devices_per_request,
        )
    except PAGE_ERRORS as error:
        return await _donation_page(
            request,
            principal,
            donation_id,
            status_code=status_of(error),
            error=message_of(request, error),
        )
    return Redirect(
        f"/dons/{donation_id}", query_params={"importes": str(len(added))}, status_code=303
    )


@get("/dons/{donation_id:int}/etiquettes", name="donation_labels")
async def donation_labels(
    request: Request[Any, Any, Any],
    donation_id: FromPath[int],
    format: FromQuery[str | None] = None,
    skip: FromQuery[str | None] = None,
) -> Response[Any]:
    """The donation's labels as a PDF on the chosen stock; `skip` positions are left empty."""
    principal = require_principal(request)
    pdf = await labels.donation_labels(
        principal,
        request.app.state.settings,
        donation_id,
        format,
        forms.integer(skip or "0"),
        language=language_of(request),
    )
    return Response(
        pdf.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf.filename}"'},
    )


ROUTES = [
    donations_page,
    new_donation_page,
    import_template_page,
    new_donation,
    donation_page,
    import_devices,
    donation_labels,
]
