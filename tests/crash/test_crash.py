"""The server killed with SIGKILL in the middle of a warehouse's scans loses and doubles nothing.

Many clients walk devices through the lifecycle (collect → receive → refurbish or wipe, with
certificates), each request with an Idempotency-Key as a scanner app would send it. The server
(`collecte serve`, a subprocess) is killed mid-load, started again on the same database, and the
clients retry what they never heard back about. Then, in the database:

- every transition a client saw acknowledged (200) is there, and the device is at least that far;
- no transition is applied twice (one event per device and action);
- every device's status is the `to_status` of its last event;
- every certificate an event cites exists, and the numbers of each kind have no gap.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from collecte.db.tables import Certificate, Device, DeviceEvent
from collecte.domain.access import Principal
from collecte.domain.vocabulary import Role, Status
from collecte.services.donations import create_donation
from tests.factory import SECRET, WIPE, Account, make_account
from tests.live import LiveServer, dedicated_database

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")
DEVICES = 120
CLIENTS = 16
KILL_AFTER_ACKS = 50  # acknowledged transitions before the kill
LOAD_TIMEOUT_S = 20
# The reuse path as far as each kind of device goes here; the order statuses are reached in.
CHAINS = {
    False: [("collect", {}), ("receive", {}), ("refurbish", {"grade": "B"})],
    True: [("collect", {}), ("receive", {}), ("wipe", WIPE)],
}
ORDER = [Status.REGISTERED, Status.COLLECTED, Status.RECEIVED, Status.WIPED, Status.REFURBISHED]
REACHES = {
    "collect": Status.COLLECTED,
    "receive": Status.RECEIVED,
    "wipe": Status.WIPED,
    "refurbish": Status.REFURBISHED,
}


@dataclass
class Outcomes:
    """What the clients saw."""

    acknowledged: dict[tuple[str, str], str] = field(default_factory=dict)  # → status answered
    unknown: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # → request
    refused: list[tuple[str, str, int, str]] = field(default_factory=list)
    enough: asyncio.Event = field(default_factory=asyncio.Event)


async def _seed() -> tuple[Account, list[tuple[str, bool]]]:
    coordinator = await make_account(Role.COORDINATOR)
    reconditioner = await make_account(Role.RECONDITIONER)
    donor = await make_account(Role.DONOR)
    principal = Principal(
        coordinator.user_id,
        coordinator.email,
        "",
        coordinator.organization_id,
        coordinator.organization_name,
        Role.COORDINATOR,
    )
    devices = [
        {"category": "laptop", "serial_number": f"SN-{i}", "has_storage": i % 4 == 0}
        for i in range(DEVICES)
    ]
    donation = await create_donation(
        principal, {"donor_id": donor.organization_id, "devices": devices}, DEVICES
    )
    return reconditioner, [(d["tag"], d["has_storage"]) for d in donation["devices"]]


async def _client(
    http: httpx.AsyncClient,
    queue: asyncio.Queue[tuple[str, bool]],
    headers: dict[str, str],
    outcomes: Outcomes,
) -> None:
    """Walk devices from the queue along their chain until the server stops answering."""
    while not queue.empty():
        tag, has_storage = queue.get_nowait()
        for action, data in CHAINS[has_storage]:
            request = {"action": action, **data}
            try:
                response = await http.post(
                    f"/api/devices/{tag}/transitions",
                    json=request,
                    headers={**headers, "Idempotency-Key": f"{tag}:{action}"},
                )
            except httpx.HTTPError:
                outcomes.unknown[(tag, action)] = request
                return  # the server is gone: this client stops, as a scanner would
            if response.status_code != 200:
                outcomes.refused.append((tag, action, response.status_code, response.text))
                break
            outcomes.acknowledged[(tag, action)] = response.json()["status"]
            if len(outcomes.acknowledged) >= KILL_AFTER_ACKS:
                outcomes.enough.set()


async def _load_then_kill(
    server: LiveServer, devices: list[tuple[str, bool]], headers: dict[str, str]
) -> Outcomes:
    outcomes = Outcomes()
    queue: asyncio.Queue[tuple[str, bool]] = asyncio.Queue()
    for item in devices:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=server.url, timeout=10, limits=limits) as http:
        clients = [
            asyncio.create_task(_client(http, queue, headers, outcomes)) for _ in range(CLIENTS)
        ]
        await asyncio.wait_for(outcomes.enough.wait(), LOAD_TIMEOUT_S)
        server.kill()  # SIGKILL, requests in flight
        await asyncio.wait_for(asyncio.gather(*clients), LOAD_TIMEOUT_S)
    return outcomes


async def _retry_unknown(server: LiveServer, outcomes: Outcomes, headers: dict[str, str]) -> None:
    """What a scanner does after a network error: send the same request, same key."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        for (tag, action), request in sorted(outcomes.unknown.items()):
            response = await http.post(
                f"/api/devices/{tag}/transitions",
                json=request,
                headers={**headers, "Idempotency-Key": f"{tag}:{action}"},
            )
            assert response.status_code == 200, (tag, action, response.text)
            assert response.json()["status"] == REACHES[action].value
            outcomes.acknowledged[(tag, action)] = response.json()["status"]


