"""Erasure tools' reports: file one for a device, list them, download one as it was filed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, PathParameter

from collecte.documents.erasure_reports import MAX_REPORT_BYTES
from collecte.i18n import say
from collecte.services import erasure_reports
from collecte.web.auth import principal_of
from collecte.web.language import api_language
from collecte.web.openapi_errors import ErrorBody
from collecte.web.responses import ErasureReportOut
from collecte.web.schemas import MAX_ID, Tag

# The file, plus the multipart framing around it; a larger file is refused by the service
# with the same 413, naming the limit.
UPLOAD_LIMIT = MAX_REPORT_BYTES + 64 * 1024
ReportId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@dataclass
class ReportUpload:
    """The multipart form: the report in its `file` field."""

    file: UploadFile


def _out(found: dict[str, Any], language: str) -> ErasureReportOut:
    words = [say(language, warning) for warning in found["warnings"]]
    return msgspec.convert({**found, "warnings": words}, ErasureReportOut, from_attributes=True)


@post(
    "/api/devices/{tag:str}/erasure-reports",
    tags=["devices"],
    status_code=201,
    summary="File an erasure tool's report",
    request_max_body_size=UPLOAD_LIMIT,
    responses={
        415: ResponseSpec(
            data_container=ErrorBody,
            description="Not a report collecte reads (nwipe JSON or PDF, Blancco XML)",
            generate_examples=False,
        )
    },
)
async def upload_erasure_report(
    request: Request[Any, Any, Any],
    tag: Tag,
    data: Annotated[ReportUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> ErasureReportOut:
    """nwipe's JSON or PDF report, or Blancco's XML report (multipart field `file`, 10 MB at
    most), for those who may wipe the device. Stored with its SHA-256; the answer lists the media
    it records and the wipe form's fields to pre-fill. The format is read from the content."""
    content = await data.file.read()
    found = await erasure_reports.upload_report(
        principal_of(request), tag, content, data.file.filename
    )
    return _out(found, api_language(request))


@get("/api/devices/{tag:str}/erasure-reports", tags=["devices"], summary="A device's reports")
async def list_erasure_reports(request: Request[Any, Any, Any], tag: Tag) -> list[ErasureReportOut]:
    """Oldest first, for whoever may see the device."""
    found = await erasure_reports.list_reports(principal_of(request), tag)
    language = api_language(request)
    return [_out(report, language) for report in found]


@get(
    "/api/devices/{tag:str}/erasure-reports/{report_id:int}",
    tags=["devices"],
    summary="Download a report as filed",
    media_type="application/octet-stream",
)
async def download_erasure_report(
    request: Request[Any, Any, Any], tag: Tag, report_id: ReportId
) -> Response[bytes]:
    """Byte for byte the file filed, with its content type (JSON, PDF or XML)."""
    stored = await erasure_reports.report_file(principal_of(request), tag, report_id)
    plain = stored.filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(stored.filename)}"
    return Response(
        stored.content,
        media_type=stored.media_type,
        headers={"Content-Disposition": disposition},
    )
