"""At most one open pickup per donation and workshop: a partial unique index.

Why: a device collected without a `pickup_id` joins the open pickup of its donation for its
workshop, opened on the fly when there is none; two scanners doing so at once must end in the
same pickup, so the second insert finds the first (`INSERT … ON CONFLICT DO NOTHING`) instead of
opening a second one. Both SQLite and PostgreSQL have partial indexes. The table itself is made
by the previous migration (Piccolo runs a migration's raw steps before its table changes).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-01T23:38:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "pickups: one open pickup per donation and workshop"

FORWARDS = (
    "CREATE UNIQUE INDEX pickup_one_open ON pickup (donation, reconditioner) WHERE status = 'open'"
)
BACKWARDS = "DROP INDEX pickup_one_open"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(FORWARDS)

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
