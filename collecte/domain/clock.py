"""Time, always aware: stored in UTC, shown and counted by day in Nouméa."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

NOUMEA = ZoneInfo("Pacific/Noumea")

Clock = Callable[[], datetime]
"""What tells the time: `now` in service; jobs take one, so tests move it instead of sleeping."""


def now() -> datetime:
    """The current time in UTC (what the database stores)."""
    return datetime.now(UTC)


def noumea_year(moment: datetime | None = None) -> int:
    """The calendar year in Nouméa at `moment` (default now): numbering restarts each year."""
    return (moment or now()).astimezone(NOUMEA).year


def noumea_day_start(moment: datetime) -> datetime:
    """The midnight in Nouméa that began the day of `moment` (Nouméa has no daylight saving)."""
    local = moment.astimezone(NOUMEA)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def next_noumea_midnight(moment: datetime) -> datetime:
    """The midnight in Nouméa that ends the day of `moment`."""
    return noumea_day_start(noumea_day_start(moment) + timedelta(hours=36))
