"""Liveness and database check."""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from collecte.tables import Organization
from collecte.web.auth import PUBLIC


@get("/health", opt=PUBLIC, tags=["public"], summary="Service and database health")
async def health() -> Response[dict[str, Any]]:
    """`{"status": "ok", "database": "ok"}`, or 503 naming the failing part."""
    try:
        await Organization.raw("SELECT 1")
    except Exception:
        return Response({"status": "degraded", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})
