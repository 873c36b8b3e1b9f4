"""Two server processes on one PostgreSQL database: a session ended through one is refused by the
other from its very next request (nothing about sessions is kept in process memory)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from collecte.domain.vocabulary import Role
from tests.conftest import POSTGRES_URL
from tests.factory import PASSWORD, SECRET, make_account
from tests.live import LiveServer, dedicated_database, running


async def test_what_one_process_ends_the_other_refuses_at_once(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("COLLECTE_TEST_POSTGRES_URL is not set")
    async with dedicated_database("postgres", tmp_path, POSTGRES_URL) as url:
        coordinator = await make_account(Role.COORDINATOR)
        donor = await make_account(Role.DONOR)
        one = LiveServer(url, tmp_path / "one.log", SECRET)
        two = LiveServer(url, tmp_path / "two.log", SECRET)
        with running(one), running(two):
            async with httpx.AsyncClient(timeout=10) as http:

                async def sign_in(server: LiveServer) -> dict[str, str]:
                    answer = await http.post(
                        f"{server.url}/api/auth/login",
                        json={"email": donor.email, "password": PASSWORD},
                    )
                    assert answer.status_code == 200, answer.text
                    return {"Authorization": f"Bearer {answer.json()['access_token']}"}

                token = await sign_in(one)
                # Accepted by the other process first, so its signature cache holds the token.
                seen = await http.get(f"{two.url}/api/donations", headers=token)
                assert seen.status_code == 200, seen.text

                out = await http.post(f"{one.url}/api/auth/logout", headers=token)
                assert out.status_code == 204
                refused = await http.get(f"{two.url}/api/donations", headers=token)
                assert refused.status_code == 401
                assert refused.json()["extra"]["code"] == "session_ended"

                # Deactivation through one process, the token refused by the other.
                again = await sign_in(two)
                deactivated = await http.patch(
                    f"{one.url}/api/users/{donor.user_id}",
                    json={"is_active": False},
                    headers=coordinator.headers,
                )
                assert deactivated.status_code == 200, deactivated.text
                gone = await http.get(f"{two.url}/api/donations", headers=again)
                assert gone.status_code == 401
