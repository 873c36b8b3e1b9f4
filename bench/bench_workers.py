"""Benchmark: receive throughput on PostgreSQL with 1 worker process and with 2, side by side.

The real server is started as `collecte serve --workers N` starts it (migrations, first account
and signing key once, then uvicorn's supervisor with N worker processes) on a PostgreSQL database
created, then dropped, on the server of COLLECTE_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test). Distinct devices `collected` by one reconditioner are
seeded once; each run receives its own half of them, one distinct device per request, under wrk
with 32 connections (`POST /api/devices/{tag}/transitions` `{"action": "receive"}`, the main
figure of bench/bench_load.py).

Printed: requests/s, p50 and p99 for each worker count, and the ratio of 2 to 1. On a machine
with 2 cores shared by wrk, PostgreSQL and the workers, the second worker has little room: the
ratio says what a second core buys here, not what it buys on a larger machine. After each run the
database is checked (one event per acknowledged transition, none twice); exit status 1 if a check
fails. Without PostgreSQL the benchmark says so in one line and exits 0 (SQLite serves with one
process only: `collecte serve` refuses more).

    python bench/bench_workers.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_load import (  # noqa: E402
    DEFAULT_POSTGRES_URL,
    MAX_RATE,
    WARM_UP_S,
    Run,
    count_events,
    ensure_wrk,
    run_wrk,
    seed,
)

from collecte.auth.tokens import issue_token  # noqa: E402
from collecte.domain.access import Principal  # noqa: E402
from collecte.domain.vocabulary import Role  # noqa: E402
from tests.factory import SECRET  # noqa: E402
from tests.live import LiveServer, dedicated_database, running  # noqa: E402

WORKER_COUNTS = (1, 2)


@dataclass
class WorkersRun:
    """One receive run with `workers` server processes."""

    workers: int
    run: Run
    problems: list[str]


async def postgres_absent(url: str) -> str | None:
    """Why PostgreSQL cannot be used at `url`, or None when it answers."""
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


async def bench(wrk: str, workdir: Path, args: argparse.Namespace, url: str) -> list[WorkersRun]:
    """Seed once, then serve and measure with each worker count."""
    per_run = MAX_RATE["receive"] * (args.duration + 2)
    results = []
    async with dedicated_database("postgres", workdir, url, pool=True) as database_url:
        started = time.monotonic()
        seeded = await seed(database_url, {"receive": per_run * len(WORKER_COUNTS)})
        print(
            f"  seeded {per_run * len(WORKER_COUNTS)} devices in "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )
        recon = seeded.reconditioner
        principal = Principal(
            recon.user_id,
            recon.email,
            "Atelier bench",
            recon.organization_id,
            recon.organization_name,
            Role.RECONDITIONER,
        )
        token = issue_token(principal, SECRET, timedelta(hours=2))
        codes = seeded.by_action["receive"]
        for index, workers in enumerate(WORKER_COUNTS):
            mine = codes[index * per_run : (index + 1) * per_run]
            log = workdir / f"server-{workers}.log"
            server = LiveServer(database_url, log, SECRET, workers=workers)
            problems: list[str] = []
            with running(server):
                run_wrk(wrk, workdir, "warm-up", server, token, WARM_UP_S, args.connections)
                before, _ = await count_events("receive")
                run = run_wrk(
                    wrk,
                    workdir,
                    f"receive-{workers}",
                    server,
                    token,
                    args.duration,
                    args.connections,
                    codes=mine,
                    body=json.dumps({"action": "receive"}),
                )
                after, doubled = await count_events("receive")
            events = after - before
            # Requests still in flight when wrk stops may commit without being counted.
            if not run.ok <= events <= run.ok + args.connections:
                problems.append(f"{run.ok} acknowledged but {events} events")
            if doubled:
                problems.append(f"{doubled} devices with two receive events")
            if run.exhausted:
                problems.append(f"ran out of seeded devices ({run.exhausted})")
            if run.detail["server_error"]:
                problems.append(f"{run.detail['server_error']} answers 5xx")
            results.append(WorkersRun(workers, run, problems))
            print(f"  {workers} worker(s): {run.rate:.0f} req/s", flush=True)
    return results


def report(results: list[WorkersRun], connections: int) -> bool:
    """Print the runs side by side; return whether every check passed."""
    print(
        f"\n  receive on PostgreSQL, {connections} connections\n"
        f"  {'workers':<8} {'req/s':>8} {'× 1 worker':>10} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'max ms':>8} {'requests':>8} {'errors':>7}"
    )
    base = results[0].run.rate or 1.0
    for result in results:
        run = result.run
        print(
            f"  {result.workers:<8} {run.rate:>8.0f} {run.rate / base:>10.2f} {run.p50_ms:>8.1f}"
            f" {run.p99_ms:>8.1f} {run.max_ms:>8.0f} {run.requests:>8} {run.errors:>7}"
        )
    ok = True
    for result in results:
        for problem in result.problems:
            print(f"  PROBLEM ({result.workers} worker(s)): {problem}")
            ok = False
    return ok


def main() -> int:
    """Run the benchmark with 1 and 2 workers and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    url = os.environ.get("COLLECTE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    absent = asyncio.run(postgres_absent(url))
    if absent is not None:
        print(
            "bench_workers: skipped, PostgreSQL does not answer at "
            f"COLLECTE_BENCH_POSTGRES_URL ({absent}); several workers need PostgreSQL."
        )
        return 0
    wrk = ensure_wrk()
    print(
        f"bench_workers: {time.strftime('%Y-%m-%d %H:%M')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}; wrk, "
        f"1 thread, {args.connections} connections, {args.duration} s per run after a "
        f"{WARM_UP_S} s warm-up; workers {', '.join(map(str, WORKER_COUNTS))}"
    )
    with tempfile.TemporaryDirectory(prefix="collecte-bench-") as tmp:
        try:
            results = asyncio.run(bench(wrk, Path(tmp), args, url))
        except (OSError, RuntimeError) as error:
            print(f"  FAILED: {error}")
            return 1
    return 0 if report(results, args.connections) else 1


if __name__ == "__main__":
    raise SystemExit(main())
