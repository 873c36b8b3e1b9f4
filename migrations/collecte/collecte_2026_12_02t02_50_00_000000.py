"""Count the devices that went missing and those returned in `device_tally`.

Why: `missing` and `returned` (version 2's exceptions) set `missing_at` and `returned_at` like
every other status, but the tally's rules predate them, so `flow.missing` and `flow.returned` in
`/api/totals` always read 0. Each gets an `all` contribution, like `withdrawn`.

The rules of the `device tally shards` migration, with the two statuses added, frozen here (a
later change gets its own migration): on PostgreSQL the function `device_contributions` is
replaced (the views and the trigger function read it; the statement-level trigger fires on any
update); on SQLite the views and the row triggers are rebuilt, the update trigger also watching
the two new columns. The tally is then refilled from `device_tally_expected_shards`, writers held
off on PostgreSQL so no transition is counted twice.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T02:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tally counts missing and returned"

SHARDS = 16

# (status entered, dimension, device column giving the key or None for "all", weight?, value?)
BEFORE = (
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
AFTER = (
    *BEFORE,
    ("missing", "all", None, False, False),
    ("returned", "all", None, False, False),
)
# The device columns the contributions read: an update touching none of them changes nothing.
WATCHED_BEFORE = (
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
WATCHED_AFTER = (*WATCHED_BEFORE, "missing_at", "returned_at")

SQLITE_NOUMEA_OFFSET = "+11 hours"
GRAINS = "(SELECT 'day' AS grain UNION ALL SELECT 'month' UNION ALL SELECT 'year') AS g"
SUMS = "sum(c.devices) AS devices, sum(c.weight_g) AS weight_g, sum(c.value_xpf) AS value_xpf"
NONZERO = "HAVING sum(c.devices) <> 0 OR sum(c.weight_g) <> 0 OR sum(c.value_xpf) <> 0"
KEY = "grain, day, status, dimension, key, shard"
COLUMNS = f"{KEY}, devices, weight_g, value_xpf"
NET = f"GROUP BY 1, 2, 3, 4, 5, 6 {NONZERO}"
UNSHARDED_NET = f"GROUP BY 1, 2, 3, 4, 5 {NONZERO}"
UPSERT = (
    f"ON CONFLICT ({KEY}) DO UPDATE SET "
    "devices = device_tally.devices + excluded.devices, "
    "weight_g = device_tally.weight_g + excluded.weight_g, "
    "value_xpf = device_tally.value_xpf + excluded.value_xpf"
)
FILL = [
    "DELETE FROM device_tally",
    f"INSERT INTO device_tally ({COLUMNS}) SELECT {COLUMNS} FROM device_tally_expected_shards",
]


def _expand(bucket: str, sharded: bool = True) -> str:
    """The SELECT list turning day contributions `c` into day, month and year rows."""
    shard = "c.shard, " if sharded else ""
    return f"g.grain, {bucket} AS day, c.status, c.dimension, c.key, {shard}{SUMS}"


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_contributions(contributions: tuple) -> str:
    rows = []
    for status, dimension, column, weighs, values in contributions:
        key = f"d.{column}::text" if column else "''::text"
        weight = "coalesce(round(d.weight_kg * 1000), 0)::bigint" if weighs else "0::bigint"
        value = "coalesce(d.estimated_value_xpf, 0)::bigint" if values else "0::bigint"
        rows.append(
            f"((d.{status}_at AT TIME ZONE 'Pacific/Noumea')::date, '{status}'::text, "
            f"'{dimension}'::text, {key}, {weight}, {value})"
        )
    values_list = ",\n        ".join(rows)
    return f"""
CREATE OR REPLACE FUNCTION device_contributions(d device)
RETURNS TABLE (day date, status text, dimension text, key text, devices bigint,
               weight_g bigint, value_xpf bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.day, c.status, c.dimension, c.key, 1::bigint, c.weight_g, c.value_xpf
    FROM (VALUES
        {values_list}
    ) AS c(day, status, dimension, key, weight_g, value_xpf)
    WHERE c.day IS NOT NULL AND c.key IS NOT NULL
$$
"""


# --- SQLite ----------------------------------------------------------------------------------

SQLITE_BUCKET = (
    "CASE g.grain WHEN 'day' THEN c.day WHEN 'month' THEN date(c.day, 'start of month') "
    "ELSE date(c.day, 'start of year') END"
)


def _sqlite_selects(
    contributions: tuple, alias: str, sign: int, from_device: bool = False, sharded: bool = True
) -> str:
    selects = []
    for status, dimension, column, weighs, values in contributions:
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


def _sqlite_trigger(contributions: tuple, name: str, event: str, sides: list) -> str:
    source = " UNION ALL ".join(
        _sqlite_selects(contributions, alias, sign) for alias, sign in sides
    )
    return f"""
CREATE TRIGGER {name} AFTER {event} ON device BEGIN
    INSERT INTO device_tally ({COLUMNS})
    SELECT {_expand(SQLITE_BUCKET)}
    FROM (SELECT * FROM ({source}) WHERE day IS NOT NULL AND key IS NOT NULL) AS c
    CROSS JOIN {GRAINS}
    WHERE true
    {NET}
    {UPSERT};
END
"""


def _sqlite_statements(contributions: tuple, watched: tuple) -> list[str]:
    """The views and triggers of the tally for these rules, replacing the ones in place."""
    unsharded = _sqlite_selects(contributions, "d", 1, from_device=True, sharded=False)
    sharded = _sqlite_selects(contributions, "d", 1, from_device=True)
    return [
        "DROP TRIGGER IF EXISTS device_tally_insert",
        "DROP TRIGGER IF EXISTS device_tally_update",
        "DROP TRIGGER IF EXISTS device_tally_delete",
        "DROP VIEW IF EXISTS device_tally_expected_shards",
        "DROP VIEW IF EXISTS device_tally_expected",
        "DROP VIEW IF EXISTS device_contribution",
        f"""
CREATE VIEW device_contribution AS
SELECT day, status, dimension, key, devices, weight_g, value_xpf
FROM ({unsharded})
WHERE day IS NOT NULL AND key IS NOT NULL
""",
        f"""
CREATE VIEW device_tally_expected AS
SELECT {_expand(SQLITE_BUCKET, sharded=False)} FROM device_contribution c
CROSS JOIN {GRAINS} {UNSHARDED_NET}
""",
        f"""
CREATE VIEW device_tally_expected_shards AS
SELECT {_expand(SQLITE_BUCKET)}
FROM (SELECT * FROM ({sharded}) WHERE day IS NOT NULL AND key IS NOT NULL) AS c
CROSS JOIN {GRAINS} {NET}
""",
        _sqlite_trigger(contributions, "device_tally_insert", "INSERT", [("NEW", 1)]),
        _sqlite_trigger(
            contributions,
            "device_tally_update",
            f"UPDATE OF {', '.join(watched)}",
            [("NEW", 1), ("OLD", -1)],
        ),
        _sqlite_trigger(contributions, "device_tally_delete", "DELETE", [("OLD", -1)]),
    ]


async def _apply(contributions: tuple, watched: tuple) -> None:
    engine = engine_finder()
    assert engine is not None
    if engine.engine_type == "sqlite":
        statements = _sqlite_statements(contributions, watched)
    else:
        # Writers wait: a transition committed during the refill would be counted twice.
        statements = ["LOCK TABLE device IN SHARE MODE", _pg_contributions(contributions)]
    for statement in [*statements, *FILL]:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        await _apply(AFTER, WATCHED_AFTER)

    async def run_backwards():
        await _apply(BEFORE, WATCHED_BEFORE)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
