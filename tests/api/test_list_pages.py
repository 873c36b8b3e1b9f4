"""The list pages (/atelier, /coordination/attribution, /association, /dons): a search box and
filters in a plain GET form, exact counts per status from COUNT queries, pages, and « 50 sur N »
whenever a list shows part of its devices."""

from __future__ import annotations

import html
import re

import httpx

from collecte.db.tables import Device, Donation
from collecte.domain import tags
from collecte.domain.clock import now
from collecte.domain.vocabulary import Status
from tests.api.test_pages import sign_in
from tests.factory import World, make_donation, make_world, walk_to

# More than the 500 every work list used to be cut at.
SEEDED = {
    Status.COLLECTED: 250,
    Status.RECEIVED: 200,
    Status.WIPED: 100,
    Status.REFURBISHED: 55,
}


async def _seed_workshop(world: World) -> int:
    """605 devices in the workshop's hands, in one multi-row insert; the donation's id."""
    donation = Donation(
        number="LOT-2026-90001", donor=world.donor.organization_id, created_at=now()
    )
    await donation.save()
    at = now()
    rows = []
    for status, count in SEEDED.items():
        for _ in range(count):
            index = len(rows)
            rows.append(
                Device(
                    tag=tags.generate(),
                    donation=donation.id,
                    donor=world.donor.organization_id,
                    category="desktop" if index % 5 == 0 else "laptop",
                    brand="Lenovo",
                    model="ThinkCentre",
                    serial_number=f"SEED-{index:05d}",
                    status=status.value,
                    reconditioner=world.reconditioner.organization_id,
                    registered_at=at,
                    updated_at=at,
                )
            )
    await Device.insert(*rows)
    return int(donation.id)


