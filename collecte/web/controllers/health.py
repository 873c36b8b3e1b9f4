"""Liveness and database check, and a constant answer for measuring the stack's own cost."""

from __future__ import annotations

from litestar import Response, get

from collecte.db.tables import Organization
from collecte.web.auth import PUBLIC
from collecte.web.responses import HealthOut, PingOut

_PONG = PingOut(ping="pong")


@get("/health", opt=PUBLIC, tags=["public"], summary="Service and database health")
async def health() -> Response[HealthOut]:
    """`{"status": "ok", "database": "ok"}`, or 503 naming the failing part."""
    try:
        await Organization.raw("SELECT 1")
    except Exception:
        return Response(HealthOut(status="degraded", database="unreachable"), status_code=503)
    return Response(HealthOut(status="ok", database="ok"))


@get("/api/ping", opt=PUBLIC, tags=["public"], summary="A constant answer (no database)")
async def ping() -> PingOut:
    """`{"ping": "pong"}` through the whole middleware stack: the raw ceiling of `make bench`."""
    return _PONG
