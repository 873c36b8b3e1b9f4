"""Scanning without network: the installable app's manifest and service worker, the page shown
offline for a page never opened, and the two JSON routes the phone's queue of scans uses.

The queue itself lives on the phone (static/offline.js): each scan kept there is one action on
one device with its own Idempotency-Key, sent here when the network is back. The key is stored
with the answer in the transaction that applies the action, so a scan sent twice (the page
closed mid-send, an answer lost on the way) is applied once and answered the same twice.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import CacheControlHeader, FormMultiDict
from litestar.params import HeaderParameter, JSONBody
from litestar.response import Template
from litestar.utils.scope.state import ScopeState
from msgspec import Meta, Struct

from collecte import __version__
from collecte.domain.clock import now
from collecte.domain.tags import display
from collecte.domain.vocabulary import Action, Status
from collecte.i18n import N_, msg, say
from collecte.services import devices, transitions
from collecte.services.idempotency import run_idempotent
from collecte.web.pages import forms
from collecte.web.pages.errors import PAGE_ERRORS, message_of
from collecte.web.pages.rendering import STATIC_DIR, language_of, render
from collecte.web.pages.session import current_principal
from collecte.web.statuses import status_of

# What the phone shows before it knows better: the theme is the header's colour.
THEME_COLOR = "#063f4f"
BACKGROUND_COLOR = "#f3f6f7"
ICONS = [
    {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
    {
        "src": "/static/icons/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
]
MAX_FIELDS = 400  # a wipe of 32 media, 10 columns each, and the action's other fields


@cache
def static_fingerprint() -> str:
    """A digest of every static file: a new one makes phones fetch the app's files again."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(STATIC_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def _service_worker_source() -> str:
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    return source.replace("{{version}}", __version__).replace("{{files}}", static_fingerprint())


@get("/manifest.webmanifest", name="web_manifest", cache_control=CacheControlHeader(max_age=3600))
async def web_manifest(request: Request[Any, Any, Any]) -> Response[Any]:
    """What a phone needs to install the scanning app on its home screen (`?lang=en` in English)."""
    language = language_of(request)
    manifest = {
        "name": "La Grande Collecte Numérique",
        "short_name": "Collecte",
        "description": say(language, N_("Scanner les étiquettes des appareils, même sans réseau.")),
        "lang": language,
        "dir": "ltr",
        "start_url": "/scan",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "icons": ICONS,
    }
    return Response(request.app.state.encode_json(manifest), media_type="application/manifest+json")


@get("/sw.js", name="service_worker", cache_control=CacheControlHeader(no_cache=True))
async def service_worker() -> Response[Any]:
    """The service worker, at the root so that it serves every page (its scope is `/`)."""
    return Response(_service_worker_source(), media_type="text/javascript")


@get("/hors-ligne", name="offline_page")
async def offline_page(request: Request[Any, Any, Any]) -> Template:
    """What the phone shows, without network, for a page it never opened with the network."""
    # Kept on the phone for whoever uses it next: no one's name or menu on it.
    request.state.principal = None
    return render(request, "scan/offline.html")


@get("/scan/etat", name="queue_state")
async def queue_state(request: Request[Any, Any, Any]) -> Response[Any]:
    """Who is signed in now, and a CSRF token for the queue's sends (the page's may be older
    than the browser's cookie: a page kept offline outlives a browser restart)."""
    principal = current_principal(request)
    return Response(
        {
            "user_id": principal.user_id if principal else None,
            "password_change_required": bool(request.state.get("password_change_required")),
            "csrf_token": ScopeState.from_scope(request.scope).csrf_token,
        }
    )


class QueuedScan(Struct, kw_only=True, forbid_unknown_fields=True):
    """One scan kept on the phone: the label read, and the action form's fields then."""

    code: Annotated[str, Meta(max_length=1000)]
    fields: Annotated[list[tuple[str, str]], Meta(max_length=MAX_FIELDS)] = []


IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]


def _refused(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    body = {
        "result": "refused",
        "code": getattr(error, "code", None),
        "message": message_of(request, error),
    }
    return Response(body, status_code=status_of(error))


@post("/scan/envoi", name="queued_scan_send", status_code=200)
async def send_queued_scan(
    request: Request[Any, Any, Any],
    data: JSONBody[QueuedScan],
    idempotency_key: IdempotencyKey = None,
) -> Response[Any]:
    """Apply one scan kept on the phone, once per Idempotency-Key: 200 `applied`, a refusal
    (`refused`, with the server's reason and its status), or 401 `signed_out` (kept on the
    phone until the user signs in again)."""
    language = language_of(request)
    principal = current_principal(request)
    if principal is None or request.state.get("password_change_required"):
        message = say(language, msg("Session expirée : reconnectez-vous."))
        return Response({"result": "signed_out", "message": message}, status_code=401)
    if idempotency_key is None:
        message = say(language, msg("Envoi sans Idempotency-Key : rien n’a été fait."))
        return Response(
            {"result": "refused", "code": "idempotency_key_missing", "message": message},
            status_code=422,
        )
    payload = forms.action_payload(FormMultiDict(data.fields))
    context = transitions.Context(request.app.state.settings, None)
    try:
        tag = devices.parse_code(data.code, "tag")
        answer = await run_idempotent(
            principal,
            idempotency_key,
            f"POST /scan/envoi/{tag}",
            payload,
            lambda: transitions.act_on_device(principal, tag, payload, context),
            request.app.state.encode_json,
        )
    except PAGE_ERRORS as error:
        return _refused(request, error)
    action, status = Action(payload["action"]), Status(answer["status"])
    certificate = (answer.get("certificate") or {}).get("number")
    sentence = msg(
        "{label} : « {action} » enregistré, l’appareil est « {status} ».",
        label=display(tag),
        action=action,
        status=status,
    )
    return Response(
        {
            "result": "applied",
            "tag": tag,
            "label": display(tag),
            "status": status.value,
            "has_storage": bool(answer.get("has_storage")),
            "certificate": certificate,
            "message": say(language, sentence),
            "seen": now().isoformat(),
        }
    )


ROUTES = [web_manifest, service_worker, offline_page, queue_state, send_queued_scan]
