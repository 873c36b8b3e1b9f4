"""The cost of SQLite's durable default, `synchronous=FULL`, beside NORMAL, in WAL mode.

With NORMAL, a WAL commit reaches the disk only at the next checkpoint: a power loss may roll
back the last acknowledged transitions, and the certificate numbers they handed out. With FULL
(collecte's default) each COMMIT waits for the log's fsync. Each round moves N devices one at a
time (one transaction, one commit each: collect, then receive) on a fresh database, once per
level, alternating which goes first; NORMAL is the baseline.

    python bench/bench_sqlite_sync.py [--devices N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_certificate_issue import _donation, _mover, _principal

from collecte.db.engine import close_pool
from collecte.db.migrate import migrate
from collecte.db.sqlite import SQLITE_BUSY_TIMEOUT_S, CollecteSQLiteEngine
from collecte.domain.vocabulary import Role
from collecte.services import transitions
from collecte.settings import Settings

LEVELS = ("NORMAL", "FULL")


async def _one_round(path: Path, level: str, devices: int) -> float:
    """Seconds to move `devices` devices one transaction at a time, twice each."""
    engine = CollecteSQLiteEngine(path=str(path), synchronous=level, timeout=SQLITE_BUSY_TIMEOUT_S)
    await migrate(engine)
    try:
        settings = Settings(database_url=f"sqlite:///{path}", secret_key="b" * 40)
        context = transitions.Context(settings)
        coordinator = await _principal(Role.COORDINATOR, "OPEN NC")
        donor = await _principal(Role.DONOR, "Société Minière du Sud SAS")
        workshop = await _principal(Role.RECONDITIONER, "Atelier Réemploi Nord")
        tags = await _donation(coordinator, donor.organization_id, devices)
        move = _mover(workshop, context)
        start = time.perf_counter()
        for action in ("collect", "receive"):
            for tag in tags:
                await move(action, [tag])()
        return time.perf_counter() - start
    finally:
        await close_pool(engine)


async def run(devices: int, rounds: int) -> None:
    """Run the rounds and print the figures."""
    timings: dict[str, list[float]] = {level: [] for level in LEVELS}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as directory:
        for round_ in range(rounds):
            order = LEVELS if round_ % 2 == 0 else LEVELS[::-1]
            for level in order:
                path = Path(directory) / f"bench-{level}-{round_}.sqlite3"
                timings[level].append(await _one_round(path, level, devices))
    commits = 2 * devices
    normal = statistics.median(timings["NORMAL"])
    full = statistics.median(timings["FULL"])
    print(
        f"SQLite synchronous level, WAL, {commits} one-device transitions "
        f"(one commit each), median of {rounds} rounds, in {Path.cwd()}"
    )
    print(f"  {'level':<24}{'total':>10}{'per transition':>18}")
    print(f"  {'NORMAL (baseline)':<24}{normal * 1000:>7.0f} ms{normal / commits * 1000:>15.2f} ms")
    print(
        f"  {'FULL (default)':<24}{full * 1000:>7.0f} ms{full / commits * 1000:>15.2f} ms"
        f"   (+{(full - normal) / commits * 1000:.2f} ms per commit, x{full / normal:.2f})"
    )


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.devices, args.rounds))


if __name__ == "__main__":
    main()
