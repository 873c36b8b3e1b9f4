"""Passwords (Argon2id) and random secrets."""

from __future__ import annotations

import asyncio
import secrets
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from collecte.domain.errors import Unavailable
from collecte.i18n import msg

# argon2-cffi's defaults follow RFC 9106's recommended low-memory profile.
_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong address costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("collecte-dummy-password")

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """Return the Argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash` (constant work when the hash is missing)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class HashGate:
    """At most `concurrency` password hashes at once in this process, `queue` more waiting.

    Each Argon2id hash takes 64 MiB and a core for ~0.1 s: without a bound, a burst of sign-ins
    (no account needed) fills the memory and starves every other request. Beyond the queue the
    gate refuses at once, before any hashing. The bound is per process on purpose: it protects
    this process's memory and cores; the failure counts live in the database.
    """

    def __init__(self, concurrency: int = 2, queue: int = 8) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._admitted = 0
        # One semaphore per event loop: an asyncio primitive is bound to the loop it waits on.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.concurrency)
        return slots

    @property
    def admitted(self) -> int:
        """Sign-ins hashing or waiting to, now."""
        return self._admitted

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one hashing slot, or raise Unavailable when the queue is full."""
        if self._admitted >= self.concurrency + self.queue:
            raise Unavailable(
                msg("Trop de connexions en cours : réessayez dans un instant."),
                retry_after=BUSY_RETRY_AFTER_S,
            )
        self._admitted += 1
        try:
            # Callers run the hash in a worker thread that is not abandoned on cancellation, so
            # the slot stays held until the hash is done even when the client hangs up.
            async with self._semaphore():
                yield
        finally:
            self._admitted -= 1


BUSY_RETRY_AFTER_S = 1


def new_password() -> str:
    """Return a random password easy to copy from a terminal."""
    return secrets.token_urlsafe(12)


def new_secret_key() -> str:
    """Return a random signing key."""
    return secrets.token_urlsafe(48)
