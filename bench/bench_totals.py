"""Benchmark: `/api/totals` for a year and the streamed CSV export, on 10⁶ devices (issue 6).

Run from the project root: `python bench/bench_totals.py` (or `make bench`). PostgreSQL at
COLLECTE_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test): the data lives
in its own database, `collecte_bench_totals`, created, migrated and filled on the first run with
`generate_series` (1,000,000 devices in 20,000 donations of 50 over 2023-2025, about 6 million
custody events, every status and a realistic mix of categories and fates), then reused.

Figures, each beside a baseline measured in the same run:
- totals for 2025 through the real service function (median of runs), against a bare
  `SELECT count(*) FROM device`, and against the same figures grouped straight from the device
  rows (five GROUP BY queries on the indexed dates: what the tally spares). Target: < 100 ms
  and at most twice the bare count, each figure printed with PASS or FAIL.
  Also shown: the same over HTTP (JSON included), a period with days at both ends (the tally's
  day rows), and the public counters.
- the CSV export streamed through the ASGI app, for a donor who sees 100,000 devices and for the
  coordination (1,000,000): rows/s and resident memory growth (peak during the export minus the
  size before it), against PostgreSQL's own `COPY … TO STDOUT` of the same rows. Target: the
  same memory for 100,000 and 1,000,000 rows, and at least 40 % of COPY's rows/s. The app is
  driven by a minimal ASGI client that counts and drops each chunk: httpx's ASGITransport keeps
  the whole body in memory, which would measure the client instead of the app.
- the same totals on SQLite, reading a copy of the PostgreSQL tally (the only table totals read).

The data is loaded with foreign-key checks and triggers off (`session_replication_role`), so the
tally is refilled by `collecte.services.totals.rebuild_tally()` (its time is shown). The first run
takes a few minutes on two cores (about 2½ when the machine is otherwise idle).

Options: --runs N (timed runs of the totals), --skip-csv, --regenerate. Exits 0 (prints
"skipped" when PostgreSQL is unreachable).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collecte.db.engine import close_pool, engine_for, start_pool, use_engine
from collecte.db.migrate import migrate
from collecte.domain.access import Principal
from collecte.domain.vocabulary import Role
from collecte.services import exports, tally_folding, totals
from collecte.services.sessions import open_session
from collecte.settings import DatabaseTimeouts, Settings
from collecte.web.app import create_app

BASE_URL = os.environ.get(
    "COLLECTE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
DATABASE = "collecte_bench_totals"
DEVICES = 1_000_000
PER_LOT = 50
# Bump when the generated data changes: a database holding another version is filled again.
DATA_VERSION = f"3 devices={DEVICES} per_lot={PER_LOT}"
YEAR = ("2025-01-01", "2025-12-31")
ODD_PERIOD = ("2025-01-15", "2025-12-20")  # whole months in the middle, days at both ends
TARGET_MS = 100.0  # totals of any period: under this, and
TARGET_TIMES_COUNT = 2.0  # within this multiple of the bare count(*) of the same run
TARGET_COPY_SHARE = 0.40  # the export: at least this share of COPY's rows/s
SECRET = "bench-secret-" + "x" * 40

DONORS, WORKSHOPS, ASSOCIATIONS = 2000, 25, 300
FIRST_WORKSHOP = DONORS + 1
FIRST_ASSOCIATION = DONORS + WORKSHOPS + 1
COORDINATION = DONORS + WORKSHOPS + ASSOCIATIONS + 1
START, END = "2023-01-01 00:00+11", "2026-01-01 00:00+11"  # the data's "now" is END

GENERATE = [
    f"""
