"""Rendering pages: language, vocabulary, navigation, dates, and the template configuration."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context as JinjaContext
from litestar import Request
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from collecte import __version__
from collecte.domain.access import Principal
from collecte.domain.clock import NOUMEA
from collecte.domain.vocabulary import Role
from collecte.i18n import N_, language_or_default
from collecte.web.pages import forms, i18n
from collecte.web.pages.session import current_principal

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LANG_COOKIE = "lang"
_YEAR_SECONDS = 365 * 24 * 3600

_NAV: dict[Role, list[tuple[str, str]]] = {
    Role.DONOR: [
        ("/dons", N_("Mes dons")),
        ("/dons/nouveau", N_("Nouveau don")),
        ("/certificats", N_("Certificats")),
    ],
    Role.RECONDITIONER: [
        ("/atelier", N_("Atelier")),
        ("/scan", N_("Scanner un lot")),
        ("/certificats", N_("Certificats")),
    ],
    Role.ASSOCIATION: [
        ("/association", N_("Réception")),
        ("/scan", N_("Scanner un lot")),
        ("/certificats", N_("Certificats")),
    ],
    Role.COORDINATOR: [
        ("/coordination", N_("Tableau de bord")),
        ("/coordination/attribution", N_("Attribution")),
        ("/dons", N_("Dons")),
        ("/scan", N_("Scanner un lot")),
        ("/coordination/organisations", N_("Organisations")),
        ("/coordination/comptes", N_("Comptes")),
        ("/coordination/etiquettes-vierges", N_("Étiquettes vierges")),
        ("/coordination/filieres", N_("Filières de recyclage")),
        ("/certificats", N_("Certificats")),
        ("/coordination/securite", N_("Sécurité")),
        ("/coordination/reglages", N_("Réglages")),
    ],
}


def language_of(request: Request[Any, Any, Any]) -> str:
    """`?lang=` if given, else the `lang` cookie, else French."""
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES:
        return str(asked)
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in i18n.LANGUAGES else "fr"


def _switch_url(request: Request[Any, Any, Any], lang: str) -> str:
    """This page in the other language (its query kept)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', lang)])}"


# How a moment reads, per language (Nouméa time): 14/03/2026 09:05, or 14 Mar 2026, 09:05.
_MOMENT = {"fr": ("dd/MM/yyyy HH:mm", "dd/MM/yyyy"), "en": ("d MMM yyyy, HH:mm", "d MMM yyyy")}


def when(value: Any, with_time: bool = True, lang: str = "fr") -> str:
    """A moment as people in Nouméa read it, in `lang`: `14/03/2026 09:05`."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return str(value)
    pattern = _MOMENT[language_or_default(lang)][0 if with_time else 1]
    return format_datetime(value.astimezone(NOUMEA), pattern, locale=language_or_default(lang))


def thousands(value: Any, lang: str = "fr") -> str:
    """A number as the language writes it: `12 500` and `2,5` in French, `12,500` in English."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return format_decimal(round(value, 1), locale=language_or_default(lang))
    return format_decimal(int(value), locale=language_or_default(lang))


@pass_context
def _when(context: JinjaContext, value: Any, with_time: bool = True) -> str:
    return when(value, with_time, str(context.get("lang", "fr")))


@pass_context
def _thousands(context: JinjaContext, value: Any) -> str:
    return thousands(value, str(context.get("lang", "fr")))


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    principal: Principal | None = None,
    **context: Any,
) -> Template:
    """A page: the template with the language, the user, the navigation and the words."""
    lang = language_of(request)
    principal = principal or current_principal(request)
    words = i18n.Words(lang)
    cookies = []
    if request.query_params.get("lang") in i18n.LANGUAGES:
        cookies.append(
            Cookie(key=LANG_COOKIE, value=lang, path="/", max_age=_YEAR_SECONDS, samesite="lax")
        )
    other = "en" if lang == "fr" else "fr"
    return Template(
        template_name=template,
        status_code=status_code,
        cookies=cookies,
        context={
            **context,
            "words": words,
            "lang": lang,
            "other_lang": other,
            "switch_url": _switch_url(request, other),
            "principal": principal,
            "nav": _NAV[principal.role] if principal else [],
            "path": request.url.path,
            "version": __version__,
            "programme": request.app.state.settings.programme,
        },
    )


def _configure(engine: JinjaTemplateEngine) -> None:
    i18n.install(engine.engine)
    engine.engine.globals["fields_of_action"] = forms.action_fields
    engine.engine.globals["rows_shown"] = forms.rows_shown
    engine.engine.globals["shown_of"] = i18n.shown_of
    engine.engine.filters["when"] = _when
    engine.engine.filters["thousands"] = _thousands
    engine.engine.trim_blocks = True
    engine.engine.lstrip_blocks = True


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja templates from `collecte/web/templates`, with the pages' filters."""
    return TemplateConfig(
        directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=_configure
    )
