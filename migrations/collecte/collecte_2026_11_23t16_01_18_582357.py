"""Keep `device_tally` up to date from `device` with triggers, and fill it from existing devices.

Why: `/api/totals` for a year must answer in well under 100 ms with 10⁶ devices. Grouping the
device rows themselves, even through their date indexes, takes seconds per year on PostgreSQL
(bench/bench_totals.py). The tally holds the same figures per Nouméa day, month and year: a
period reads whole years, whole months and the remaining days, a bounded number of rows
whatever the number of devices.

The rules, frozen here (a later change gets its own migration): for every status a device has
entered (its `<status>_at` is set), on the Pacific/Noumea day of that date, one contribution per
dimension of CONTRIBUTIONS, counted in that day, its month and its year. An insert adds the new
row's contributions, a delete subtracts the old row's, an update subtracts the old and adds the
new (what did not change cancels out), so the tally always equals the view
`device_tally_expected` (the same computed from `device`), even after a direct UPDATE of a date.

PostgreSQL: statement-level triggers with transition tables; the upserts of one statement run in
key order, so two single-statement writers never lock tally rows in opposite orders. SQLite:
row-level triggers (one writer at a time). SQLite has no time zone database: Nouméa days are
taken at UTC+11, the rule Pacific/Noumea has kept without daylight saving since 1998.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T16:01:18:582357"
VERSION = "1.38.0"
DESCRIPTION = "device tally triggers"

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
KEY = "grain, day, status, dimension, key"
COLUMNS = f"{KEY}, devices, weight_g, value_xpf"
GRAINS = "(SELECT 'day' AS grain UNION ALL SELECT 'month' UNION ALL SELECT 'year') AS g"
SUMS = "sum(c.devices) AS devices, sum(c.weight_g) AS weight_g, sum(c.value_xpf) AS value_xpf"
NET = (
    "GROUP BY 1, 2, 3, 4, 5 "
    "HAVING sum(c.devices) <> 0 OR sum(c.weight_g) <> 0 OR sum(c.value_xpf) <> 0"
)
UPSERT = (
    f"ON CONFLICT ({KEY}) DO UPDATE SET "
    "devices = device_tally.devices + excluded.devices, "
    "weight_g = device_tally.weight_g + excluded.weight_g, "
    "value_xpf = device_tally.value_xpf + excluded.value_xpf"
)
KEY_INDEX = f"CREATE UNIQUE INDEX device_tally_key ON device_tally ({KEY})"


def _expand(bucket: str) -> str:
    """The SELECT list turning day contributions `c` into day, month and year rows."""
    return f"g.grain, {bucket} AS day, c.status, c.dimension, c.key, {SUMS}"


# --- PostgreSQL ------------------------------------------------------------------------------

PG_BUCKET = (
    "CASE g.grain WHEN 'day' THEN c.day WHEN 'month' THEN date_trunc('month', c.day)::date "
    "ELSE date_trunc('year', c.day)::date END"
)


def _pg_values(alias: str) -> str:
    rows = []
    for status, dimension, column, weighs, values in CONTRIBUTIONS:
        key = f"{alias}.{column}::text" if column else "''::text"
        weight = f"coalesce(round({alias}.weight_kg * 1000), 0)::bigint" if weighs else "0::bigint"
        value = f"coalesce({alias}.estimated_value_xpf, 0)::bigint" if values else "0::bigint"
        rows.append(
            f"(({alias}.{status}_at AT TIME ZONE 'Pacific/Noumea')::date, '{status}'::text, "
            f"'{dimension}'::text, {key}, {weight}, {value})"
        )
    return ",\n        ".join(rows)


def _pg_apply(source: str) -> str:
    return (
        f"INSERT INTO device_tally ({COLUMNS}) SELECT {_expand(PG_BUCKET)} "
        f"FROM ({source}) AS c CROSS JOIN {GRAINS} {NET} ORDER BY 1, 2, 3, 4, 5 {UPSERT};"
    )


_PG_NEW = "SELECT x.* FROM new_rows n CROSS JOIN LATERAL device_contributions(n) x"
_PG_OLD = (
    "SELECT x.day, x.status, x.dimension, x.key, -x.devices AS devices, -x.weight_g AS weight_g,"
    " -x.value_xpf AS value_xpf FROM old_rows o CROSS JOIN LATERAL device_contributions(o) x"
)

PG_FORWARDS = [
    f"""
