"""Stored answers and sign-in attempts are forgotten after their retention, on both databases,
by the server itself (at start-up, then hourly) and by `collecte purge`; the same runs fold the
totals' shards of closed periods."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from collecte.db import outage
from collecte.db.tables import (
    DeviceTally,
    IdempotencyRecord,
    LoginAttempt,
    PasswordReset,
    UserSession,
)
from collecte.domain.clock import now
from collecte.domain.vocabulary import Role
from collecte.services import housekeeping
from collecte.services.housekeeping import purge_expired
from collecte.settings import Settings
from tests.factory import SECRET, make_account
from tests.live import LiveServer, dedicated_database, running

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")


async def _answers(*ages: timedelta, at: datetime) -> None:
    await IdempotencyRecord.insert(
        *[
            IdempotencyRecord(
                key=f"1:key-{index}",
                request_hash="0" * 64,
                status_code=200,
                body="{}",
                created_at=at - age,
            )
            for index, age in enumerate(ages)
        ]
    )


async def _attempts(*ages: timedelta, at: datetime) -> None:
    await LoginAttempt.insert(
        *[LoginAttempt(email="a@b.nc", succeeded=False, created_at=at - age) for age in ages]
    )


async def test_only_what_is_past_its_retention_goes(db: object) -> None:
    at = now()
    await _answers(timedelta(days=8), timedelta(days=7, minutes=1), timedelta(days=6), at=at)
    await _attempts(timedelta(days=31), timedelta(days=29), timedelta(minutes=1), at=at)

    purged = await purge_expired(Settings(idempotency_days=7), at=at)

    assert (purged.idempotency_records, purged.login_attempts) == (2, 1)
    assert await IdempotencyRecord.select(IdempotencyRecord.key) == [{"key": "1:key-2"}]
    assert await LoginAttempt.count() == 2


async def test_attempts_inside_a_long_sign_in_window_are_kept(db: object) -> None:
    at = now()
    await _attempts(timedelta(days=40), timedelta(days=70), at=at)
    sixty_days = Settings(login_window_seconds=60 * 24 * 3600)

    purged = await purge_expired(sixty_days, at=at)

    assert purged.login_attempts == 1
    assert await LoginAttempt.count() == 1


async def test_many_rows_go_in_batches(db: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(housekeeping, "BATCH", 3)
    at = now()
    await _answers(*[timedelta(days=10)] * 10, timedelta(hours=1), at=at)

    purged = await purge_expired(Settings(), at=at)

    assert purged.idempotency_records == 10
    assert await IdempotencyRecord.count() == 1


async def _unfolded_tally_rows() -> None:
    """Two shards of one figure of a day long past, as transitions leave them."""
    await DeviceTally.insert(
        *[
            DeviceTally(
                grain="day",
                day=date(2024, 3, 5),
                status="registered",
                dimension="all",
                key="",
                shard=shard,
                devices=devices,
                weight_g=0,
                value_xpf=0,
            )
            for shard, devices in ((3, 2), (5, 1))
        ]
    )


async def _folded() -> bool:
    rows = await DeviceTally.select(DeviceTally.shard, DeviceTally.devices)
    return rows == [{"shard": 0, "devices": 3}]


@pytest.mark.parametrize("backend_name", ["sqlite", "postgres"])
async def test_the_server_purges_when_it_starts(backend_name: str, tmp_path: Path) -> None:
    if backend_name == "postgres" and not POSTGRES_URL:
        pytest.skip("COLLECTE_TEST_POSTGRES_URL is not set")
    async with dedicated_database(backend_name, tmp_path, POSTGRES_URL) as url:
        at = now()
        await _answers(timedelta(days=30), timedelta(minutes=5), at=at)
        await _attempts(timedelta(days=90), at=at)
        await _unfolded_tally_rows()

        with running(LiveServer(url, tmp_path / "server.log", SECRET)):
            for _ in range(100):
                if (
                    await IdempotencyRecord.count() == 1
                    and await LoginAttempt.count() == 0
                    and await _folded()
                ):
                    break
                await asyncio.sleep(0.1)

        assert await IdempotencyRecord.select(IdempotencyRecord.key) == [{"key": "1:key-1"}]
        assert await LoginAttempt.count() == 0
        assert await _folded()


async def test_the_purge_command(tmp_path: Path) -> None:
    async with dedicated_database("sqlite", tmp_path, None) as url:
        at = now()
        await _answers(timedelta(days=9), timedelta(days=3), at=at)
        await _attempts(timedelta(days=45), timedelta(days=1), at=at)
        await _unfolded_tally_rows()
        environment = {**os.environ, "COLLECTE_DATABASE_URL": url, "COLLECTE_IDEMPOTENCY_DAYS": "2"}

        done = subprocess.run(
            [sys.executable, "-m", "collecte.cli", "purge"],
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert done.returncode == 0, done.stderr
        assert "2 réponse(s) rejouables de plus de 2 jour(s)" in done.stdout
        assert "1 tentative(s) de connexion de plus de 30 jour(s)" in done.stdout
        assert await IdempotencyRecord.count() == 0
        assert await LoginAttempt.count() == 1
        assert "Totaux : 1 jour(s), mois ou année(s) terminés regroupés" in done.stdout
        assert await _folded()


async def test_sessions_and_reset_links_go_30_days_after_their_end(db: object) -> None:
    at = now()
    user = await make_account(Role.DONOR)
    await UserSession.delete(force=True)  # the factory's own session
    day = timedelta(days=1)
    await UserSession.insert(
        *[
            UserSession(
                key=key,
                account=user.user_id,
                created_at=at - 40 * day,
                expires_at=expires,
                ended_at=ended,
            )
            for key, expires, ended in (
                ("expired-31-days-ago", at - 31 * day, None),
                ("expired-29-days-ago", at - 29 * day, None),
                ("ended-31-days-ago", at + day, at - 31 * day),
                ("ended-29-days-ago", at + day, at - 29 * day),
            )
        ]
    )
    await PasswordReset.insert(
        *[
            PasswordReset(
                token_hash=name, account=user.user_id, created_at=at - 40 * day, expires_at=expires
            )
            for name, expires in (("old", at - 31 * day), ("recent", at - 29 * day))
        ]
    )

    purged = await purge_expired(Settings(), at=at)

    assert purged.sessions == 2
    kept = await UserSession.select(UserSession.key).order_by(UserSession.key)
    assert kept == [{"key": "ended-29-days-ago"}, {"key": "expired-29-days-ago"}]
    assert await PasswordReset.select(PasswordReset.token_hash) == [{"token_hash": "recent"}]


def test_a_step_failing_for_an_unavailable_database_logs_one_line_not_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    outage.report_recovery()  # no incident open before
    try:
        housekeeping._failed("Folding the tally of closed periods", TimeoutError(), "1:00:00")
        assert "Database unavailable (TimeoutError: no answer)" in caplog.text
        assert "Traceback" not in caplog.text
    finally:
        outage.report_recovery()

    caplog.clear()
    try:
        raise ValueError("a bug")
    except ValueError as error:
        housekeeping._failed("Folding the tally of closed periods", error, "1:00:00")
    assert "Folding the tally of closed periods failed; next attempt in 1:00:00" in caplog.text
    assert "Traceback" in caplog.text and "ValueError: a bug" in caplog.text
