"""Benchmark: a storm of concurrent bogus sign-ins against a live server; its memory and /health.

The attacker's test of issue 15: concurrent sign-ins with random e-mails (no account needed)
took the server from 149 MiB to 2.37 GiB and /health to 5.9 s, each Argon2id verification
holding 64 MiB and up to 40 running at once. Here the real server is started as `collecte serve`
starts it (SQLite, one uvicorn worker) and:

1. at rest: /health is probed every 20 ms for a few seconds (the baseline p99);
2. storm: wrk keeps 200 connections posting sign-ins with random e-mails for `--duration`
   seconds while /health is probed the same way and the server's resident memory is sampled;
3. afterwards, a real account still signs in (200).

The per-address limit would turn most of the storm away at once (every request comes from
127.0.0.1); the bench lifts it (COLLECTE_LOGIN_MAX_FAILURES_PER_CLIENT) to measure the hashing
gate alone: the case of an attacker with many addresses. Targets: peak RSS < 400 MiB, /health p99
during the storm < 200 ms. `--unbounded` lets 40 hashes run at once with an endless queue, as
before the gate, for comparison. Exit status 1 on a 5xx other than 503, or a failed real sign-in;
missed targets are printed, not fatal (a shared 2-core machine is noisy).

    python bench/bench_signin.py [--duration 10] [--connections 200] [--unbounded]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_load import ensure_wrk  # noqa: E402
from collecte.domain.vocabulary import Role  # noqa: E402
from tests.factory import PASSWORD, SECRET, make_account  # noqa: E402
from tests.live import LiveServer, dedicated_database, running  # noqa: E402

T = TypeVar("T")
REST_S = 5
PROBE_EVERY_S = 0.02
TARGET_RSS_MIB = 400
TARGET_P99_MS = 200.0

# One thread: every request a new random e-mail; statuses counted, printed as one JSON line.
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  counter = 0
  statuses = {}
  math.randomseed(os.time())
end

request = function()
  if mode == "ping" then
    return wrk.format("GET", "/api/ping")
  end
  counter = counter + 1
  local email = string.format("bogus-%d-%d@exemple.nc", math.random(1, 1000000000), counter)
  local body = '{"email":"' .. email .. '","password":"not-the-password"}'
  return wrk.format("POST", "/api/auth/login", {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local parts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      table.insert(parts, string.format('"%d": %d', status, count))
    end
  end
  io.write(string.format(
    '{"requests": %d, "timeouts": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.errors.timeout,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    latency:percentile(50), latency:percentile(99), latency.max, table.concat(parts, ", ")))
end
"""


def rss_mib(pid: int, field_name: str = "VmRSS") -> float:
    """A memory figure of a process from /proc, in MiB (VmRSS now, VmHWM its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Probe:
    """/health probed every 20 ms, and the server's RSS sampled, until stopped."""

    url: str
    pid: int
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    peak_rss_mib: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                self.peak_rss_mib = max(self.peak_rss_mib, rss_mib(self.pid))
                started = time.perf_counter()
                try:
                    ok = http.get(f"{self.url}/health").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
                self.failures += not ok
                time.sleep(PROBE_EVERY_S)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def probe_while(url: str, pid: int, work: Callable[[], T]) -> tuple[Probe, T]:
    """Probe /health (and sample the server's RSS) while `work()` runs; its result."""
    probe = Probe(url, pid)
    thread = threading.Thread(target=probe.run, daemon=True)
    thread.start()
    try:
        result = work()
    finally:
        probe.stop.set()
        thread.join()
    return probe, result


