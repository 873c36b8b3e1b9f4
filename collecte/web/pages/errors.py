"""Errors on pages: French HTML pages (or a redirect to sign in), never the API's JSON."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect

from collecte.db.outage import (
    RETRY_AFTER_S,
    UNAVAILABLE_ERRORS,
    UNAVAILABLE_SENTENCE,
    report_outage,
    sqlite_unavailable,
)
from collecte.domain import lifecycle
from collecte.domain.errors import BatchRejected, DomainError, TooManyAttempts
from collecte.domain.tags import TagError
from collecte.i18n import N_, Message, msg, say
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import (
    PASSWORD_PAGE,
    PasswordChangeRequired,
    SignInRequired,
    sign_in_url,
)
from collecte.web.statuses import status_of

logger = logging.getLogger("collecte")

# What a page catches to show the service's message beside the form that caused it.
PAGE_ERRORS = (DomainError, lifecycle.LifecycleError, TagError)

TITLES = {
    400: N_("Requête invalide"),
    401: N_("Connexion requise"),
    403: N_("Accès refusé"),
    404: N_("Introuvable"),
    405: N_("Action impossible"),
    409: N_("Action impossible"),
    413: N_("Fichier trop volumineux"),
    422: N_("Saisie invalide"),
    429: N_("Trop de tentatives"),
    500: N_("Erreur interne"),
    503: N_("Service momentanément indisponible"),
}
CSRF_MESSAGE = msg(
    "Ce formulaire a expiré ou ne vient pas de cette application. "
    "Rechargez la page, puis recommencez."
)


def message_of(request: Request[Any, Any, Any], error: Exception) -> str:
    """The sentence of a domain, lifecycle or tag error, in the page's language."""
    sentence = getattr(error, "sentence", None)
    return say(language_of(request), sentence if sentence is not None else str(error))


def failures_of(request: Request[Any, Any, Any], error: Exception) -> list[dict[str, Any]]:
    """Each failing tag of a refused batch, its reason said (empty for any other error)."""
    if not isinstance(error, BatchRejected):
        return []
    language = language_of(request)
    return [
        {
            **{k: v for k, v in failure.items() if k != "sentence"},
            "detail": say(language, failure["sentence"]),
        }
        for failure in error.errors
    ]


def _page(
    request: Request[Any, Any, Any],
    status: int,
    message: str | Message,
    retry_url: str | None = None,
) -> Response[Any]:
    return render(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=TITLES.get(status, N_("Erreur")),
        message=say(language_of(request), message),
        retry_url=retry_url,
    )


def unavailable_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """The database does not answer: a page asking to retry in a moment, 503 with Retry-After
    (logged once per incident, as for the API)."""
    report_outage(error)
    # Reading a page again is safe; a form sent again is the person's choice (the back button).
    # One leading slash: "//host/…" would be another site's address.
    retry = "/" + request.url.path.lstrip("/")
    retry += f"?{request.url.query}" if request.url.query else ""
    page = _page(request, 503, UNAVAILABLE_SENTENCE, retry if request.method == "GET" else None)
    page.headers["Retry-After"] = str(RETRY_AFTER_S)
    return page


def sqlite_error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """SQLite unreachable is an outage; any other SQLite error is a bug."""
    if sqlite_unavailable(error):
        return unavailable_page(request, error)
    return unexpected_error_page(request, error)


def sign_in_redirect(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Send someone not signed in to the sign-in page, coming back here afterwards."""
    assert isinstance(error, SignInRequired)
    return Redirect(sign_in_url(error.next_path), status_code=303)


def password_change_redirect(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Send a user whose password is provisional to choose their own."""
    assert isinstance(error, PasswordChangeRequired)
    return Redirect(PASSWORD_PAGE, status_code=303)


def domain_error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """A refusal of the services (404 unknown tag, 422 malformed tag, 403…) as a page; a 429
    says when to come back, as the API does."""
    page = _page(request, status_of(error), message_of(request, error))
    if isinstance(error, TooManyAttempts):
        page.headers["Retry-After"] = str(error.retry_after)
    return page


def http_error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Litestar's own refusals; a failed CSRF check says what to do."""
    assert isinstance(error, HTTPException)
    if isinstance(error, PermissionDeniedException) and "CSRF" in str(error.detail):
        return _page(request, 403, CSRF_MESSAGE)
    if isinstance(error, NotAuthorizedException):
        return Redirect(sign_in_url(request.url.path), status_code=303)
    return _page(request, error.status_code, str(error.detail))


def page_not_found(request: Request[Any, Any, Any]) -> Response[Any]:
    """A browser asked for an address that is no page of the site."""
    return _page(
        request, 404, msg("Cette page n’existe pas. Vérifiez l’adresse, ou repartez de l’accueil.")
    )


def unexpected_error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """A bug: logged, and a page that leaks nothing."""
    logger.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return _page(request, 500, msg("Erreur interne : l’équipe technique a été prévenue."))


PAGE_EXCEPTION_HANDLERS: dict[Any, Any] = {
    SignInRequired: sign_in_redirect,
    PasswordChangeRequired: password_change_redirect,
    DomainError: domain_error_page,
    lifecycle.LifecycleError: domain_error_page,
    TagError: domain_error_page,
    HTTPException: http_error_page,
    # The page's own handlers win over the API's JSON 503 of the same exceptions.
    **dict.fromkeys(UNAVAILABLE_ERRORS, unavailable_page),
    sqlite3.OperationalError: sqlite_error_page,
    Exception: unexpected_error_page,
}
