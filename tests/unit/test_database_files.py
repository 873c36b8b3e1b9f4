"""The SQLite database (and its -wal and -shm files) and its backups are readable by their owner
only: they hold the token signing key and everyone's personal data."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from collecte.db.backup import backup_sqlite
from collecte.db.engine import engine_for
from collecte.db.migrate import migrate


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual umask, under which files are created world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_a_new_database_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "collecte.sqlite3"
    engine = engine_for(f"sqlite:///{database}")
    assert not database.exists()  # building an engine creates nothing

    await migrate(engine)

    assert mode(database) == 0o600
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists() and shm.exists()
        assert (mode(wal), mode(shm)) == (0o600, 0o600)


async def test_an_existing_readable_database_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "collecte.sqlite3"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE t (x)")
    leftover = Path(f"{database}-wal")
    leftover.write_bytes(b"")
    os.chmod(database, 0o644)
    os.chmod(leftover, 0o664)

    await engine_for(f"sqlite:///{database}").run_ddl("SELECT 1")

    assert (mode(database), mode(leftover)) == (0o600, 0o600)


async def test_an_owner_only_database_is_left_as_it_is(tmp_path: Path) -> None:
    database = tmp_path / "collecte.sqlite3"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE t (x)")
    os.chmod(database, 0o400)

    await engine_for(f"sqlite:///{database}").run_ddl("SELECT 1")

    assert mode(database) == 0o400


def test_a_backup_is_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "collecte.sqlite3"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()

    copy = backup_sqlite(f"sqlite:///{database}", tmp_path / "copie.sqlite3")

    assert mode(copy) == 0o600
