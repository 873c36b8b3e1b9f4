"""A transaction the database aborted for a conflict runs again; other errors do not."""

from __future__ import annotations

import asyncpg
import pytest

from collecte.db.engine import engine_for, use_engine
from collecte.db.transactions import retry_on_conflict


@pytest.fixture(autouse=True)
def _engine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    use_engine(engine_for(f"sqlite:///{tmp_path / 'retry.sqlite3'}"))


async def test_a_deadlock_victim_runs_again() -> None:
    calls = []

    async def operation() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return "done"

    assert await retry_on_conflict(operation) == "done"
    assert len(calls) == 2


async def test_other_errors_and_repeated_conflicts_are_raised() -> None:
    calls = []

    async def unique_violation() -> None:
        calls.append(1)
        raise asyncpg.exceptions.UniqueViolationError("duplicate")

    async def always_serialization_failure() -> None:
        raise asyncpg.exceptions.SerializationError("could not serialize")

    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        await retry_on_conflict(unique_violation)
    assert len(calls) == 1
    with pytest.raises(asyncpg.exceptions.SerializationError):
        await retry_on_conflict(always_serialization_failure, attempts=3)
