"""Hostile JSON bodies answer 400 naming the problem: never a 500, never a traceback in the log.

msgspec recurses once per nesting level, so ~1000 levels raised RecursionError (a 500), on the
public sign-in too; huge numbers and duplicate keys are refused the same way, in one place
(collecte.web.requests).
"""

from __future__ import annotations

import logging

import httpx
import pytest

from collecte.domain.vocabulary import Role
from tests.factory import Account, make_account

DEEP = "JSON invalide : trop de niveaux d’imbrication."
OUT_OF_RANGE = "JSON invalide : nombre hors limites."

HOSTILE = [
    pytest.param("[" * 1000 + "]" * 1000, DEEP, id="array-1000-deep"),
    pytest.param('{"email":' + '{"a":' * 1000 + "1" + "}" * 1001, DEEP, id="object-1000-deep"),
    pytest.param('{"email": "a@b.nc", "password": 1e400}', OUT_OF_RANGE, id="1e400"),
    pytest.param('{"email": "a@b.nc", "password": -1e400}', OUT_OF_RANGE, id="-1e400"),
    pytest.param(
        '{"email": "a@b.nc", "password": ' + "9" * 5000 + "}", OUT_OF_RANGE, id="5000-digits"
    ),
    pytest.param(
        '{"email": "a@b.nc", "email" : "x@y.nc", "password": "p"}',
        "JSON invalide : la clé « email » apparaît deux fois.",
        id="duplicate-key",
    ),
    pytest.param(
        '{"devices": [{"brand": "A", "brand": "B"}]}',
        "JSON invalide : la clé « brand » apparaît deux fois.",
        id="duplicate-key-nested",
    ),
]


async def _post(
    client: httpx.AsyncClient, path: str, body: str, account: Account | None
) -> httpx.Response:
    headers = {"Content-Type": "application/json", **(account.headers if account else {})}
    return await client.post(path, content=body, headers=headers)


@pytest.mark.parametrize(("body", "detail"), HOSTILE)
@pytest.mark.parametrize("route", ["public", "authenticated"])
async def test_hostile_json_is_a_400_naming_why(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    body: str,
    detail: str,
    route: str,
) -> None:
    account = await make_account(Role.DONOR) if route == "authenticated" else None
    path = "/api/donations" if account else "/api/auth/login"
    caplog.set_level(logging.WARNING)

    response = await _post(client, path, body, account)

    assert response.status_code == 400
    assert response.json()["detail"] == detail
    assert response.json()["extra"]["code"] == "invalid_json"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_the_reason_is_said_in_english_too(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login",
        content="[" * 1000 + "]" * 1000,
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid JSON: nested too deeply."


async def test_truncated_json_is_a_400_in_our_words(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content='{"email":', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON invalide : ")
    assert response.json()["extra"]["code"] == "invalid_json"


async def test_the_other_side_of_each_limit_is_read(client: httpx.AsyncClient) -> None:
    account = await make_account(Role.DONOR)
    # Fifty levels is deep but readable: the body is read, and refused for its content (422).
    nested = '{"devices": ' + "[" * 50 + "]" * 50 + "}"
    # The same key in two different objects is no ambiguity; 1e308 is a float.
    twice = (
        '{"devices": [{"category": "laptop", "brand": "A", "model": "B", "serial_number": "1"},'
        ' {"category": "laptop", "brand": "A", "model": "B", "serial_number": "2"}]}'
    )
    large = '{"email": "a@b.nc", "password": 1e308}'

    nested_answer = await _post(client, "/api/donations", nested, account)
    twice_answer = await _post(client, "/api/donations", twice, account)
    large_answer = await _post(client, "/api/auth/login", large, None)

    assert nested_answer.status_code == 422
    assert twice_answer.status_code == 201
    assert large_answer.status_code == 422
    assert large_answer.json()["extra"]["field"] == "password"
