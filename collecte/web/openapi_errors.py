"""The error answers of the API, declared in the OpenAPI schema so clients (and the fuzzing
tests) know every status a route may give and the body that comes with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, OpenAPIType, Operation, Schema
from msgspec import UNSET, Meta, UnsetType

from collecte.domain.vocabulary import Status
from collecte.web.responses import HealthOut


class ErasureGap(msgspec.Struct):
    """One medium that keeps a device from reuse or recycling (serial null: none recorded)."""

    serial: str | None
    detail: str


class ErrorExtra(msgspec.Struct, kw_only=True):
    """What programs read in an error. An open object: some errors add keys of their own."""

    code: Annotated[str, Meta(description="Stable code: not_found, wrong_status, invalid, …")]
    field: Annotated[str | UnsetType, Meta(description="The field at fault, when one is")] = UNSET
    current_status: Annotated[
        Status | UnsetType | None, Meta(description="A 409's current status of the device")
    ] = UNSET
    retry_after: Annotated[
        int | UnsetType, Meta(description="A 429's or 503's wait in seconds, as in Retry-After")
    ] = UNSET
    gaps: Annotated[
        list[ErasureGap] | UnsetType,
        Meta(description="409 erasure_incomplete: each medium that falls short, and why"),
    ] = UNSET
    errors: Annotated[
        list[dict[str, Any]] | UnsetType,
        Meta(
            description="422 of a request's shape: each problem ({message, key}); refused batch:"
            " each failing tag ({tag, status_code, detail, current_status?})"
        ),
    ] = UNSET


class ErrorBody(msgspec.Struct):
    """Every error: `detail` for people (French unless Accept-Language prefers English),
    `extra.code` and `extra.field` for programs."""

    status_code: int
    detail: str
    extra: ErrorExtra | None = None


# The API's documentation is for programmers: English, like the API itself. `detail` in each
# answer is for people, in French unless Accept-Language prefers English.
_DESCRIPTIONS = {
    401: "Authentication required: token missing, invalid or expired, or its session ended "
    "(logout, deactivation, password change) (at sign-in: wrong e-mail or password, or the "
    "second factor's code missing, extra.code totp_required, or wrong or used, bad_totp)",
    403: "Role or organisation not allowed for this action, or a provisional password to "
    "change first (extra.code password_change_required)",
    404: "Not found, or outside what the caller may see",
    409: "Not possible in the current state (extra.current_status names the status) or duplicate",
    413: "Request body too large",
    422: "Invalid data: extra.field names the field at fault",
    429: "Too many attempts (or, for a public lookup, requests from one address): retry after "
    "Retry-After seconds",
    503: "Unavailable: database unreachable (down, stalled or restarting; at sign-in also too "
    "many at once): retry after Retry-After seconds",
}

# Operations that never touch the database, so never answer its 503: a liveness answer and the
# label formats, read from files.
_NO_DATABASE = {"/api/ping", "/api/labels/formats"}


# Statuses beyond the usual ones: a donation without devices has no labels to print.
_ALSO = {
    "/api/donations/{donation_id:int}/labels.pdf": {409},
    # A reset link unknown (404), used or expired (409).
    "/api/auth/reset": {404, 409},
    # Public lookups limited per client address (collecte.web.throttle).
    "/api/verify/{number:str}": {429},
    "/api/verify": {429},
}


def _statuses(handler: HTTPRouteHandler) -> set[int]:
    public = bool(handler.opt.get("exclude_from_auth"))
    writes = bool(handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"})
    paths = handler.paths
    if "/health" in paths:
        return {503}
    if "/api/auth/login" in paths:
        return {401, 413, 422, 429, 503}
    statuses = {422} if paths & _NO_DATABASE else {422, 503}
    if not public:
        statuses |= {401, 403, 404}
    elif any("{" in path for path in paths):
        statuses.add(404)
    if writes:
        statuses |= {413} if public else {409, 413}
    for path in paths:
        statuses |= _ALSO.get(path, set())
    return statuses


def _body_of(handler: HTTPRouteHandler) -> type[msgspec.Struct]:
    # A degraded /health (its only error, 503) answers its own shape, not an error body.
    return HealthOut if "/health" in handler.paths else ErrorBody


def document_errors(handlers: Iterable[Any]) -> None:
    """Declare the error statuses of each route (a route's own `responses` take precedence)."""
    for handler in handlers:
        if not isinstance(handler, HTTPRouteHandler) or handler.paths == {"/api/ping"}:
            continue
        declared = {
            status: ResponseSpec(
                data_container=_body_of(handler),
                description=_DESCRIPTIONS[status],
                generate_examples=False,
            )
            for status in sorted(_statuses(handler))
        }
        handler.responses = {**declared, **(handler.responses or {})}
        handler.operation_class = _with_error_headers(handler.operation_class)


# The header that tells a client when to try again, on the answers that carry it.
_RETRY_AFTER = {
    "Retry-After": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
        description="Seconds to wait before trying again",
        required=True,
    )
}


def _with_error_headers(base: type[Operation]) -> type[Operation]:
    """`base` (a route's own operation class: a file body…) whose 429 and 503 answers also
    declare their `Retry-After` header (Litestar's `ResponseSpec` cannot carry headers)."""

    @dataclass
    class WithErrorHeaders(base):  # type: ignore[valid-type,misc]
        def __post_init__(self) -> None:
            own = getattr(super(), "__post_init__", None)
            if own is not None:
                own()
            for status, response in (self.responses or {}).items():
                if status in {"429", "503"} and isinstance(response, OpenAPIResponse):
                    response.headers = {**(response.headers or {}), **_RETRY_AFTER}

    return WithErrorHeaders


BEARER = "BearerToken"


def document_security(handlers: Iterable[Any]) -> None:
    """Declare the bearer token on every route that needs one; public routes declare none."""
    for handler in handlers:
        if isinstance(handler, HTTPRouteHandler) and not handler.opt.get("exclude_from_auth"):
            handler.security = [{BEARER: []}]
