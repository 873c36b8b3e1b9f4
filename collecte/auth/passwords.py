"""Passwords (Argon2id) and random secrets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from collecte.domain.errors import Unavailable
from collecte.i18n import msg

T = TypeVar("T")

# argon2-cffi's defaults follow RFC 9106's recommended low-memory profile.
_hasher = PasswordHasher()
# Verified when the e-mail is unknown, so a wrong address costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("collecte-dummy-password")


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

    Each Argon2id hash takes 64 MiB and every core (4 lanes) for ~0.1 s: without a bound, a
    burst of sign-ins (no account needed) fills the memory and starves every other request.
    Beyond the queue the gate refuses at once, before any hashing. The hashes run on threads of
    their own at a lower CPU priority, so the event loop (and /health) keeps its share of the
    cores during a storm. The bound is per process on purpose: it protects this process's memory
    and cores; the failure counts live in the database.
    """

    def __init__(self, concurrency: int = 2, queue: int = 8) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._admitted = 0
        # One semaphore per event loop: an asyncio primitive is bound to the loop it waits on.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        # Its own threads, as many as hashes may run: even a hash whose caller was cancelled
        # counts against the bound until it has finished.
        self._threads = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="argon2", initializer=_lower_priority
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

    @property
    def full(self) -> bool:
        """Whether the next sign-in would be refused: every slot hashing, every place waiting."""
        return self._admitted >= self.concurrency + self.queue

    @staticmethod
    def refusal() -> Unavailable:
        """What a sign-in is told while the gate is full."""
        return Unavailable(
            msg("Trop de connexions en cours : réessayez dans un instant."),
            retry_after=BUSY_RETRY_AFTER_S,
        )

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one hashing slot, or raise Unavailable when the queue is full."""
        if self.full:
            raise self.refusal()
        self._admitted += 1
        try:
            async with self._semaphore():
                yield
        finally:
            self._admitted -= 1

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """Run `function` (a hash or a verification) on the gate's threads; hold a slot first."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, function, *args)


# Linux gives each thread its own nice value: the argon2 threads (and the lanes libargon2 starts
# from them) yield the cores to the event loop when it has work.
HASH_NICENESS = 10


def _lower_priority() -> None:
    # Not Linux, or not allowed: the bound on concurrent hashes still holds.
    with contextlib.suppress(AttributeError, OSError):
        os.nice(HASH_NICENESS)


BUSY_RETRY_AFTER_S = 1


def new_password() -> str:
    """Return a random password easy to copy from a terminal (16 characters)."""
    return secrets.token_urlsafe(12)


def new_secret_key() -> str:
    """Return a random signing key."""
    return secrets.token_urlsafe(48)
