"""The server-rendered pages, on the same services as the API.

Each module is one area (sign-in, scan, donor, association, coordination, workshop, public);
`routers()` mounts them with HTML error pages, and `csrf_config()` protects their forms while
leaving the bearer-token API as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from collecte.settings import Settings
from collecte.web.auth import PUBLIC
from collecte.web.pages import (
    account,
    association,
    coordinator,
    corrections,
    documents,
    donor,
    offline,
    programme_settings,
    public,
    scan,
    second_factor,
    security,
    signin,
    treatment_operators,
    workshop,
)
from collecte.web.pages.errors import PAGE_EXCEPTION_HANDLERS
from collecte.web.pages.rendering import STATIC_DIR, template_config
from collecte.web.pages.session import load_session

__all__ = ["csrf_config", "routers", "template_config", "use_signing_secret"]

# The API (bearer tokens, no cookies), health checks, the OpenAPI pages and static files are not
# forms: they need no CSRF token.
CSRF_EXCLUDE = ["^/api/", "^/health", "^/schema", "^/static/"]
CSRF_COOKIE = "collecte_csrf"
SECURE_CSRF_COOKIE = "__Host-collecte_csrf"
_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # The scan pages' service worker (/sw.js), manifest and QR decoder (a JavaScript module,
    # no WebAssembly) are the site's own files: said explicitly, so that no later widening of
    # default-src widens them.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "worker-src 'self'; manifest-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
}


def routers() -> list[Any]:
    """The pages (HTML errors, no caching of personal pages) and the static files."""
    handlers = [
        *signin.ROUTES,
        *account.ROUTES,
        *second_factor.ROUTES,
        *scan.ROUTES,
        *offline.ROUTES,
        *donor.ROUTES,
        *documents.ROUTES,
        *association.ROUTES,
        *coordinator.ROUTES,
        *corrections.ROUTES,
        *workshop.ROUTES,
        *public.ROUTES,
        *security.ROUTES,
        *programme_settings.ROUTES,
        *treatment_operators.ROUTES,
    ]
    pages = Router(
        path="/",
        route_handlers=handlers,
        opt=PUBLIC,  # the bearer middleware skips them: they read the session cookie
        before_request=load_session,
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
        cache_control=CacheControlHeader(no_store=True),
        response_headers=_HEADERS,
    )
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        opt=PUBLIC,
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600),
    )
    return [pages, static]


def _csrf_secret(signing_secret: str) -> str:
    """A key of its own for CSRF tokens, derived from the token signing key."""
    return hmac.new(signing_secret.encode(), b"collecte-csrf", hashlib.sha256).hexdigest()


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF tokens (cookie + form field or `X-CSRFToken` header), signed.

    Without a configured key the secret is the database's, set at start-up by
    `use_signing_secret`, so every process accepts every other's tokens.
    """
    https = settings.public_url.startswith("https://")
    return CSRFConfig(
        secret=_csrf_secret(settings.secret_key or secrets.token_hex(32)),
        # Under HTTPS `__Host-`, like the session cookie: only Secure, path /, no Domain, so
        # no sibling subdomain can plant a token of its own.
        cookie_name=SECURE_CSRF_COOKIE if https else CSRF_COOKIE,
        cookie_httponly=True,  # pages carry the token themselves; scripts read it there
        cookie_samesite="lax",
        cookie_secure=https,
        cookie_path="/",
        exclude=CSRF_EXCLUDE,
    )


def use_signing_secret(config: CSRFConfig, signing_secret: str) -> None:
    """Derive the CSRF key from the signing key known at start-up (read from the database)."""
    config.secret = _csrf_secret(signing_secret)
