"""HTML form fields turned into the payloads the services take (as the API's JSON would carry them).

Only typing happens here (text → number, checkbox → bool, lines → list); every rule about the
values is the services' and the lifecycle's, which name the field at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from litestar.datastructures import UploadFile

from collecte.domain.device_input import FIELDS

_TEXT_FIELDS = (
    "tool",
    "method",
    "destination",
    "grade",
    "notes",
    "channel",
    "received_by",
    "reason",
)
_ID_FIELDS = ("reconditioner_id", "association_id")
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


def action_payload(form: Any) -> dict[str, Any]:
    """The action named by a form and the data it carries."""
    payload: dict[str, Any] = {"action": text(form, "action")}
    for name in _TEXT_FIELDS:
        if value := text(form, name):
            payload[name] = value
    for name in _ID_FIELDS:
        if value := text(form, name):
            payload[name] = integer(value)
    if payload["action"] == "wipe":
        # An unticked checkbox sends nothing: the operator did not verify.
        payload["verified"] = text(form, "verified").lower() in _TRUE
        serials = text(form, "storage_serials")
        if serials:
            payload["storage_serials"] = [s.strip() for s in serials.splitlines() if s.strip()]
    if payload["action"] == "recycle" and (weight := text(form, "weight_kg")):
        payload["weight_kg"] = decimal(weight)
    return payload


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
