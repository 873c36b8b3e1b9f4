"""The health check's read of a SQLite file: it answers on the real file and never creates one
where the file went missing (an unmounted volume must read as an outage, not as an empty
database)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from collecte.db.sqlite import CollecteSQLiteEngine


def test_a_present_database_is_read(tmp_path: Path) -> None:
    path = tmp_path / "présent dossier" / "collecte.sqlite3"
    path.parent.mkdir()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE organization (id INTEGER)")

    CollecteSQLiteEngine(path=str(path)).read_something()


def test_a_missing_database_fails_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "collecte.sqlite3"

    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        CollecteSQLiteEngine(path=str(path)).read_something()
    assert not path.exists()
