"""A certificate's PDF and its SHA-256 may be null until rendered.

Why: the transaction that issues a certificate stores its content and fingerprint and commits;
the PDF is rendered afterwards, outside any lock, and stored by whoever renders it first
(`collecte.services.certificate_files`). Every certificate issued before keeps its bytes.

PostgreSQL drops the NOT NULL constraints in place. SQLite cannot alter a column: the table is
rebuilt (a new table with the same columns, the two nullable, the rows copied, the old table
dropped, the new one renamed, its indexes made again), in the migration's transaction.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea, Varchar
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T09:50:17:844709"
VERSION = "1.38.0"
DESCRIPTION = "certificate pdf rendered after commit"

_NOT_NULL = {
    "\"sha256\" VARCHAR(64) UNIQUE NOT NULL DEFAULT ''": '"sha256" VARCHAR(64) UNIQUE DEFAULT null',
    "\"pdf\" BLOB NOT NULL DEFAULT ''": '"pdf" BLOB DEFAULT null',
}
_NULLABLE = {after: before for before, after in _NOT_NULL.items()}


def _is_sqlite() -> bool:
    engine = engine_finder()
    assert engine is not None
    return engine.engine_type == "sqlite"


class _Manager(MigrationManager):
    """Piccolo's manager; on SQLite, the column changes are the raw step's table rebuild."""

    async def _run_alter_columns(self, backwards: bool = False) -> None:
        if not _is_sqlite():
            await super()._run_alter_columns(backwards=backwards)


async def _rebuild_sqlite(replacements: dict[str, str]) -> None:
    """Make the certificate table again with its definition changed by `replacements`."""
    if not _is_sqlite():
        return
    engine = engine_finder()
    assert engine is not None
    rows = await engine.run_ddl(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'certificate' AND sql IS NOT NULL"
    )
    [table] = [row["sql"] for row in rows if row["type"] == "table"]
    indexes = [row["sql"] for row in rows if row["type"] == "index"]
    for before, after in replacements.items():
        if before not in table:
            raise RuntimeError(f"certificate table: {before!r} not found in {table!r}")
        table = table.replace(before, after)
    table = table.replace('CREATE TABLE "certificate"', 'CREATE TABLE "certificate_rebuilt"', 1)
    await engine.run_ddl(table)
    await engine.run_ddl('INSERT INTO "certificate_rebuilt" SELECT * FROM "certificate"')
    await engine.run_ddl('DROP TABLE "certificate"')
    await engine.run_ddl('ALTER TABLE "certificate_rebuilt" RENAME TO "certificate"')
    for index in indexes:
        await engine.run_ddl(index)


async def forwards():
    manager = _Manager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        await _rebuild_sqlite(_NOT_NULL)

    async def run_backwards():
        # Only possible once every certificate has its PDF (render them first).
        await _rebuild_sqlite(_NULLABLE)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)

    manager.alter_column(
        table_class_name="Certificate",
        tablename="certificate",
        column_name="sha256",
        db_column_name="sha256",
        params={"default": None, "null": True},
        old_params={"default": "", "null": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Certificate",
        tablename="certificate",
        column_name="pdf",
        db_column_name="pdf",
        params={"default": None, "null": True},
        old_params={"default": b"", "null": False},
        column_class=Bytea,
        old_column_class=Bytea,
        schema=None,
    )

    return manager
