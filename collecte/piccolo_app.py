"""The Piccolo app: its tables and where its migrations live."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from collecte.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="collecte",
    migrations_folder_path=Path(__file__).resolve().parent.parent / "migrations" / "collecte",
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
