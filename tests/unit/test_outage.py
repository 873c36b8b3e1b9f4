"""Which SQLite errors mean "the database does not answer" (503) and which are bugs (500)."""

from __future__ import annotations

import sqlite3

import pytest

from collecte.db.outage import sqlite_unavailable


@pytest.mark.parametrize(
    "text",
    ["unable to open database file", "database is locked", "disk I/O error"],
)
def test_sqlite_out_of_reach_is_an_outage(text: str) -> None:
    assert sqlite_unavailable(sqlite3.OperationalError(text))


@pytest.mark.parametrize("text", ["no such table: device", 'near "SELEC": syntax error'])
def test_other_sqlite_errors_are_bugs(text: str) -> None:
    assert not sqlite_unavailable(sqlite3.OperationalError(text))


def test_only_sqlite_operational_errors_count() -> None:
    assert not sqlite_unavailable(sqlite3.IntegrityError("database is locked"))
    assert not sqlite_unavailable(ValueError("unable to open database file"))
