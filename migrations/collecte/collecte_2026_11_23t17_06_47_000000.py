"""Spread each `device_tally` figure over 16 shards (device id mod 16), summed when read.

Why: every transition of a day upserted the same few tally rows (e.g. `('received', 'all')` for
the day, its month and its year), so on PostgreSQL concurrent scans queued on those rows' locks
until each commit's WAL flush: `receive` reached 9 % of the raw ceiling (22 % without the
triggers; bench/bench_load.py, docs/performance.md). Each device now adds into the rows of its
own shard (`id % 16`), so concurrent transitions of different devices mostly touch different
rows. Every read sums over the shards (collecte/services/totals.py): the figures are unchanged.

The `shard` column is added by the previous migration (Piccolo runs a migration's raw steps
before its column changes). Here: the unique key becomes (grain, day, status, dimension, key,
shard); the trigger function (PostgreSQL) and triggers (SQLite: one writer at a time, no gain,
but the same rows on both engines) add into the device's shard, the upserts of one statement
still in key order (shard last) so two writers never lock tally rows in opposite orders; the view
`device_tally_expected_shards` gives the same per shard (what `rebuild_tally` writes); the
tally is refilled from it. `device_tally_expected` (the figures, summed over shards) is unchanged.
The contribution rules are those of the `device tally triggers` migration, copied (frozen) here.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T17:06:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "device tally shards"

SHARDS = 16

# (status entered, dimension, device column giving the key or None for "all", weight?, value?)
CONTRIBUTIONS = (
    ("registered", "category", "category", False, True),
    ("registered", "status", "status", False, False),
    ("registered", "donor", "donor", False, True),
    ("collected", "all", None, False, True),
    ("collected", "donor", "donor", False, True),
    ("collected", "reconditioner", "reconditioner", False, True),
    ("received", "all", None, False, False),
    ("wiped", "all", None, False, False),
    ("refurbished", "all", None, False, False),
    ("allocated", "all", None, False, False),
    ("withdrawn", "all", None, False, False),
    ("delivered", "category", "category", True, False),
    ("delivered", "reconditioner", "reconditioner", True, False),
    ("delivered", "association", "association", True, False),
    ("recycled", "category", "category", True, False),
    ("recycled", "reconditioner", "reconditioner", True, False),
)
# The device columns the contributions read: an update touching none of them changes nothing.
WATCHED = (
    "registered_at",
    "collected_at",
    "received_at",
    "wiped_at",
    "refurbished_at",
    "recycled_at",
    "allocated_at",
    "delivered_at",
    "withdrawn_at",
    "category",
    "status",
    "donor",
    "reconditioner",
    "association",
    "weight_kg",
    "estimated_value_xpf",
)
SQLITE_NOUMEA_OFFSET = "+11 hours"
GRAINS = "(SELECT 'day' AS grain UNION ALL SELECT 'month' UNION ALL SELECT 'year') AS g"
SUMS = "sum(c.devices) AS devices, sum(c.weight_g) AS weight_g, sum(c.value_xpf) AS value_xpf"
NONZERO = "HAVING sum(c.devices) <> 0 OR sum(c.weight_g) <> 0 OR sum(c.value_xpf) <> 0"


def _upsert(key: str) -> str:
    return (
        f"ON CONFLICT ({key}) DO UPDATE SET "
        "devices = device_tally.devices + excluded.devices, "
        "weight_g = device_tally.weight_g + excluded.weight_g, "
        "value_xpf = device_tally.value_xpf + excluded.value_xpf"
    )


# The new key, and the one it replaces (for going backwards).
KEY = "grain, day, status, dimension, key, shard"
COLUMNS = f"{KEY}, devices, weight_g, value_xpf"
NET = f"GROUP BY 1, 2, 3, 4, 5, 6 {NONZERO}"
UPSERT = _upsert(KEY)
OLD_KEY = "grain, day, status, dimension, key"
OLD_COLUMNS = f"{OLD_KEY}, devices, weight_g, value_xpf"
OLD_NET = f"GROUP BY 1, 2, 3, 4, 5 {NONZERO}"
OLD_UPSERT = _upsert(OLD_KEY)

KEY_INDEX = [
    "DROP INDEX IF EXISTS device_tally_key",
    f"CREATE UNIQUE INDEX device_tally_key ON device_tally ({KEY})",
]
OLD_KEY_INDEX = [
    "DROP INDEX IF EXISTS device_tally_key",
    f"CREATE UNIQUE INDEX device_tally_key ON device_tally ({OLD_KEY})",
]


def _expand(bucket: str, sharded: bool = True) -> str:
    """The SELECT list turning day contributions `c` into day, month and year rows."""
    shard = "c.shard, " if sharded else ""
    return f"g.grain, {bucket} AS day, c.status, c.dimension, c.key, {shard}{SUMS}"


# --- PostgreSQL ------------------------------------------------------------------------------

PG_BUCKET = (
    "CASE g.grain WHEN 'day' THEN c.day WHEN 'month' THEN date_trunc('month', c.day)::date "
    "ELSE date_trunc('year', c.day)::date END"
)


def _pg_shard(alias: str) -> str:
    return f"({alias}.id % {SHARDS})::smallint AS shard"


def _pg_apply(source: str, sharded: bool = True) -> str:
    if sharded:
        columns, net, order, upsert = COLUMNS, NET, "1, 2, 3, 4, 5, 6", UPSERT
    else:
        columns, net, order, upsert = OLD_COLUMNS, OLD_NET, "1, 2, 3, 4, 5", OLD_UPSERT
    return (
        f"INSERT INTO device_tally ({columns}) SELECT {_expand(PG_BUCKET, sharded)} "
        f"FROM ({source}) AS c CROSS JOIN {GRAINS} {net} ORDER BY {order} {upsert};"
    )


def _pg_new(sharded: bool = True) -> str:
    shard = f", {_pg_shard('n')}" if sharded else ""
    return f"SELECT x.*{shard} FROM new_rows n CROSS JOIN LATERAL device_contributions(n) x"


def _pg_old(sharded: bool = True) -> str:
    shard = f", {_pg_shard('o')}" if sharded else ""
    return (
        "SELECT x.day, x.status, x.dimension, x.key, -x.devices AS devices,"
        f" -x.weight_g AS weight_g, -x.value_xpf AS value_xpf{shard}"
        " FROM old_rows o CROSS JOIN LATERAL device_contributions(o) x"
    )


def _pg_function(sharded: bool) -> str:
    new, old = _pg_new(sharded), _pg_old(sharded)
    return f"""
