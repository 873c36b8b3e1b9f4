"""Devices: look one up, scan a label, move one or many through the lifecycle."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import HeaderParameter, JSONBody, QueryParameter

from collecte.domain.device_filters import DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY, parse_filters
from collecte.domain.vocabulary import Category, Status
from collecte.services import device_search, devices, transitions
from collecte.services.idempotency import run_idempotent
from collecte.web.actions import (
    BatchTransitionBody,
    TransitionBody,
    action_data,
    batch_action_rules_first,
    device_action_rules_first,
)
from collecte.web.auth import principal_of
from collecte.web.responses import BatchOut, DeviceListOut, DeviceOut, TransitionOut
from collecte.web.schemas import MAX_ID, Lang, ScanIn, Tag

Language = Annotated[
    Lang | None,
    QueryParameter(required=False, description="Certificate language: fr (default) or en"),
]
IdempotencyKey = Annotated[
    str | None, HeaderParameter(name="Idempotency-Key", required=False, max_length=200)
]

OrganizationFilter = Annotated[int | None, QueryParameter(required=False, ge=1, le=MAX_ID)]


@get("/api/devices", tags=["devices"], summary="Search and list devices")
async def list_devices(
    request: Request[Any, Any, Any],
    q: Annotated[
        str | None,
        QueryParameter(
            required=False,
            max_length=MAX_QUERY,
            description="A tag (with or without its dash, any case) or its beginning, the "
            "beginning of a serial number, brand, brand and model, or model (any case), a lot "
            "number (LOT-2026-00012) or a certificate number (EFF-2026-00003)",
        ),
    ] = None,
    status: Annotated[
        list[Status] | None, QueryParameter(required=False, description="Repeat for several")
    ] = None,
    category: Annotated[
        list[Category] | None, QueryParameter(required=False, description="Repeat for several")
    ] = None,
    donor_id: OrganizationFilter = None,
    reconditioner_id: OrganizationFilter = None,
    association_id: OrganizationFilter = None,
    start: Annotated[
        str | None,
        QueryParameter(
            name="from",
            required=False,
            description="Registered on or after this Nouméa day, YYYY-MM-DD",
        ),
    ] = None,
    end: Annotated[
        str | None,
        QueryParameter(
            name="to", required=False, description="Registered on or before this Nouméa day"
        ),
    ] = None,
    limit: Annotated[int, QueryParameter(required=False, ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        QueryParameter(required=False, description="The `next_cursor` of the previous page"),
    ] = None,
) -> DeviceListOut:
    """The devices the caller may see (donors: theirs; workshops: those they hold or held and
    those waiting for collection; associations: those allocated to them), newest first, with
    the exact `total` for the filters. Every filter narrows; a status or category may repeat."""
    filters = parse_filters(
        q=q,
        status=status,
        category=category,
        donor_id=donor_id,
        reconditioner_id=reconditioner_id,
        association_id=association_id,
        start=start,
        end=end,
        limit=limit,
        cursor=cursor,
    )
    found = await device_search.search_devices(principal_of(request), filters)
    page = {key: found[key] for key in ("items", "total", "next_cursor")}
    return msgspec.convert(page, DeviceListOut)


@get("/api/devices/{tag:str}", tags=["devices"], summary="One device with its history")
async def get_device(request: Request[Any, Any, Any], tag: Tag) -> DeviceOut:
    """Status, fields, events (oldest first) and the caller's `allowed_actions`."""
    found = await devices.get_device(principal_of(request), tag)
    return msgspec.convert(found, DeviceOut)


@post("/api/scan", tags=["devices"], status_code=200, summary="Resolve a scanned label")
async def scan(request: Request[Any, Any, Any], data: JSONBody[ScanIn]) -> DeviceOut:
    """The label's URL in any case, or the bare tag → the device and what the caller may do."""
    found = await devices.get_device(principal_of(request), data.code, field="code")
    return msgspec.convert(found, DeviceOut)


@post(
    "/api/devices/{tag:str}/transitions",
    tags=["devices"],
    status_code=200,
    summary="Perform an action on one device",
    guards=[device_action_rules_first],
)
async def transition_device(
    request: Request[Any, Any, Any],
    tag: Tag,
    data: JSONBody[TransitionBody],
    idempotency_key: IdempotencyKey = None,
    lang: Language = None,
) -> TransitionOut:
    """The body is one action and its data; 404/403/409 (the rules) come before 422 (the data).

    409 names the current status; `Idempotency-Key` makes a retry safe. The answer names the
    certificate the action issued, if any (`?lang=en` for English).
    """
    principal = principal_of(request)
    decoded = action_data(request)  # `data` as the guard decoded it: trimmed, blanks absent
    context = transitions.Context(request.app.state.settings, lang)
    # A replay is the stored JSON of the first answer: converted the same way, it encodes the same.
    answer = await run_idempotent(
        principal,
        idempotency_key,
        f"POST /api/devices/{tag.upper()}/transitions",
        {**msgspec.to_builtins(decoded), "lang": lang},
        lambda: transitions.transition_device(principal, tag, decoded, context),
        request.app.state.encode_json,
    )
    return msgspec.convert(answer, TransitionOut)


@post(
    "/api/transitions",
    tags=["devices"],
    status_code=200,
    summary="One action on many devices",
    guards=[batch_action_rules_first],
)
async def transition_batch(
    request: Request[Any, Any, Any],
    data: JSONBody[BatchTransitionBody],
    idempotency_key: IdempotencyKey = None,
    lang: Language = None,
) -> BatchOut:
    """All or nothing: one failing tag → 403/404/409/422 listing each failing tag, nothing
    changed; the rules speak before the data."""
    principal = principal_of(request)
    decoded = action_data(request)
    codes = request.state.codes
    context = transitions.Context(request.app.state.settings, lang)
    answer = await run_idempotent(
        principal,
        idempotency_key,
        "POST /api/transitions",
        {**msgspec.to_builtins(decoded), "tags": codes, "lang": lang},
        lambda: transitions.transition_batch(principal, codes, decoded, context),
        request.app.state.encode_json,
    )
    return msgspec.convert(answer, BatchOut)
