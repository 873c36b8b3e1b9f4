"""The erasure records a device's custody log holds, read for the gates and for tool reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from collecte.db.chunks import each_chunk
from collecte.db.tables import Device, DeviceEvent
from collecte.domain.erasure import MediumRecord, records_in
from collecte.domain.errors import Invalid
from collecte.domain.lifecycle import counted_wipes
from collecte.domain.vocabulary import Action
from collecte.i18n import msg


async def media_of(device_ids: Sequence[int]) -> dict[int, list[MediumRecord]]:
    """The erasure records that count for these devices, oldest first, from their `wipe` events:
    those after the device's last `return` and not undone by a `revert` (`counted_wipes`)."""
    media: dict[int, list[MediumRecord]] = {device_id: [] for device_id in device_ids}
    if not device_ids:
        return media
    kinds = [Action.WIPE.value, Action.RETURN.value, Action.REVERT.value]
    rows = await each_chunk(
        list(device_ids),
        lambda part: (
            DeviceEvent.select(
                DeviceEvent.id, DeviceEvent.device, DeviceEvent.action, DeviceEvent.data
            )
            .where(DeviceEvent.device.is_in(part) & DeviceEvent.action.is_in(kinds))
            .order_by(DeviceEvent.id)
            .output(load_json=True)
        ),
    )  # each device's events come whole from one piece, oldest first
    events: dict[int, list[dict[str, Any]]] = {device_id: [] for device_id in device_ids}
    for row in rows:
        events[row["device"]].append(row)
    for device_id, history in events.items():
        for event in counted_wipes(history):
            media[device_id].extend(records_in(event["data"] or {}))
    return media


async def check_report_names_the_device(row: dict[str, Any], named: Iterable[str | None]) -> None:
    """Refuse a tool's report filed on the wrong device: one whose media serials are none of
    the device's known ones (its own serial, the media already recorded) when those are known,
    or that names another device's serial. A report without serials, or for a device whose
    media are not known yet, cannot be checked and is accepted."""
    serials = sorted({serial for serial in named if serial})
    if not serials:
        return
    recorded = {record.serial for record in (await media_of([row["id"]]))[row["id"]]}
    known = recorded | ({row["serial_number"]} if row.get("serial_number") else set())
    if known & set(serials):
        return
    elsewhere = await Device.exists().where(
        Device.serial_number.is_in(serials) & (Device.id != row["id"])
    )
    if recorded or elsewhere:
        raise Invalid(
            msg(
                "Ce rapport ne nomme aucun support de cet appareil : il nomme {named} ; "
                "l’appareil connaît {known}.",
                named=", ".join(serials),
                known=", ".join(sorted(known)) or "—",
            ),
            "file",
        )
