"""The Litestar application: routes, authentication, error mapping, OpenAPI at /schema."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.serialization import encode_json
from litestar.static_files import create_static_files_router

from collecte import __version__
from collecte.db.engine import close_pool, current_engine, engine_for, start_pool, use_engine
from collecte.domain.impact_factors import check_impact_factors
from collecte.services.accounts import signing_secret
from collecte.services.certificate_files import Renderer
from collecte.services.housekeeping import close_pickups_at_day_end, purge_periodically
from collecte.services.security_log import set_client
from collecte.settings import Settings, load_settings
from collecte.web import pages
from collecte.web.allow import complete_allow
from collecte.web.auth import PUBLIC, BearerTokenMiddleware
from collecte.web.controllers import (
    auth,
    certificates,
    corrections,
    devices,
    donations,
    erasure_reports,
    health,
    labels,
    organizations,
    pickups,
    programme,
    security_log,
    totals,
    treatment_operators,
    users,
)
from collecte.web.errors import EXCEPTION_HANDLERS
from collecte.web.headers import security_headers
from collecte.web.openapi_errors import document_errors, document_security
from collecte.web.query import refuse_unknown_query
from collecte.web.requests import CollecteRequest
from collecte.web.signin import client_address, login_policy
from collecte.web.throttle import verify_window

ROUTES: list[Any] = [
    health.health,
    health.ping,
    auth.sign_in,
    auth.sign_out,
    auth.change_password,
    auth.reset_password,
    auth.start_totp,
    auth.confirm_totp,
    auth.disable_totp,
    organizations.create_organization,
    organizations.list_organizations,
    organizations.create_user,
    treatment_operators.list_operators,
    treatment_operators.create_operator,
    treatment_operators.edit_operator,
    users.list_users,
    users.update_user,
    users.issue_reset_link,
    donations.create_donation,
    donations.list_donations,
    donations.get_donation,
    donations.add_device,
    donations.import_devices,
    devices.list_devices,
    donations.import_template,
    devices.get_device,
    devices.scan,
    devices.transition_device,
    devices.transition_batch,
    erasure_reports.upload_erasure_report,
    erasure_reports.list_erasure_reports,
    erasure_reports.download_erasure_report,
    certificates.list_certificates,
    certificates.get_certificate,
    certificates.certificate_pdf,
    certificates.verify_number,
    certificates.verify_pdf,
    labels.list_formats,
    labels.donation_labels,
    labels.tag_labels,
    labels.device_label,
    labels.blank_tags,
    pickups.open_pickup,
    pickups.list_pickups,
    pickups.get_pickup,
    pickups.close_pickup,
    pickups.reconcile_pickup,
    totals.get_totals,
    totals.devices_csv,
    totals.impact_csv,
    totals.public_totals,
    corrections.edit_device,
    corrections.edit_organization,
    corrections.organization_history,
    corrections.delete_donation,
    security_log.list_security_log,
    security_log.security_log_csv,
    programme.get_programme_settings,
    programme.put_programme_settings,
    programme.programme_settings_history,
]


# Swagger UI's files, from the swagger-ui-py package, served by the app (no CDN).
SWAGGER_UI_PATH = "/static/swagger-ui"


def _swagger_ui_files() -> Router:
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is missing: pip install -r requirements.lock")
    directory = Path(next(iter(spec.submodule_search_locations))) / "static"
    return create_static_files_router(
        path=SWAGGER_UI_PATH,
        directories=[directory],
        opt=PUBLIC,
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=24 * 3600),
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="collecte — La Grande Collecte Numérique",
        version=__version__,
        description=(
            "Tracks the devices companies give, reconditioners wipe and refurbish, and "
            "associations receive. Sign in with POST /api/auth/login, then 'Authorize' with "
            "the token. Error `detail`s are in French unless Accept-Language prefers English."
        ),
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{SWAGGER_UI_PATH}/swagger-ui-bundle.js",
                css_url=f"{SWAGGER_UI_PATH}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER_UI_PATH}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' href='{SWAGGER_UI_PATH}/favicon-32x32.png'>",
            )
        ],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="POST /api/auth/login",
                )
            }
        ),
        # No document-wide requirement: each protected route declares it (document_security),
        # so the public ones (health, ping, sign-in, verify, public totals) need no token.
    )


async def _before_request(request: Request[Any, Any, Any]) -> None:
    """Before every handler: tell the security log which address the request comes from (the
    one the sign-in limit counts: X-Forwarded-For read only from the trusted proxies), then
    refuse query parameters the route does not declare."""
    set_client(client_address(request) or None)
    await refuse_unknown_query(request)


def create_app(settings: Settings | None = None, *, manage_database: bool = True) -> Litestar:
    """Build the application.

    With `manage_database`, start-up points the tables at the configured database and starts
    PostgreSQL's pool; tests pass False and manage the engine themselves.
    """
    settings = settings or load_settings()
    check_impact_factors()
    csrf = pages.csrf_config(settings)

    async def on_startup(app: Litestar) -> None:
        if manage_database:
            engine = engine_for(settings.database_url)
            use_engine(engine)
            await start_pool(
                engine, settings.pool_min_size, settings.pool_max_size, settings.db_timeouts
            )
            app.state.housekeeping = asyncio.create_task(purge_periodically(settings))
            app.state.pickup_closer = asyncio.create_task(close_pickups_at_day_end(settings))
            # Certificates are rendered here, after their transaction; those a crash left
            # without their PDF first.
            app.state.renderer = Renderer(settings.render_processes)
            await app.state.renderer.start()
        if app.state.secret_key is None:
            app.state.secret_key = await signing_secret()
            pages.use_signing_secret(csrf, app.state.secret_key)

    async def on_shutdown(app: Litestar) -> None:
        if manage_database:
            for name in ("housekeeping", "pickup_closer"):
                task = app.state.get(name)
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            renderer = app.state.get("renderer")
            if renderer is not None:
                await renderer.stop()
            await close_pool(current_engine())

    document_errors(ROUTES)
    document_security(ROUTES)
    config = AppConfig(
        route_handlers=[*ROUTES, *pages.routers(), _swagger_ui_files()],
        template_config=pages.template_config(),
        csrf_config=csrf,
        middleware=[DefineMiddleware(BearerTokenMiddleware, exclude=["^/schema"])],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=_before_request,
        before_send=[complete_allow, security_headers],
        openapi_config=_openapi(),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=settings.max_body_bytes,
        request_class=CollecteRequest,
        state=State(
            {
                "settings": settings,
                "login_policy": login_policy(settings),
                "verify_window": verify_window(settings),
                "secret_key": settings.secret_key,
                "encode_json": encode_json,
            }
        ),
    )
    return Litestar.from_config(config)
