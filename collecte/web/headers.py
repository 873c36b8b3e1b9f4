"""Security headers on every answer: API, documents, pages, errors and the OpenAPI pages.

A `before_send` hook rather than per-route settings, so no route (nor an error answered by
Litestar itself) can be forgotten. A header a route already set wins: the pages keep their
stricter Content-Security-Policy, the static files their cache lifetime.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from collecte.settings import Settings

# Answers under these paths carry no personal data and may be cached (they set their own
# Cache-Control); everything else (JSON, PDFs, CSV, pages) is `no-store`.
CACHEABLE_PREFIXES = ("/static/",)
HSTS = "max-age=31536000"

_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'",
}


async def security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook adding the security headers a response does not set itself."""
    if message["type"] != "http.response.start":
        return
    add_security_headers(
        MutableScopeHeaders.from_message(message),
        str(scope.get("path", "")),
        scope["app"].state.settings,
    )


def add_security_headers(headers: MutableScopeHeaders, path: str, settings: Settings) -> None:
    """Add to `headers`, an answer to `path`, the security headers it does not set itself."""
    for name, value in _ALWAYS.items():
        if name not in headers:
            headers[name] = value
    if "cache-control" not in headers and not path.startswith(CACHEABLE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    if str(settings.public_url).startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
