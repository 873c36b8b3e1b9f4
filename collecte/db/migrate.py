"""Applying migrations, once, whatever the number of processes starting together."""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from io import StringIO

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from collecte.db.engine import use_engine


async def prepare_sqlite(engine: Engine) -> None:
    """Switch a SQLite database to WAL so readers never wait for the writer (kept in the file)."""
    if isinstance(engine, SQLiteEngine):
        await engine._run_in_new_connection("PRAGMA journal_mode = WAL")


# Any 64-bit number will do, as long as it is always the same for collecte's migrations.
_MIGRATION_LOCK_ID = 7_301_954_260_211


async def migrate(engine: Engine, quiet: bool = True) -> None:
    """Apply pending migrations to `engine`; several processes may call it at once."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    use_engine(engine)
    await prepare_sqlite(engine)
    output = StringIO()
    connection = None
    if isinstance(engine, PostgresEngine):
        # Two workers migrating at once would both create the tables: take turns.
        connection = await engine.get_new_connection()
        await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_ID)
    try:
        with redirect_stdout(output if quiet else sys.stdout):
            result = await run_forwards("all")
    finally:
        if connection is not None:
            await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_ID)
            await connection.close()
    if not result.success:
        raise RuntimeError(f"Échec des migrations : {result.message}\n{output.getvalue()}")
