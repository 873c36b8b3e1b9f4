from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T06:36:34:698495"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="SecurityLogEntry",
        tablename="security_log",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "SecurityEvent",
                {
                    "SIGN_IN": "sign_in",
                    "SIGN_IN_FAILED": "sign_in_failed",
                    "SIGN_IN_LOCKED": "sign_in_locked",
                    "SIGN_OUT": "sign_out",
                    "USER_CREATED": "user_created",
                    "USER_DEACTIVATED": "user_deactivated",
                    "USER_REACTIVATED": "user_reactivated",
                    "PASSWORD_CHANGED": "password_changed",
                    "PASSWORD_RESET": "password_reset",
                    "PASSWORD_CHANGE_REFUSED": "password_change_refused",
                    "ROLE_CHANGED": "role_changed",
                    "KEY_ROTATED": "key_rotated",
                    "TOTP_ENABLED": "totp_enabled",
                    "TOTP_DISABLED": "totp_disabled",
                },
            )
        },
        old_params={
            "choices": Enum(
                "SecurityEvent",
                {
                    "SIGN_IN": "sign_in",
                    "SIGN_IN_FAILED": "sign_in_failed",
                    "SIGN_IN_LOCKED": "sign_in_locked",
                    "SIGN_OUT": "sign_out",
                    "USER_CREATED": "user_created",
                    "USER_DEACTIVATED": "user_deactivated",
                    "USER_REACTIVATED": "user_reactivated",
                    "PASSWORD_CHANGED": "password_changed",
                    "PASSWORD_RESET": "password_reset",
                    "ROLE_CHANGED": "role_changed",
                    "KEY_ROTATED": "key_rotated",
                    "TOTP_ENABLED": "totp_enabled",
                    "TOTP_DISABLED": "totp_disabled",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

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
                    "ROLE_CHANGED": "role_changed",
                    "TOTP_ENABLED": "totp_enabled",
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
                    "KEY_ROTATED": "key_rotated",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