async def _check_database(outcomes: Outcomes) -> None:
    devices = {row["id"]: row for row in await Device.select(Device.id, Device.tag, Device.status)}
    tag_of = {row["id"]: row["tag"] for row in devices.values()}
    events = await DeviceEvent.select(
        DeviceEvent.id,
        DeviceEvent.device,
        DeviceEvent.action,
        DeviceEvent.to_status,
        DeviceEvent.certificate_number,
    ).order_by(DeviceEvent.id)

    per_pair = Counter((tag_of[e["device"]], e["action"]) for e in events)
    doubled = {pair: count for pair, count in per_pair.items() if count > 1}
    assert not doubled, f"applied twice: {doubled}"

    missing = [pair for pair in outcomes.acknowledged if pair not in per_pair]
    assert not missing, f"acknowledged but not in the database: {missing}"

    status_of = {row["tag"]: Status(row["status"]) for row in devices.values()}
    behind = [
        (tag, action, status_of[tag])
        for (tag, action) in outcomes.acknowledged
        if ORDER.index(status_of[tag]) < ORDER.index(REACHES[action])
    ]
    assert not behind, f"devices behind an acknowledged transition: {behind}"

    last_event: dict[int, dict[str, Any]] = {}
    for event in events:
        last_event[event["device"]] = event
    wrong = [
        (row["tag"], row["status"], last_event[row["id"]]["to_status"])
        for row in devices.values()
        if last_event[row["id"]]["to_status"] != row["status"]
    ]
    assert not wrong, f"status differs from the last event: {wrong}"

    numbers = {row["number"] for row in await Certificate.select(Certificate.number)}
    cited = {e["certificate_number"] for e in events if e["certificate_number"]}
    assert cited <= numbers, f"events cite missing certificates: {cited - numbers}"
    by_prefix: dict[str, list[int]] = {}
    for number in numbers:
        prefix, year, sequence = number.rsplit("-", 2)
        by_prefix.setdefault(f"{prefix}-{year}", []).append(int(sequence))
    for prefix, sequences in by_prefix.items():
        assert sorted(sequences) == list(range(1, len(sequences) + 1)), (prefix, sequences)


async def test_kill_9_mid_load_loses_and_doubles_nothing(backend: str, tmp_path: Path) -> None:
    started = time.monotonic()
    async with dedicated_database(backend, tmp_path, POSTGRES_URL, pool=True) as url:
        reconditioner, devices = await _seed()
        headers = reconditioner.headers
        server = LiveServer(url, tmp_path / "server.log", SECRET)
        server.start()
        try:
            outcomes = await _load_then_kill(server, devices, headers)
            assert outcomes.unknown, "the kill should have caught requests in flight"
            assert not outcomes.refused, outcomes.refused[:3]
            killed_with = (len(outcomes.acknowledged), len(outcomes.unknown))

            server.start()  # the same database, a new process
            await _retry_unknown(server, outcomes, headers)
        finally:
            server.stop()
        await _check_database(outcomes)
    assert killed_with[0] >= KILL_AFTER_ACKS
    assert time.monotonic() - started < 60
