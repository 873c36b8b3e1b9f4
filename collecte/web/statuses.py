"""The HTTP status of every domain error, in one table (the API and the pages both use it)."""

from __future__ import annotations

from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from collecte.domain import lifecycle
from collecte.domain.errors import (
    BatchRejected,
    Conflict,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    TooLarge,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
    UnsupportedFormat,
)
from collecte.domain.tags import TagError

_STATUS: list[tuple[type[Exception], int]] = [
    (Malformed, HTTP_400_BAD_REQUEST),
    (Unauthenticated, HTTP_401_UNAUTHORIZED),
    (Forbidden, HTTP_403_FORBIDDEN),
    (NotFound, HTTP_404_NOT_FOUND),
    (Conflict, HTTP_409_CONFLICT),
    (Invalid, HTTP_422_UNPROCESSABLE_ENTITY),
    (TooLarge, HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (UnsupportedFormat, HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    (TooManyAttempts, HTTP_429_TOO_MANY_REQUESTS),
    (Unavailable, HTTP_503_SERVICE_UNAVAILABLE),
    (lifecycle.RoleNotAllowed, HTTP_403_FORBIDDEN),
    (lifecycle.NotYourDevice, HTTP_403_FORBIDDEN),
    (lifecycle.WrongStatus, HTTP_409_CONFLICT),
    (lifecycle.ErasureIncomplete, HTTP_409_CONFLICT),
    (lifecycle.NothingToWipe, HTTP_422_UNPROCESSABLE_ENTITY),
    (lifecycle.NothingToRevert, HTTP_409_CONFLICT),
    (lifecycle.InvalidData, HTTP_422_UNPROCESSABLE_ENTITY),
    (lifecycle.UnknownAction, HTTP_422_UNPROCESSABLE_ENTITY),
]


def status_of(error: Exception) -> int:
    """The HTTP status of a domain, lifecycle or tag error (the pages use it too)."""
    if isinstance(error, BatchRejected):
        return error.status_code
    if isinstance(error, TagError):
        return HTTP_422_UNPROCESSABLE_ENTITY
    return next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
