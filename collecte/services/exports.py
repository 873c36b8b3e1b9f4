"""The devices export: a CSV that opens cleanly in a spreadsheet set to French, streamed.

UTF-8 with a byte-order mark (so Excel reads the accents), `;` between cells, decimal comma,
dates in Nouméa time as `JJ/MM/AAAA HH:MM`; headers and yes/no in the reader's language (the
status and category columns hold their codes, as the API does). A cell starting with = + - @,
a tab or a carriage return gets a leading apostrophe, so a spreadsheet never runs it as a formula
(CSV injection). The devices are read in batches of `PAGE_SIZE` by increasing id, so memory
stays the same whatever the number of devices.

On PostgreSQL one query is read through a server-side cursor, and the database formats the
cells (dates, yes/no, neutralising and quoting exactly as `csv.writer` does); it hands each line
over in two pieces around the weight, which Python formats only when PostgreSQL's shortest text
for it has more than three decimals (where the rounding could differ): Python only joins
strings. SQLite reads keyset pages and goes through `cells`.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from collecte.db.engine import backend, current_engine
from collecte.db.tables import Device
from collecte.domain import tags
from collecte.domain.access import Principal
from collecte.domain.clock import NOUMEA
from collecte.domain.vocabulary import Status
from collecte.i18n import N_, gettext
from collecte.services.devices import visible_sql, visible_to

# Rows per page: 5,000 lines are about 1 MB of text, read while the previous page is sent.
PAGE_SIZE = 5000
_FORMULA_FIRST = frozenset("=+-@\t\r")
# (header, status whose date the column shows), in lifecycle order.
_STEPS = (
    (N_("Enregistré le"), Status.REGISTERED),
    (N_("Collecté le"), Status.COLLECTED),
    (N_("Reçu le"), Status.RECEIVED),
    (N_("Effacé le"), Status.WIPED),
    (N_("Reconditionné le"), Status.REFURBISHED),
    (N_("Attribué le"), Status.ALLOCATED),
    (N_("Livré le"), Status.DELIVERED),
    (N_("Recyclé le"), Status.RECYCLED),
    (N_("Retiré le"), Status.WITHDRAWN),
)
_STEP_KEYS = tuple(f"{status.value}_at" for _, status in _STEPS)
HEADERS = [
    N_("Étiquette"),
    N_("Statut"),
    N_("Catégorie"),
    N_("Marque"),
    N_("Modèle"),
    N_("N° de série"),
    N_("Année"),
    N_("Stockage"),
    N_("État"),
    N_("Lot"),
    N_("Donateur"),
    N_("Reconditionneur"),
    N_("Association"),
    N_("Grade"),
    N_("Valeur déclarée (F CFP)"),
    N_("Poids (kg)"),
    N_("Poids estimé"),
    *[header for header, _ in _STEPS],
]


def neutralise(text: str) -> str:
    """The cell as a spreadsheet must show it: never a formula."""
    return "'" + text if text[:1] in _FORMULA_FIRST else text


def decimal_fr(value: float | None, places: int = 3) -> str:
    """1.6 → "1,6"; None → ""."""
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


# The devices of a lot share most of their dates: formatting each once saves a third of the time.
@lru_cache(maxsize=4096)
def local_time(moment: datetime | None) -> str:
    """A stored UTC instant as Nouméa local time, the way a French spreadsheet reads dates."""
    if moment is None:
        return ""
    t = moment.astimezone(NOUMEA)
    return f"{t.day:02d}/{t.month:02d}/{t.year} {t.hour:02d}:{t.minute:02d}"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def headers(language: str) -> list[str]:
    """The header line in `language`."""
    return [gettext(language, header) for header in HEADERS]


def cells(row: dict[str, Any], language: str = "fr") -> list[str]:
    """One device as the cells of its line, formulas neutralised."""
    yes, no = gettext(language, N_("oui")), gettext(language, N_("non"))
    line = [
        tags.display(row["tag"]),
        row["status"],
        row["category"],
        _text(row["brand"]),
        _text(row["model"]),
        _text(row["serial_number"]),
        _text(row["year"]),
        yes if row["has_storage"] else no,
        _text(row["condition"]),
        _text(row["donation_number"]),
        _text(row["donor_name"]),
        _text(row["reconditioner_name"]),
        _text(row["association_name"]),
        _text(row["grade"]),
        _text(row["estimated_value_xpf"]),
        decimal_fr(row["weight_kg"]),
        yes if row["weight_estimated"] else no,
        *[local_time(row[key]) for key in _STEP_KEYS],
    ]
    return ["'" + cell if cell[:1] in _FORMULA_FIRST else cell for cell in line]


def filename(today: date) -> str:
    """The name the browser saves the export under."""
    return f"collecte-appareils-{today.isoformat()}.csv"


async def _page(scope: Any, after: int, size: int) -> list[dict[str, Any]]:
    condition = Device.id > after
    if scope is not None:
        condition = condition & scope
    rows: list[dict[str, Any]] = (
        await Device.select(
            Device.id,
            Device.tag,
            Device.status,
            Device.category,
            Device.brand,
            Device.model,
            Device.serial_number,
            Device.year,
            Device.has_storage,
            Device.condition,
            Device.grade,
            Device.estimated_value_xpf,
            Device.weight_kg,
            Device.weight_estimated,
            *[getattr(Device, key) for key in _STEP_KEYS],
            Device.donation.number.as_alias("donation_number"),
            Device.donor.name.as_alias("donor_name"),
            Device.reconditioner.name.as_alias("reconditioner_name"),
            Device.association.name.as_alias("association_name"),
        )
        .where(condition)
        .order_by(Device.id)
        .limit(size)
    )
    return rows


# Reads under way, held until they end: the event loop holds tasks weakly, and a read whose
# download stopped must still run to its end.
_READS: set[asyncio.Future[Any]] = set()


def _settle(read: asyncio.Future[Any]) -> None:
    _READS.discard(read)
    if not read.cancelled():
        read.exception()  # a failed read nobody waits for is dropped, not logged as unretrieved


def _read(page: Callable[[int, int], Awaitable[list[Any]]], after: int, size: int) -> Any:
    read = asyncio.ensure_future(page(after, size))
    _READS.add(read)
    read.add_done_callback(_settle)
    return read


async def _pages(
    page: Callable[[int, int], Awaitable[list[Any]]],
    last_id: Callable[[Any], int],
    page_size: int,
) -> AsyncIterator[list[Any]]:
    """Pages of at most `page_size` rows read by `page(after, size)`, by increasing id.

    The next page is read while the caller works on this one (two pages in memory at most). A
    read is never cancelled: when the download stops (the client went away), the read under way
    ends on its own and its rows are dropped. Cancelling a query half-sent can leave a PostgreSQL
    connection stuck mid-protocol, holding its locks.
    """
    read: asyncio.Future[list[Any]] | None = _read(page, 0, page_size)
    while read is not None:
        rows = await asyncio.shield(read)
        read = _read(page, last_id(rows[-1]), page_size) if len(rows) == page_size else None
        if rows:
            yield rows


async def device_pages(principal: Principal, page_size: int = PAGE_SIZE) -> AsyncIterator[list]:
    """The devices `principal` may see as dicts, in pages of at most `page_size`, by id."""
    scope = visible_to(principal)

    async def page(after: int, size: int) -> list[dict[str, Any]]:
        return await _page(scope, after, size)

    async for rows in _pages(page, lambda row: int(row["id"]), page_size):
        yield rows


def _encode(rows: list[list[str]], bom: bool = False) -> bytes:
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- PostgreSQL: the cells formatted by the database ---------------------------------------------

_NEEDS_QUOTES = "E'[;\"\\r\\n]'"  # what makes csv.writer quote a cell: ; " CR LF
_FORMULA_SQL = "('=', '+', '-', '@', E'\\t', E'\\r')"  # _FORMULA_FIRST


def _text_sql(column: str) -> str:
    """A text column as its cell: neutralised like `cells`, then quoted like `csv.writer`."""
    neutral = (
        f"CASE WHEN left({column}, 1) IN {_FORMULA_SQL} THEN '''' || {column} ELSE {column} END"
    )
    return (
        f"CASE WHEN {column} ~ {_NEEDS_QUOTES}"
        f""" THEN '"' || replace({neutral}, '"', '""') || '"'"""
        f" ELSE coalesce({neutral}, '') END"
    )


def _number_sql(column: str) -> str:
    """An integer column as its cell (a negative one neutralised, as `cells` does)."""
    return f"CASE WHEN {column} < 0 THEN '''' || {column} ELSE coalesce({column}::text, '') END"


def _date_sql(column: str) -> str:
    """`local_time` in SQL: Nouméa time as JJ/MM/AAAA HH:MM, the year unpadded."""
    return f"coalesce(to_char({column} AT TIME ZONE 'Pacific/Noumea', 'DD/MM/FMYYYY HH24:MI'), '')"


# The weight's cell when PostgreSQL's shortest text for it has at most three decimals (then it
# is exactly what `decimal_fr` prints); NULL otherwise, and Python formats `weight_kg` itself.
_WEIGHT_TEXT = "d.weight_kg::text"
_WEIGHT_SQL = (
    "CASE WHEN d.weight_kg IS NULL THEN ''"
    f" WHEN d.weight_kg > 0 AND d.weight_kg < 1e9 AND strpos({_WEIGHT_TEXT}, 'e') = 0"
    f" AND (strpos({_WEIGHT_TEXT}, '.') = 0"
    f" OR length({_WEIGHT_TEXT}) - strpos({_WEIGHT_TEXT}, '.') <= 3)"
    f" THEN replace({_WEIGHT_TEXT}, '.', ',') END"
)
_DATES_SQL = ", ".join(_date_sql(f"d.{key}") for key in _STEP_KEYS)
# Organisations' names and lot numbers are formatted once each, where they are joined, not once
# per device (a tenth of the export's time at 10^6 devices).
_NAME_CELLS = f"(SELECT id, {_text_sql('name')} AS cell FROM organization)"
# $1/$2: yes/no as cells, then the scope's arguments. (Dates formatted by Python's `local_time`
# instead of `to_char` made the export twice slower: most devices have dates of their own.)
_LINES_SQL = f"""
SELECT concat_ws(';', left(d.tag, 4) || '-' || substr(d.tag, 5), d.status, d.category,
                 {_text_sql("d.brand")}, {_text_sql("d.model")}, {_text_sql("d.serial_number")},
                 {_number_sql("d.year")}, CASE WHEN d.has_storage THEN $1 ELSE $2 END,
                 {_text_sql("d.condition")}, n.cell, o.cell, coalesce(r.cell, ''),
                 coalesce(a.cell, ''), {_text_sql("d.grade")},
                 {_number_sql("d.estimated_value_xpf")}) || ';' AS head,
       {_WEIGHT_SQL} AS weight,
       d.weight_kg,
       ';' || concat_ws(';', CASE WHEN d.weight_estimated THEN $1 ELSE $2 END, {_DATES_SQL})
           || E'\\r\\n' AS tail