INSERT INTO organization (id, name, kind, language, created_at)
SELECT g,
       CASE WHEN g <= {DONORS} THEN 'Donateur ' || g
            WHEN g < {FIRST_ASSOCIATION} THEN 'Atelier ' || (g - {DONORS})
            WHEN g < {COORDINATION} THEN 'Association ' || (g - {FIRST_ASSOCIATION} + 1)
            ELSE 'OPEN NC' END,
       CASE WHEN g <= {DONORS} THEN 'donor' WHEN g < {FIRST_ASSOCIATION} THEN 'reconditioner'
            WHEN g < {COORDINATION} THEN 'association' ELSE 'coordinator' END,
       'fr', timestamptz '{START}'
FROM generate_series(1, {COORDINATION}) g
""",
    f"""
INSERT INTO account (id, email, password_hash, full_name, organization, is_active, created_at)
VALUES (1, 'coordination@bench.test', '-', 'Coordination', {COORDINATION}, true, now()),
       (2, 'donateur@bench.test', '-', 'Grand donateur', 1, true, now())
""",
    # One lot in ten comes from donor 1, who thus sees 100,000 devices in the export.
    f"""
CREATE TEMP TABLE bench_lot AS
SELECT g AS id,
       CASE WHEN g % 10 = 0 THEN 1 ELSE 2 + (g * 7919) % ({DONORS} - 1) END AS donor,
       {FIRST_WORKSHOP} + (g * 31) % {WORKSHOPS} AS workshop,
       timestamptz '{START}' + random() * (timestamptz '{END}' - timestamptz '{START}'
                                            - interval '1 day') AS reg,
       interval '1 hour' * (24 + 312 * random()) AS to_collect,
       interval '1 hour' * (4 + 68 * random()) AS to_receive
