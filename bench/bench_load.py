"""Benchmark: the scan-and-transition endpoint under 32 concurrent clients, beside the raw ceiling.

For each backend — SQLite (a temporary file) and PostgreSQL (a database created, then dropped, on
the server of COLLECTE_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test) —
the real server is started as `collecte serve` starts it (migrations, then one uvicorn worker) on
127.0.0.1, distinct devices are seeded, and wrk drives it with 32 connections for a fixed time:

- ceiling: `GET /api/ping`, a constant answer through the same app and middleware, no database;
- receive: `POST /api/devices/{tag}/transitions` `{"action": "receive"}` by the reconditioner,
  one distinct device per request (the main figure: an action without a certificate);
- wipe: `{"action": "wipe", …}` on distinct received devices, one erasure certificate (EFF)
  issued per request: numbered and its content stored in the transition, its PDF rendered after
  the commit by the server's renderer (a process of lower priority);
- collect: the same with `collect`, which joins the device to a pickup (no certificate since
  pickups issue the donation attestation), on request (`--actions receive,wipe,collect`).

Targets: on PostgreSQL, receive at ≥ 20 % of the ceiling's requests/s with p99 < 50 ms (issue 7)
and wipe at ≥ 50 % of receive's requests/s with p99 < 100 ms (issue 18); on SQLite, no
"database is locked" answer ever. After each run the database is checked: one event per
acknowledged transition, none twice; after a wipe run, one certificate per wipe event, numbers
without gap or double, and every PDF rendered (the time the renderer took to catch up after the
run is printed) with its stored SHA-256 matching its bytes. Exit status 1 if a correctness check
fails (any 5xx, a lock error, a missing or doubled event or certificate, a PDF not rendered within
`RENDER_CATCH_UP_S`) or the bench cannot run; missed speed targets are printed, not fatal
(timings on a shared 2-core machine are noisy). Without PostgreSQL, its part says so and is
skipped.

    python bench/bench_load.py [--duration 10] [--connections 32] [--backends sqlite,postgres]

wrk (Debian's package) is installed with apt-get when missing and we are root.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402

from collecte.db.engine import current_engine  # noqa: E402
from collecte.db.tables import Certificate, Device, DeviceEvent, Donation  # noqa: E402
from collecte.documents.certificates.model import content_fingerprint  # noqa: E402
from collecte.domain import tags  # noqa: E402
from collecte.domain.clock import now  # noqa: E402
from collecte.domain.vocabulary import REGISTER_EVENT, Role, Status  # noqa: E402
from collecte.services.certificate_files import decode_document  # noqa: E402
from collecte.services.sessions import open_session  # noqa: E402
from tests.factory import SECRET, Account, make_account, make_organization  # noqa: E402
from tests.live import LiveServer, dedicated_database, running  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
WARM_UP_S = 2
# Devices seeded per transition run: enough for this many requests per second, all distinct.
MAX_RATE = {"receive": 3000, "wipe": 1500, "collect": 500}
TARGET_SHARE = 0.20
TARGET_P99_MS = 50.0
# A certificate-issuing transition against receive (issue 18).
TARGET_WIPE_SHARE = 0.50
TARGET_WIPE_P99_MS = 100.0
# How long the renderer may take, after a run, to render the PDFs the run issued.
RENDER_CATCH_UP_S = 600
BODIES = {
    "receive": {"action": "receive"},
    "collect": {"action": "collect"},
    "wipe": {"action": "wipe", "method": "purge", "tool": "nwipe 0.36", "verified": True},
}

# wrk's script: one distinct tag per request (each thread takes every n-th line of the file),
# counts statuses and "database is locked" bodies, and prints its figures as one JSON line.
WRK_SCRIPT = r"""
local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  token = args[4]
  body = args[3]
  step = tonumber(args[5])
  codes = {}
  if mode == "post" then
    for line in io.lines(args[2]) do codes[#codes + 1] = line end
  end
  next_index = id + 1
  ok, conflict, client_error, server_error, locked, exhausted = 0, 0, 0, 0, 0, 0
  headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
end

function request()
  if mode ~= "post" then
    return wrk.format("GET", "/api/ping", headers)
  end
  local index = next_index
  next_index = next_index + step
  if index > #codes then
    exhausted = exhausted + 1
    index = ((index - 1) % #codes) + 1
  end
  return wrk.format("POST", "/api/devices/" .. codes[index] .. "/transitions", headers, body)
end

function response(status, headers, body)
  if status < 300 then ok = ok + 1
  elseif status == 409 then conflict = conflict + 1
  elseif status < 500 then client_error = client_error + 1
  else server_error = server_error + 1 end
  if body and string.find(body, "database is locked", 1, true) then locked = locked + 1 end
end

function done(summary, latency, requests)
  local totals = {ok = 0, conflict = 0, client_error = 0, server_error = 0, locked = 0,
                  exhausted = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"socket_errors": %d, "timeouts": %d, "ok": %d, "conflict": %d, "client_error": %d, ' ..
    '"server_error": %d, "locked": %d, "exhausted": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect + e.read + e.write, e.timeout, totals.ok, totals.conflict,
    totals.client_error, totals.server_error, totals.locked, totals.exhausted))
end
"""


@dataclass
class Run:
    """The figures of one wrk run."""

    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    ok: int
    errors: int
    locked: int
    exhausted: int
    detail: dict[str, int]
    app_cpu_ms: float = 0.0  # the server process's CPU time per request
    render_cpu_ms: float = 0.0  # its rendering processes' CPU time per request, during the run
    db_cpu_ms: float = 0.0  # PostgreSQL's backends' CPU time per request (0 on SQLite)
    render_catch_up_s: float | None = None  # after the run, until every PDF was rendered

    @property
    def rate(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


async def postgres_absent(url: str) -> str | None:
    """Why PostgreSQL cannot be used at `url`, or None when it answers."""
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


def ensure_wrk() -> str:
    """The path of wrk, installed from Debian's packages when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk (Debian package)…", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing: sudo apt-get install wrk")
    return found


def run_wrk(
    wrk: str,
    workdir: Path,
    name: str,
    server: LiveServer,
    token: str,
    seconds: int,
    connections: int,
    codes: list[str] | None = None,
    body: str = "",
) -> Run:
    """Run wrk against the server: GET /api/ping, or one POST per tag in `codes`."""
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    codes_file = workdir / f"{name}.tags"
    codes_file.write_text("\n".join(codes or []) + "\n")
    threads = 1  # one wrk thread keeps up easily and leaves the CPU to the server
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        server.url,
        "--",
        "post" if codes else "get",
        str(codes_file),
        body,
        token,
        str(threads),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in result.stdout.splitlines() if x.startswith("{")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line)
    errors = figures["socket_errors"] + figures["timeouts"]
    errors += figures["conflict"] + figures["client_error"] + figures["server_error"]
    return Run(
        name=name,
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        ok=figures["ok"],
        errors=errors,
        locked=figures["locked"],
        exhausted=figures["exhausted"],
        detail={k: figures[k] for k in ("conflict", "client_error", "server_error", "timeouts")}
        | {"socket": figures["socket_errors"]},
    )


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU time used so far by each of these processes still alive."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])  # utime and stime (fields 14 and 15)
        used[pid] = ticks / os.sysconf("SC_CLK_TCK")
    return used


