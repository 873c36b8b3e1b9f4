from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T23:40:15:327532"
VERSION = "1.38.0"
DESCRIPTION = "exceptions: previous status, missing and returned dates, certificate states"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Device",
        tablename="device",
        column_name="missing_at",
        db_column_name="missing_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
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
        table_class_name="Device",
        tablename="device",
        column_name="previous_status",
        db_column_name="previous_status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "Status",
                {
                    "REGISTERED": "registered",
                    "COLLECTED": "collected",
                    "RECEIVED": "received",
                    "WIPED": "wiped",
                    "REFURBISHED": "refurbished",
                    "RECYCLED": "recycled",
                    "ALLOCATED": "allocated",
                    "DELIVERED": "delivered",
                    "WITHDRAWN": "withdrawn",
                    "MISSING": "missing",
                    "RETURNED": "returned",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Device",
        tablename="device",
        column_name="returned_at",
        db_column_name="returned_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
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
        table_class_name="Certificate",
        tablename="certificate",
        column_name="document",
        db_column_name="document",
        column_class_name="Text",
        column_class=Text,
        params={
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
        table_class_name="Certificate",
        tablename="certificate",
        column_name="reason",
        db_column_name="reason",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
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
        table_class_name="Certificate",
        tablename="certificate",
        column_name="replaced_by",
        db_column_name="replaced_by",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
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
        table_class_name="Certificate",
        tablename="certificate",
        column_name="replaces",
        db_column_name="replaces",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
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
        table_class_name="Certificate",
        tablename="certificate",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 20,
            "default": "valid",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "CertificateStatus",
                {
                    "VALID": "valid",
                    "SUPERSEDED": "superseded",
                    "REVOKED": "revoked",
                },
            ),
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="DeviceTally",
        tablename="device_tally",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "Status",
                {
                    "REGISTERED": "registered",
                    "COLLECTED": "collected",
                    "RECEIVED": "received",
                    "WIPED": "wiped",
                    "REFURBISHED": "refurbished",
                    "RECYCLED": "recycled",
                    "ALLOCATED": "allocated",
                    "DELIVERED": "delivered",
                    "WITHDRAWN": "withdrawn",
                    "MISSING": "missing",
                    "RETURNED": "returned",
                },
            )
        },
        old_params={
            "choices": Enum(
                "Status",
                {
                    "REGISTERED": "registered",
                    "COLLECTED": "collected",
                    "RECEIVED": "received",
                    "WIPED": "wiped",
                    "REFURBISHED": "refurbished",
                    "RECYCLED": "recycled",
                    "ALLOCATED": "allocated",
                    "DELIVERED": "delivered",
                    "WITHDRAWN": "withdrawn",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Device",
        tablename="device",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "Status",
                {
                    "REGISTERED": "registered",
                    "COLLECTED": "collected",
                    "RECEIVED": "received",
                    "WIPED": "wiped",
                    "REFURBISHED": "refurbished",
                    "RECYCLED": "recycled",
                    "ALLOCATED": "allocated",
                    "DELIVERED": "delivered",
                    "WITHDRAWN": "withdrawn",
                    "MISSING": "missing",
                    "RETURNED": "returned",
                },
            )
        },
        old_params={
            "choices": Enum(
                "Status",
                {
                    "REGISTERED": "registered",
                    "COLLECTED": "collected",
                    "RECEIVED": "received",
                    "WIPED": "wiped",
                    "REFURBISHED": "refurbished",
                    "RECYCLED": "recycled",
                    "ALLOCATED": "allocated",
                    "DELIVERED": "delivered",
                    "WITHDRAWN": "withdrawn",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="DeviceEvent",
        tablename="device_event",
        column_name="to_status",
        db_column_name="to_status",
        params={
            "choices": Enum(
                "Status",
                {
                    "REGISTERED": "registered",
                    "COLLECTED": "collected",
                    "RECEIVED": "received",
                    "WIPED": "wiped",
                    "REFURBISHED": "refurbished",
                    "RECYCLED": "recycled",
                    "ALLOCATED": "allocated",
                    "DELIVERED": "delivered",
                    "WITHDRAWN": "withdrawn",
                    "MISSING": "missing",
                    "RETURNED": "returned",
                },
            )
        },
        old_params={
            "choices": Enum(
                "Status",
                {
                    "REGISTERED": "registered",
                    "COLLECTED": "collected",
                    "RECEIVED": "received",
                    "WIPED": "wiped",
                    "REFURBISHED": "refurbished",
                    "RECYCLED": "recycled",
                    "ALLOCATED": "allocated",
                    "DELIVERED": "delivered",
                    "WITHDRAWN": "withdrawn",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