FROM generate_series(1, {DEVICES // PER_LOT}) g
""",
    """
INSERT INTO donation (id, number, donor, created_at)
SELECT id, 'LOT-B-' || lpad(id::text, 8, '0'), donor, reg FROM bench_lot
""",
    # A lot is registered, collected and received at once; then each device is wiped, then
    # refurbished or recycled on its own; allocations leave a workshop one day at a time, to one
    # association, and arrive together. Whatever falls after END has not happened yet.
    f"""
INSERT INTO device (id, tag, donation, donor, category, brand, model, serial_number, year,
                    has_storage, condition, estimated_value_xpf, weight_kg, weight_estimated,
                    status, reconditioner, association, grade, registered_at, collected_at,
                    received_at, wiped_at, refurbished_at, recycled_at, allocated_at,
                    delivered_at, withdrawn_at, updated_at)
WITH base AS (
    SELECT g AS id, l.id AS lot, l.donor, l.workshop, l.reg,
           l.reg + l.to_collect AS col, l.reg + l.to_collect + l.to_receive AS rcv,
           width_bucket(random(), ARRAY[0.45, 0.65, 0.80, 0.87, 0.91, 0.95, 0.97, 0.99]::float8[])
               + 1 AS cat,
           random() AS fate, random() AS rv, random() AS rw,
           interval '1 hour' * (2 + 478 * random()) AS to_wipe,
           interval '1 hour' * (2 + 718 * random()) AS to_finish
    FROM generate_series(1, {DEVICES}) g
    JOIN bench_lot l ON l.id = (g - 1) / {PER_LOT} + 1
), planned AS (
    SELECT b.*, cat IN (1, 2, 4, 5) AS storage,
           rcv + CASE WHEN cat IN (1, 2, 4, 5) THEN to_wipe ELSE interval '0' END AS ready
    FROM base b
), steps AS (
    SELECT p.*,
           CASE WHEN fate < 0.03 THEN reg + (col - reg) * rw END AS wd,
           CASE WHEN fate >= 0.03 THEN col END AS c,
           CASE WHEN fate >= 0.03 THEN rcv END AS rc,
           CASE WHEN fate >= 0.03 AND storage THEN rcv + to_wipe END AS w,
           CASE WHEN fate >= 0.03 AND fate < 0.21 THEN ready + to_finish END AS rcy,
           CASE WHEN fate >= 0.21 THEN ready + to_finish END AS rf,
           CASE WHEN fate >= 0.21 THEN
               (date_trunc('day', (ready + to_finish + interval '2 days')
                                  AT TIME ZONE 'Pacific/Noumea')
                + interval '10 hours') AT TIME ZONE 'Pacific/Noumea' END AS al
    FROM planned p
), routed AS (
    SELECT s.*,
           {FIRST_ASSOCIATION} + (workshop * 37
               + floor(extract(epoch FROM al) / 86400)::int) % {ASSOCIATIONS} AS charity
    FROM steps s
), cut AS (
    SELECT id, lot, donor, workshop, cat, storage, rv, reg, charity,
           CASE WHEN wd <= timestamptz '{END}' THEN wd END AS wd,
           CASE WHEN c <= timestamptz '{END}' THEN c END AS c,
           CASE WHEN rc <= timestamptz '{END}' THEN rc END AS rc,
           CASE WHEN w <= timestamptz '{END}' THEN w END AS w,
           CASE WHEN rcy <= timestamptz '{END}' THEN rcy END AS rcy,
           CASE WHEN rf <= timestamptz '{END}' THEN rf END AS rf,
           CASE WHEN al <= timestamptz '{END}' THEN al END AS al,
           CASE WHEN al + interval '1 day' * (1 + charity % 10) + interval '5 hours'
                     <= timestamptz '{END}'
                THEN al + interval '1 day' * (1 + charity % 10) + interval '5 hours' END AS dl
    FROM routed
)
SELECT id,
       lpad(upper(to_hex(id)), 8, '0'),
       lot,
       donor,
       (ARRAY['laptop', 'desktop', 'monitor', 'smartphone', 'tablet', 'printer', 'network',
              'peripheral', 'other'])[cat],
       (ARRAY['Dell', 'HP', 'Lenovo', 'Apple', 'Acer', 'Samsung'])[1 + id % 6],
       'Modèle ' || (id % 37),
       'SN' || lpad(id::text, 9, '0'),
       2012 + (id % 12),
       storage,
       'bon état',
       CASE WHEN rv < 0.1 THEN NULL ELSE (5000 + floor(rv * 60000))::bigint END,
       CASE WHEN rcy IS NOT NULL AND rv < 0.5 THEN round((1 + rv * 20)::numeric, 2)::float8
            ELSE (ARRAY[1.6, 8.8, 5.5, 0.09, 0.5, 10.3, 1.0, 0.5, 2.0]::float8[])[cat] END,
       NOT (rcy IS NOT NULL AND rv < 0.5),
       CASE WHEN dl IS NOT NULL THEN 'delivered' WHEN al IS NOT NULL THEN 'allocated'
            WHEN rcy IS NOT NULL THEN 'recycled' WHEN rf IS NOT NULL THEN 'refurbished'
            WHEN w IS NOT NULL THEN 'wiped' WHEN rc IS NOT NULL THEN 'received'
            WHEN c IS NOT NULL THEN 'collected' WHEN wd IS NOT NULL THEN 'withdrawn'
            ELSE 'registered' END,
       CASE WHEN c IS NOT NULL THEN workshop END,
       CASE WHEN al IS NOT NULL THEN charity END,
       CASE WHEN rf IS NOT NULL THEN (ARRAY['A', 'B', 'C'])[1 + id % 3] END,
       reg, c, rc, w, rf, rcy, al, dl, wd,
       greatest(reg, c, rc, w, rf, rcy, al, dl, wd)
FROM cut
""",
    # The custody log: one event per status each device entered, oldest first.
    """
INSERT INTO device_event (device, action, from_status, to_status, actor_name,
                          actor_organization_name, actor_role, created_at, data)
SELECT d.id, e.action, e.from_status, e.to_status, 'Banc d''essai', 'Banc d''essai', e.role,
       e.at, '{}'
FROM device d
CROSS JOIN LATERAL (VALUES
    ('register', NULL, 'registered', 'donor', d.registered_at),
    ('collect', 'registered', 'collected', 'reconditioner', d.collected_at),
    ('receive', 'collected', 'received', 'reconditioner', d.received_at),
    ('wipe', 'received', 'wiped', 'reconditioner', d.wiped_at),
    ('refurbish', CASE WHEN d.wiped_at IS NULL THEN 'received' ELSE 'wiped' END, 'refurbished',
     'reconditioner', d.refurbished_at),
    ('recycle', CASE WHEN d.wiped_at IS NULL THEN 'received' ELSE 'wiped' END, 'recycled',
     'reconditioner', d.recycled_at),
    ('allocate', 'refurbished', 'allocated', 'coordinator', d.allocated_at),
    ('confirm_receipt', 'allocated', 'delivered', 'association', d.delivered_at),
    ('withdraw', 'registered', 'withdrawn', 'donor', d.withdrawn_at)
) AS e(action, from_status, to_status, role, at)
WHERE e.at IS NOT NULL
ORDER BY e.at
""",
]
SEQUENCES = ("organization", "account", "donation", "device", "device_event")
TABLES = (
    "device_tally, device_event, certificate, blank_tag, idempotency_record, device, donation, "
    "counter, login_attempt, user_session, password_reset, account, organization"
)

# The same figures straight from the device rows, as the service would without the tally.
DIRECT = [
    "SELECT status, category, count(*), sum(estimated_value_xpf) FROM device"
    " WHERE registered_at >= $1 AND registered_at < $2 GROUP BY status, category",
    "SELECT donor, count(*) FROM device"
    " WHERE registered_at >= $1 AND registered_at < $2 GROUP BY donor",
    "SELECT date_trunc('month', collected_at AT TIME ZONE 'Pacific/Noumea'), reconditioner, donor,"
    " count(*), sum(estimated_value_xpf) FROM device"
    " WHERE collected_at >= $1 AND collected_at < $2 GROUP BY 1, 2, 3",
    "SELECT date_trunc('month', delivered_at AT TIME ZONE 'Pacific/Noumea'), category,"
    " association, reconditioner, count(*), sum(weight_kg) FROM device"
    " WHERE delivered_at >= $1 AND delivered_at < $2 GROUP BY 1, 2, 3, 4",
    "SELECT date_trunc('month', recycled_at AT TIME ZONE 'Pacific/Noumea'), category,"
    " reconditioner, count(*), sum(weight_kg) FROM device"
    " WHERE recycled_at >= $1 AND recycled_at < $2 GROUP BY 1, 2, 3",
]
EXPORT_QUERY = """
SELECT d.tag, d.status, d.category, d.brand, d.model, d.serial_number, d.year, d.has_storage,
       d.condition, n.number, o.name, r.name, a.name, d.grade, d.estimated_value_xpf, d.weight_kg,
       d.weight_estimated, d.registered_at, d.collected_at, d.received_at, d.wiped_at,
       d.refurbished_at, d.allocated_at, d.delivered_at, d.recycled_at, d.withdrawn_at
FROM device d
JOIN donation n ON n.id = d.donation
JOIN organization o ON o.id = d.donor
LEFT JOIN organization r ON r.id = d.reconditioner
LEFT JOIN organization a ON a.id = d.association
{where} ORDER BY d.id
"""


def database_url() -> str:
    """The bench database's URL, beside the server's default database."""
    return urlunparse(urlparse(BASE_URL)._replace(path=f"/{DATABASE}"))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def line(label: str, seconds: float, note: str = "") -> None:
    """One timing, aligned with the others."""
    print(f"  {label:<42} {ms(seconds)}" + (f"  ({note})" if note else ""))


def verdict(met: bool) -> str:
    return "PASS" if met else "FAIL"


def totals_verdict(label: str, seconds: float, baseline: float) -> bool:
    """One totals figure beside the bare count(*) and the target, with its verdict."""
    met = seconds < TARGET_MS / 1000 and seconds <= TARGET_TIMES_COUNT * baseline
    print(
        f"  {label:<42} {ms(seconds)} = {seconds / baseline:.2f}x the count(*)"
        f"  target < {TARGET_MS:.0f} ms and <= {TARGET_TIMES_COUNT:.0f}x: {verdict(met)}"
    )
    return met


def rss_bytes() -> int:
    """The process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def ensure_database() -> None:
    """Create the bench database when missing."""
    admin = await asyncpg.connect(BASE_URL)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()


async def is_filled(connection: asyncpg.Connection) -> bool:
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)"
    )
    value = await connection.fetchval("SELECT value FROM bench_meta WHERE key = 'data'")
    return bool(value == DATA_VERSION)