def descendants(pid: int) -> list[int]:
    """The processes started by `pid`, and theirs (the server's rendering processes)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [pid]
    while waiting:
        children = parents.get(waiting.pop(), [])
        found += children
        waiting += children
    return found


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    # Processes born during the run (new pool connections) count from zero.
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def database_pids() -> list[int]:
    """PostgreSQL's backends serving the bench database (none on SQLite)."""
    if not isinstance(current_engine(), PostgresEngine):
        return []
    rows = await Device.raw(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    return [row["pid"] for row in rows]


async def measured(server: LiveServer, run: Callable[[], Run]) -> Run:
    """`run`, with the CPU time the server and the database spent per request."""
    assert server.process is not None
    app = [server.process.pid]
    renderers = descendants(server.process.pid)
    app_before, db_before = cpu_seconds(app), cpu_seconds(await database_pids())
    render_before = cpu_seconds(renderers)
    result = run()
    app_after, db_after = cpu_seconds(app), cpu_seconds(await database_pids())
    render_after = cpu_seconds(descendants(server.process.pid))
    requests = max(result.requests, 1)
    result.app_cpu_ms = _spent(app_before, app_after) * 1000 / requests
    result.render_cpu_ms = _spent(render_before, render_after) * 1000 / requests
    result.db_cpu_ms = _spent(db_before, db_after) * 1000 / requests
    return result


# --- seeding ------------------------------------------------------------------------------

DEVICE_COLUMNS = (
    "tag",
    "donation",
    "donor",
    "category",
    "brand",
    "model",
    "serial_number",
    "has_storage",
    "estimated_value_xpf",
    "weight_kg",
    "weight_estimated",
    "status",
    "reconditioner",
    "registered_at",
    "collected_at",
    "received_at",
    "updated_at",
)


def _fresh_tags(count: int) -> list[str]:
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(tags.generate())
    return sorted(chosen)


async def _insert_devices(url: str, rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert (COPY on PostgreSQL, executemany on SQLite): seeding must not take minutes."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        placeholders = ", ".join("?" for _ in DEVICE_COLUMNS)
        sql = f"INSERT INTO device ({', '.join(DEVICE_COLUMNS)}) VALUES ({placeholders})"

        def insert() -> None:
            with sqlite3.connect(path) as connection:
                connection.executemany(sql, rows)

        await asyncio.to_thread(insert)
        return
    engine: Any = current_engine()
    async with engine.pool.acquire() as connection:
        await connection.copy_records_to_table("device", records=rows, columns=DEVICE_COLUMNS)


async def _append_events(donation_id: int, action: str, from_: str | None, to: str, who: Account):
    """One event per device of the donation, as the service would have written it."""
    await DeviceEvent.raw(
        "INSERT INTO device_event (device, action, from_status, to_status, actor_user, "
        "actor_name, actor_organization, actor_organization_name, actor_role, created_at, data) "
        "SELECT id, {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM device WHERE donation = {} "
        "ORDER BY id",
        action,
        from_,
        to,
        who.user_id,
        who.email,
        who.organization_id,
        who.organization_name,
        who.role.value,
        now(),
        "{}",
        donation_id,
    )


@dataclass(frozen=True)
class Seeded:
    """Who acts in the bench, and the devices waiting for each action."""

    reconditioner: Account
    by_action: dict[str, list[str]]


async def seed(url: str, counts: dict[str, int]) -> Seeded:
    """A donor, a reconditioner and a coordinator; devices `registered` (for collect),
    `collected` by the reconditioner (for receive) and `received` by it (for wipe), each with the
    events that led there."""
    coordinator = await make_account(Role.COORDINATOR)
    reconditioner = await make_account(Role.RECONDITIONER)
    donor = await make_organization(Role.DONOR, ridet="1234567.001", address="1 rue de Sébastopol")
    by_action: dict[str, list[str]] = {}
    statuses = {
        "collect": Status.REGISTERED,
        "receive": Status.COLLECTED,
        "wipe": Status.RECEIVED,
    }
    for number, (action, count) in enumerate(counts.items(), start=1):
        donation = Donation(
            number=f"LOT-2026-{number:05d}", donor=donor["id"], created_at=now(), notes="bench"
        )
        await donation.save()
        at = now()
        status = statuses[action]
        collected = status in (Status.COLLECTED, Status.RECEIVED)
        received = status is Status.RECEIVED
        codes = _fresh_tags(count)
        rows = [
            (
                tag,
                donation.id,
                donor["id"],
                "laptop",
                "Dell",
                "Latitude 5490",
                f"SN-{index:07d}",
                True,
                25_000,
                1.6,
                True,
                status.value,
                reconditioner.organization_id if collected else None,
                at,
                at if collected else None,
                at if received else None,
                at,
            )
            for index, tag in enumerate(codes)
        ]
        await _insert_devices(url, rows)
        await _append_events(donation.id, REGISTER_EVENT, None, "registered", coordinator)
        if collected:
            await _append_events(donation.id, "collect", "registered", "collected", reconditioner)
        if received:
            await _append_events(donation.id, "receive", "collected", "received", reconditioner)
        by_action[action] = codes
    await Device.raw("ANALYZE")  # statistics, as a database in service has them
    return Seeded(reconditioner, by_action)


async def drop_tally_triggers() -> None:
    """Diagnosis only: the device table without the totals' triggers."""
    print("  (diagnosis) device_tally triggers dropped")
    for name in ("device_tally_insert", "device_tally_update", "device_tally_delete"):
        if isinstance(current_engine(), PostgresEngine):
            await Device.raw(f"DROP TRIGGER IF EXISTS {name} ON device")
        else:
            await Device.raw(f"DROP TRIGGER IF EXISTS {name}")


async def check_certificates(kind: str, prefix: str) -> tuple[list[str], float]:
    """After a certificate-issuing run: wait (bounded) for the server's renderer to render every
    PDF; return the problems found (a wipe event without its certificate, a gap or a double in
    the numbers, a PDF missing or whose bytes or content do not match their fingerprints) and
    the seconds the renderer took to catch up."""
    problems = []
    started = time.monotonic()
    while await Certificate.count().where(Certificate.sha256.is_null()):
        if time.monotonic() - started > RENDER_CATCH_UP_S:
            problems.append(f"{kind}: PDFs still not rendered after {RENDER_CATCH_UP_S} s")
            break
        await asyncio.sleep(0.2)
    caught_up = time.monotonic() - started
    cited = await DeviceEvent.raw(
        "SELECT COUNT(*) AS events, COUNT(DISTINCT certificate_number) AS numbers "
        "FROM device_event WHERE action = 'wipe'"
    )
    rows = await Certificate.select(
        Certificate.number, Certificate.sha256, Certificate.pdf, Certificate.content_fingerprint,
        Certificate.document,
    ).where(Certificate.kind == kind)  # fmt: skip
    if cited[0]["events"] != cited[0]["numbers"] or cited[0]["numbers"] != len(rows):
        problems.append(f"{kind}: {cited[0]} wipe events and numbers, {len(rows)} certificates")
    sequences = sorted(int(row["number"].rsplit("-", 1)[1]) for row in rows)
    if sequences != list(range(1, len(rows) + 1)):
        problems.append(f"{kind}: numbers with a gap or a double")
    for row in rows:
        if row["pdf"] is None:
            continue  # reported above
        if hashlib.sha256(bytes(row["pdf"])).hexdigest() != row["sha256"]:
            problems.append(f"{row['number']}: stored SHA-256 differs from its bytes")
        if content_fingerprint(decode_document(row["document"])) != row["content_fingerprint"]:
            problems.append(f"{row['number']}: content differs from its fingerprint")
    if not rows or not all(row["number"].startswith(prefix) for row in rows):
        problems.append(f"{kind}: no certificate issued")
    return problems, caught_up


async def count_events(action: str) -> tuple[int, int]:
    """Events of `action`, and (device, action) pairs appearing more than once."""
    total = await DeviceEvent.count().where(DeviceEvent.action == action)
    doubled = await DeviceEvent.raw(
        "SELECT device FROM device_event WHERE action = {} GROUP BY device HAVING COUNT(*) > 1",
        action,
    )
    return total, len(doubled)


def _profile(
    server: LiveServer, workdir: Path, backend: str, action: str, args: argparse.Namespace
) -> subprocess.Popen[bytes] | None:
    """With --profile, sample the server with py-spy during the run (collapsed stacks)."""
    if not args.profile or server.process is None:
        return None
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    output = Path(args.profile) / f"{backend}-{action}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    print(f"  profiling {action} into {output}")
    command = [py_spy, "record", "--format", "raw", "--rate", "200", "--nonblocking"]
    return subprocess.Popen(
        [
            *command,
            "--duration",
            str(args.duration),
            "--pid",
            str(server.process.pid),
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# --- the run ------------------------------------------------------------------------------


@dataclass
class BackendResult:
    """Everything measured on one backend."""

    backend: str
    ceiling: Run
    transitions: list[Run]
    problems: list[str]


async def bench_backend(
    backend: str, wrk: str, workdir: Path, args: argparse.Namespace
) -> BackendResult:
    """Seed, serve, measure and check one backend."""
    postgres_url = os.environ.get("COLLECTE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    counts = {action: MAX_RATE[action] * (args.duration + 2) for action in args.actions}
    async with dedicated_database(backend, workdir, postgres_url, pool=True) as url:
        started = time.monotonic()
        if args.drop_tally_triggers:
            await drop_tally_triggers()
        seeded = await seed(url, counts)
        print(f"  seeded {sum(counts.values())} devices in {time.monotonic() - started:.1f} s")
        recon = seeded.reconditioner
        # The factory's session lasts an hour; the bench's own covers a long run.
        token = (await open_session(recon.principal, SECRET, timedelta(hours=2))).token
        server = LiveServer(url, workdir / f"server-{backend}.log", SECRET)
        problems: list[str] = []
        with running(server):
            run_wrk(wrk, workdir, "warm-up", server, token, WARM_UP_S, args.connections)
            ceiling = await measured(
                server,
                lambda: run_wrk(
                    wrk, workdir, "ceiling", server, token, args.duration, args.connections
                ),
            )
            transitions = []
            for action in args.actions:
                before, _ = await count_events(action)
                profiler = _profile(server, workdir, backend, action, args)
                run = await measured(
                    server,
                    partial(
                        run_wrk,
                        wrk,
                        workdir,
                        action,
                        server,
                        token,
                        args.duration,
                        args.connections,
                        codes=seeded.by_action[action],
                        body=json.dumps(BODIES[action]),
                    ),
                )
                transitions.append(run)
                if profiler is not None:
                    profiler.wait(timeout=args.duration + 30)
                after, doubled = await count_events(action)
                events = after - before
                # Requests still in flight when wrk stops may commit without being counted.
                if not run.ok <= events <= run.ok + args.connections:
                    problems.append(f"{action}: {run.ok} acknowledged but {events} events")
                if doubled:
                    problems.append(f"{action}: {doubled} devices with two {action} events")
                if run.exhausted:
                    problems.append(f"{action}: ran out of seeded devices ({run.exhausted})")
                if action == "wipe":
                    found, run.render_catch_up_s = await check_certificates("erasure", "EFF-")
                    problems += found
        log = server.log_path.read_text(errors="replace")
        in_log = log.count("database is locked")
        for run in [ceiling, *transitions]:
            if run.detail["server_error"]:
                problems.append(f"{run.name}: {run.detail['server_error']} answers 5xx")
            if run.locked:
                problems.append(f"{run.name}: {run.locked} 'database is locked' answers")
        if in_log:
            problems.append(f"'database is locked' {in_log} times in the server's log")
    return BackendResult(backend, ceiling, transitions, problems)


def _row(run: Run, ceiling: Run) -> str:
    share = run.rate / ceiling.rate if ceiling.rate else 0.0
    return (
        f"  {run.name:<9} {run.rate:>8.0f} {share:>7.0%} {run.p50_ms:>8.1f} {run.p99_ms:>8.1f}"
        f" {run.max_ms:>8.0f} {run.requests:>8} {run.errors:>7} {run.locked:>7}"
        f" {run.app_cpu_ms:>8.2f} {run.db_cpu_ms:>7.2f} {run.render_cpu_ms:>7.2f}"
    )


NOTES = {
    "receive": "  ← main figure (no certificate)",
    "wipe": "  ← issues an erasure certificate (EFF); its PDF rendered after commit",
    "collect": "  ← joins a pickup (no certificate)",
}


def report(result: BackendResult) -> list[str]:
    """Print one backend's table; return the targets missed."""
    ceiling = result.ceiling
    print(
        f"\n  {result.backend}: {ceiling.seconds:.0f} s per run, 32 connections\n"
        f"  {'endpoint':<9} {'req/s':>8} {'of ceil':>7} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'max ms':>8} {'requests':>8} {'errors':>7} {'locked':>7} {'app CPU':>8} {'db CPU':>7}"
        f" {'render':>7}"
        f"\n  {'':<9} {'':>8} {'':>7} {'':>8} {'':>8} {'':>8} {'':>8} {'':>7} {'':>7}"
        f" {'ms/req':>8} {'ms/req':>7} {'ms/req':>7}"
    )
    print(_row(ceiling, ceiling) + "  ← baseline: GET /api/ping, same stack, no database")
    for run in result.transitions:
        print(_row(run, ceiling) + NOTES[run.name])
        if run.render_catch_up_s is not None:
            print(
                f"  {'':<9} every PDF of the run rendered {run.render_catch_up_s:.1f} s after it"
                " ended (the renderer runs at a lower priority than the requests)"
            )
    missed = []
    receive = next(r for r in result.transitions if r.name == "receive")
    wipe = next((r for r in result.transitions if r.name == "wipe"), None)
    share = receive.rate / ceiling.rate if ceiling.rate else 0.0
    if result.backend == "postgres":
        checks = [
            (f"receive ≥ {TARGET_SHARE:.0%} of the ceiling", share >= TARGET_SHARE, f"{share:.0%}"),
            (
                f"receive p99 < {TARGET_P99_MS:.0f} ms",
                receive.p99_ms < TARGET_P99_MS,
                f"{receive.p99_ms:.1f} ms",
            ),
        ]
        if wipe is not None:
            wipe_share = wipe.rate / receive.rate if receive.rate else 0.0
            checks += [
                (
                    f"wipe ≥ {TARGET_WIPE_SHARE:.0%} of receive's req/s",
                    wipe_share >= TARGET_WIPE_SHARE,
                    f"{wipe_share:.0%}",
                ),
                (
                    f"wipe p99 < {TARGET_WIPE_P99_MS:.0f} ms",
                    wipe.p99_ms < TARGET_WIPE_P99_MS,
                    f"{wipe.p99_ms:.1f} ms",
                ),
            ]
    else:
        locked = sum(r.locked for r in [ceiling, *result.transitions])
        checks = [('no "database is locked" answer', locked == 0, str(locked))]
    for label, met, value in checks:
        print(f"  target: {label:<36} {value:>9}  {'PASS' if met else 'FAIL'}")
        if not met:
            missed.append(f"{result.backend}: {label} ({value})")
    for problem in result.problems:
        print(f"  PROBLEM: {problem}")
    return missed


def main() -> int:
    """Run the benchmark on each backend and print the figures beside their baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--actions",
        default="receive,wipe",
        help="transition runs: receive (always), wipe (issues certificates), collect",
    )
    parser.add_argument("--profile", help="folder for py-spy profiles of the transition runs")
    parser.add_argument(
        "--drop-tally-triggers",
        action="store_true",
        help="diagnosis: drop the device_tally triggers (totals) before the run",
    )
    args = parser.parse_args()
    args.actions = args.actions.split(",")
    if "receive" not in args.actions or not set(args.actions) <= set(MAX_RATE):
        parser.error("--actions: receive (the main figure), optionally with wipe and collect")
    wrk = ensure_wrk()
    cores = os.cpu_count()
    print(
        f"bench_load: {time.strftime('%Y-%m-%d %H:%M')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {cores} cores, {platform.machine()}; wrk, 1 thread, "
        f"{args.connections} connections, {args.duration} s per run after a {WARM_UP_S} s warm-up"
    )
    results = []
    failed = False
    postgres_url = os.environ.get("COLLECTE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    with tempfile.TemporaryDirectory(prefix="collecte-bench-") as tmp:
        for backend in args.backends.split(","):
            print(f"\n== {backend}", flush=True)
            if backend == "postgres":
                absent = asyncio.run(postgres_absent(postgres_url))
                if absent is not None:
                    print(
                        "  skipped: PostgreSQL does not answer at COLLECTE_BENCH_POSTGRES_URL "
                        f"({absent})"
                    )
                    continue
            try:
                result = asyncio.run(bench_backend(backend, wrk, Path(tmp), args))
            except (OSError, RuntimeError) as error:
                print(f"  FAILED: {error}")
                failed = True
                continue
            results.append(result)
            report(result)
            failed = failed or bool(result.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
