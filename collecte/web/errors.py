"""Domain errors mapped to HTTP, in one place, and worded in the reader's language.

Body: `{"status_code", "detail", "extra": {"code", "field", …}}`, Litestar's own error shape;
`detail` is said in the language of `Accept-Language` (French unless English is preferred).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, get_args

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from collecte.db.outage import (
    RETRY_AFTER_S,
    UNAVAILABLE_ERRORS,
    UNAVAILABLE_SENTENCE,
    report_outage,
    sqlite_unavailable,
)
from collecte.domain import lifecycle
from collecte.domain.errors import BatchRejected, DomainError, TooManyAttempts, Unavailable
from collecte.domain.tags import TagError
from collecte.domain.validation import describe
from collecte.i18n import msg, say
from collecte.web.language import api_language
from collecte.web.pages.errors import page_not_found
from collecte.web.statuses import status_of

logger = logging.getLogger("collecte")


def _body(status: int, detail: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {"status_code": status, "detail": detail, "extra": extra}


def _failures(error: BatchRejected, language: str) -> list[dict[str, Any]]:
    """Each failing tag of a refused batch, its reason said."""
    return [
        {
            **{k: v for k, v in failure.items() if k != "sentence"},
            "detail": say(language, failure["sentence"]),
        }
        for failure in error.errors
    ]


def domain_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Answer a domain or lifecycle error with its status, sentence, code and field."""
    status, body, headers = domain_error_answer(error, api_language(request))
    return Response(body, status_code=status, headers=headers)


def domain_error_answer(
    error: Exception, language: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A domain or lifecycle error's status, body and headers, worded in `language`."""
    status = status_of(error)
    extra: dict[str, Any] = {"code": getattr(error, "code", "error")}
    field = getattr(error, "field", None)
    if field:
        extra["field"] = field
    if isinstance(error, DomainError):
        extra.update(error.extra)
    if isinstance(error, BatchRejected):
        extra["errors"] = _failures(error, language)
    if isinstance(error, lifecycle.WrongStatus):
        extra["current_status"] = error.current.value
    if isinstance(error, lifecycle.ErasureIncomplete):
        extra["gaps"] = [
            {"serial": gap.serial, "detail": say(language, gap.sentence)} for gap in error.gaps
        ]
    headers: dict[str, str] = {}
    if isinstance(error, TooManyAttempts | Unavailable):
        headers["Retry-After"] = str(error.retry_after)
    detail = say(language, getattr(error, "sentence", None) or str(error))
    return status, _body(status, detail, extra), headers


def tag_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """A malformed tag is bad input."""
    assert isinstance(error, TagError)
    status = HTTP_422_UNPROCESSABLE_ENTITY
    detail = say(api_language(request), error.sentence)
    return Response(
        _body(status, detail, {"code": "invalid_tag", "field": "tag"}), status_code=status
    )


def _enum_in(annotation: object) -> type[Enum] | None:
    """The enum an annotation holds, however wrapped (`list[Status] | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    for argument in get_args(annotation):
        if found := _enum_in(argument):
            return found
    return None


def _parameter_choices(
    request: Request[Any, Any, Any], name: object
) -> Callable[[str], Sequence[str]] | None:
    """The values an enumerated parameter of the route accepts (`?status=`), None for any
    other field."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get(str(name))
    enum = _enum_in(parameter.annotation) if parameter is not None else None
    if enum is None:
        return None
    allowed = [str(member.value) for member in enum]
    return lambda _field: allowed


def validation_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Litestar's request validation (types, missing fields, malformed JSON) answers 422."""
    assert isinstance(error, ValidationException)
    language = api_language(request)
    status = HTTP_422_UNPROCESSABLE_ENTITY
    reports = error.extra if isinstance(error.extra, list) else []
    problems = [
        describe(
            str(report.get("message")),
            report.get("key"),
            _parameter_choices(request, report.get("key")),
        )
        for report in reports
        if isinstance(report, dict)
    ]
    details = "; ".join(say(language, problem.sentence) for problem in problems)
    detail = say(
        language,
        msg("Requête invalide : {details}", details=details or error.detail),
    )
    extra: dict[str, Any] = {"code": "invalid_request", "errors": reports}
    first = next((p for p in problems if p.field), None)
    if first:
        extra["field"] = first.field
    return Response(_body(status, detail, extra), status_code=status)


def database_value_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """A value the database refuses (out of range, forbidden character) is bad input too.

    Inputs are checked before they reach the database; this is the safety net.
    """
    logger.warning("Database refused a value: %s", error)
    status = HTTP_422_UNPROCESSABLE_ENTITY
    detail = say(api_language(request), msg("Valeur refusée : hors limites ou caractère interdit."))
    return Response(_body(status, detail, {"code": "invalid_value"}), status_code=status)


_NOT_PAGES = ("/api/", "/schema", "/health", "/static/")


def http_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Litestar's own HTTP errors (401 from the middleware, 404 routes, 405, 413…)."""
    assert isinstance(error, HTTPException)
    wants_page = "text/html" in request.headers.get("accept", "")
    if error.status_code == 404 and wants_page and not request.url.path.startswith(_NOT_PAGES):
        return page_not_found(request)
    detail = error.detail
    if error.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        detail = _too_large(request)
    body = _body(error.status_code, detail, {"code": "http_error"})
    return Response(body, status_code=error.status_code, headers=error.headers)


def _too_large(request: Request[Any, Any, Any]) -> str:
    """Litestar's 413, said in the reader's language with the route's limit."""
    limit = request.route_handler.resolve_request_max_body_size() or 0
    megabytes = max(1, limit // (1024 * 1024))
    return say(
        api_language(request),
        msg("Requête trop volumineuse : {limit} Mo au plus.", limit=megabytes),
    )


def database_unavailable_handler(
    request: Request[Any, Any, Any], error: Exception
) -> Response[Any]:
    """The database does not answer (down, stalled, dropping connections): 503, retry later.

    Logged once per incident (collecte.db.outage), not once per request.
    """
    report_outage(error)
    unavailable = Unavailable(UNAVAILABLE_SENTENCE, retry_after=RETRY_AFTER_S)
    return domain_error_handler(request, unavailable)


def sqlite_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """SQLite unreachable (file gone, disk failing, lock held too long) is an outage; any
    other SQLite error is a bug."""
    if sqlite_unavailable(error):
        return database_unavailable_handler(request, error)
    return unexpected_error_handler(request, error)


def unexpected_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Log and answer a bug without leaking its details."""
    logger.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    status = HTTP_500_INTERNAL_SERVER_ERROR
    detail = say(api_language(request), msg("Erreur interne : l’équipe technique a été prévenue."))
    return Response(_body(status, detail, {"code": "internal"}), status_code=status)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    lifecycle.LifecycleError: domain_error_handler,
    TagError: tag_error_handler,
    ValidationException: validation_handler,
    asyncpg.exceptions.DataError: database_value_handler,
    OverflowError: database_value_handler,
    HTTPException: http_error_handler,
    **dict.fromkeys(UNAVAILABLE_ERRORS, database_unavailable_handler),
    sqlite3.OperationalError: sqlite_error_handler,
    Exception: unexpected_error_handler,
}