CREATE OR REPLACE FUNCTION device_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_pg_apply(new, sharded)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_pg_apply(f"{new} UNION ALL {old}", sharded)}
    ELSE
        {_pg_apply(old, sharded)}
    END IF;
    RETURN NULL;
END
$$
"""


PG_FORWARDS = [
    f"""
CREATE VIEW device_tally_expected_shards AS
SELECT {_expand(PG_BUCKET)}
FROM (SELECT x.*, {_pg_shard("d")} FROM device d CROSS JOIN LATERAL device_contributions(d) x) c
CROSS JOIN {GRAINS} {NET}
""",
    _pg_function(sharded=True),
]

PG_BACKWARDS = [_pg_function(sharded=False), "DROP VIEW IF EXISTS device_tally_expected_shards"]


# --- SQLite ----------------------------------------------------------------------------------

SQLITE_BUCKET = (
    "CASE g.grain WHEN 'day' THEN c.day WHEN 'month' THEN date(c.day, 'start of month') "
    "ELSE date(c.day, 'start of year') END"
)


def _sqlite_selects(alias: str, sign: int, from_device: bool = False, sharded: bool = True) -> str:
    selects = []
    for status, dimension, column, weighs, values in CONTRIBUTIONS:
        key = f"CAST({alias}.{column} AS TEXT)" if column else "''"
        weight = f"coalesce(CAST(round({alias}.weight_kg * 1000) AS INTEGER), 0)" if weighs else "0"
        value = f"coalesce({alias}.estimated_value_xpf, 0)" if values else "0"
        # Whole seconds: SQLite rounds 23:59:59.9999 up to the next day.
        day = f"date(substr({alias}.{status}_at, 1, 19), '{SQLITE_NOUMEA_OFFSET}')"
        shard = f", {alias}.id % {SHARDS} AS shard" if sharded else ""
        select = (
            f"SELECT {day} AS day, '{status}' AS status, '{dimension}' AS dimension, "
            f"{key} AS key, {sign} AS devices, {sign} * {weight} AS weight_g, "
            f"{sign} * {value} AS value_xpf{shard}"
        )
        if from_device:
            select += f" FROM device AS {alias}"
        selects.append(select)
    return "\n        UNION ALL ".join(selects)


def _sqlite_trigger(name: str, event: str, sides: list[tuple[str, int]], sharded: bool) -> str:
    source = " UNION ALL ".join(
        _sqlite_selects(alias, sign, sharded=sharded) for alias, sign in sides
    )
    columns, net, upsert = (COLUMNS, NET, UPSERT) if sharded else (OLD_COLUMNS, OLD_NET, OLD_UPSERT)
    return f"""
