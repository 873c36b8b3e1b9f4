"""A second index on `device_tally`, for the monthly series and the public counters.

They read a few statuses over many days (`grain, status, dimension, day`); the unique key
(`grain, day, status, dimension, key`) made them read every dimension of those days. An upsert
changes no indexed column, so PostgreSQL still updates tally rows in place (HOT).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T16:54:15:228852"
VERSION = "1.38.0"
DESCRIPTION = "device tally series index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX IF NOT EXISTS device_tally_series"
            " ON device_tally (grain, status, dimension, day)"
        )

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX IF EXISTS device_tally_series")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
