"""The Piccolo app: its tables and where its migrations live."""

import os
from pathlib import Path

from piccolo.conf.apps import AppConfig

from collecte.db.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="collecte",
    # COLLECTE_MIGRATIONS_DIR lets the drift check generate into a scratch copy.
    migrations_folder_path=Path(
        os.environ.get("COLLECTE_MIGRATIONS_DIR")
        or Path(__file__).resolve().parent.parent.parent / "migrations" / "collecte"
    ),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
