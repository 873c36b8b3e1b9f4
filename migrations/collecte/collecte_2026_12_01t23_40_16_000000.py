"""Backfill `device.previous_status` (where `found` and `revert` lead back) from the custody log:
the `from` of each device's last step (the registration and corrections are not steps).

A separate migration: Piccolo runs a migration's raw steps before its column changes, and the
column is added by the previous one. Certificates issued before have no stored content: a
device taken out of one revokes it (no replacement can be made from what was printed).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-01T23:40:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill previous status"

BACKFILL = (
    "UPDATE device SET previous_status = (SELECT e.from_status FROM device_event e"
    " WHERE e.device = device.id AND e.action NOT IN ('register', 'edit')"
    " ORDER BY e.id DESC LIMIT 1)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(BACKFILL)

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("UPDATE device SET previous_status = NULL")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
