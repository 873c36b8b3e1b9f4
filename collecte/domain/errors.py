"""Domain errors raised by the services; the web layer maps each family to one HTTP status.

Each carries a stable `code` and the `field` at fault, for programs, and a `sentence` (a
`collecte.i18n.Message`: French source and values) said in the reader's language at the edge.
"""

from __future__ import annotations

from typing import Any

from collecte.i18n import Message


class DomainError(Exception):
    """A request the service refuses, with a reason a person can act on."""

    code = "error"

    def __init__(
        self,
        sentence: Message | str,
        field: str | None = None,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        self.sentence = sentence if isinstance(sentence, Message) else Message(sentence)
        super().__init__(str(self.sentence))
        self.field = field
        if code:
            self.code = code
        self.extra = extra

    @property
    def message(self) -> str:
        """The sentence in French (logs and tests)."""
        return str(self.sentence)


class Malformed(DomainError):
    """A request body that cannot be read at all (not JSON, too deep, ambiguous)."""

    code = "invalid_json"


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


class DocumentTooLarge(Invalid):
    """A document that cannot be laid out on its pages; `field` (and the `tag` of the device in
    `extra`, when one is at fault) name the value to shorten."""

    code = "document_too_large"


class TooLarge(DomainError):
    """The input is larger than the service accepts; the sentence names the limit."""

    code = "too_large"


class UnsupportedFormat(DomainError):
    """The input is of a kind the service does not read; the sentence names those it reads."""

    code = "unsupported_format"


class TooManyAttempts(DomainError):
    """Too many failed attempts; retry after `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, sentence: Message | str, retry_after: int) -> None:
        super().__init__(sentence, retry_after=retry_after)
        self.retry_after = retry_after


class TooManyRequests(TooManyAttempts):
    """Too many requests from one address (a public lookup); retry after `retry_after` seconds."""

    code = "too_many_requests"


class BatchRejected(DomainError):
    """A batch transition refused as a whole; `errors` lists each failing tag and why.

    Each failure is `{"tag", "status_code", "sentence": Message, "current_status"?}`; the edge
    says each sentence as the failure's `detail`.
    """

    code = "batch_rejected"

    def __init__(
        self, sentence: Message | str, status_code: int, errors: list[dict[str, Any]]
    ) -> None:
        super().__init__(sentence, field="tags")
        self.status_code = status_code
        self.errors = errors


class Unavailable(DomainError):
    """A part the service needs (the database) does not answer; retry after `retry_after` s."""

    code = "unavailable"

    def __init__(self, sentence: Message | str, retry_after: int) -> None:
        super().__init__(sentence, retry_after=retry_after)
        self.retry_after = retry_after
