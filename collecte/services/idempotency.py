"""Idempotency-Key: a retried request (flaky network in a warehouse) returns the first answer
and changes nothing. Keys are per user; the record is written in the same transaction as the
change it answers for, so a crash cannot leave one without the other."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from collecte.db.tables import IdempotencyRecord
from collecte.db.transactions import retry_on_conflict, write_transaction
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.errors import Invalid
from collecte.i18n import msg

MAX_KEY_LENGTH = 200


def _fingerprint(method_path: str, payload: Any) -> str:
    text = json.dumps([method_path, payload], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


async def _replay(scoped_key: str, fingerprint: str) -> dict[str, Any] | None:
    row = await IdempotencyRecord.select().where(IdempotencyRecord.key == scoped_key).first()
    if row is None:
        return None
    if row["request_hash"] != fingerprint:
        raise Invalid(
            msg("Cette Idempotency-Key a déjà servi pour une autre requête."), "Idempotency-Key"
        )
    result: dict[str, Any] = json.loads(row["body"])
    return result


async def run_idempotent(
    principal: Principal,
    key: str | None,
    method_path: str,
    payload: Any,
    operation: Callable[[], Awaitable[dict[str, Any]]],
    encode: Callable[[Any], bytes],
) -> dict[str, Any]:
    """Run `operation` once per (user, key); replays return the stored first answer.

    `encode` turns the answer into the JSON bytes stored (the web layer's encoder).
    """
    if key is None:
        return await operation()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Invalid(
            msg(
                "L’en-tête Idempotency-Key doit compter 1 à {max} caractères.",
                max=MAX_KEY_LENGTH,
            ),
            "Idempotency-Key",
        )
    scoped_key = f"{principal.user_id}:{key}"
    fingerprint = _fingerprint(method_path, payload)
    replay = await _replay(scoped_key, fingerprint)
    if replay is not None:
        return replay

    async def run_and_record() -> str:
        async with write_transaction():
            result = await operation()
            body = encode(result).decode()
            await IdempotencyRecord.insert(
                IdempotencyRecord(
                    key=scoped_key,
                    request_hash=fingerprint,
                    status_code=200,
                    body=body,
                    created_at=now(),
                )
            )
        return body

    try:
        body = await retry_on_conflict(run_and_record)
    except Exception:
        # The same request may have been running alongside and won: answer as it did.
        replay = await _replay(scoped_key, fingerprint)
        if replay is not None:
            return replay
        raise
    stored: dict[str, Any] = json.loads(body)
    return stored
