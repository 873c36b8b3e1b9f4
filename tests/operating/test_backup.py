"""`collecte backup` while the service serves, then a restore that still verifies certificates.

A certificate is issued through the running server; the backup runs as a separate command while
clients keep moving devices; the copy is restored into a fresh location (a file copied back on
SQLite, `pg_restore` into a new database on PostgreSQL), the server is started on it, and the
certificate issued before the backup verifies there with the same SHA-256.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from collecte.domain.access import Principal
from collecte.domain.vocabulary import Role
from collecte.services.donations import create_donation
from tests.factory import SECRET, WIPE, Account, make_account
from tests.live import ROOT, LiveServer, _with_database, dedicated_database, running

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")
DEVICES = 30


async def _seed() -> tuple[Account, list[str]]:
    coordinator = await make_account(Role.COORDINATOR)
    reconditioner = await make_account(Role.RECONDITIONER)
    donor = await make_account(Role.DONOR)
    principal = Principal(
        coordinator.user_id,
        coordinator.email,
        "",
        coordinator.organization_id,
        coordinator.organization_name,
        Role.COORDINATOR,
    )
    devices = [
        {"category": "laptop", "serial_number": f"SN-{i}", "has_storage": True}
        for i in range(DEVICES)
    ]
    donation = await create_donation(
        principal, {"donor_id": donor.organization_id, "devices": devices}, DEVICES
    )
    return reconditioner, [d["tag"] for d in donation["devices"]]


async def _backup(database_url: str, dest: Path) -> subprocess.CompletedProcess[bytes]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "collecte.cli",
        "backup",
        str(dest),
        cwd=ROOT,
        env={**os.environ, "COLLECTE_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return subprocess.CompletedProcess([], process.returncode, out, err)


async def _keep_moving(http: httpx.AsyncClient, tags: list[str], headers: dict[str, str]) -> int:
    """Move devices one by one (collect) while the backup runs; how many were moved."""
    moved = 0
    for tag in tags:
        response = await http.post(
            f"/api/devices/{tag}/transitions", json={"action": "collect"}, headers=headers
        )
        assert response.status_code == 200, response.text
        moved += 1
    return moved


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_backup_while_serving_then_restore_verifies(tmp_path: Path, backend: str) -> None:
    if backend == "postgres" and not POSTGRES_URL:
        pytest.skip("COLLECTE_TEST_POSTGRES_URL not set")
    if backend == "postgres" and not shutil.which("pg_restore"):
        pytest.skip("pg_dump/pg_restore not on PATH")
    async with dedicated_database(backend, tmp_path, POSTGRES_URL) as url:
        workshop, tags = await _seed()
        server = LiveServer(url, tmp_path / "server.log", SECRET)
        with running(server):
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                for action, data in (("collect", {}), ("receive", {}), ("wipe", WIPE)):
                    issued = await http.post(
                        "/api/transitions",
                        json={"action": action, "tags": tags[:5], **data},
                        headers=workshop.headers,
                    )
                    assert issued.status_code == 200, issued.text
                number = issued.json()["certificate"]["number"]
                before = (await http.get(f"/api/verify/{number}")).json()
                assert before["valid"] is True

                moving = asyncio.create_task(_keep_moving(http, tags[5:], workshop.headers))
                done = await _backup(url, tmp_path)
                assert await moving == DEVICES - 5
        assert done.returncode == 0, done.stderr.decode()
        (written,) = [p for p in tmp_path.iterdir() if p.name.startswith("collecte-")]
        assert str(written) in done.stdout.decode()
        assert not list(tmp_path.glob("*.partial"))

        restored_url = await _restore(backend, written, tmp_path)
        try:
            again = LiveServer(restored_url, tmp_path / "restored.log", SECRET)
            with running(again):
                after = httpx.get(f"{again.url}/api/verify/{number}", timeout=10)
        finally:
            await _drop(backend, restored_url)
        assert after.status_code == 200, after.text
        assert after.json()["valid"] is True
        assert after.json()["sha256"] == before["sha256"]


async def _restore(backend: str, backup: Path, workdir: Path) -> str:
    """Restore `backup` into a fresh location, as the README says; its URL."""
    if backend == "sqlite":
        folder = workdir / "restored"
        folder.mkdir()
        shutil.copyfile(backup, folder / "collecte.sqlite3")
        return f"sqlite:///{folder / 'collecte.sqlite3'}"
    assert POSTGRES_URL
    name = f"collecte_restored_{os.getpid()}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(POSTGRES_URL, name)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", url, str(backup)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return url


async def _drop(backend: str, url: str) -> Any:
    if backend == "postgres" and POSTGRES_URL:
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)')
        finally:
            await admin.close()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collecte.cli", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_postgres_without_pg_dump_says_what_to_run(tmp_path: Path) -> None:
    env = {"COLLECTE_DATABASE_URL": "postgresql://collecte:secret@db/collecte", "PATH": ""}
    result = _cli(env, "backup", str(tmp_path / "collecte.dump"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "secret" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f'pg_dump -Fc --file {tmp_path / "collecte.dump"} "$COLLECTE_DATABASE_URL"'
    )


def test_a_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    database = tmp_path / "collecte.sqlite3"
    existing = tmp_path / "copy.sqlite3"
    existing.write_bytes(b"older backup")
    env = {"COLLECTE_DATABASE_URL": f"sqlite:///{database}"}
    assert _cli(env, "migrate").returncode == 0
    result = _cli(env, "backup", str(existing))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"« {existing} » existe déjà : une sauvegarde n’écrase jamais un fichier."
    )
    assert existing.read_bytes() == b"older backup"
