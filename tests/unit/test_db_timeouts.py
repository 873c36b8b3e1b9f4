"""The database timeouts are settings with sane defaults, refused when not a positive number."""

from __future__ import annotations

import pytest

from collecte.settings import DatabaseTimeouts, load_settings


def test_the_defaults_bound_every_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONNECT", "ACQUIRE", "STATEMENT"):
        monkeypatch.delenv(f"COLLECTE_DB_{name}_TIMEOUT", raising=False)

    timeouts = load_settings().db_timeouts

    assert timeouts == DatabaseTimeouts(connect=5.0, acquire=5.0, statement=30.0)


def test_each_timeout_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTE_DB_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("COLLECTE_DB_ACQUIRE_TIMEOUT", "1.5")
    monkeypatch.setenv("COLLECTE_DB_STATEMENT_TIMEOUT", "120")

    assert load_settings().db_timeouts == DatabaseTimeouts(connect=2, acquire=1.5, statement=120)


@pytest.mark.parametrize("raw", ["0", "-3", "soon", "nan", "inf"])
def test_a_timeout_that_is_not_a_positive_number_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("COLLECTE_DB_STATEMENT_TIMEOUT", raw)

    with pytest.raises(SystemExit, match="COLLECTE_DB_STATEMENT_TIMEOUT doit être un nombre"):
        load_settings()
