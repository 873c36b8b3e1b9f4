"""The programme's settings, kept in the database with their history.

Every change appends a row (who, when, every field); the latest row is the current settings, and
before the first change the environment's (`COLLECTE_PROGRAMME_*`) stand. Nothing is kept in
process memory: every process reads the same row.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from collecte.db.tables import ProgrammeSetting
from collecte.db.transactions import write_transaction
from collecte.domain import programme as rules
from collecte.domain.access import Principal, require_coordinator
from collecte.domain.clock import now
from collecte.settings import ProgrammeSettings, Settings

HISTORY_MAX = 200


def _fields(programme: ProgrammeSettings) -> dict[str, Any]:
    """The editable fields of a programme's settings, by their API names."""
    values = asdict(programme)
    return {name: values[name] for name in rules.FIELDS}


def _view(row: dict[str, Any] | None, defaults: ProgrammeSettings) -> dict[str, Any]:
    """The settings as the API answers them, with where they come from."""
    if row is None:
        return {**_fields(defaults), "source": "environment", "changed_at": None,
                "changed_by_name": None}  # fmt: skip
    return {
        **{name: row[name] for name in rules.FIELDS},
        "source": "database",
        "changed_at": row["changed_at"],
        "changed_by_name": row["changed_by_name"],
    }


async def _latest() -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await ProgrammeSetting.select().order_by(ProgrammeSetting.id, ascending=False).first()
    )
    return row


def programme_of(defaults: ProgrammeSettings, row: dict[str, Any] | None) -> ProgrammeSettings:
    """The settings in force when `row` is the latest change (None: the environment's)."""
    if row is None:
        return defaults
    return replace(defaults, **{name: row[name] for name in rules.FIELDS})


async def current_programme(defaults: ProgrammeSettings) -> ProgrammeSettings:
    """The programme's settings in force: the latest change, else the environment's."""
    return programme_of(defaults, await _latest())


async def with_current_programme(settings: Settings) -> Settings:
    """`settings` with the programme's settings in force."""
    return settings.with_(programme=await current_programme(settings.programme))


async def get_settings(principal: Principal, settings: Settings) -> dict[str, Any]:
    """The settings in force (coordinators)."""
    require_coordinator(principal)
    return _view(await _latest(), settings.programme)


async def history(principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    """Every change, newest first (coordinators); the environment's defaults are not a change."""
    require_coordinator(principal)
    rows = (
        await ProgrammeSetting.select()
        .order_by(ProgrammeSetting.id, ascending=False)
        .limit(HISTORY_MAX)
    )
    return [_view(row, settings.programme) for row in rows]


async def update_settings(
    principal: Principal, payload: object, settings: Settings
) -> dict[str, Any]:
    """Change the settings (coordinators): the fields given replace the current ones, the others
    are kept; one new row holds them all. A refusal names the field and changes nothing."""
    require_coordinator(principal)
    async with write_transaction():
        latest = await _latest()
        current = _view(latest, settings.programme)
        values = rules.parse(payload, current)
        row = ProgrammeSetting(
            **values,
            changed_at=now(),
            changed_by=principal.user_id,
            changed_by_name=principal.display_name,
        )
        await row.save()
        return _view(row.to_dict(), settings.programme)
