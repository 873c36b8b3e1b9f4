"""Unknown query parameters are refused: a misspelt filter (`?knd=donor`) would otherwise be
ignored and the whole list returned, which reads as if the filter had matched everything."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.params import CookieParameter, HeaderParameter, ParameterKwarg, PathParameter

from collecte.domain.errors import Invalid
from collecte.i18n import msg

# Handler arguments Litestar fills from the request itself, never from the query string.
_RESERVED = {"request", "data", "body", "state", "headers", "cookies", "query", "scope"}
_PATH_NAME = re.compile(r"\{(\w+)")
_DECLARED: dict[int, frozenset[str]] = {}


def declared_query(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameters a route handler declares (by their names in the URL)."""
    found = _DECLARED.get(id(handler))
    if found is None:
        in_path = {name for path in handler.paths for name in _PATH_NAME.findall(path)}
        names = set()
        for name, field in handler.parsed_fn_signature.parameters.items():
            kwarg = field.kwarg_definition
            if name in _RESERVED or name in in_path:
                continue
            if isinstance(kwarg, (HeaderParameter, CookieParameter, PathParameter)):
                continue
            if isinstance(kwarg, ParameterKwarg):
                if kwarg.header or kwarg.cookie:
                    continue
                names.add(kwarg.query or getattr(kwarg, "name", None) or name)
            elif kwarg is None:
                names.add(name)
        found = _DECLARED[id(handler)] = frozenset(names)
    return found


async def refuse_unknown_query(request: Request[Any, Any, Any]) -> None:
    """Before an API handler: 422 naming the first query parameter it does not declare."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or not request.url.path.startswith("/api/"):
        return
    known = declared_query(handler)
    for name in request.query_params:
        if name not in known:
            possible = ", ".join(sorted(known)) or "—"
            raise Invalid(
                msg(
                    "Paramètre « {name} » inconnu (paramètres possibles : {possible}).",
                    name=name[:40],
                    possible=possible,
                ),
                name[:40],
                code="unknown_parameter",
            )
