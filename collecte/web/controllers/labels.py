"""QR labels as PDFs: the stocks, a donation's labels, any tags, one device, blank tags."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct

from collecte.services import labels
from collecte.services.labels import LabelsPdf
from collecte.web.auth import principal_of
from collecte.web.language import api_language
from collecte.web.responses import LabelFormatsOut
from collecte.web.schemas import Tag, codes

PDF = "application/pdf"

Format = Annotated[
    str | None,
    QueryParameter(
        required=False,
        description="Label stock id (GET /api/labels/formats); default avery-l7160 for sheets",
    ),
]
Skip = Annotated[
    int,
    QueryParameter(
        required=False,
        ge=0,
        description="Positions left empty at the start of the first sheet (a part-used sheet): "
        "fewer than the stock has on a page (422 naming `skip` otherwise)",
    ),
]


class LabelsIn(Struct, kw_only=True):
    """Labels for these tags (or label URLs), in this order."""

    tags: codes(labels.MAX_TAGS_PER_REQUEST)  # type: ignore[valid-type]
    format: str | None = None
    skip: Annotated[int, Meta(ge=0)] = 0


class BlankTagsIn(Struct, kw_only=True):
    """How many blank tags to reserve and print (1 to 1000)."""

    count: Annotated[int, Meta(ge=1, le=labels.MAX_BLANK_TAGS)]
    format: str | None = None
    skip: Annotated[int, Meta(ge=0)] = 0


def _pdf(result: LabelsPdf, status_code: int = 200) -> Response[bytes]:
    return Response(
        result.content,
        media_type=PDF,
        status_code=status_code,
        headers={
            "Content-Disposition": f'inline; filename="{result.filename}"',
            "X-Label-Count": str(result.count),
            "X-Label-Format": result.format_id,
        },
    )


@get("/api/labels/formats", tags=["labels"], summary="Label stocks")
async def list_formats(request: Request[Any, Any, Any]) -> LabelFormatsOut:
    """Any signed-in user: the stocks in `labels/` (mm), the defaults, and unreadable files."""
    return msgspec.convert(labels.list_formats(request.app.state.settings), LabelFormatsOut)


@get(
    "/api/donations/{donation_id:int}/labels.pdf",
    tags=["labels"],
    summary="A donation's labels",
    media_type=PDF,
)
async def donation_labels(
    request: Request[Any, Any, Any],
    donation_id: FromPath[int],
    format: Format = None,
    skip: Skip = 0,
) -> Response[bytes]:
    """Its donor or a coordinator; every device of the donation, in registration order."""
    result = await labels.donation_labels(
        principal_of(request),
        request.app.state.settings,
        donation_id,
        format,
        skip,
        language=api_language(request),
    )
    return _pdf(result)


@post(
    "/api/labels.pdf", tags=["labels"], status_code=200, summary="Labels for tags", media_type=PDF
)
async def tag_labels(request: Request[Any, Any, Any], data: JSONBody[LabelsIn]) -> Response[bytes]:
    """Any tags the caller may see (404 otherwise), in the order given."""
    result = await labels.tag_labels(
        principal_of(request),
        request.app.state.settings,
        data.tags,
        data.format,
        data.skip,
        language=api_language(request),
    )
    return _pdf(result)


@get(
    "/api/devices/{tag:str}/label.pdf",
    tags=["labels"],
    summary="One device's label",
    media_type=PDF,
)
async def device_label(
    request: Request[Any, Any, Any],
    tag: Tag,
    format: Annotated[
        str | None,
        QueryParameter(
            required=False, description="Label stock id; default thermal-62x29 (one per page)"
        ),
    ] = None,
    skip: Skip = 0,
) -> Response[bytes]:
    """A device the caller may see; `skip` places it on a part-used sheet."""
    result = await labels.device_label(
        principal_of(request),
        request.app.state.settings,
        tag,
        format,
        skip,
        language=api_language(request),
    )
    return _pdf(result)


@post("/api/tags/blank", tags=["labels"], summary="Reserve and print blank tags", media_type=PDF)
async def blank_tags(
    request: Request[Any, Any, Any], data: JSONBody[BlankTagsIn]
) -> Response[bytes]:
    """Coordinators: 201 with the PDF of `count` new tags, reserved to be bound at registration."""
    result = await labels.reserve_blank_tags(
        principal_of(request),
        request.app.state.settings,
        data.count,
        data.format,
        data.skip,
        language=api_language(request),
    )
    return _pdf(result, status_code=201)
