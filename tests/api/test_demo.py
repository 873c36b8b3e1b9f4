"""`collecte demo`: fictional data loaded through the services, every status represented.

One test per backend: the demo creates eleven accounts, and each Argon2 hash is slow on purpose.
"""

from __future__ import annotations

from datetime import timedelta

from piccolo.engine.base import Engine

from collecte.db.tables import (
    Certificate,
    Device,
    DeviceEvent,
    Donation,
    Pickup,
    TreatmentOperator,
    User,
)
from collecte.demo import DEMO_PASSWORD, load_demo
from collecte.domain.vocabulary import Role, Status
from collecte.services.accounts import LoginPolicy, login


async def test_demo_covers_every_status_and_loads_only_once(db: Engine) -> None:
    summary = await load_demo(60)

    devices = await Device.select(Device.id, Device.status, Device.grade, Device.has_storage)
    assert len(devices) == 60
    # Every status, a device gone missing and one returned included.
    assert {row["status"] for row in devices} == {status.value for status in Status}
    assert {row["grade"] for row in devices if row["grade"]} == {"A", "B", "C"}
    assert "60 appareils" in summary
    assert DEMO_PASSWORD in summary

    # The custody log agrees with every device, and no storage skipped its wipe.
    events = await DeviceEvent.select(
        DeviceEvent.device, DeviceEvent.action, DeviceEvent.to_status
    ).order_by(DeviceEvent.id)
    last: dict[int, str] = {}
    actions: dict[int, list[str]] = {}
    for event in events:
        last[event["device"]] = event["to_status"]
        actions.setdefault(event["device"], []).append(event["action"])
    for row in devices:
        assert last[row["id"]] == row["status"], row
        assert actions[row["id"]][0] == "register", row
        if row["has_storage"] and row["status"] in ("refurbished", "recycled", "delivered"):
            assert "wipe" in actions[row["id"]], row

    # Every pickup is closed, signed, with its one donation attestation.
    pickups = await Pickup.select(Pickup.status, Pickup.signature_name, Pickup.certificate_number)
    assert pickups and {p["status"] for p in pickups} == {"closed"}
    assert all(p["signature_name"] and p["certificate_number"] for p in pickups)
    donations = await Certificate.count().where(Certificate.kind == "donation")
    assert donations == len(pickups)

    # Recyclings name an operator of the coordination's list and their waste tracking slip.
    operators = {o["id"] for o in await TreatmentOperator.select(TreatmentOperator.id)}
    recycled = (
        await DeviceEvent.select(DeviceEvent.data)
        .where(DeviceEvent.action == "recycle")
        .output(load_json=True)
    )
    assert recycled and len(operators) == 2
    for event in recycled:
        assert event["data"]["treatment_operator_id"] in operators, event
        assert event["data"]["bsd_number"].startswith("BSD-"), event

    # The demo accounts sign in with the published password.
    principal = await login(
        "donateur@banque-exemple.nc", DEMO_PASSWORD, LoginPolicy(5, timedelta(minutes=15))
    )
    assert principal.role is Role.DONOR
    assert principal.organization_name == "Banque Exemple du Pacifique"

    # A second run reuses everything and adds nothing.
    counts = (
        await User.count(),
        await Device.count(),
        await DeviceEvent.count(),
        await Donation.count(),
    )
    again = await load_demo(60)
    assert "déjà chargées" in again
    assert counts[0] == 11
    assert (
        await User.count(),
        await Device.count(),
        await DeviceEvent.count(),
        await Donation.count(),
    ) == counts
