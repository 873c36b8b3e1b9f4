"""What every sign-in (API and page) shares: one rate-limit policy per app, the client address."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection

from collecte.auth.passwords import HashGate
from collecte.services.accounts import LoginPolicy
from collecte.settings import Settings


def login_policy(settings: Settings) -> LoginPolicy:
    """The policy of one app; its hashing gate bounds the Argon2 work of the whole process."""
    return LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(seconds=settings.login_window_seconds),
        max_failures_per_client=settings.login_max_failures_per_client,
        hashes=HashGate(settings.password_hash_concurrency, settings.password_hash_queue),
    )


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address: the socket peer, or what the trusted proxies say it forwarded.

    X-Forwarded-For is read right to left, each hop vouched for by the one after it, and only
    while the hop is a trusted proxy: anything an untrusted client wrote further left is ignored.
    """
    peer = request.client.host if request.client else ""
    trusted = request.app.state.settings.trusted_proxies
    address = _address(peer)
    if address is None or not any(address in network for network in trusted):
        return peer
    hops = request.headers.get("x-forwarded-for", "").split(",")
    for hop in reversed(hops):
        forwarded = _address(hop)
        if forwarded is None:
            break
        address = forwarded
        if not any(forwarded in network for network in trusted):
            break
    return str(address)
