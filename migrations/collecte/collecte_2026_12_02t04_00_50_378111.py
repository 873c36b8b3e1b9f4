from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T04:00:50:378111"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    manager.add_column(
        table_class_name="User",
        tablename="account",
        column_name="totp_last_step",
        db_column_name="totp_last_step",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="User",
        tablename="account",
        column_name="totp_pending",
        db_column_name="totp_pending",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="User",
        tablename="account",
        column_name="totp_secret",
        db_column_name="totp_secret",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema=None,
    )

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
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
