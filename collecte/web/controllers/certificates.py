"""Certificates: list, metadata, the stored PDF, and public verification."""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath, QueryParameter

from collecte.clock import NOUMEA
from collecte.errors import NotFound
from collecte.services import certificates
from collecte.web.auth import PUBLIC, principal_of

_KIND_FR = {
    "donation": "Attestation de don en nature",
    "erasure": "Certificat d'effacement des données",
    "recycling": "Certificat de recyclage",
    "receipt": "Attestation de réception",
}


@get("/api/certificates", tags=["certificates"], summary="List certificates")
async def list_certificates(
    request: Request[Any, Any, Any],
    kind: Annotated[str | None, QueryParameter(required=False)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500, required=False)] = 100,
    offset: Annotated[int, QueryParameter(ge=0, required=False)] = 0,
) -> list[dict[str, Any]]:
    """Those the caller received or issued (coordinators: all); `?kind=` filters."""
    settings = request.app.state.settings
    return await certificates.list_certificates(
        principal_of(request), kind, settings.public_url, limit, offset
    )


@get("/api/certificates/{number:str}", tags=["certificates"], summary="Certificate metadata")
async def get_certificate(
    request: Request[Any, Any, Any], number: FromPath[str]
) -> dict[str, Any]:
    """Metadata with the SHA-256 of the issued PDF."""
    settings = request.app.state.settings
    return await certificates.get_certificate(principal_of(request), number, settings.public_url)


@get(
    "/api/certificates/{number:str}/pdf",
    tags=["certificates"],
    summary="The issued PDF",
    media_type="application/pdf",
)
async def certificate_pdf(request: Request[Any, Any, Any], number: FromPath[str]) -> Response[bytes]:
    """Byte-identical on every download."""
    canonical, pdf = await certificates.certificate_pdf(principal_of(request), number)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{canonical}.pdf"'},
    )


@get("/api/verify/{number:str}", opt=PUBLIC, tags=["public"], summary="Verify a number")
async def verify_number(number: FromPath[str]) -> dict[str, Any]:
    """Whether the number was issued; no personal data."""
    return await certificates.verify_number(number)


@post("/api/verify", opt=PUBLIC, tags=["public"], status_code=200, summary="Verify a PDF file")
async def verify_pdf(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Raw PDF body → valid only if byte-identical to an issued certificate."""
    return await certificates.verify_pdf(await request.body())


_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — La Grande Collecte Numérique</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; padding: 1.5rem; color: #1d2733;
       max-width: 36rem; margin-inline: auto; line-height: 1.5; }}
.card {{ border: 2px solid {colour}; border-radius: .75rem; padding: 1.25rem; }}
h1 {{ font-size: 1.35rem; color: {colour}; margin-top: 0; }}
dt {{ font-weight: 600; }} dd {{ margin: 0 0 .6rem 0; word-break: break-all; }}
small {{ color: #5b6673; }}
</style></head>
<body><p><small>La Grande Collecte Numérique — vérification d’un certificat</small></p>
<div class="card">{body}</div></body></html>"""


@get("/verify/{number:str}", opt=PUBLIC, tags=["public"], media_type=MediaType.HTML,
     include_in_schema=False)
async def verify_page(number: FromPath[str]) -> Response[str]:
    """A public page anyone can open from the certificate's QR code; no personal data."""
    try:
        found = await certificates.verify_number(number)
    except NotFound:
        body = (f"<h1>Certificat inconnu</h1><p>Aucun certificat n’a été émis sous le numéro "
                f"<strong>{escape(number)}</strong>. Vérifiez la saisie ou contactez OPEN NC.</p>")
        page = _PAGE.format(title="Certificat inconnu", colour="#b3261e", body=body)
        return Response(page, media_type=MediaType.HTML, status_code=404)
    issued = found["issued_at"].astimezone(NOUMEA).strftime("%d/%m/%Y à %H:%M")
    body = (
        f"<h1>✔ Certificat authentique</h1>"
        f"<dl><dt>Numéro</dt><dd>{escape(found['number'])}</dd>"
        f"<dt>Nature</dt><dd>{escape(_KIND_FR.get(found['kind'], found['kind']))}</dd>"
        f"<dt>Émis le</dt><dd>{issued} (heure de Nouméa)</dd>"
        f"<dt>Appareils</dt><dd>{found['device_count']}</dd>"
        f"<dt>Empreinte SHA-256 du fichier PDF</dt><dd><code>{found['sha256']}</code></dd></dl>"
        f"<p><small>Pour vérifier un fichier, comparez son empreinte SHA-256 à celle-ci "
        f"(ou envoyez-le à <code>POST /api/verify</code>).</small></p>"
    )
    page = _PAGE.format(title=escape(found["number"]), colour="#1f6f3f", body=body)
    return Response(page, media_type=MediaType.HTML)