CREATE OR REPLACE FUNCTION device_contributions(d device)
RETURNS TABLE (day date, status text, dimension text, key text, devices bigint,
               weight_g bigint, value_xpf bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.day, c.status, c.dimension, c.key, 1::bigint, c.weight_g, c.value_xpf
    FROM (VALUES
        {_pg_values("d")}
    ) AS c(day, status, dimension, key, weight_g, value_xpf)
    WHERE c.day IS NOT NULL AND c.key IS NOT NULL
$$
""",
    """
CREATE VIEW device_contribution AS
SELECT c.* FROM device d CROSS JOIN LATERAL device_contributions(d) c
""",
    f"""
CREATE VIEW device_tally_expected AS
SELECT {_expand(PG_BUCKET)} FROM device_contribution c CROSS JOIN {GRAINS} {NET}
""",
    f"""
CREATE OR REPLACE FUNCTION device_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_pg_apply(_PG_NEW)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_pg_apply(f"{_PG_NEW} UNION ALL {_PG_OLD}")}
    ELSE
        {_pg_apply(_PG_OLD)}
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER device_tally_insert AFTER INSERT ON device
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION device_tally_apply()
""",
    """
CREATE TRIGGER device_tally_update AFTER UPDATE ON device
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION device_tally_apply()
""",
    """
CREATE TRIGGER device_tally_delete AFTER DELETE ON device
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION device_tally_apply()
""",
]

PG_BACKWARDS = [
    "DROP TRIGGER IF EXISTS device_tally_insert ON device",
    "DROP TRIGGER IF EXISTS device_tally_update ON device",
    "DROP TRIGGER IF EXISTS device_tally_delete ON device",
    "DROP FUNCTION IF EXISTS device_tally_apply()",
    "DROP VIEW IF EXISTS device_tally_expected",
    "DROP VIEW IF EXISTS device_contribution",
    "DROP FUNCTION IF EXISTS device_contributions(device)",
    "DROP INDEX IF EXISTS device_tally_key",
]


# --- SQLite ----------------------------------------------------------------------------------

SQLITE_BUCKET = (
    "CASE g.grain WHEN 'day' THEN c.day WHEN 'month' THEN date(c.day, 'start of month') "
    "ELSE date(c.day, 'start of year') END"
)


def _sqlite_selects(alias: str, sign: int, from_device: bool = False) -> str:
    selects = []
    for status, dimension, column, weighs, values in CONTRIBUTIONS:
        key = f"CAST({alias}.{column} AS TEXT)" if column else "''"
        weight = f"coalesce(CAST(round({alias}.weight_kg * 1000) AS INTEGER), 0)" if weighs else "0"
        value = f"coalesce({alias}.estimated_value_xpf, 0)" if values else "0"
        # Whole seconds: SQLite rounds 23:59:59.9999 up to the next day.
        day = f"date(substr({alias}.{status}_at, 1, 19), '{SQLITE_NOUMEA_OFFSET}')"
        select = (
            f"SELECT {day} AS day, '{status}' AS status, '{dimension}' AS dimension, "
            f"{key} AS key, {sign} AS devices, {sign} * {weight} AS weight_g, "
            f"{sign} * {value} AS value_xpf"
        )
        if from_device:
            select += f" FROM device AS {alias}"
        selects.append(select)
    return "\n        UNION ALL ".join(selects)


def _sqlite_trigger(name: str, event: str, parts: list[str]) -> str:
    source = " UNION ALL ".join(parts)
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


SQLITE_FORWARDS = [
    f"""
CREATE VIEW device_contribution AS
SELECT day, status, dimension, key, devices, weight_g, value_xpf
FROM ({_sqlite_selects("d", 1, from_device=True)})
WHERE day IS NOT NULL AND key IS NOT NULL
""",
    f"""
CREATE VIEW device_tally_expected AS
SELECT {_expand(SQLITE_BUCKET)} FROM device_contribution c CROSS JOIN {GRAINS} {NET}
""",
    _sqlite_trigger("device_tally_insert", "INSERT", [_sqlite_selects("NEW", 1)]),
    _sqlite_trigger(
        "device_tally_update",
        f"UPDATE OF {', '.join(WATCHED)}",
        [_sqlite_selects("NEW", 1), _sqlite_selects("OLD", -1)],
    ),
    _sqlite_trigger("device_tally_delete", "DELETE", [_sqlite_selects("OLD", -1)]),
]

SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS device_tally_insert",
    "DROP TRIGGER IF EXISTS device_tally_update",
    "DROP TRIGGER IF EXISTS device_tally_delete",
    "DROP VIEW IF EXISTS device_tally_expected",
    "DROP VIEW IF EXISTS device_contribution",
    "DROP INDEX IF EXISTS device_tally_key",
]

FILL = [
    "DELETE FROM device_tally",
    f"INSERT INTO device_tally ({COLUMNS}) SELECT {COLUMNS} FROM device_tally_expected",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="collecte", description=DESCRIPTION)

    # The engine the manager's transaction runs on, so the steps commit or fail with it.
    async def run():
        engine = engine_finder()
        assert engine is not None
        statements = SQLITE_FORWARDS if engine.engine_type == "sqlite" else PG_FORWARDS
        for statement in [KEY_INDEX, *statements, *FILL]:
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        assert engine is not None
        statements = SQLITE_BACKWARDS if engine.engine_type == "sqlite" else PG_BACKWARDS
        for statement in statements:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
