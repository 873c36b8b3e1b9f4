"""Start-up errors: one or two plain French lines on stderr, exit status 1, no traceback.

Each case runs the real command line (`python -m collecte.cli migrate`) in a subprocess, the way
an operator would meet the error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests.live import ROOT, free_port

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collecte.cli", *(args or ("migrate",))],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _refused(result: subprocess.CompletedProcess[str], *lines: str) -> None:
    """The command failed with exactly these lines, and nothing else."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == list(lines)


def _postgres(database: str, port: int | None = None) -> str:
    assert POSTGRES_URL
    parts = urlparse(POSTGRES_URL)
    netloc = parts.netloc if port is None else f"{parts.netloc.rsplit(':', 1)[0]}:{port}"
    return urlunparse(parts._replace(netloc=netloc, path=f"/{database}"))


def test_sqlite_in_a_missing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "absent" / "data"
    result = _run({"COLLECTE_DATABASE_URL": f"sqlite:///{folder / 'collecte.sqlite3'}"})
    _refused(
        result,
        f"Le dossier de la base SQLite n’existe pas : {folder}",
        f"Créez-le (mkdir -p {folder}) ou corrigez COLLECTE_DATABASE_URL.",
    )
    assert not folder.exists()


def test_sqlite_in_a_folder_nobody_may_write() -> None:
    # /proc refuses new files even to root, whom permission bits do not stop.
    result = _run({"COLLECTE_DATABASE_URL": "sqlite:////proc/collecte.sqlite3"})
    _refused(
        result,
        "Impossible d’écrire la base SQLite « /proc/collecte.sqlite3 » : collecte n’a pas le "
        "droit d’écrire dans /proc (ou dans le fichier).",
        "Donnez ce droit à l’utilisateur qui lance collecte, ou choisissez un autre dossier dans "
        "COLLECTE_DATABASE_URL.",
    )


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "collecte.sqlite3"
    path.write_text("not a database, " * 100)
    result = _run({"COLLECTE_DATABASE_URL": f"sqlite:///{path}"})
    _refused(
        result,
        f"Le fichier « {path} » n’est pas une base SQLite lisible (file is not a database).",
        "Corrigez COLLECTE_DATABASE_URL, ou restaurez la dernière sauvegarde (voir « Operating "
        "collecte » dans le README).",
    )


def test_an_unknown_url_scheme() -> None:
    result = _run({"COLLECTE_DATABASE_URL": "mysql://collecte@localhost/collecte"})
    _refused(
        result,
        "COLLECTE_DATABASE_URL non reconnue : « mysql://collecte@localhost/collecte » "
        "(attendu sqlite:///… ou postgresql://…).",
    )


def test_a_postgres_url_with_a_bad_port() -> None:
    result = _run({"COLLECTE_DATABASE_URL": "postgresql://collecte:secret@db:cinq/collecte"})
    _refused(
        result,
        "COLLECTE_DATABASE_URL n’est pas une adresse PostgreSQL valide (Port could not be cast "
        "to integer value as 'cinq').",
        "Forme attendue : postgresql://utilisateur:motdepasse@hôte:5432/base.",
    )


def test_postgres_refusing_connections() -> None:
    port = free_port()
    url = f"postgresql://collecte:secret@127.0.0.1:{port}/collecte"
    result = _run({"COLLECTE_DATABASE_URL": url})
    _refused(
        result,
        f"Le serveur PostgreSQL ne répond pas à 127.0.0.1:{port}/collecte (connexion refusée).",
        "Vérifiez qu’il est démarré et joignable, et l’adresse dans COLLECTE_DATABASE_URL.",
    )
    assert "secret" not in result.stderr


@pytest.mark.skipif(not POSTGRES_URL, reason="COLLECTE_TEST_POSTGRES_URL not set")
def test_an_unknown_postgres_database() -> None:
    url = _postgres("collecte_does_not_exist")
    place = f"{urlparse(url).hostname}:{urlparse(url).port or 5432}/collecte_does_not_exist"
    result = _run({"COLLECTE_DATABASE_URL": url})
    _refused(
        result,
        f"La base PostgreSQL « collecte_does_not_exist » n’existe pas sur le serveur ({place}).",
        "Créez-la (createdb collecte_does_not_exist) ou corrigez COLLECTE_DATABASE_URL.",
    )


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "COLLECTE_POOL_MAX_SIZE",
            "0",
            "COLLECTE_POOL_MIN_SIZE et COLLECTE_POOL_MAX_SIZE doivent vérifier 0 ≤ min ≤ max et "
            "max ≥ 1 (reçu 2 et 0).",
        ),
        (
            "COLLECTE_STALE_DAYS",
            "trente",
            "COLLECTE_STALE_DAYS doit être un nombre entier (reçu « trente »).",
        ),
        ("COLLECTE_SECRET_KEY", "court", "COLLECTE_SECRET_KEY doit compter au moins 32 octets."),
    ],
)
def test_bad_settings(tmp_path: Path, variable: str, value: str, line: str) -> None:
    env = {
        "COLLECTE_DATABASE_URL": f"sqlite:///{tmp_path / 'collecte.sqlite3'}",
        "COLLECTE_POOL_MIN_SIZE": "2",
        variable: value,
    }
    _refused(_run(env, "serve"), line)
    assert not (tmp_path / "collecte.sqlite3").exists()
