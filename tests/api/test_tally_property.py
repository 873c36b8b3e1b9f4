"""The totals stay honest whatever happens: random valid sequences of actions (the exceptions
included) driven through the API on both databases, then the tally compared with a recount of
the devices (`GROUP BY status`).

Bounded for `make test` (EXAMPLES); `bench/bench_tally_property.py` runs many more.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collecte.db.tables import Device
from collecte.services.totals import tally_drift
from tests.factory import WIPE, World, act, make_donation, make_world

EXAMPLES = int(os.environ.get("COLLECTE_TALLY_EXAMPLES", "25"))
DEVICES = 3
MAX_STEPS = 14


def data_for(action: str, device: dict[str, Any], world: World) -> dict[str, Any]:
    """Valid data for `action` on `device`, as the coordinator gives it."""
    workshops = [world.reconditioner.organization_id, world.other_reconditioner.organization_id]
    current = (device.get("reconditioner") or {}).get("id")
    other = next(w for w in workshops if w != current)
    return {
        "collect": {"reconditioner_id": workshops[0]},
        "wipe": WIPE,
        "refurbish": {"grade": "B"},
        "recycle": {"channel": "Filière DEEE", "weight_kg": 2.5},
        "allocate": {"association_id": world.association.organization_id},
        "withdraw": {"reason": "Gardé"},
        "deallocate": {"reason": "Erreur"},
        "refuse": {"reason": "Inutile"},
        "report_missing": {"reason": "Perdu"},
        "return": {"reason": "En panne", "reconditioner_id": workshops[0]},
        "transfer": {"reconditioner_id": other},
        "revert": {"reason": "Mauvais scan"},
    }.get(action, {})


async def drive(
    client: httpx.AsyncClient, world: World, tags: list[str], choices: list[tuple[int, int]]
) -> list[str]:
    """Apply `choices` (device index, action index among those allowed) as the coordinator;
    return the actions done. An action refused by a rule checked on data only (the erasure
    gate, a revert of a revert) is a valid refusal: the sequence goes on."""
    done = []
    for device_index, action_index in choices:
        tag = tags[device_index % len(tags)]
        response = await client.get(f"/api/devices/{tag}", headers=world.coordinator.headers)
        device = response.json()
        allowed = device["allowed_actions"]
        if not allowed:
            continue
        action = allowed[action_index % len(allowed)]
        moved = await act(client, world.coordinator, tag, action, **data_for(action, device, world))
        assert moved.status_code in (200, 409), (action, moved.text)
        if moved.status_code == 200:
            done.append(action)
    return done


async def check_tally(client: httpx.AsyncClient, world: World) -> None:
    """The tally equals a full recount of the devices."""
    response = await client.get("/api/totals", headers=world.coordinator.headers)
    assert response.status_code == 200, response.text
    by_status = response.json()["devices"]["by_status"]
    rows = await Device.raw("SELECT status, count(*) AS devices FROM device GROUP BY status")
    recount = {row["status"]: int(row["devices"]) for row in rows}
    assert by_status == {status: recount.get(status, 0) for status in by_status}
    assert sum(by_status.values()) == sum(recount.values())
    # The public counters count each device once, in its current status.
    public = (await client.get("/api/public/totals")).json()
    assert public["delivered"] == recount.get("delivered", 0)
    assert public["recycled"] == recount.get("recycled", 0)
    not_collected = recount.get("registered", 0) + recount.get("withdrawn", 0)
    assert public["collected"] == sum(recount.values()) - not_collected
    assert await tally_drift() == 0


steps = st.lists(
    st.tuples(st.integers(0, DEVICES - 1), st.integers(0, 7)), min_size=1, max_size=MAX_STEPS
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(choices=steps)
async def test_the_tally_equals_a_recount_after_any_sequence(
    client: httpx.AsyncClient, choices: list[tuple[int, int]]
) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=DEVICES)
    tags = [device["tag"] for device in donation["devices"]]
    await drive(client, world, tags, choices)
    await check_tally(client, world)
