"""`collecte rotate-key`: a new token signing key, every session ended at once, logged; refused
when the key comes from COLLECTE_SECRET_KEY. On both databases, and the command itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from collecte.db.tables import AppSecret, SecurityLogEntry, UserSession
from collecte.domain.errors import Conflict
from collecte.domain.vocabulary import Role
from collecte.services.accounts import rotate_signing_key, signing_secret
from collecte.settings import Settings
from tests.factory import SECRET, make_account
from tests.live import dedicated_database

ROOT = Path(__file__).resolve().parents[2]


async def test_rotating_the_key_ends_every_session_and_is_logged(
    client: httpx.AsyncClient,
) -> None:
    donor = await make_account(Role.DONOR)
    coordinator = await make_account(Role.COORDINATOR)
    before = await signing_secret()
    assert (await client.get("/api/donations", headers=donor.headers)).status_code == 200

    ended = await rotate_signing_key(Settings(secret_key=None))

    assert ended == 2
    after = await AppSecret.select(AppSecret.value).where(AppSecret.name == "token").first()
    assert after is not None and after["value"] != before and len(after["value"]) >= 32
    for account in (donor, coordinator):
        refused = await client.get("/api/donations", headers=account.headers)
        assert refused.status_code == 401, refused.text
    assert await UserSession.count().where(UserSession.ended_at.is_null()) == 0
    reasons = {row["end_reason"] for row in await UserSession.select(UserSession.end_reason)}
    assert reasons == {"key_rotated"}
    logged = await SecurityLogEntry.select().where(SecurityLogEntry.kind == "key_rotated")
    assert [row["detail"] for row in logged] == ["2 session(s) terminée(s)"]


async def test_a_key_from_the_environment_is_not_rotated_here(db: object) -> None:
    before = await signing_secret()

    with pytest.raises(Conflict) as refused:
        await rotate_signing_key(Settings(secret_key=SECRET))

    assert refused.value.message == (
        "La clé de signature vient de COLLECTE_SECRET_KEY : remplacez cette variable "
        "(32 octets au moins), puis redémarrez le service."
    )
    assert await signing_secret() == before


async def test_the_rotate_key_command(tmp_path: Path) -> None:
    async with dedicated_database("sqlite", tmp_path, None) as url:
        before = await signing_secret()
        environment = {
            **{k: v for k, v in os.environ.items() if k != "COLLECTE_SECRET_KEY"},
            "COLLECTE_DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "collecte.cli", "rotate-key"]

        done = subprocess.run(
            command, env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        refused = subprocess.run(
            command,
            env={**environment, "COLLECTE_SECRET_KEY": "x" * 40},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert done.returncode == 0, done.stderr
        assert "Clé de signature renouvelée ; 0 session(s) terminée(s)" in done.stdout
        assert "Redémarrez maintenant chaque processus du service" in done.stdout
        assert await signing_secret() != before
        assert refused.returncode == 1
        assert "remplacez cette variable" in refused.stderr