CREATE TRIGGER {name} AFTER {event} ON device BEGIN
    INSERT INTO device_tally ({columns})
    SELECT {_expand(SQLITE_BUCKET, sharded)}
    FROM (SELECT * FROM ({source}) WHERE day IS NOT NULL AND key IS NOT NULL) AS c
    CROSS JOIN {GRAINS}
    WHERE true
    {net}
    {upsert};
END
"""


def _sqlite_triggers(sharded: bool) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS device_tally_insert",
        "DROP TRIGGER IF EXISTS device_tally_update",
        "DROP TRIGGER IF EXISTS device_tally_delete",
        _sqlite_trigger("device_tally_insert", "INSERT", [("NEW", 1)], sharded),
        _sqlite_trigger(
            "device_tally_update",
            f"UPDATE OF {', '.join(WATCHED)}",
            [("NEW", 1), ("OLD", -1)],
            sharded,
        ),
        _sqlite_trigger("device_tally_delete", "DELETE", [("OLD", -1)], sharded),
    ]


SQLITE_FORWARDS = [
    f"""
CREATE VIEW device_tally_expected_shards AS
SELECT {_expand(SQLITE_BUCKET)}
FROM (SELECT * FROM ({_sqlite_selects("d", 1, from_device=True)})
      WHERE day IS NOT NULL AND key IS NOT NULL) AS c
CROSS JOIN {GRAINS} {NET}
""",
    *_sqlite_triggers(sharded=True),
]

SQLITE_BACKWARDS = [
    *_sqlite_triggers(sharded=False),
    "DROP VIEW IF EXISTS device_tally_expected_shards",
]

# Each figure's rows refilled per shard (before: all in shard 0, the column's default).
FILL = f"INSERT INTO device_tally ({COLUMNS}) SELECT {COLUMNS} FROM device_tally_expected_shards"
# Back to one row per figure (the `shard` column is then dropped by the previous migration).
UNFILL = f"INSERT INTO device_tally ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM device_tally_expected"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    # The engine the manager's transaction runs on, so the steps commit or fail with it.
    async def run():
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            statements = SQLITE_FORWARDS
        else:
            # Writers wait: a transition committed during the refill would be counted twice.
            statements = ["LOCK TABLE device IN SHARE MODE", *PG_FORWARDS]
        for statement in [*statements, "DELETE FROM device_tally", *KEY_INDEX, FILL]:
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            statements = SQLITE_BACKWARDS
        else:
            statements = ["LOCK TABLE device IN SHARE MODE", *PG_BACKWARDS]
        for statement in [*statements, "DELETE FROM device_tally", *OLD_KEY_INDEX, UNFILL]:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