async def timed(label: str, work: Awaitable[Any]) -> Any:
    start = time.perf_counter()
    result = await work
    print(f"  {label:<54} {time.perf_counter() - start:7.1f} s")
    return result


async def generate(connection: asyncpg.Connection) -> None:
    """Fill the database: bulk SQL with foreign-key checks and triggers off, indexes rebuilt."""
    print(f"generating {DEVICES:,} devices (once; reused by later runs)")
    began = time.perf_counter()
    await connection.execute("DELETE FROM bench_meta")
    await connection.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    await connection.execute("SET synchronous_commit = off")
    await connection.execute("SET maintenance_work_mem = '512MB'")
    try:  # superuser: skip the foreign-key checks and the tally triggers (rebuilt at the end)
        await connection.execute("SET session_replication_role = replica")
    except asyncpg.PostgresError:
        print("  (not a superuser: foreign keys checked and triggers kept; slower)")
    indexes = await connection.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
        " JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid"
        " WHERE i.tablename IN ('device', 'device_event') AND NOT x.indisprimary"
        " AND NOT x.indisunique"
    )
    for index in indexes:
        await connection.execute(f'DROP INDEX "{index["indexname"]}"')
    for statement in GENERATE:
        first_line = " ".join(statement.split())[:50]
        await timed(first_line, connection.execute(statement))
    for sequence in SEQUENCES:
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{sequence}', 'id'),"
            f" (SELECT coalesce(max(id), 1) FROM {sequence}))"
        )
    await timed(
        f"rebuild {len(indexes)} indexes",
        connection.execute(";".join(index["indexdef"] for index in indexes)),
    )
    await connection.execute("SET session_replication_role = DEFAULT")
    await timed("fill the tally (totals.rebuild_tally)", totals.rebuild_tally())
    await timed("VACUUM ANALYZE", connection.execute("VACUUM ANALYZE"))
    await connection.execute(
        "INSERT INTO bench_meta VALUES ('data', $1)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        DATA_VERSION,
    )
    print(f"  generated in {time.perf_counter() - began:.0f} s")


