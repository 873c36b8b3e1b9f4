"""A per-address limit on public lookups, so that certificate verification is no enumeration
oracle: each client address may verify `limit` times in a window of `window` seconds.

The counts live in the memory of one process: with several workers (`COLLECTE_WORKERS`) each
counts on its own, so an address may verify up to `limit` times per worker, and a restart
forgets them. That bounds enumeration well enough (numbers are sequential, so the limit only
slows a scan down); a shared store would be needed for an exact programme-wide count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from collecte.domain.errors import TooManyRequests
from collecte.i18n import msg
from collecte.settings import Settings
from collecte.web.signin import client_address

# Addresses remembered at most; beyond, the windows already over are forgotten first, then the
# oldest ones (a flood of spoofed addresses cannot exhaust the memory).
MAX_ADDRESSES = 100_000


class RequestWindow:
    """At most `limit` requests per key in a window of `window` seconds opened by its first."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[str, tuple[float, int]] = {}  # key → (window start, requests in it)

    def admit(self, key: str) -> int | None:
        """Count a request of `key`: None when admitted, else the seconds to wait (≥ 1)."""
        now = self.clock()
        started, count = self._seen.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        if count >= self.limit:
            return max(1, math.ceil(started + self.window - now))
        self._seen.pop(key, None)  # re-inserted last: the dict stays ordered by last request
        self._seen[key] = (started, count + 1)
        if len(self._seen) > MAX_ADDRESSES:
            self._forget(now)
        return None

    def _forget(self, now: float) -> None:
        self._seen = {key: seen for key, seen in self._seen.items() if now - seen[0] < self.window}
        while len(self._seen) > MAX_ADDRESSES:
            del self._seen[next(iter(self._seen))]

    def clear(self) -> None:
        """Forget every count."""
        self._seen.clear()


def verify_window(settings: Settings) -> RequestWindow:
    """The verification limit of one app."""
    return RequestWindow(settings.verify_max_requests, settings.verify_window_seconds)


def limit_verifications(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """A guard: refuse (429, Retry-After) a verification over its address's limit."""
    window: RequestWindow = connection.app.state.verify_window
    wait = window.admit(client_address(connection))
    if wait is not None:
        raise TooManyRequests(
            msg(
                "Trop de vérifications depuis votre adresse. Réessayez dans {seconds} s, ou "
                "contactez le programme si vous devez vérifier de nombreux certificats.",
                seconds=wait,
            ),
            retry_after=wait,
        )
