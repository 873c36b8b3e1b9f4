"""Indexes for device lists and search at 10⁶ devices (`collecte.services.device_search`).

- `(donor|reconditioner|association, status, id)` and `(status, id)`: a role's devices in a
  status, newest first, read in index order and counted from the index alone;
- lower-cased serial, brand + model, and model, compared in code point order (`COLLATE "C"` on
  PostgreSQL, SQLite's default): a search text is the beginning of one of them, found as a range
  of the index. The expressions are the service's, character for character: the planner uses
  an expression index only for the same expression;
- the pickup's certificate number: a donation attestation searched by its number.

Made here rather than on the tables: Piccolo declares neither composite nor expression indexes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-02T02:44:28:000000"
VERSION = "1.38.0"
DESCRIPTION = "device list indexes"

SEARCH_KEYS = {
    "device_serial_search": "lower(serial_number)",
    "device_brand_model_search": "lower(coalesce(brand, '') || ' ' || coalesce(model, ''))",
    "device_model_search": "lower(model)",
}
SCOPES = {
    "device_donor_status_id": "donor, status, id",
    "device_reconditioner_status_id": "reconditioner, status, id",
    "device_association_status_id": "association, status, id",
    "device_status_id": "status, id",
}


def _statements(postgres: bool) -> list[str]:
    collate = ' COLLATE "C"' if postgres else ""
    return [
        *(f"CREATE INDEX {name} ON device ({columns})" for name, columns in SCOPES.items()),
        *(f"CREATE INDEX {name} ON device (({key}{collate}))" for name, key in SEARCH_KEYS.items()),
        "CREATE INDEX pickup_certificate_number ON pickup (certificate_number)",
        # The planner knows an expression's values only once analysed: without it, it guesses
        # that a serial matches 5,000 devices and walks the primary key looking for them.
        "ANALYZE device",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        assert engine is not None
        for statement in _statements(isinstance(engine, PostgresEngine)):
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        for name in [*SCOPES, *SEARCH_KEYS, "pickup_certificate_number"]:
            await engine.run_ddl(f"DROP INDEX {name}")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
