"""Time, always aware: stored in UTC, shown and counted by day in Nouméa."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

NOUMEA = ZoneInfo("Pacific/Noumea")


def now() -> datetime:
    """The current time in UTC (what the database stores)."""
    return datetime.now(UTC)


def noumea_year(moment: datetime | None = None) -> int:
    """The calendar year in Nouméa at `moment` (default now): numbering restarts each year."""
    return (moment or now()).astimezone(NOUMEA).year
