"""Errors on pages: French HTML pages (or a redirect to sign in), never the API's JSON."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect

from collecte.domain import lifecycle
from collecte.domain.errors import BatchRejected, DomainError
from collecte.domain.tags import TagError
from collecte.web.pages.i18n import Words
from collecte.web.pages.rendering import language_of, render
from collecte.web.pages.session import SignInRequired, sign_in_url
from collecte.web.statuses import status_of

logger = logging.getLogger("collecte")

# What a page catches to show the service's message beside the form that caused it.
PAGE_ERRORS = (DomainError, lifecycle.LifecycleError, TagError)

TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Introuvable",
    405: "Action impossible",
    409: "Action impossible",
    413: "Fichier trop volumineux",
    422: "Saisie invalide",
    429: "Trop de tentatives",
    500: "Erreur interne",
}
CSRF_MESSAGE = (
    "Ce formulaire a expiré ou ne vient pas de cette application. "
    "Rechargez la page, puis recommencez."
)


def message_of(error: Exception) -> str:
    """The French message of a domain, lifecycle or tag error."""
    return str(getattr(error, "message", None) or error)


def explain(words: Words, code: str | None, action: object, status: object, fallback: str) -> str:
    """A refusal of the lifecycle in the page's words (statuses and actions by their names)."""
    if code == lifecycle.WrongStatus.code and status:
        sentence = words.text(
            "« {action} » impossible : l’appareil est au statut « {status} »."
        ).format(action=words.action(action), status=words.status(status))
        # French typography: guillemets never left alone at the end or start of a line.
        return sentence.replace("« ", "«\u00a0").replace(" »", "\u00a0»").replace(" :", "\u00a0:")
    if code == lifecycle.NotYourDevice.code:
        return words.text("Cet appareil n’est pas confié à votre organisation pour cette action.")
    if code == lifecycle.RoleNotAllowed.code:
        return words.text("Votre rôle ne permet pas cette action.")
    return fallback


def explain_error(request: Request[Any, Any, Any], error: Exception) -> str:
    """The message a page shows for a refused action."""
    words = Words(language_of(request))
    action = getattr(error, "action", None)
    status = getattr(error, "current", None)
    return explain(words, getattr(error, "code", None), action, status, message_of(error))


def failures_of(error: Exception) -> list[dict[str, Any]]:
    """Each failing tag of a refused batch (empty for any other error)."""
    return list(error.errors) if isinstance(error, BatchRejected) else []


def _page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    return render(
        request,
        "error.html",
        status_code=status,
        status=status,
        title=TITLES.get(status, "Erreur"),
        message=message,
    )


def sign_in_redirect(_: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Send someone not signed in to the sign-in page, coming back here afterwards."""
    assert isinstance(error, SignInRequired)
    return Redirect(sign_in_url(error.next_path), status_code=303)


def domain_error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """A refusal of the services (404 unknown tag, 422 malformed tag, 403…) as a page."""
    return _page(request, status_of(error), message_of(error))


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
        request, 404, "Cette page n’existe pas. Vérifiez l’adresse, ou repartez de l’accueil."
    )


def unexpected_error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """A bug: logged, and a page that leaks nothing."""
    logger.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return _page(request, 500, "Erreur interne : l’équipe technique a été prévenue.")


PAGE_EXCEPTION_HANDLERS: dict[Any, Any] = {
    SignInRequired: sign_in_redirect,
    DomainError: domain_error_page,
    lifecycle.LifecycleError: domain_error_page,
    TagError: domain_error_page,
    HTTPException: http_error_page,
    Exception: unexpected_error_page,
}