def storm(
    wrk: str, workdir: Path, url: str, seconds: int, connections: int, mode: str = "sign-in"
) -> dict[str, Any]:
    """wrk's figures for `seconds` of bogus sign-ins (or pings) on `connections` connections."""
    script = workdir / "signin.lua"
    script.write_text(WRK_SCRIPT)
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    result = subprocess.run(
        [*command, "-s", str(script), url, "--", mode], capture_output=True, text=True, check=False
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("{")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    figures: dict[str, Any] = json.loads(line)
    return figures


async def seeded_database(workdir: Path) -> tuple[str, str]:
    """A migrated SQLite database with one real account: its URL and the account's e-mail."""
    async with dedicated_database("sqlite", workdir, None) as url:
        return url, (await make_account(Role.COORDINATOR)).email


def sign_in_as_a_client_would(url: str, email: str) -> str:
    """A real sign-in right after the storm, retried after Retry-After while the queue drains:
    its final status, or "timeout"."""
    for _ in range(10):
        try:
            answer = httpx.post(
                f"{url}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
            )
        except httpx.TimeoutException:
            return "timeout"
        if answer.status_code != 503:
            break
        time.sleep(float(answer.headers.get("retry-after", "1")))
    return str(answer.status_code)


def main() -> int:
    """Run the storm and print its figures beside the baseline at rest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of storm")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument(
        "--unbounded", action="store_true", help="40 hashes at once, no queue bound (as before)"
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    env = {"COLLECTE_LOGIN_MAX_FAILURES_PER_CLIENT": str(10**9)}
    if args.unbounded:
        env |= {
            "COLLECTE_PASSWORD_HASH_CONCURRENCY": "40",
            "COLLECTE_PASSWORD_HASH_QUEUE": "100000",
        }
    gate = (
        "40 at once, unbounded queue" if args.unbounded else "the defaults (2 at once, 8 waiting)"
    )
    print(
        f"bench_signin: {time.strftime('%Y-%m-%d %H:%M')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores; SQLite; hashing gate: {gate}; "
        f"wrk, {args.connections} connections, {args.duration} s"
    )
    with tempfile.TemporaryDirectory(prefix="collecte-bench-") as tmp:
        workdir = Path(tmp)
        database_url, email = asyncio.run(seeded_database(workdir))
        server = LiveServer(database_url, workdir / "server.log", SECRET, env)
        with running(server):
            assert server.process is not None
            pid = server.process.pid
            rest, _ = probe_while(server.url, pid, lambda: time.sleep(REST_S))
            rest_rss = rss_mib(pid)
            flood, pings = probe_while(
                server.url,
                pid,
                lambda: storm(wrk, workdir, server.url, args.duration, args.connections, "ping"),
            )
            time.sleep(1)
            during, figures = probe_while(
                server.url,
                pid,
                lambda: storm(wrk, workdir, server.url, args.duration, args.connections),
            )
            peak = max(during.peak_rss_mib, rss_mib(pid, "VmHWM"))
            real = sign_in_as_a_client_would(server.url, email)
    statuses = {int(k): v for k, v in figures["statuses"].items()}
    header = f"{'p50 ms':>8} {'p99 ms':>8} {'probes':>7} {'failed':>7}"
    print(f"\n  {'/health probed every 20 ms':34} {header}")
    for name, probe in (
        ("at rest (baseline)", rest),
        (f"during a ping flood ({pings['requests']} req)", flood),
        (f"during the sign-in storm ({figures['requests']} req)", during),
    ):
        print(
            f"  {name:34} {probe.percentile(0.5):8.1f} {probe.percentile(0.99):8.1f} "
            f"{len(probe.latencies_ms):7} {probe.failures:7}"
        )
    print(f"\n  server RSS: at rest {rest_rss:.0f} MiB, peak {peak:.0f} MiB")
    print(
        f"  sign-ins: {figures['requests']} in {args.duration} s, statuses {statuses}, "
        f"p50 {figures['p50_us'] / 1000:.0f} ms, p99 {figures['p99_us'] / 1000:.0f} ms, "
        f"timeouts {figures['timeouts']}, socket errors {figures['socket_errors']}"
    )
    print(f"  a real sign-in afterwards (retrying after Retry-After): {real}")
    rss_met = "met" if peak < TARGET_RSS_MIB else "MISSED"
    p99_met = "met" if during.percentile(0.99) < TARGET_P99_MS else "MISSED"
    print(f"  target: peak RSS < {TARGET_RSS_MIB} MiB: {rss_met}")
    print(f"  target: /health p99 during the storm < {TARGET_P99_MS:.0f} ms: {p99_met}")
    broken = sum(count for status, count in statuses.items() if status >= 500 and status != 503)
    if broken or real != "200":
        print(f"  FAILED: {broken} answers 5xx other than 503, real sign-in {real}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
