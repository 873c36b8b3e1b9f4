"""A partial index on `device_tally` for the rows still to fold (shard other than 0).

`collecte.services.tally_folding` moves the shards of closed days, months and years into shard
0, every hour. Without this index each run would read every past row of the tally to find the
few written since the last run; with it, only those.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T10:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "device tally unfolded index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(
            "CREATE INDEX IF NOT EXISTS device_tally_unfolded"
            " ON device_tally (grain, day) WHERE shard <> 0"
        )

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("DROP INDEX IF EXISTS device_tally_unfolded")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
