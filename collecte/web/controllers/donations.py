"""Donations and their devices."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from collecte.services import donations
from collecte.settings import Settings
from collecte.web.auth import principal_of
from collecte.web.language import api_language
from collecte.web.openapi_bodies import file_body
from collecte.web.responses import DeviceSummaryOut, DonationOut
from collecte.web.schemas import MAX_ID, DeviceIn, DonationIn

# COLLECTE_MAX_BODY_BYTES's default: a larger body is answered 413.
DEFAULT_MAX_BODY_BYTES: int = Settings.__dataclass_fields__["max_body_bytes"].default  # type: ignore[assignment]
DonationId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@post("/api/donations", tags=["donations"], summary="Register a donation with its devices")
async def create_donation(
    request: Request[Any, Any, Any], data: JSONBody[DonationIn]
) -> DonationOut:
    """Donors for their own organisation; coordinators give `donor_id`."""
    settings = request.app.state.settings
    created = await donations.create_donation(
        principal_of(request), msgspec.to_builtins(data), settings.max_devices_per_request
    )
    return msgspec.convert(created, DonationOut)


@get("/api/donations", tags=["donations"], summary="List donations")
async def list_donations(
    request: Request[Any, Any, Any],
    limit: Annotated[int, QueryParameter(ge=1, le=500, required=False)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000, required=False)] = 0,
) -> list[DonationOut]:
    """The donations the caller may see, newest first, with their visible devices."""
    found = await donations.list_donations(principal_of(request), limit, offset)
    return msgspec.convert(found, list[DonationOut])


@get("/api/donations/{donation_id:int}", tags=["donations"], summary="One donation")
async def get_donation(request: Request[Any, Any, Any], donation_id: DonationId) -> DonationOut:
    """The donation with the devices the caller may see."""
    found = await donations.get_donation(principal_of(request), donation_id)
    return msgspec.convert(found, DonationOut)


@post("/api/donations/{donation_id:int}/devices", tags=["donations"], summary="Add a device")
async def add_device(
    request: Request[Any, Any, Any], donation_id: DonationId, data: JSONBody[DeviceIn]
) -> DeviceSummaryOut:
    """Its donor or a coordinator."""
    added = await donations.add_device(
        principal_of(request), donation_id, msgspec.structs.asdict(data)
    )
    return msgspec.convert(added, DeviceSummaryOut)


@post(
    "/api/donations/{donation_id:int}/devices/import",
    tags=["donations"],
    summary="Import devices from CSV",
    operation_class=file_body(
        "text/csv",
        "UTF-8 (or Windows-1252) CSV whose header line names the device fields; a file "
        "collecte cannot read, or any bad row, is answered 422 naming the line (field `csv`)",
        DEFAULT_MAX_BODY_BYTES,
    ),
)
async def import_devices(
    request: Request[Any, Any, Any], donation_id: DonationId
) -> list[DeviceSummaryOut]:
    """CSV body with the device fields as columns; any bad row → 422 naming its line."""
    settings = request.app.state.settings
    added = await donations.import_devices_csv(
        principal_of(request), donation_id, await request.body(), settings.max_devices_per_request
    )
    return msgspec.convert(added, list[DeviceSummaryOut])


@get(
    "/api/donations/template.csv",
    tags=["donations"],
    summary="The CSV import template",
    media_type="text/csv; charset=utf-8",
)
async def import_template(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The columns of an import (French headers; English with `Accept-Language: en`) and one
    example line to replace; `;` between cells, UTF-8 with BOM, as the devices export."""
    name, content = donations.csv_template(api_language(request))
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
