"""Gapless, duplicate-free numbers (LOT-2026-00001): a counter row bumped in the caller's
transaction, so a rolled-back transaction gives its number back."""

from __future__ import annotations

from collecte.db.tables import Counter
from collecte.domain.clock import noumea_year


async def next_number(prefix: str, year: int | None = None) -> str:
    """Return the next `{prefix}-{year}-{NNNNN}`; call it inside a write transaction."""
    year = year or noumea_year()
    name = f"{prefix}-{year}"
    # One statement on both databases: the first number of a year creates the row, and the
    # row lock (PostgreSQL) or the single writer (SQLite) keeps concurrent issuers in line.
    rows = await Counter.raw(
        "INSERT INTO counter (name, value) VALUES ({}, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value",
        name,
    )
    return f"{name}-{rows[0]['value']:05d}"
