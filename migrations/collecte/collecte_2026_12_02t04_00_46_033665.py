from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T04:00:46:033665"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="UserSession",
        tablename="user_session",
        column_name="end_reason",
        db_column_name="end_reason",
        params={
            "choices": Enum(
                "SessionEnd",
                {
                    "LOGOUT": "logout",
                    "DEACTIVATED": "deactivated",
                    "PASSWORD_CHANGED": "password_changed",
                    "PASSWORD_RESET": "password_reset",
                    "KEY_ROTATED": "key_rotated",
                },
            )
        },
        old_params={
            "choices": Enum(
                "SessionEnd",
                {
                    "LOGOUT": "logout",
                    "DEACTIVATED": "deactivated",
                    "PASSWORD_CHANGED": "password_changed",
                    "PASSWORD_RESET": "password_reset",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
