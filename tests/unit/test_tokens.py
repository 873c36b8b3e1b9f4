"""Bearer tokens: a checked signature is remembered, the token's times never are."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from collecte.auth import tokens
from collecte.domain.access import Principal
from collecte.domain.errors import Unauthenticated
from collecte.domain.vocabulary import Role

SECRET = "s" * 32
PRINCIPAL = Principal(7, "atelier@example.nc", "Marie", 3, "Atelier", Role.RECONDITIONER)
SESSION = "une-session"
CLAIMS = tokens.TokenClaims(PRINCIPAL, SESSION)


def test_a_token_reads_back_as_its_principal() -> None:
    token = tokens.issue_token(PRINCIPAL, SECRET, timedelta(hours=1), SESSION)

    assert tokens.read_token(token, SECRET) == CLAIMS
    assert tokens.read_token(token, SECRET) == CLAIMS  # the second time from the cache


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.issue_token(PRINCIPAL, SECRET, timedelta(seconds=30), SESSION)
    assert tokens.read_token(token, SECRET) == CLAIMS
    later = tokens.time.time() + 31
    monkeypatch.setattr(tokens.time, "time", lambda: later)

    with pytest.raises(Unauthenticated) as refused:
        tokens.read_token(token, SECRET)

    assert refused.value.code == "token_expired"


def test_a_remembered_token_is_refused_under_another_secret() -> None:
    token = tokens.issue_token(PRINCIPAL, SECRET, timedelta(hours=1), SESSION)
    assert tokens.read_token(token, SECRET) == CLAIMS

    with pytest.raises(Unauthenticated) as refused:
        tokens.read_token(token, "t" * 32)

    assert refused.value.code == "invalid_token"


def test_a_token_from_the_future_is_refused() -> None:
    claims = {
        "sub": "7",
        "email": "a@b.nc",
        "name": "",
        "org": 3,
        "org_name": "Atelier",
        "role": "reconditioner",
        "sid": SESSION,
    }
    moment = int(tokens.time.time())
    early = jwt.encode({**claims, "iat": moment + 600, "exp": moment + 900}, SECRET, "HS256")
    not_yet = jwt.encode({**claims, "nbf": moment + 600, "exp": moment + 900}, SECRET, "HS256")

    for token in (early, not_yet):
        with pytest.raises(Unauthenticated):
            tokens.read_token(token, SECRET)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", jwt.encode({"sub": "7", "exp": 10**10}, SECRET, "HS256")],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(Unauthenticated) as refused:
        tokens.read_token(token, SECRET)

    assert refused.value.code == "invalid_token"


def test_a_token_without_its_session_is_refused() -> None:
    claims = {
        "sub": "7",
        "email": "a@b.nc",
        "name": "",
        "org": 3,
        "org_name": "Atelier",
        "role": "reconditioner",
        "exp": int(tokens.time.time()) + 900,
    }
    for token in (
        jwt.encode(claims, SECRET, "HS256"),
        jwt.encode({**claims, "sid": ""}, SECRET, "HS256"),
        jwt.encode({**claims, "sid": 12}, SECRET, "HS256"),
    ):
        with pytest.raises(Unauthenticated) as refused:
            tokens.read_token(token, SECRET)
        assert refused.value.code == "invalid_token"
