"""Liveness and database check, and a constant answer for measuring the stack's own cost."""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from collecte.db.tables import Organization
from collecte.web.auth import PUBLIC


@get("/health", opt=PUBLIC, tags=["public"], summary="Service and database health")
async def health() -> Response[dict[str, Any]]:
    """`{"status": "ok", "database": "ok"}`, or 503 naming the failing part."""
    try:
        await Organization.raw("SELECT 1")
    except Exception:
        return Response({"status": "degraded", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})


@get("/api/ping", opt=PUBLIC, tags=["public"], summary="A constant answer (no database)")
async def ping() -> dict[str, str]:
    """`{"ping": "pong"}` through the whole middleware stack: the raw ceiling of `make bench`."""
    return {"ping": "pong"}
