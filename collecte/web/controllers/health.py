"""Liveness and database check, and a constant answer for measuring the stack's own cost."""

from __future__ import annotations

import asyncio

from litestar import Response, get

from collecte.db.engine import start_check
from collecte.db.outage import report_outage, report_recovery
from collecte.web.auth import PUBLIC
from collecte.web.responses import HealthOut, PingOut

_PONG = PingOut(ping="pong")
# The database check answers within this many seconds, whatever the database does.
HEALTH_TIMEOUT_S = 3.0


async def _database_answers() -> bool:
    """Whether the database runs a trivial statement within HEALTH_TIMEOUT_S (the statement
    is left to finish on its own past the deadline)."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            await start_check()
    except TimeoutError:
        report_outage(TimeoutError(f"no answer within {HEALTH_TIMEOUT_S:g} s"))
        return False
    except Exception as error:  # whatever the driver raises: the database does not answer
        report_outage(error)
        return False
    report_recovery()
    return True


@get("/health", opt=PUBLIC, tags=["public"], summary="Service and database health")
async def health() -> Response[HealthOut]:
    """`{"status": "ok", "database": "ok"}`, or 503 naming the failing part."""
    if not await _database_answers():
        return Response(
            HealthOut(status="degraded", database="unreachable"),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return Response(HealthOut(status="ok", database="ok"))


@get("/api/ping", opt=PUBLIC, tags=["public"], summary="A constant answer (no database)")
async def ping() -> PingOut:
    """`{"ping": "pong"}` through the whole middleware stack: the raw ceiling of `make bench`."""
    return _PONG
