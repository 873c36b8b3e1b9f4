"""Which language a request is answered in: French unless the reader asks for English."""

from __future__ import annotations

from typing import Any

from litestar import Request

from collecte.i18n import LANGUAGES, SOURCE_LANGUAGE


def preferred(accept_language: str) -> str:
    """The first language of an `Accept-Language` header collecte speaks (by weight)."""
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else SOURCE_LANGUAGE


def api_language(request: Request[Any, Any, Any]) -> str:
    """The language of an API answer's words: `Accept-Language`, French by default."""
    return preferred(request.headers.get("accept-language", ""))
