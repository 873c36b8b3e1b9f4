"""The Piccolo app: its tables and where its migrations live."""

import os
from importlib.resources import files
from pathlib import Path

from piccolo.conf.apps import AppConfig

from collecte.db.tables import ALL_TABLES


def migrations_folder() -> Path:
    """Return the folder of collecte's migrations: `COLLECTE_MIGRATIONS_DIR`, else the shipped one.

    The migrations live in the top-level `migrations/collecte/` and are installed as the package
    `collecte.migrations`; importlib finds them in a wheel and in an editable install alike.
    """
    # COLLECTE_MIGRATIONS_DIR lets the drift check generate into a scratch copy.
    override = os.environ.get("COLLECTE_MIGRATIONS_DIR")
    if override:
        return Path(override)
    # Piccolo imports the files of a folder on disk: the package is never a zip.
    return Path(str(files("collecte.migrations")))


APP_CONFIG = AppConfig(
    app_name="collecte",
    migrations_folder_path=migrations_folder(),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
