"""The programme's settings (coordinators): read, change, and every past change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get, put
from litestar.params import JSONBody
from msgspec import Meta, Struct

from collecte.domain import programme as rules
from collecte.domain import text
from collecte.domain.text import FILLED_LINE, SINGLE_LINE, WHITESPACE
from collecte.services import programme
from collecte.web.auth import principal_of
from collecte.web.openapi_bodies import json_body
from collecte.web.responses import Answer
from collecte.web.schemas import documented

MinimumMethod = Literal["", "clear", "purge", "destruct"]


# The services' rules (collecte.domain.programme), for the document: what the schema admits is
# accepted, but for the number of lines of a multi-line text, which the descriptions state.
_W = WHITESPACE
RIDET_PATTERN = rf"^[{_W}]*(?:[0-9]{{7}}(?:[ .]?[0-9]{{3}})?)?[{_W}]*$"
_MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def _line(pattern: str = SINGLE_LINE, **rules: Any) -> Any:
    return Meta(extra_json_schema=documented(pattern, **rules))


def _lines(max_length: int, max_lines: int, description: str = "") -> Any:
    said = f"At most {max_lines} lines. {description}".strip()
    return Meta(description=said, extra_json_schema=documented(_MULTI_LINE, maxLength=max_length))


class ProgrammeSettingsIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """The fields to change; an absent one keeps its value."""

    name: Annotated[str, _line(FILLED_LINE, minLength=1, maxLength=rules.NAME_MAX)] = ""
    operator: Annotated[str, _line(FILLED_LINE, minLength=1, maxLength=rules.NAME_MAX)] = ""
    ridet: Annotated[
        str,
        Meta(
            description="7 digits, then optionally the establishment's 3 (1234567.001); "
            "empty: unknown",
            extra_json_schema=documented(RIDET_PATTERN, maxLength=20),
        ),
    ] = ""
    address: Annotated[str, _lines(text.ADDRESS_MAX, text.ADDRESS_LINES)] = ""
    signatory_name: Annotated[str, _line(maxLength=rules.LINE_MAX)] = ""
    signatory_title: Annotated[str, _line(maxLength=rules.LINE_MAX)] = ""
    legal_mention: Annotated[
        str,
        _lines(
            rules.LEGAL_MENTION_MAX,
            rules.LEGAL_MENTION_LINES,
            "Printed on donation attestations when set; empty: none.",
        ),
    ] = ""
    tax_receipts_eligible: Annotated[
        bool,
        Meta(
            description="The programme holds a DSF ruling: donation attestations are tax "
            "receipts, and every field of the DSF model is required before one is issued"
        ),
    ] = False
    minimum_erasure_method: Annotated[
        MinimumMethod,
        Meta(description="The least method class a wipe may record; empty: any"),
    ] = ""
    impact_note: Annotated[str, _lines(rules.IMPACT_NOTE_MAX, rules.IMPACT_NOTE_LINES)] = ""


class ProgrammeSettingsOut(Answer):
    """The settings in force, or one past change; `source` says whether they come from the
    database (a change) or from the environment's defaults (no change yet)."""

    name: str
    operator: str
    ridet: str
    address: str
    signatory_name: str
    signatory_title: str
    legal_mention: str
    tax_receipts_eligible: bool
    minimum_erasure_method: MinimumMethod
    impact_note: str
    source: Literal["database", "environment"]
    changed_at: Annotated[datetime | None, Meta(description="null: the environment's defaults")]
    changed_by_name: Annotated[str | None, Meta(description="Who changed them (a copy)")]


@get("/api/programme/settings", tags=["programme"], summary="The programme's settings")
async def get_programme_settings(request: Request[Any, Any, Any]) -> ProgrammeSettingsOut:
    """Coordinators. The settings in force: the latest change, else the environment's."""
    found = await programme.get_settings(principal_of(request), request.app.state.settings)
    return msgspec.convert(found, ProgrammeSettingsOut)


@put(
    "/api/programme/settings",
    tags=["programme"],
    summary="Change the programme's settings",
    operation_class=json_body(ProgrammeSettingsIn),
)
async def put_programme_settings(
    request: Request[Any, Any, Any], data: JSONBody[dict[str, Any]]
) -> ProgrammeSettingsOut:
    """Coordinators. The fields given replace the current ones (an absent one is kept); the
    change is kept in the history with who made it and when. A field refused → 422 naming it,
    nothing changed."""
    found = await programme.update_settings(principal_of(request), data, request.app.state.settings)
    return msgspec.convert(found, ProgrammeSettingsOut)


@get(
    "/api/programme/settings/history",
    tags=["programme"],
    summary="Past changes of the programme's settings",
)
async def programme_settings_history(
    request: Request[Any, Any, Any],
) -> list[ProgrammeSettingsOut]:
    """Coordinators. Every change (the latest 200), newest first."""
    found = await programme.history(principal_of(request), request.app.state.settings)
    return msgspec.convert(found, list[ProgrammeSettingsOut])
