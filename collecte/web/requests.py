"""The request class of the app: JSON bodies read once, safely, with errors worded like ours.

Litestar decodes JSON with msgspec, which recurses per nesting level: a body nested ~1000
levels deep raised RecursionError, answered 500 with a traceback in the log, on public routes
too. Every JSON body goes through `json()` here, so this is the one place that refuses it.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

from collecte.domain.errors import Malformed
from collecte.i18n import msg


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> None:
    # An object with a key twice means different things to different readers (msgspec keeps the
    # last one, others the first): refuse it rather than guess.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise Malformed(msg("JSON invalide : la clé « {key} » apparaît deux fois.", key=key))
        seen.add(key)


def _check_duplicate_keys(body: bytes) -> None:
    """Raise Malformed if an object of `body` (valid JSON) has a key twice."""
    # Only the structure matters: numbers and objects are not built (None stands for them).
    json.loads(
        body,
        object_pairs_hook=_no_duplicate_keys,
        parse_int=lambda _: None,
        parse_float=lambda _: None,
        parse_constant=lambda _: None,
    )


class CollecteRequest(Request[Any, Any, Any]):
    """Litestar's request whose JSON decoding refuses hostile bodies with a 400 naming why."""

    async def json(self) -> Any:
        """The decoded JSON body; Malformed (400) when it cannot or should not be read."""
        try:
            value = await super().json()
            if isinstance(value, dict | list) and b"{" in (body := await self.body()):
                _check_duplicate_keys(body)
        except RecursionError:
            raise Malformed(msg("JSON invalide : trop de niveaux d’imbrication.")) from None
        except SerializationException as error:
            if "out of range" in str(error):
                raise Malformed(msg("JSON invalide : nombre hors limites.")) from None
            raise Malformed(msg("JSON invalide : {detail}", detail=str(error))) from None
        return value
