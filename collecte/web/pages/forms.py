"""HTML form fields turned into the payloads the services take (as the API's JSON would carry them).

Only typing happens here (text → number, checkbox → bool, lines → list); every rule about the
values is the services' and the lifecycle's, which name the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from litestar.datastructures import UploadFile

from collecte.domain.actions import STRUCTS, FieldSpec, fields_of
from collecte.domain.clock import NOUMEA
from collecte.domain.device_input import FIELDS
from collecte.domain.vocabulary import Action

_SEPARATORS = re.compile(r"[\s,;]+")
_TRUE = {"on", "true", "1", "oui", "yes"}
DEVICE_FIELDS = FIELDS  # the same columns as the CSV import, in the same order


def text(form: Any, name: str) -> str:
    """A text field, stripped ('' when absent or not text)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def integer(value: object) -> object:
    """A whole number typed in a form; anything else is passed on for the service to refuse."""
    if isinstance(value, str):
        cleaned = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        if re.fullmatch(r"-?\d{1,18}", cleaned):
            return int(cleaned)
        return cleaned or None
    return value


def decimal(value: object) -> object:
    """A decimal number typed the French way (`2,5`) or the English way (`2.5`)."""
    if isinstance(value, str):
        cleaned = value.strip().replace(",", ".")
        if not cleaned:
            return None
        try:
            return float(cleaned)
        except ValueError:
            return cleaned
    return value


def action_fields(action: object) -> tuple[FieldSpec, ...]:
    """The fields of an action's form, from its struct (none for an unknown action)."""
    try:
        return fields_of(STRUCTS[Action(str(action))])
    except ValueError:
        return ()


def action_payload(form: Any, action: str | None = None) -> dict[str, Any]:
    """The action named by a form (or `action`) and the data its fields carry, typed as the
    API's JSON would carry them; the action's struct says which fields and of what kind."""
    name = action or text(form, "action")
    payload: dict[str, Any] = {"action": name}
    for field in action_fields(name):
        if field.hidden:
            continue
        if field.kind == "rows":
            rows = row_values(form, field)
            if rows:
                payload[field.name] = rows
            continue
        if field.kind == "signature":
            # The typed name, and the drawing the pad's script leaves in a hidden input.
            signed = {key: text(form, f"{field.name}_{key}") for key in ("name", "image")}
            if any(signed.values()):
                payload[field.name] = signed
            continue
        value = text(form, field.name)
        if field.kind == "bool":
            # An unticked checkbox sends nothing: the operator did not tick it.
            payload[field.name] = value.lower() in _TRUE
        elif not value:
            continue
        else:
            payload[field.name] = typed(field, value)
    return payload


def typed(field: FieldSpec, value: str) -> Any:
    """One non-empty form value as the API's JSON would carry it."""
    if field.kind == "organization":
        return integer(value)
    if field.kind == "number":
        return decimal(value)
    if field.kind == "datetime":
        return local_moment(value)
    if field.kind == "lines":
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


def local_moment(value: str) -> str:
    """A `datetime-local` input (`2026-12-01T09:30`, no offset) read as Nouméa time; a value
    with an offset, or one that is no moment at all, is passed on for the service to judge."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=NOUMEA)
    return moment.isoformat()


def row_count(form: Any, field: FieldSpec) -> int:
    """How many rows of `field` a form carries (`media-0-serial`, `media-1-kind`, …)."""
    pattern = re.compile(rf"{re.escape(field.name)}-(\d+)-")
    indexes = [int(found.group(1)) for key in form if (found := pattern.match(str(key)))]
    return min(max(indexes, default=-1) + 1, field.max_items or 0)


def row_values(form: Any, field: FieldSpec) -> list[dict[str, Any]]:
    """The rows of a `rows` field (one record per row, `{name}-{index}-{column}`), typed; rows
    left wholly blank are skipped, the others are passed on whole for the service to judge."""
    rows = []
    for index in range(row_count(form, field)):
        row = {}
        for column in field.columns:
            value = text(form, f"{field.name}-{index}-{column.name}")
            if value:
                row[column.name] = typed(column, value)
        if row:
            rows.append(row)
    return rows


def codes(form: Any) -> list[str]:
    """The labels of a batch: checked boxes (`tags`) and/or one per line in a text area."""
    found: list[str] = []
    for value in form.getall("tags", []):
        if isinstance(value, str):
            found.extend(code for code in _SEPARATORS.split(value) if code)
    return found


def device_rows(form: Any) -> list[dict[str, Any]]:
    """The devices typed in the rows of the donation form; wholly empty rows are skipped."""
    columns = {name: list(form.getall(name, [])) for name in DEVICE_FIELDS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = []
    for index in range(count):
        row = {
            name: values[index] if index < len(values) and isinstance(values[index], str) else ""
            for name, values in columns.items()
        }
        if not any(value.strip() for value in row.values()):
            continue
        rows.append(row)
    return rows


def device_payload(row: Mapping[str, str]) -> dict[str, Any]:
    """One form row as the device fields the donation service takes (blank → absent)."""
    payload: dict[str, Any] = {}
    for name, value in row.items():
        value = value.strip()
        if not value:
            continue
        if name in ("year", "estimated_value_xpf"):
            payload[name] = integer(value)
        elif name == "weight_kg":
            payload[name] = decimal(value)
        else:
            payload[name] = value  # has_storage: "oui"/"non", read by the service
    return payload


async def upload_bytes(form: Any, name: str) -> bytes:
    """The content of an uploaded file field (b'' when none was chosen)."""
    upload = form.get(name)
    if isinstance(upload, UploadFile):
        return await upload.read()
    return b""


def rows_shown(field: FieldSpec, values: Mapping[str, Any]) -> int:
    """How many rows a form shows: those already typed (at least one), and one more when the
    user asked for it ("Ajouter un support"), within the field's limit."""
    shown = max(row_count(values, field), 1)
    if values.get("more_rows") == field.name:
        shown += 1
    return min(shown, field.max_items or shown)
