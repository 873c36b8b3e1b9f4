"""Piccolo's configuration module: the engine in use, and the app registry.

`DB` is looked up on every access, so it is always the engine `collecte.db.engine.use_engine`
last chose (tests switch between SQLite and PostgreSQL); before any choice, the configured one.
"""

from typing import Any

from piccolo.conf.apps import AppRegistry

from collecte.db.engine import configured_engine

APP_REGISTRY = AppRegistry(apps=["collecte.db.piccolo_app"])


def __getattr__(name: str) -> Any:
    if name == "DB":
        return configured_engine()
    raise AttributeError(name)
