"""Start-up errors in plain words: what is wrong with the database, and what to do about it.

The command line checks the database before anything else (`collecte serve`, `migrate`, …); a
wrong URL, a missing folder or a PostgreSQL server that refuses the connection stops it with one
or two lines and a non-zero exit status, never a traceback. The URL's password is never shown.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import unquote, urlparse

import asyncpg

URL_VARIABLE = "COLLECTE_DATABASE_URL"


class StartupError(SystemExit):
    """Stops the process with a message for the operator (exit status 1, no traceback)."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))


def sqlite_path(url: str) -> Path | None:
    """The file a `sqlite:///…` URL names, or None for any other URL."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(unquote(url[len("sqlite:///") :]) or "collecte.sqlite3")


def postgres_place(url: str) -> str:
    """`host:port/database` of a PostgreSQL URL, without the user or the password."""
    try:
        parsed = urlparse(url)
        host = parsed.hostname or "localhost"
        port = parsed.port or 5432
    except ValueError:
        return "(adresse illisible)"
    database = parsed.path.lstrip("/") or parsed.username or "postgres"
    return f"{host}:{port}/{database}"


def check_database_url(url: str) -> None:
    """Refuse, before connecting, a PostgreSQL URL that cannot be read, or a SQLite file whose
    folder is missing or cannot be written."""
    if url.startswith(("postgres://", "postgresql://")):
        try:
            urlparse(url).port  # noqa: B018 - raises on a port that is not a number
        except ValueError as error:
            raise StartupError(
                f"{URL_VARIABLE} n’est pas une adresse PostgreSQL valide ({error}).",
                "Forme attendue : postgresql://utilisateur:motdepasse@hôte:5432/base.",
            ) from None
        return
    path = sqlite_path(url)
    if path is None:
        return
    folder = path.resolve().parent
    if path.is_dir():
        raise StartupError(
            f"La base SQLite « {path} » est un dossier, pas un fichier.",
            f"Indiquez un nom de fichier dans {URL_VARIABLE}, par exemple sqlite:///{path}/collecte.sqlite3.",
        )
    if not folder.is_dir():
        raise StartupError(
            f"Le dossier de la base SQLite n’existe pas : {folder}",
            f"Créez-le (mkdir -p {folder}) ou corrigez {URL_VARIABLE}.",
        )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise _unwritable(path)
    # Open it once the plain way (creating it if new, as the service would): what permissions
    # alone do not tell (a read-only file system, a file that is not a database) shows here.
    try:
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA schema_version").fetchall()
    except sqlite3.Error as error:
        explained = explain(error, url)
        if explained is None:
            raise
        raise explained from None


def _unwritable(path: Path) -> StartupError:
    folder = path.resolve().parent
    return StartupError(
        f"Impossible d’écrire la base SQLite « {path} » : collecte n’a pas le droit d’écrire "
        f"dans {folder} (ou dans le fichier).",
        f"Donnez ce droit à l’utilisateur qui lance collecte, ou choisissez un autre dossier dans "
        f"{URL_VARIABLE}.",
    )


def _why(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connexion refusée"
    if isinstance(error, asyncio.TimeoutError | TimeoutError):
        return "délai dépassé"
    return str(error) or error.__class__.__name__


def explain(error: BaseException, url: str) -> StartupError | None:
    """The operator's message for an error met while opening the database, if it is one of those
    an operator can fix (None: a bug, left to show its traceback)."""
    path = sqlite_path(url)
    if path is not None:
        if isinstance(error, sqlite3.DatabaseError):
            text = str(error).lower()
            if "unable to open" in text or "readonly" in text or "read-only" in text:
                return _unwritable(path)
            if "not a database" in text or "malformed" in text:
                return StartupError(
                    f"Le fichier « {path} » n’est pas une base SQLite lisible ({error}).",
                    f"Corrigez {URL_VARIABLE}, ou restaurez la dernière sauvegarde "
                    "(voir « Operating collecte » dans le README).",
                )
        return None
    place = postgres_place(url)
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        database = place.rsplit("/", 1)[-1]
        return StartupError(
            f"La base PostgreSQL « {database} » n’existe pas sur le serveur ({place}).",
            f"Créez-la (createdb {database}) ou corrigez {URL_VARIABLE}.",
        )
    if isinstance(
        error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return StartupError(
            f"PostgreSQL refuse l’utilisateur ou le mot de passe de {URL_VARIABLE} ({place}) : "
            f"{error}",
            "Vérifiez l’utilisateur, le mot de passe et pg_hba.conf.",
        )
    if isinstance(error, socket.gaierror):
        return StartupError(
            f"Le serveur PostgreSQL de {URL_VARIABLE} est introuvable ({place}) : nom d’hôte "
            "inconnu.",
            f"Corrigez le nom d’hôte dans {URL_VARIABLE}.",
        )
    if isinstance(error, ConnectionRefusedError | asyncio.TimeoutError | TimeoutError | OSError):
        return StartupError(
            f"Le serveur PostgreSQL ne répond pas à {place} ({_why(error)}).",
            f"Vérifiez qu’il est démarré et joignable, et l’adresse dans {URL_VARIABLE}.",
        )
    if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
        return StartupError(
            f"PostgreSQL refuse la connexion ({place}) : {error}",
            f"Vérifiez {URL_VARIABLE} et la configuration du serveur.",
        )
    if isinstance(error, ValueError):
        return StartupError(
            f"{URL_VARIABLE} n’est pas une adresse PostgreSQL valide : {error}",
            "Forme attendue : postgresql://utilisateur:motdepasse@hôte:5432/base.",
        )
    return None
