"""Domain errors raised by the services; the web layer maps each family to one HTTP status.

Messages are French, for the people who read them; `code` and `field` are stable, for programs.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the service refuses, with a reason a person can act on."""

    code = "error"

    def __init__(
        self, message: str, field: str | None = None, code: str | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra


class Unauthenticated(DomainError):
    """No valid credentials."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The caller's role or organisation may not do this."""

    code = "forbidden"


class NotFound(DomainError):
    """Nothing by that identifier, or nothing the caller may see."""

    code = "not_found"


class Conflict(DomainError):
    """The current state of things does not allow it (wrong status, duplicate name, …)."""

    code = "conflict"


class Invalid(DomainError):
    """The input is malformed or incomplete; `field` names what to fix."""

    code = "invalid"


class TooManyAttempts(DomainError):
    """Too many failed attempts; retry after `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class BatchRejected(DomainError):
    """A batch transition refused as a whole; `errors` lists each failing tag and why."""

    code = "batch_rejected"

    def __init__(self, message: str, status_code: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(message, field="tags", errors=errors)
        self.status_code = status_code
        self.errors = errors
