"""A one-device wipe on PostgreSQL issues its certificate in the statement that moves the device
(`collecte.db.certify_sql`): the same answer, content and numbers as the transaction's path.

The answer and content tests run on both databases (SQLite takes the transaction's path, so
both paths answer alike); the statement's own cases run on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from collecte.db.tables import Certificate, Counter, Device, DeviceEvent
from collecte.documents.certificates.model import content_fingerprint
from collecte.domain.clock import now
from collecte.services import transitions
from collecte.services.certificate_files import decode_document, unrendered
from tests.api.test_certificates_api import download, number, text_of, year
from tests.factory import WIPE, World, act, make_donation, make_world, walk_to


async def _received(client: httpx.AsyncClient, world: World, count: int = 1) -> list[str]:
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count))["devices"]]
    for tag in tags:
        await walk_to(client, world, tag, "received")
    return tags


def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("SQLite issues every certificate in the transaction's path")


async def test_the_answer_is_the_device_as_read_afterwards_with_its_certificate(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await _received(client, world)

    answer = await act(client, world.reconditioner, tag, "wipe", **WIPE)
    read = await client.get(f"/api/devices/{tag}", headers=world.reconditioner.headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body.pop("certificate") == {"number": number("EFF", 1), "kind": "erasure"}
    assert body.pop("superseded") == []
    assert body == read.json()
    assert body["events"][-1]["certificate_number"] == number("EFF", 1)


async def test_the_stored_content_holds_its_number_and_fingerprint(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await _received(client, world)
    cert = (await act(client, world.reconditioner, tag, "wipe", **WIPE)).json()["certificate"]

    row = await (
        Certificate.select(
            Certificate.number,
            Certificate.document,
            Certificate.content_fingerprint,
            Certificate.device_count,
            Certificate.recipient,
            Certificate.issuer,
            Certificate.issued_by,
            Certificate.language,
            Certificate.sha256,
        )
        .where(Certificate.number == cert["number"])
        .first()
    )
    assert row is not None
    document = decode_document(row["document"])
    pdf = await download(client, world.donor, cert["number"])

    assert document.number == row["number"] == cert["number"]
    assert document.content_fingerprint == row["content_fingerprint"]
    assert content_fingerprint(document) == row["content_fingerprint"]
    assert [line.tag for line in document.devices] == [tag]
    assert (row["device_count"], row["recipient"], row["issuer"], row["issued_by"]) == (
        1,
        world.donor.organization_id,
        world.reconditioner.organization_id,
        world.reconditioner.user_id,
    )
    assert row["language"] == document.language == "fr" and row["sha256"] is None
    assert cert["number"] in text_of(pdf) and row["content_fingerprint"] in text_of(pdf)


async def test_a_device_changed_since_it_was_read_takes_the_transaction_path(
    client: httpx.AsyncClient, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgres_only(backend)
    world = await make_world()
    [tag] = await _received(client, world)
    drafts = transitions.drafts_for_transition
    calls = []

    async def edited_meanwhile(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:  # another request corrects the device between read and statement
            await Device.update({Device.model: "Latitude 5500", Device.updated_at: now()}).where(
                Device.tag == tag
            )
        return await drafts(*args, **kwargs)

    statement = transitions.move_and_certify
    outcomes = []

    async def spied(*args: Any) -> Any:
        outcomes.append(await statement(*args))
        return outcomes[-1]

    monkeypatch.setattr(transitions, "drafts_for_transition", edited_meanwhile)
    monkeypatch.setattr(transitions, "move_and_certify", spied)
    answer = await act(client, world.reconditioner, tag, "wipe", **WIPE)

    assert answer.status_code == 200, answer.text
    assert answer.json()["certificate"]["number"] == number("EFF", 1)
    assert outcomes == [None]  # the statement wrote nothing; the transaction issued it
    [counter] = await Counter.select(Counter.value).where(Counter.name == f"EFF-{year()}")
    assert counter["value"] == 1 and await Certificate.count() == 1
    stored = await Certificate.select(Certificate.document).first()
    assert stored is not None
    [line] = decode_document(stored["document"]).devices
    assert line.model == "Latitude 5500"  # the device as it is now, not as first read


async def test_a_device_moved_meanwhile_is_refused_and_no_number_taken(
    client: httpx.AsyncClient, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgres_only(backend)
    world = await make_world()
    [tag] = await _received(client, world)
    drafts = transitions.drafts_for_transition

    async def wiped_meanwhile(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(transitions, "drafts_for_transition", drafts)
        other = await act(client, world.reconditioner, tag, "report_missing", reason="perdu")
        assert other.status_code == 200, other.text
        return await drafts(*args, **kwargs)

    monkeypatch.setattr(transitions, "drafts_for_transition", wiped_meanwhile)
    answer = await act(client, world.reconditioner, tag, "wipe", **WIPE)

    assert answer.status_code == 409, answer.text
    assert answer.json()["extra"]["current_status"] == "missing"
    assert await Counter.count().where(Counter.name == f"EFF-{year()}") == 0
    assert await Certificate.count() == 0
    assert await DeviceEvent.count().where(DeviceEvent.action == "wipe") == 0


async def test_numbers_past_99999_keep_every_digit(client: httpx.AsyncClient, backend: str) -> None:
    _postgres_only(backend)
    world = await make_world()
    tags = await _received(client, world, 2)
    await Counter.insert(Counter(name=f"EFF-{year()}", value=99_998))

    answers = [await act(client, world.reconditioner, tag, "wipe", **WIPE) for tag in tags]

    assert [a.json()["certificate"]["number"] for a in answers] == [
        f"EFF-{year()}-99999",
        f"EFF-{year()}-100000",
    ]


async def test_concurrent_wipes_take_gapless_numbers_once_each(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await _received(client, world, 12)

    answers = await asyncio.gather(
        *(act(client, world.reconditioner, tag, "wipe", **WIPE) for tag in tags)
    )

    assert [a.status_code for a in answers] == [200] * len(tags)
    numbers = sorted(a.json()["certificate"]["number"] for a in answers)
    assert numbers == [number("EFF", i) for i in range(1, len(tags) + 1)]
    cited = await DeviceEvent.select(DeviceEvent.certificate_number).where(
        DeviceEvent.action == "wipe"
    )
    assert sorted(e["certificate_number"] for e in cited) == numbers
    assert await unrendered() == numbers  # no renderer here: each waits for its download
