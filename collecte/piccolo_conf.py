"""Piccolo's configuration module: the engine chosen from settings, and the app registry.

`collecte.db.use_engine` replaces `DB` at run time (tests switch between SQLite and PostgreSQL).
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from collecte.db import engine_for
from collecte.settings import load_settings

DB: Engine = engine_for(load_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["collecte.piccolo_app"])