FROM device d
JOIN (SELECT id, {_text_sql("number")} AS cell FROM donation) n ON n.id = d.donation
JOIN {_NAME_CELLS} o ON o.id = d.donor
LEFT JOIN {_NAME_CELLS} r ON r.id = d.reconditioner
LEFT JOIN {_NAME_CELLS} a ON a.id = d.association
WHERE {{scope}}
ORDER BY d.id
"""


def _cell(text: str) -> str:
    """One cell exactly as `cells` and `csv.writer` write it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="").writerow(["", neutralise(text)])
    return buffer.getvalue()[1:]  # beside an empty cell: a lone empty cell is written ""


def _lines(rows: list[Any]) -> bytes:
    """The CSV lines of a batch: (head, weight cell or None, weight, tail)."""
    return "".join(
        [
            head + (weight if weight is not None else _cell(decimal_fr(kg))) + tail
            for head, weight, kg, tail in rows
        ]
    ).encode("utf-8")


async def _postgres_csv(
    principal: Principal, page_size: int, language: str
) -> AsyncIterator[bytes]:
    """The devices' lines, one chunk per batch of `page_size`, formatted by PostgreSQL.

    One query read through a server-side cursor, in one read-only snapshot, on a connection of
    its own: keyset pages made PostgreSQL plan the query again for every page and, for a donor,
    gather and sort all its devices again each time. A connection of its own, because a slow
    download would otherwise hold one of the pool's few connections for minutes. The next batch
    is fetched while this one is sent; when the download stops, the fetch under way is waited
    for (never cancelled, see `_pages`) before the transaction ends.
    """
    yes, no = _cell(gettext(language, N_("oui"))), _cell(gettext(language, N_("non")))
    scope, scope_args = visible_sql(principal, "d", 3)
    engine = current_engine()
    assert isinstance(engine, PostgresEngine)
    connection = await engine.get_new_connection()
    read: asyncio.Future[list[Any]] | None = None
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            # Plan for reading every row (the default plans for the first tenth: nested loops).
            await connection.execute("SET LOCAL cursor_tuple_fraction = 1.0")
            cursor = await connection.cursor(_LINES_SQL.format(scope=scope), yes, no, *scope_args)

            async def batch(_after: int, size: int) -> list[Any]:
                return await cursor.fetch(size)

            try:
                read = _read(batch, 0, page_size)
                while read is not None:
                    rows = await asyncio.shield(read)
                    read = _read(batch, 0, page_size) if len(rows) == page_size else None
                    if rows:
                        yield _lines(rows)
            finally:
                if read is not None:  # the download stopped: let the fetch end first
                    await asyncio.wait([read])
    finally:
        await connection.close()


async def devices_csv(
    principal: Principal, page_size: int = PAGE_SIZE, language: str = "fr"
) -> AsyncIterator[bytes]:
    """The export, one chunk per page: the header first, then every visible device."""
    yield _encode([headers(language)], bom=True)
    if backend() == "postgres":
        async for chunk in _postgres_csv(principal, page_size, language):
            yield chunk
        return
    async for rows in device_pages(principal, page_size):
        yield _encode([cells(row, language) for row in rows])
