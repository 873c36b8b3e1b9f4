"""`collecte backup`: a consistent copy of the database while the service keeps serving.

SQLite: the online backup API copies the file in one read transaction. In WAL mode readers never
block the writer, so the service keeps writing meanwhile; the copy is the database as it was when
the backup began, every committed transaction in or out whole. It is written beside the
destination, checked, synced, then renamed: a backup cut short never looks complete.

PostgreSQL: `pg_dump -Fc` (custom format, for `pg_restore`) when it is on PATH, run with the
configured URL (its password passed through the environment, not the command line).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from collecte.db.startup import StartupError, sqlite_path


def _destination(dest: Path, suffix: str) -> Path:
    """`dest`, or a dated file inside it when it is a folder; never an existing file."""
    if dest.is_dir():
        dest = dest / f"collecte-{datetime.now():%Y%m%d-%H%M%S}{suffix}"
    if dest.exists():
        raise StartupError(
            f"« {dest} » existe déjà : une sauvegarde n’écrase jamais un fichier.",
            "Choisissez un autre nom, ou un dossier (un fichier daté y sera créé).",
        )
    if not dest.parent.is_dir():
        raise StartupError(
            f"Le dossier de la sauvegarde n’existe pas : {dest.parent}",
            f"Créez-le (mkdir -p {dest.parent}) ou choisissez-en un autre.",
        )
    return dest


def backup_sqlite(database_url: str, dest: Path) -> Path:
    """Copy the SQLite database to `dest` (a file or a folder); return the file written."""
    source = sqlite_path(database_url)
    assert source is not None
    if not source.is_file():
        raise StartupError(
            f"La base SQLite « {source} » n’existe pas : rien à sauvegarder.",
            "Vérifiez COLLECTE_DATABASE_URL.",
        )
    target = _destination(dest, ".sqlite3")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # The copy holds the signing key and personal data: readable by its owner only.
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        with (
            closing(sqlite3.connect(source, timeout=30)) as origin,
            closing(sqlite3.connect(partial)) as copy,
        ):
            origin.backup(copy)  # all pages in one step: one snapshot, writers not blocked
            (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise StartupError(f"La copie de « {source} » est incohérente : {verdict}")
        with open(partial, "rb+") as written:
            os.fsync(written.fileno())
        partial.rename(target)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise StartupError(f"La sauvegarde de « {source} » a échoué : {error}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _without_password(url: str) -> tuple[str, str | None]:
    parts = urlparse(url)
    if parts.password is None:
        return url, None
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunparse(parts._replace(netloc=netloc)), parts.password


def backup_postgres(database_url: str, dest: Path) -> Path:
    """`pg_dump -Fc` of the database into `dest` (a file or a folder); return the file."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise StartupError(
            "pg_dump est introuvable : installez les outils clients de PostgreSQL (même version "
            "majeure que le serveur), ou lancez sur une machine qui les a :",
            f'pg_dump -Fc --file {dest} "$COLLECTE_DATABASE_URL"',
        )
    target = _destination(dest, ".dump")
    partial = target.with_name(target.name + ".partial")
    url, password = _without_password(database_url)
    env = dict(os.environ)
    partial.unlink(missing_ok=True)
    # Created owner-only before pg_dump writes into it: the dump holds the signing key.
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))
    if password is not None:
        env["PGPASSWORD"] = password
    done = subprocess.run(
        [pg_dump, "-Fc", "--file", str(partial), "--dbname", url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise StartupError(f"pg_dump a échoué : {done.stderr.strip()}")
    partial.rename(target)
    return target
