"""Issuing a certificate for a 500-device batch through the service, on SQLite, with its baseline.

Each round registers a donation of N devices in a fresh SQLite file (migrated like production)
and moves them with the batch service, as `POST /api/transitions` does:

- `collect`  issues the donation certificate (DON): numbered, rendered, stored, in the transaction;
- `receive`  issues nothing: the baseline, the same batch transition without a certificate;
- `wipe`     issues the erasure certificate (EFF), whose rows are taller (method, tool, media).

Issuing stays inside the transaction (a failure gives its number back), so on SQLite the single
writer lock is held while the PDF renders: the last figure is how long a one-device scan sent
during a certifying batch waits for it.

    python bench/bench_certificate_issue.py [--devices N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collecte.db.engine import engine_for
from collecte.db.migrate import migrate
from collecte.db.tables import Certificate, Organization, User
from collecte.domain.access import Principal
from collecte.domain.clock import now
from collecte.domain.vocabulary import Role
from collecte.services import donations, transitions
from collecte.settings import Settings

CATEGORIES = ("laptop", "desktop", "tablet", "smartphone")
WIPE = {"method": "purge", "tool": "nwipe 0.36", "verified": True, "destination": "reuse"}


async def _principal(kind: Role, name: str) -> Principal:
    """An organisation of `kind` and one user of it, as the service sees them."""
    organization = Organization(
        name=name,
        kind=kind.value,
        ridet="1234567.001",
        address="7 rue Suffren",
        city="Nouméa",
        created_at=now(),
    )
    await organization.save()
    user = User(
        email=f"{kind.value}@bench.test",
        password_hash="-",
        full_name=f"Opérateur {name}",
        organization=organization.id,
        created_at=now(),
    )
    await user.save()
    return Principal(user.id, user.email, user.full_name, organization.id, name, kind)


async def _donation(coordinator: Principal, donor_id: int, devices: int) -> list[str]:
    """The tags of a new donation of `devices` varied devices."""
    created = await donations.create_donation(
        coordinator,
        {
            "donor_id": donor_id,
            "devices": [
                {
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "brand": "Dell",
                    "model": "Latitude 5490"
                    if i % 10
                    else "OptiPlex 7070 Micro et écran 24 pouces",
                    "serial_number": f"CN0{i:07d}X",
                    "estimated_value_xpf": 15_000 + 500 * (i % 40),
                }
                for i in range(devices)
            ],
        },
        max_devices=devices,
    )
    return [device["tag"] for device in created["devices"]]


def _mover(
    principal: Principal, context: transitions.Context
) -> Callable[..., Callable[[], Awaitable[Any]]]:
    """A maker of batch transitions by `principal`, ready to be timed."""

    def move(action: str, tags: list[str], **data: Any) -> Callable[[], Awaitable[Any]]:
        payload = {"action": action, "tags": tags, **data}
        return lambda: transitions.act_on_batch(principal, payload, context)

    return move


async def _timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await work()
    return time.perf_counter() - start, result


async def _waiting_scan(
    batch: Callable[[], Awaitable[Any]], scan: Callable[[], Awaitable[Any]]
) -> float:
    """How long `scan` takes when it arrives just after `batch` took the writer lock."""
    started = asyncio.create_task(batch())
    await asyncio.sleep(0.02)  # the batch is past its reads and holds the lock by now
    elapsed, _ = await _timed(scan)
    await started
    return elapsed


async def run(devices: int, rounds: int) -> None:
    """Run the rounds and print the figures."""
    timings: dict[str, list[float]] = {
        "collect": [],
        "receive": [],
        "wipe": [],
        "scan_alone": [],
        "scan_waits": [],
    }
    sizes: dict[str, int] = {}
    pages: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as directory:
        for round_ in range(rounds):
            url = f"sqlite:///{Path(directory) / f'bench-{round_}.sqlite3'}"
            await migrate(engine_for(url))
            settings = Settings(database_url=url, secret_key="b" * 40)
            context = transitions.Context(settings)
            coordinator = await _principal(Role.COORDINATOR, "OPEN NC")
            donor = await _principal(Role.DONOR, "Société Minière du Sud SAS")
            workshop = await _principal(Role.RECONDITIONER, "Atelier Réemploi Nord")
            tags = await _donation(coordinator, donor.organization_id, devices)
            spare = await _donation(coordinator, donor.organization_id, 2)

            move = _mover(workshop, context)

            for action, data in (("collect", {}), ("receive", {}), ("wipe", WIPE)):
                elapsed, answer = await _timed(move(action, tags, **data))
                timings[action].append(elapsed)
                if answer["certificate"]:
                    number = answer["certificate"]["number"]
                    row = await Certificate.select(Certificate.pdf).where(
                        Certificate.number == number
                    )
                    pdf = bytes(row[0]["pdf"])
                    sizes[action], pages[action] = len(pdf), len(re.findall(rb"/Type /Page\b", pdf))
            # A one-device scan alone, then arriving while a certifying batch holds the lock.
            elapsed, _ = await _timed(move("collect", spare[:1]))
            timings["scan_alone"].append(elapsed)
            more = await _donation(coordinator, donor.organization_id, devices)
            timings["scan_waits"].append(
                await _waiting_scan(move("collect", more), move("collect", spare[1:]))
            )

    def ms(name: str) -> float:
        return statistics.median(timings[name]) * 1000

    print(
        f"Certificate issuance for a {devices}-device batch, SQLite, "
        f"transitions.act_on_batch, median of {rounds} rounds"
    )
    print(f"  {'batch transition':<28}{'time':>10}{'certificate':>14}{'PDF':>12}{'pages':>7}")
    print(f"  {'receive (baseline: none)':<28}{ms('receive'):>7.1f} ms")
    for action, label in (("collect", "collect -> DON"), ("wipe", "wipe -> EFF")):
        extra = ms(action) - ms("receive")
        print(
            f"  {label:<28}{ms(action):>7.1f} ms{'+' + format(extra, '.1f'):>11} ms"
            f"{sizes[action]:>10,} B{pages[action]:>7}   "
            f"({extra / devices:.2f} ms and {sizes[action] / devices:,.0f} B per device)"
        )
    print(f"  {'one-device scan, alone':<28}{ms('scan_alone'):>7.1f} ms")
    print(
        f"  {'one-device scan sent during':<28}{ms('scan_waits'):>7.1f} ms   "
        f"the {devices}-device collect: it waits for SQLite's writer lock"
    )


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.devices, args.rounds))


if __name__ == "__main__":
    main()
