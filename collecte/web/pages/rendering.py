"""Rendering pages: language, vocabulary, navigation, dates, and the template configuration."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from collecte import __version__
from collecte.domain.access import Principal
from collecte.domain.clock import NOUMEA
from collecte.domain.lifecycle import Role
from collecte.web.pages import i18n
from collecte.web.pages.session import current_principal

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LANG_COOKIE = "lang"
_YEAR_SECONDS = 365 * 24 * 3600

_NAV: dict[Role, list[tuple[str, str]]] = {
    Role.DONOR: [
        ("/dons", "Mes dons"),
        ("/dons/nouveau", "Nouveau don"),
        ("/certificats", "Certificats"),
    ],
    Role.RECONDITIONER: [
        ("/atelier", "Atelier"),
        ("/scan", "Scanner un lot"),
        ("/certificats", "Certificats"),
    ],
    Role.ASSOCIATION: [
        ("/association", "Réception"),
        ("/scan", "Scanner un lot"),
        ("/certificats", "Certificats"),
    ],
    Role.COORDINATOR: [
        ("/coordination", "Tableau de bord"),
        ("/coordination/attribution", "Attribution"),
        ("/dons", "Dons"),
        ("/scan", "Scanner un lot"),
        ("/coordination/organisations", "Organisations"),
        ("/coordination/etiquettes-vierges", "Étiquettes vierges"),
        ("/certificats", "Certificats"),
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


def when(value: Any, with_time: bool = True) -> str:
    """A moment as people in Nouméa read it: `14/03/2026 09:05`."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return str(value)
    local = value.astimezone(NOUMEA)
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def thousands(value: Any) -> str:
    """A number with thin spaces between thousands, as French writes it: `12 500`."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")
    return f"{int(value):,}".replace(",", "\u202f")


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
            "_": words.text,
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
    engine.engine.filters["when"] = when
    engine.engine.filters["thousands"] = thousands
    engine.engine.trim_blocks = True
    engine.engine.lstrip_blocks = True


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja templates from `collecte/web/templates`, with the pages' filters."""
    return TemplateConfig(
        directory=TEMPLATES_DIR, engine=JinjaTemplateEngine, engine_callback=_configure
    )