def _text(page: httpx.Response) -> str:
    """The page's words, tags stripped and entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def _count_of(page: httpx.Response, status: str) -> int:
    match = re.search(rf'badge-{status}">[^<]*</span> <span class="count">(\d+)</span>', page.text)
    assert match, status
    return int(match.group(1))


def _next(page: httpx.Response) -> str:
    match = re.search(r'<a rel="next" href="([^"]+)"', page.text)
    assert match, "no « Suivant »"
    return html.unescape(match.group(1))


async def test_a_workshop_with_605_devices_sees_exact_counts_and_pages(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await _seed_workshop(world)
    await sign_in(client, world.reconditioner)

    first = await client.get("/atelier")
    second = await client.get(_next(first))
    wiped = await client.get("/atelier", params={"status": "wiped"})

    assert first.status_code == 200
    for status, count in SEEDED.items():
        assert _count_of(first, status.value) == count
    assert "50 sur 605 appareil(s)" in _text(first)
    assert '<form method="get" action="/atelier"' in first.text
    assert second.status_code == 200 and "50 sur 605 appareil(s)" in _text(second)
    assert 'rel="prev"' in second.text and 'rel="prev"' not in first.text
    assert "50 sur 100 appareil(s)" in _text(wiped)
    assert _count_of(wiped, "collected") == 250  # the counts keep every status


async def test_a_workshop_walks_every_page_once(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await _seed_workshop(world)
    await sign_in(client, world.reconditioner)
    seen: list[str] = []
    page = await client.get("/atelier", params={"status": "received"})
    while True:
        seen += re.findall(r'<a class="tag" href="/d/([0-9A-Z]{8})">', page.text)
        if 'rel="next"' not in page.text:
            break
        page = await client.get(_next(page))

    assert len(seen) == 200 == len(set(seen))


async def test_search_finds_one_device_by_serial(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await _seed_workshop(world)
    await sign_in(client, world.reconditioner)
    row = await Device.select(Device.tag).where(Device.serial_number == "SEED-00321").first()
    assert row is not None

    found = await client.get("/atelier", params={"q": "seed-00321"})
    by_tag = await client.get("/atelier", params={"q": tags.display(row["tag"]).lower()})

    assert found.status_code == 200
    assert re.findall(r'<a class="tag" href="/d/([0-9A-Z]{8})">', found.text) == [row["tag"]]
    assert "1 appareil(s)" in _text(found) and 'value="seed-00321"' in found.text
    assert re.findall(r'<a class="tag" href="/d/([0-9A-Z]{8})">', by_tag.text) == [row["tag"]]


async def test_a_category_filter_narrows_the_list_and_the_counts(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await _seed_workshop(world)
    await sign_in(client, world.reconditioner)

    desktops = await client.get("/atelier", params={"category": "desktop"})

    assert "50 sur 121 appareil(s)" in _text(desktops)
    assert _count_of(desktops, "collected") == 50


async def test_a_bad_filter_is_refused_on_the_page(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await _seed_workshop(world)
    await sign_in(client, world.reconditioner)

    refused = await client.get("/atelier", params={"category": "frigo"})
    cursor = await client.get("/atelier", params={"cursor": "nimportequoi"})

    assert refused.status_code == 422
    assert "Le paramètre « category » doit valoir l’un de" in _text(refused)
    assert "50 sur 605 appareil(s)" in _text(refused)  # the list is still there, unfiltered
    assert cursor.status_code == 422 and "« cursor » est invalide" in _text(cursor)


async def test_allocation_lists_refurbished_devices_with_search_and_pages(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    await _seed_workshop(world)
    await sign_in(client, world.coordinator)
    row = (
        await Device.select(Device.tag, Device.serial_number)
        .where(Device.status == Status.REFURBISHED.value)
        .first()
    )
    assert row is not None

    page = await client.get("/coordination/attribution")
    found = await client.get("/coordination/attribution", params={"q": row["serial_number"]})
    other = await client.get("/coordination/attribution", params={"q": "SEED-00000"})

    assert "50 sur 55 appareil(s)" in _text(page) and _count_of(page, "refurbished") == 55
    assert 'rel="next"' in page.text
    assert re.findall(r'id="pick-([0-9A-Z]{8})"', found.text) == [row["tag"]]
    assert "Aucun appareil ne correspond à la recherche." in _text(other)  # collected, not here


async def test_the_association_ticks_allocated_devices_and_filters_delivered_ones(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    first, second = (d["tag"] for d in (await make_donation(client, world.donor, 2))["devices"])
    await walk_to(client, world, first, "delivered")
    await walk_to(client, world, second, "allocated")
    await sign_in(client, world.association)

    page = await client.get("/association")
    delivered = await client.get("/association", params={"status": "delivered"})

    assert re.findall(r'id="pick-([0-9A-Z]{8})"', page.text) == [second]
    assert _count_of(page, "allocated") == 1 and _count_of(page, "delivered") == 1
    assert "1 appareil(s)" in _text(page)
    assert re.findall(r'id="pick-([0-9A-Z]{8})"', delivered.text) == []
    assert f'href="/d/{first}"' in delivered.text and f'href="/d/{second}"' not in delivered.text


async def test_donations_come_a_page_at_a_time_and_search_lists_devices(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    made = [await make_donation(client, world.donor, 1) for _ in range(21)]
    await make_donation(client, world.other_donor, 1)
    await sign_in(client, world.donor)
    wanted = made[3]["devices"][0]

    first = await client.get("/dons")
    second = await client.get("/dons", params={"page": "2"})
    found = await client.get("/dons", params={"q": wanted["serial_number"]})

    assert "20 sur 21 don(s)" in _text(first) and "1 sur 21 don(s)" in _text(second)
    assert made[0]["number"] in second.text and made[20]["number"] in first.text
    assert _count_of(first, "registered") == 21
    assert re.findall(r'<a class="tag" href="/d/([0-9A-Z]{8})">', found.text) == [wanted["tag"]]
    assert "1 appareil(s)" in _text(found)


async def test_the_dashboard_says_when_its_missing_list_is_cut(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await _seed_workshop(world)
    await Device.update({Device.status: Status.MISSING.value}).where(
        Device.serial_number < "SEED-00501"
    )
    await sign_in(client, world.coordinator)

    page = await client.get("/coordination")

    assert page.status_code == 200
    assert "500 sur 501 appareil(s) · les plus anciens d’abord" in _text(page)


async def test_certificates_come_a_hundred_a_page_with_the_total(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tag = (await make_donation(client, world.donor, 1))["devices"][0]["tag"]
    await walk_to(client, world, tag, "wiped")
    await sign_in(client, world.donor)

    page = await client.get("/certificats")
    later = await client.get("/certificats", params={"page": "2"})
    odd = await client.get("/certificats", params={"page": "abc"})

    assert "1 certificat(s)" in _text(page) and 'rel="next"' not in page.text
    assert "0 sur 1 certificat(s)" in _text(later) or "Aucun certificat" in _text(later)
    assert odd.status_code == 200 and "1 certificat(s)" in _text(odd)  # a bad page: the first
