"""SQLite: a batch counts its devices in the totals' tally in one statement, not one trigger each.

Why: SQLite has only row triggers. Each device a transition updates runs `device_tally_update`
(36 contributions, three grains, an upsert): about 0.1 ms a device, 0.25 s of a 2,000-device
batch, all of it holding the single writer while every scan waits. PostgreSQL's trigger already
works per statement.

What changes, on SQLite only:
- `device_tally_pause`, a table a batch writes one row into, inside its own transaction (so no
  other connection ever sees it): while the row is there, `device_tally_update` does nothing;
- `device_tally_rows`, a view of each device's contributions per grain (the rules of the
  `tally counts missing and returned` migration, frozen here): the batch takes its devices'
  contributions out of the tally before its update and puts them back after, in one grouped
  upsert each (`collecte.db.batch_tally`);
- `device_tally_update` is made again with `WHEN NOT EXISTS (SELECT 1 FROM device_tally_pause)`.

The tally's content does not change; a one-device transition still counts through the trigger.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-02T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tally counted per batch on sqlite"

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
    ("missing", "all", None, False, False),
    ("returned", "all", None, False, False),
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
    "missing_at",
    "returned_at",
)

SQLITE_NOUMEA_OFFSET = "+11 hours"
GRAINS = "(SELECT 'day' AS grain UNION ALL SELECT 'month' UNION ALL SELECT 'year') AS g"
SUMS = "sum(c.devices) AS devices, sum(c.weight_g) AS weight_g, sum(c.value_xpf) AS value_xpf"
NONZERO = "HAVING sum(c.devices) <> 0 OR sum(c.weight_g) <> 0 OR sum(c.value_xpf) <> 0"
KEY = "grain, day, status, dimension, key, shard"
COLUMNS = f"{KEY}, devices, weight_g, value_xpf"
NET = f"GROUP BY 1, 2, 3, 4, 5, 6 {NONZERO}"
UPSERT = (
    f"ON CONFLICT ({KEY}) DO UPDATE SET "
    "devices = device_tally.devices + excluded.devices, "
    "weight_g = device_tally.weight_g + excluded.weight_g, "
    "value_xpf = device_tally.value_xpf + excluded.value_xpf"
)
SQLITE_BUCKET = (
    "CASE g.grain WHEN 'day' THEN c.day WHEN 'month' THEN date(c.day, 'start of month') "
    "ELSE date(c.day, 'start of year') END"
)
PAUSED = "NOT EXISTS (SELECT 1 FROM device_tally_pause)"


def _selects(alias: str, sign: int, with_device: bool = False) -> str:
    selects = []
    for status, dimension, column, weighs, values in CONTRIBUTIONS:
        key = f"CAST({alias}.{column} AS TEXT)" if column else "''"
        weight = f"coalesce(CAST(round({alias}.weight_kg * 1000) AS INTEGER), 0)" if weighs else "0"
        value = f"coalesce({alias}.estimated_value_xpf, 0)" if values else "0"
        # Whole seconds: SQLite rounds 23:59:59.9999 up to the next day.
        day = f"date(substr({alias}.{status}_at, 1, 19), '{SQLITE_NOUMEA_OFFSET}')"
        device = ""
        if with_device:
            # The columns the contribution reads: a batch updating none of them leaves it as it
            # was, and skips it (a constant, so SQLite skips the whole arm).
            reads = [f"{status}_at", *([column] if column else [])]
            reads += ["weight_kg"] * weighs + ["estimated_value_xpf"] * values
            device = f"{alias}.id AS device, ',{','.join(reads)},' AS reads, "
        select = (
            f"SELECT {device}{day} AS day, '{status}' AS status, '{dimension}' AS dimension, "
            f"{key} AS key, {sign} AS devices, {sign} * {weight} AS weight_g, "
            f"{sign} * {value} AS value_xpf, {alias}.id % {SHARDS} AS shard"
        )
        if with_device:
            select += f" FROM device AS {alias}"
        selects.append(select)
    return "\n        UNION ALL ".join(selects)


def _update_trigger(paused: bool) -> str:
    source = " UNION ALL ".join(_selects(alias, sign) for alias, sign in [("NEW", 1), ("OLD", -1)])
    when = f" WHEN {PAUSED}" if paused else ""
    return f"""
CREATE TRIGGER device_tally_update AFTER UPDATE OF {", ".join(WATCHED)} ON device{when} BEGIN
    INSERT INTO device_tally ({COLUMNS})
    SELECT g.grain, {SQLITE_BUCKET} AS day, c.status, c.dimension, c.key, c.shard, {SUMS}
    FROM (SELECT * FROM ({source}) WHERE day IS NOT NULL AND key IS NOT NULL) AS c
    CROSS JOIN {GRAINS}
    WHERE true
    {NET}
    {UPSERT};
END
"""


# One row per device, contribution and grain, with the columns the contribution reads: `WHERE
# device IN (…)` reaches each arm of the union, so a batch reads its own devices by their primary
# key, and only the arms reading a column it changes.
ROWS_VIEW = f"""
CREATE VIEW device_tally_rows AS
SELECT c.device, c.reads, g.grain, {SQLITE_BUCKET} AS day, c.status, c.dimension, c.key, c.shard,
       c.devices, c.weight_g, c.value_xpf
FROM ({_selects("d", 1, with_device=True)}) AS c
CROSS JOIN {GRAINS}
WHERE c.day IS NOT NULL AND c.key IS NOT NULL
"""

FORWARDS = [
    "CREATE TABLE device_tally_pause (id INTEGER PRIMARY KEY)",
    ROWS_VIEW,
    "DROP TRIGGER IF EXISTS device_tally_update",
    _update_trigger(paused=True),
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS device_tally_update",
    _update_trigger(paused=False),
    "DROP VIEW IF EXISTS device_tally_rows",
    "DROP TABLE IF EXISTS device_tally_pause",
]


async def _run(statements: list[str]) -> None:
    engine = engine_finder()
    assert engine is not None
    if engine.engine_type != "sqlite":
        return
    for statement in statements:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    async def run():
        await _run(FORWARDS)

    async def run_backwards():
        await _run(BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