async def median_of(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """(median, min) seconds of `runs` timed runs after one warm-up."""
    await work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


async def bench_totals(connection: asyncpg.Connection, runs: int) -> dict[str, Any]:
    print(f"\n/api/totals?from={YEAR[0]}&to={YEAR[1]} on PostgreSQL, median of {runs} runs")
    coordinator = Principal(
        1, "coordination@bench.test", "", COORDINATION, "OPEN NC", Role.COORDINATOR
    )
    counts = await connection.fetchrow(
        "SELECT (SELECT count(*) FROM device) AS devices,"
        " (SELECT count(*) FROM device_event) AS events,"
        " (SELECT count(*) FROM device_tally) AS tally,"
        " (SELECT count(*) FROM device_tally WHERE day BETWEEN '2025-01-01' AND '2025-12-31')"
        " AS tally_year"
    )
    print(
        f"  data: {counts['devices']:,} devices, {counts['events']:,} events; tally "
        f"{counts['tally']:,} rows ({counts['tally_year']:,} in 2025)"
    )
    baseline, _ = await median_of(runs, lambda: connection.fetchval("SELECT count(*) FROM device"))
    service, fastest = await median_of(
        runs, lambda: totals.totals(coordinator, YEAR[0], YEAR[1], 900)
    )
    edges, _ = await median_of(
        runs, lambda: totals.totals(coordinator, ODD_PERIOD[0], ODD_PERIOD[1], 900)
    )
    app = create_app(
        Settings(secret_key=SECRET, database_url=database_url()), manage_database=False
    )
    token = (await open_session(coordinator, SECRET, timedelta(hours=1))).token
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def over_http() -> None:
            response = await client.get(
                "/api/totals",
                params={"from": YEAR[0], "to": YEAR[1]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text

        http, _ = await median_of(runs, over_http)
    public, _ = await median_of(runs, totals.public_totals)
    bounds = await connection.fetchrow(
        "SELECT timestamptz '2025-01-01 00:00+11' AS a, timestamptz '2026-01-01 00:00+11' AS b"
    )

    async def direct() -> None:
        for query in DIRECT:
            await connection.fetch(query, bounds["a"], bounds["b"])

    grouped, _ = await median_of(3, direct)
    body = await totals.totals(coordinator, YEAR[0], YEAR[1], 900)
    line("baseline: SELECT count(*) FROM device", baseline)
    met = [
        totals_verdict("totals for 2025 (service function)", service, baseline),
        totals_verdict(f"totals for {ODD_PERIOD[0]}..{ODD_PERIOD[1]}", edges, baseline),
        totals_verdict("public counters, all time", public, baseline),
    ]
    line("totals for 2025, fastest run", fastest)
    line("the same through HTTP (ASGI app, JSON)", http, "not a target")
    line("same figures grouped from device rows", grouped, "without the tally")
    print(
        f"  -> {grouped / service:.0f}x faster than grouping the devices; "
        f"totals targets: {verdict(all(met))}"
    )
    print(
        f"  (2025: {body['devices']['total']:,} registered, {body['flow']['collected']:,} "
        f"collected, {body['impact']['reused']:,} reused, {body['impact']['recycled']:,} "
        f"recycled, {len(body['donors'])} donors, {len(body['associations'])} associations)"
    )
    return {"service": service, "baseline": baseline}


async def stream_export(app: Any, principal: Principal) -> tuple[int, int, float, int]:
    """(rows, bytes, seconds, peak RSS growth) of GET /api/devices.csv through the ASGI app."""
    token = (await open_session(principal, SECRET, timedelta(hours=1))).token
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/devices.csv",
        "raw_path": b"/api/devices.csv",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    done = asyncio.Event()
    asked = False
    status = 0
    size = lines = 0
    start_rss = peak = rss_bytes()

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size, lines, peak
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            size += len(body)
            lines += body.count(b"\r\n")
            peak = max(peak, rss_bytes())
            if not message.get("more_body", False):
                done.set()

    began = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - began
    assert status == 200, status
    return lines - 1, size, elapsed, peak - start_rss


async def copy_baseline(connection: asyncpg.Connection, where: str) -> tuple[int, float]:
    """PostgreSQL writing the same rows as CSV itself, into a sink that drops them."""
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        size += len(chunk)

    began = time.perf_counter()
    await connection.copy_from_query(
        EXPORT_QUERY.format(where=where), output=sink, format="csv", delimiter=";"
    )
    return size, time.perf_counter() - began


async def bench_csv(connection: asyncpg.Connection) -> None:
    print(
        f"\nGET /api/devices.csv through the ASGI app (batches of {exports.PAGE_SIZE:,};"
        " PostgreSQL: one cursor)"
    )
    app = create_app(
        Settings(secret_key=SECRET, database_url=database_url()), manage_database=False
    )
    donor = Principal(2, "donateur@bench.test", "", 1, "Donateur 1", Role.DONOR)
    coordinator = Principal(
        1, "coordination@bench.test", "", COORDINATION, "OPEN NC", Role.COORDINATOR
    )
    results = []
    for label, principal, where in (
        ("donor 1 (its devices)", donor, "WHERE d.donor = 1"),
        ("coordination (every device)", coordinator, ""),
    ):
        rows, size, seconds, growth = await stream_export(app, principal)
        _, copy_seconds = await copy_baseline(connection, where)
        results.append((rows, growth))
        share = copy_seconds / seconds
        print(
            f"  {'  baseline: COPY … TO STDOUT':<28} {rows:>9,} rows {'':>10} "
            f"{copy_seconds:6.1f} s "
            f"{rows / copy_seconds:>9,.0f} rows/s"
        )
        print(
            f"  {label:<28} {rows:>9,} rows {size / 1e6:7.1f} MB {seconds:6.1f} s "
            f"{rows / seconds:>9,.0f} rows/s  memory +{growth / 1e6:5.1f} MB"
        )
        print(
            f"  {'':<28} {share:.0%} of COPY's rows/s; target >= {TARGET_COPY_SHARE:.0%}: "
            f"{verdict(share >= TARGET_COPY_SHARE)}"
        )
    (small_rows, small), (big_rows, big) = results
    constant = big <= max(2 * small, small + 16e6)
    print(
        f"  -> {big_rows / small_rows:.0f}x the rows, memory growth {small / 1e6:.1f} MB vs "
        f"{big / 1e6:.1f} MB: target the same memory (within 2x or 16 MB): {verdict(constant)}"
    )


async def bench_sqlite(connection: asyncpg.Connection, runs: int) -> None:
    """Totals on SQLite, from a copy of the tally and the organisations."""
    print(f"\nthe same totals on SQLite (a copy of the tally), median of {runs} runs")
    tally = await connection.fetch(
        "SELECT grain, day, status, dimension, key, shard, devices, weight_g, value_xpf"
        " FROM device_tally"
    )
    organizations = await connection.fetch("SELECT id, name, kind FROM organization")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        engine = engine_for(f"sqlite:///{path}")
        await migrate(engine)
        with sqlite3.connect(path) as db:
            db.executemany(
                "INSERT INTO organization (id, name, kind, language, created_at)"
                " VALUES (?, ?, ?, 'fr', '2023-01-01 00:00:00+00:00')",
                [tuple(r) for r in organizations],
            )
            db.executemany(
                "INSERT INTO device_tally (grain, day, status, dimension, key, shard, devices,"
                " weight_g, value_xpf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r[0], r[1].isoformat(), *r[2:]) for r in tally],
            )
        coordinator = Principal(1, "c@bench.test", "", COORDINATION, "OPEN NC", Role.COORDINATOR)
        baseline, _ = await median_of(
            runs, lambda: engine.run_ddl("SELECT count(*) FROM device_tally")
        )
        service, _ = await median_of(
            runs, lambda: totals.totals(coordinator, YEAR[0], YEAR[1], 900)
        )
        line(f"baseline: count(*) of the tally's {len(tally):,} rows", baseline)
        line("totals for 2025 (service function)", service, "no target on SQLite")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    try:
        await ensure_database()
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL unreachable at {BASE_URL} ({error}): skipped.")
        return
    engine = engine_for(database_url())
    await migrate(engine)
    use_engine(engine)
    # Long statements allowed: filling the tally of 10^6 devices outlasts the service's limit.
    await start_pool(engine, 2, 10, DatabaseTimeouts(statement=3600))
    connection = await asyncpg.connect(database_url())
    try:
        if args.regenerate or not await is_filled(connection):
            await generate(connection)
        # What every server process does within the hour (housekeeping): past days, months
        # and years read one row per figure instead of one per shard.
        await timed("fold the closed periods' shards", tally_folding.fold_closed_periods())
        await bench_totals(connection, args.runs)
        if not args.skip_csv:
            await bench_csv(connection)
        await bench_sqlite(connection, args.runs)
    finally:
        use_engine(engine)
        await connection.close()
        await close_pool(engine)


if __name__ == "__main__":
    asyncio.run(main())
