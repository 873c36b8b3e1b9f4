"""SQLite is durable by default: every connection runs `synchronous=FULL` in WAL mode.

A commit acknowledged to a client (and the certificate number it handed out) must survive a power
loss; with `synchronous=NORMAL` under WAL the last commits may be rolled back.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from collecte.db.engine import close_pool, current_engine, engine_for, use_engine
from collecte.db.migrate import migrate
from collecte.db.sqlite import CollecteSQLiteEngine
from collecte.db.transactions import write_transaction

FULL = 2  # what `PRAGMA synchronous` answers for FULL


async def _pragma(connection: object, name: str) -> object:
    rows = await connection.execute_fetchall(f"PRAGMA {name}")  # type: ignore[attr-defined]
    return next(iter(rows[0].values())) if isinstance(rows[0], dict) else rows[0][0]


async def test_every_sqlite_connection_is_full_and_wal(tmp_path: Path) -> None:
    previous = current_engine()
    engine = engine_for(f"sqlite:///{tmp_path / 'durable.sqlite3'}")
    assert isinstance(engine, CollecteSQLiteEngine)
    try:
        await migrate(engine)
        reader = await engine.get_connection()
        try:
            assert await _pragma(reader, "synchronous") == FULL
            assert await _pragma(reader, "journal_mode") == "wal"
        finally:
            await reader.close()
        async with write_transaction() as transaction:
            writer = transaction.connection
            assert await _pragma(writer, "synchronous") == FULL
            assert await _pragma(writer, "journal_mode") == "wal"
    finally:
        await close_pool(engine)
        use_engine(previous)


def test_an_unknown_synchronous_level_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        CollecteSQLiteEngine(path=str(tmp_path / "x.sqlite3"), synchronous="SOMETIMES")
