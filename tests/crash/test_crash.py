"""The server killed with SIGKILL in the middle of a warehouse's scans loses and doubles nothing.

Many clients walk devices through the lifecycle (collect → receive → refurbish or wipe, with
certificates), each request with an Idempotency-Key as a scanner app would send it. The server
(`collecte serve`, a subprocess) is killed mid-load, started again on the same database, and the
clients retry what they never heard back about. Then, in the database:

- every transition a client saw acknowledged (200) is there, and the device is at least that far;
- no transition is applied twice (one event per device and action);
- every device's status is the `to_status` of its last event;
- every certificate an event cites exists, and the numbers of each kind have no gap.

The second test kills the server while it issues erasure certificates (one per wipe), whose
PDFs are rendered after their transaction by the server's rendering process (killed with it):
after the restart every acknowledged certificate exists, the restarted server renders those
left without their PDF, and each one is served, verifies (its SHA-256 that of the bytes served,
its content fingerprint that of its stored content) and is issued once under a gapless number.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from collecte.db.tables import Certificate, Device, DeviceEvent
from collecte.documents.certificates.model import content_fingerprint
from collecte.domain.access import Principal
from collecte.domain.actions import decode
from collecte.domain.vocabulary import Role, Status
from collecte.services.certificate_files import decode_document, unrendered
from collecte.services.donations import create_donation
from collecte.services.transitions import Context, transition_batch
from collecte.settings import Settings
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


# --- certificates issued during the kill -----------------------------------------------------

WIPES = 90
WIPES_BEFORE_KILL = 35
RENDERED_WITHIN_S = 60
# Every certificate is verified twice (by number, by file): more than the default allowance.
VERIFY_ALLOWANCE = {"COLLECTE_VERIFY_MAX_REQUESTS": "1000"}


@dataclass
class Wipes:
    """What the wiping clients saw: the certificate each acknowledged wipe was answered with."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # tag → certificate number
    unknown: list[str] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    enough: asyncio.Event = field(default_factory=asyncio.Event)


async def _received(count: int) -> tuple[Account, Account, list[str]]:
    """A workshop holding `count` received devices with storage, and their donor."""
    coordinator = await make_account(Role.COORDINATOR)
    reconditioner = await make_account(Role.RECONDITIONER)
    donor = await make_account(Role.DONOR)
    devices = [{"category": "laptop", "serial_number": f"SN-{i}"} for i in range(count)]
    donation = await create_donation(
        coordinator.principal, {"donor_id": donor.organization_id, "devices": devices}, count
    )
    tags = [d["tag"] for d in donation["devices"]]
    context = Context(Settings(secret_key=SECRET))
    for action in ("collect", "receive"):
        await transition_batch(reconditioner.principal, tags, decode({"action": action}), context)
    return reconditioner, donor, tags


async def _wiper(
    http: httpx.AsyncClient, queue: asyncio.Queue[str], headers: dict[str, str], seen: Wipes
) -> None:
    while not queue.empty():
        tag = queue.get_nowait()
        try:
            response = await http.post(
                f"/api/devices/{tag}/transitions",
                json={"action": "wipe", **WIPE},
                headers={**headers, "Idempotency-Key": f"{tag}:wipe"},
            )
        except httpx.HTTPError:
            seen.unknown.append(tag)
            return
        if response.status_code != 200:
            seen.refused.append((tag, response.status_code, response.text))
            continue
        seen.acknowledged[tag] = response.json()["certificate"]["number"]
        if len(seen.acknowledged) >= WIPES_BEFORE_KILL:
            seen.enough.set()


async def _wipe_then_kill(server: LiveServer, tags: list[str], headers: dict[str, str]) -> Wipes:
    seen = Wipes()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for tag in tags:
        queue.put_nowait(tag)
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=server.url, timeout=10, limits=limits) as http:
        clients = [asyncio.create_task(_wiper(http, queue, headers, seen)) for _ in range(CLIENTS)]
        await asyncio.wait_for(seen.enough.wait(), LOAD_TIMEOUT_S)
        server.kill()  # SIGKILL: the server, its rendering process and requests in flight
        await asyncio.wait_for(asyncio.gather(*clients), LOAD_TIMEOUT_S)
    return seen


async def _all_rendered() -> None:
    """Wait (bounded) until the restarted server's renderer has stored every PDF."""
    deadline = time.monotonic() + RENDERED_WITHIN_S
    while await unrendered():
        assert time.monotonic() < deadline, f"not rendered: {await unrendered()}"
        await asyncio.sleep(0.2)


async def _check_certificates(server: LiveServer, seen: Wipes, donor: Account) -> None:
    rows = await Certificate.select(
        Certificate.number, Certificate.sha256, Certificate.content_fingerprint,
        Certificate.document,
    ).where(Certificate.kind == "erasure")  # fmt: skip
    numbers = sorted(row["number"] for row in rows)
    assert len(set(numbers)) == len(numbers)
    assert set(seen.acknowledged.values()) <= set(numbers), "acknowledged but not issued"
    wipes = await DeviceEvent.select(DeviceEvent.certificate_number).where(
        DeviceEvent.action == "wipe"
    )
    assert sorted(e["certificate_number"] for e in wipes) == numbers  # one each, all cited
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for row in rows:
            number = row["number"]
            assert (
                content_fingerprint(decode_document(row["document"]))
                == (row["content_fingerprint"])
            ), number
            pdf = await http.get(f"/api/certificates/{number}/pdf", headers=donor.headers)
            assert pdf.status_code == 200, (number, pdf.text)
            digest = hashlib.sha256(pdf.content).hexdigest()
            public = (await http.get(f"/api/verify/{number}")).json()
            assert (public["valid"], public["sha256"], row["sha256"]) == (True, digest, digest)
            assert public["content_sha256"] == row["content_fingerprint"], number
            checked = await http.post(
                "/api/verify", content=pdf.content, headers={"Content-Type": "application/pdf"}
            )
            assert checked.json() == {"valid": True, "number": number, "sha256": digest}


async def test_kill_9_while_issuing_certificates_loses_nothing_and_renders_every_pdf(
    backend: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    async with dedicated_database(backend, tmp_path, POSTGRES_URL, pool=True) as url:
        reconditioner, donor, tags = await _received(WIPES)
        server = LiveServer(url, tmp_path / "server.log", SECRET, extra_env=VERIFY_ALLOWANCE)
        server.start()
        try:
            seen = await _wipe_then_kill(server, tags, reconditioner.headers)
            assert not seen.refused, seen.refused[:3]
            left_unrendered = len(await unrendered())
            server.start()  # the same database, a new process: it renders what is left
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                for tag in seen.unknown:  # a scanner's retry, same key
                    response = await http.post(
                        f"/api/devices/{tag}/transitions",
                        json={"action": "wipe", **WIPE},
                        headers={**reconditioner.headers, "Idempotency-Key": f"{tag}:wipe"},
                    )
                    assert response.status_code == 200, (tag, response.text)
                    seen.acknowledged[tag] = response.json()["certificate"]["number"]
            await _all_rendered()
            await _check_certificates(server, seen, donor)
        finally:
            server.stop()
        by_prefix = await Certificate.select(Certificate.number)
        sequences = sorted(int(row["number"].rsplit("-", 1)[1]) for row in by_prefix)
        assert sequences == list(range(1, len(sequences) + 1))
    assert len(seen.acknowledged) >= WIPES_BEFORE_KILL
    print(f"killed with {left_unrendered} certificate(s) without their PDF")
    assert time.monotonic() - started < 90
