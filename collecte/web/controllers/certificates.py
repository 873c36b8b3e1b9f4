"""Certificates: list, metadata, the stored PDF, and public verification (JSON).

The public HTML page `/verify/{number}` that certificate QR codes open is in `web/pages`.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter, RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_404_NOT_FOUND

from collecte.i18n import say
from collecte.services import certificates
from collecte.web.auth import PUBLIC, principal_of
from collecte.web.controllers.donations import DEFAULT_MAX_BODY_BYTES
from collecte.web.language import api_language
from collecte.web.openapi_bodies import file_body
from collecte.web.responses import CertificateOut, VerifyMissingOut, VerifyOut, VerifyPdfOut
from collecte.web.schemas import CertificateKindName
from collecte.web.throttle import limit_verifications


@get("/api/certificates", tags=["certificates"], summary="List certificates")
async def list_certificates(
    request: Request[Any, Any, Any],
    kind: Annotated[CertificateKindName | None, QueryParameter(required=False)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500, required=False)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=1_000_000_000, required=False)] = 0,
) -> list[CertificateOut]:
    """Those the caller received or issued (coordinators: all); `?kind=` filters."""
    settings = request.app.state.settings
    found = await certificates.list_certificates(
        principal_of(request), kind, settings.public_url, limit, offset
    )
    return msgspec.convert(found, list[CertificateOut])


@get("/api/certificates/{number:str}", tags=["certificates"], summary="Certificate metadata")
async def get_certificate(request: Request[Any, Any, Any], number: FromPath[str]) -> CertificateOut:
    """Metadata with the SHA-256 of the issued PDF."""
    settings = request.app.state.settings
    found = await certificates.get_certificate(principal_of(request), number, settings.public_url)
    return msgspec.convert(found, CertificateOut)


@get(
    "/api/certificates/{number:str}/pdf",
    tags=["certificates"],
    summary="The issued PDF",
    media_type="application/pdf",
)
async def certificate_pdf(
    request: Request[Any, Any, Any], number: FromPath[str]
) -> Response[bytes]:
    """Byte-identical on every download."""
    canonical, pdf = await certificates.certificate_pdf(principal_of(request), number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{canonical}.pdf"'},
    )


@get(
    "/api/verify/{number:str}",
    opt=PUBLIC,
    guards=[limit_verifications],
    tags=["public"],
    summary="Verify a number",
    responses={
        404: ResponseSpec(
            data_container=VerifyMissingOut,
            description="Never issued: {valid: false, number, detail}",
            generate_examples=False,
        )
    },
)
async def verify_number(
    request: Request[Any, Any, Any], number: FromPath[str]
) -> Response[VerifyOut]:
    """Whether the number was issued (404 with `valid: false` if not), with the printed content
    fingerprint, organisations and total to match a paper copy; no personal data. Limited per
    client address (429)."""
    result = await certificates.check_number(number)
    if not result["valid"]:
        detail = say(api_language(request), result.pop("sentence"))
        # Documented as this route's 404 above; the annotation gives the 200's schema.
        missing: Response[Any] = Response(
            msgspec.convert({**result, "detail": detail}, VerifyMissingOut),
            status_code=HTTP_404_NOT_FOUND,
        )
        return missing
    return Response(msgspec.convert(result, VerifyOut), status_code=HTTP_200_OK)


@post(
    "/api/verify",
    opt=PUBLIC,
    guards=[limit_verifications],
    tags=["public"],
    status_code=200,
    summary="Verify a PDF file",
    operation_class=file_body(
        "application/pdf",
        "The certificate's PDF file as downloaded; any other bytes are simply not valid",
        DEFAULT_MAX_BODY_BYTES,
    ),
)
async def verify_pdf(body: RawBody) -> VerifyPdfOut:
    """Raw PDF body → valid only if byte-identical to an issued certificate. Limited per client
    address (429)."""
    return msgspec.convert(await certificates.verify_pdf(body), VerifyPdfOut)
