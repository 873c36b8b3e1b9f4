"""`OPTIONS` answers `Allow` with every method of the path.

Litestar builds a path's automatic OPTIONS handler with the first route handler registered there
and keeps it when a second one (say GET beside POST on /api/donations) joins the path, so its
`Allow` names only the first one's methods. This hook rewrites the header from the route as it is
once every handler is registered.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope


def allowed_methods(app: object, path_template: str) -> str | None:
    """The methods the application serves at a path template, as an `Allow` header value."""
    for route in getattr(app, "routes", ()):
        if isinstance(route, HTTPRoute) and route.path_format == path_template:
            return ", ".join(sorted(route.methods))
    return None


async def complete_allow(message: Message, scope: Scope) -> None:
    """A `before_send` hook: the `Allow` of an OPTIONS answer lists every method of the path."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    headers = MutableScopeHeaders.from_message(message)
    if "allow" not in headers:
        return
    allow = allowed_methods(scope["app"], str(scope.get("path_template", "")))
    if allow is not None:
        headers["Allow"] = allow
