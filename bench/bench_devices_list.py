"""Benchmark: device lists and search (`GET /api/devices`) on 10⁶ devices (issue 16).

Run from the project root: `python bench/bench_devices_list.py` (or `make bench`). PostgreSQL at
COLLECTE_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test). The data is
bench_totals.py's (1,000,000 devices in 20,000 lots over 2,000 donors, 25 workshops and 300
associations, every status), made by its loader in a database of its own,
`collecte_bench_devices`, on the first run, then reused.

Each figure is the median of runs through the real service function (`device_search`: the page
of 50 and its exact total, as the API answers), printed beside a bare indexed lookup
(`SELECT * FROM device WHERE id = $1`) measured in the same run. Targets: a filtered page
(status + donor) < 50 ms; `q` by serial and by tag < 100 ms. `--explain` prints the plans.

Options: --runs N, --explain, --regenerate. Exits 0 (prints "skipped" when PostgreSQL is
unreachable).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_totals as loader  # beside this file: python puts its folder first on the path

from collecte.db.engine import close_pool, engine_for, start_pool, use_engine
from collecte.db.migrate import migrate
from collecte.domain.access import Principal
from collecte.domain.device_filters import parse_filters
from collecte.domain.vocabulary import Role
from collecte.services import device_search
from collecte.settings import DatabaseTimeouts

loader.DATABASE = "collecte_bench_devices"  # its own copy: other benches migrate theirs
PAGE_TARGET_MS = 50.0
SEARCH_TARGET_MS = 100.0
COORDINATOR = Principal(
    1, "coordination@bench.test", "", loader.COORDINATION, "OPEN NC", Role.COORDINATOR
)
DONOR = Principal(2, "donateur@bench.test", "", 1, "Donateur 1", Role.DONOR)
WORKSHOP = Principal(
    3, "atelier@bench.test", "", loader.FIRST_WORKSHOP, "Atelier 1", Role.RECONDITIONER
)


async def timed(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    """(median seconds, last result) of `runs` runs after one warm-up."""
    median, _ = await loader.median_of(runs, work)
    return median, await work()


async def explain(connection: asyncpg.Connection, principal: Principal, **params: Any) -> None:
    """The plans PostgreSQL chooses for the page and the count (as the service sends them)."""
    from collecte.db.tables import Device
    from collecte.services.devices import device_select

    clauses = device_search.conditions(principal, parse_filters(**params))
    page = device_select().order_by(Device.id, ascending=False).limit(51)
    count = Device.count()
    for clause in clauses:
        page, count = page.where(clause), count.where(clause)
    for query in (page, count):
        sql, args = query.querystrings[0].compile_string(engine_type="postgres")
        plan = await connection.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", *args)
        print("\n".join("      " + row[0] for row in plan))


async def bench(connection: asyncpg.Connection, runs: int, show_plans: bool) -> None:
    serial = "SN000123456"
    tag = await connection.fetchval("SELECT tag FROM device WHERE id = 654321")
    device_id = 424242
    baseline, _ = await timed(
        runs, lambda: connection.fetchrow("SELECT * FROM device WHERE id = $1", device_id)
    )
    cases: list[tuple[str, Principal, dict[str, Any], float | None]] = [
        ("coordination: status + donor", COORDINATOR, {"status": ["delivered"], "donor_id": 1},
         PAGE_TARGET_MS),
        ("donor 1 (100,000 devices): one status", DONOR, {"status": ["refurbished"]},
         PAGE_TARGET_MS),
        ("workshop 1: its open work", WORKSHOP,
         {"status": ["collected", "received", "wiped", "refurbished"]}, PAGE_TARGET_MS),
        ("coordination: one category, one month", COORDINATOR,
         {"category": ["tablet"], "start": "2025-03-01", "end": "2025-03-31"}, None),
        (f"q = serial {serial}", COORDINATOR, {"q": serial}, SEARCH_TARGET_MS),
        (f"q = serial's beginning {serial[:9]}", COORDINATOR, {"q": serial[:9]},
         SEARCH_TARGET_MS),
        (f"q = tag {tag[:4]}-{tag[4:].lower()}", COORDINATOR, {"q": f"{tag[:4]}-{tag[4:].lower()}"},
         SEARCH_TARGET_MS),
        (f"q = tag's beginning {tag[:6]}", COORDINATOR, {"q": tag[:6]}, SEARCH_TARGET_MS),
        ("q = serial, as donor 1 (scoped)", DONOR, {"q": serial}, SEARCH_TARGET_MS),
        ("q = 'lenovo modèle 12' (brand + model)", COORDINATOR, {"q": "lenovo modèle 12"}, None),
        ("coordination: everything, page 1", COORDINATOR, {}, None),
    ]  # fmt: skip
    print(f"\ndevice lists on PostgreSQL, page of 50 + exact total, median of {runs} runs")
    loader.line("baseline: SELECT * FROM device WHERE id = $1", baseline)
    verdicts = []
    for label, principal, params, target in cases:
        filters = parse_filters(**params)
        seconds, found = await timed(
            runs,
            lambda principal=principal, filters=filters: device_search.search_devices(
                principal, filters
            ),
        )
        note = f"{found['total']:,} match"
        if target is not None:
            met = seconds * 1000 < target
            verdicts.append(met)
            note += f"; target < {target:.0f} ms {'met' if met else 'NOT met'}"
        loader.line(label, seconds, note)
        if show_plans:
            await explain(connection, principal, **params)
    first = await device_search.search_devices(COORDINATOR, parse_filters(status=["delivered"]))
    later = await device_search.search_devices(
        COORDINATOR, parse_filters(status=["delivered"], cursor=first["next_cursor"])
    )
    assert later["items"][0]["id"] < first["items"][-1]["id"]
    seconds, _ = await timed(
        runs,
        lambda: device_search.search_devices(
            COORDINATOR, parse_filters(status=["delivered"], cursor=first["next_cursor"])
        ),
    )
    loader.line("coordination: delivered, page 2 (cursor)", seconds)
    counts, _ = await timed(3, lambda: device_search.count_by_status(WORKSHOP, parse_filters()))
    loader.line("workshop 1: counts per status (pages)", counts)
    print(f"  -> targets: {sum(verdicts)} of {len(verdicts)} met")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    try:
        await loader.ensure_database()
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL unreachable at {loader.BASE_URL} ({error}): skipped.")
        return
    engine = engine_for(loader.database_url())
    await migrate(engine)
    use_engine(engine)
    # Filling the tally on first run takes minutes: longer than a request may wait.
    await start_pool(engine, 2, 10, DatabaseTimeouts(statement=3600.0))
    connection = await asyncpg.connect(loader.database_url())
    try:
        if args.regenerate or not await loader.is_filled(connection):
            await loader.generate(connection)
        await bench(connection, args.runs, args.explain)
    finally:
        await connection.close()
        await close_pool(engine)


if __name__ == "__main__":
    asyncio.run(main())
