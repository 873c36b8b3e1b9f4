"""The typed answers say exactly what the services' dicts said: same keys, same values, same
types (an int stays an int, a float a float), in the same order; and converting an answer from
its stored JSON (an idempotent replay) gives the same bytes again."""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec
from litestar.serialization import encode_json

from collecte.db.tables import DeviceEvent
from collecte.domain.access import Principal
from collecte.services import (
    accounts,
    certificates,
    devices,
    donations,
    labels,
    pickups,
    totals,
)
from collecte.services.transitions import Context, act_on_batch, act_on_device
from collecte.settings import Settings
from collecte.web.pickup_responses import PickupClosedOut, PickupDetailOut, PickupOut
from collecte.web.responses import (
    BatchOut,
    CertificateOut,
    DeviceOut,
    DeviceSummaryOut,
    DonationOut,
    LabelFormatsOut,
    OrganizationOut,
    TransitionOut,
    UserOut,
    VerifyMissingOut,
    VerifyOut,
    VerifyPdfOut,
)
from collecte.web.totals_responses import PublicTotalsOut, TotalsOut
from tests.factory import WIPE, Account, act, device, make_donation, make_world, pickup_of


def _principal(account: Account) -> Principal:
    return Principal(
        account.user_id,
        account.email,
        "",
        account.organization_id,
        account.organization_name,
        account.role,
    )


def _tagged(value: Any) -> Any:
    """The JSON value with each scalar's type beside it: 1 and 1.0 differ, so do 1 and true."""
    if isinstance(value, dict):
        return {key: _tagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    return (type(value).__name__, value)


def same_json(result: Any, shape: Any, *, ordered: bool = True) -> None:
    """Assert that `result` (a service's answer) encodes the same once converted to `shape`.

    `ordered=False` where the service's own key order varies with the data (the totals' rows
    per organisation): then keys, values and types must match, not their order.
    """
    plain = encode_json(result)
    typed = encode_json(msgspec.convert(result, shape))
    replayed = encode_json(msgspec.convert(json.loads(plain), shape))

    assert _tagged(json.loads(typed)) == _tagged(json.loads(plain))
    assert replayed == typed
    if ordered:
        assert typed == plain


async def test_typed_answers_keep_the_services_json(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    world = await make_world()
    coordinator, donor = _principal(world.coordinator), _principal(world.donor)
    workshop, association = _principal(world.reconditioner), _principal(world.association)
    other_workshop = _principal(world.other_reconditioner)
    context = Context(settings)

    organization = await accounts.create_organization(
        coordinator,
        {"name": "Atelier Typé", "kind": "reconditioner", "ridet": "1234567.001", "city": "Koné"},
    )
    same_json(organization, OrganizationOut)
    same_json(await accounts.list_organizations(coordinator), list[OrganizationOut])
    user = await accounts.create_user(
        coordinator,
        {"email": "jean@atelier.nc", "password": "x" * 12, "organization_id": organization["id"]},
    )
    same_json(user, UserOut)

    donation = await donations.create_donation(
        donor,
        {
            "pickup_address": "Ducos",
            "devices": [
                device(),
                device(category="monitor", has_storage=False, year=2019, weight_kg=4.2),
                device(category="printer", condition="bon état"),
            ],
        },
        100,
    )
    same_json(donation, DonationOut)
    reused, recycled, withdrawn = (d["tag"] for d in donation["devices"])
    added = await donations.add_device(donor, donation["id"], device(category="tablet"))
    same_json(added, DeviceSummaryOut)
    imported = await donations.import_devices_csv(
        donor, donation["id"], b"category;brand\nsmartphone;Fairphone\n", 100
    )
    same_json(imported, list[DeviceSummaryOut])

    allocate = {"action": "allocate", "association_id": association.organization_id}
    walk = [
        (workshop, reused, {"action": "collect"}),  # joins a pickup, no certificate
        (workshop, reused, {"action": "receive"}),  # the hot path: no certificate
        (workshop, reused, {"action": "wipe", **WIPE}),
        (workshop, reused, {"action": "refurbish", "grade": "A", "notes": "écran neuf"}),
        (coordinator, reused, allocate),
        (association, reused, {"action": "confirm_receipt", "received_by": "Marie"}),
        (workshop, recycled, {"action": "collect"}),
        (workshop, recycled, {"action": "receive"}),
        (workshop, recycled, {"action": "recycle", "channel": "Trecodec", "weight_kg": 3.5}),
        (donor, withdrawn, {"action": "withdraw", "reason": "gardé"}),
    ]
    for principal, tag, payload in walk:
        same_json(await act_on_device(principal, tag, payload, context), TransitionOut)
    pickup_id = await pickup_of(reused)
    same_json(await pickups.get_pickup(workshop, pickup_id), PickupDetailOut)
    signed = {"signature": {"name": "Jeanne Wamytan"}}
    closed = await pickups.close_pickup(workshop, pickup_id, signed, settings)
    same_json(closed, PickupClosedOut)
    same_json(await pickups.list_pickups(coordinator), list[PickupOut])
    batch = [added["tag"], imported[0]["tag"]]
    collected = await act_on_batch(
        coordinator,
        {"action": "collect", "tags": batch, "reconditioner_id": other_workshop.organization_id},
        context,
    )
    same_json(collected, BatchOut)
    same_json(
        await act_on_batch(other_workshop, {"action": "receive", "tags": batch}, context),
        BatchOut,
    )

    for principal in (coordinator, donor, workshop, association):
        same_json(await devices.get_device(principal, reused), DeviceOut)
        same_json(await donations.list_donations(principal, 100, 0), list[DonationOut])
    same_json(await donations.get_donation(donor, donation["id"]), DonationOut)

    issued = await certificates.list_certificates(coordinator, None, settings.public_url, 100, 0)
    assert {c["kind"] for c in issued} == {"donation", "erasure", "recycling", "receipt"}
    same_json(issued, list[CertificateOut])
    number = issued[0]["number"]
    same_json(
        await certificates.get_certificate(coordinator, number, settings.public_url),
        CertificateOut,
    )
    same_json(await certificates.check_number(number), VerifyOut)
    missing = await certificates.check_number("don-1999-00001")
    missing["detail"] = str(missing.pop("sentence"))  # said at the edge, in the reader's language
    same_json(missing, VerifyMissingOut)
    _, pdf = await certificates.certificate_pdf(coordinator, number)
    same_json(await certificates.verify_pdf(pdf), VerifyPdfOut)
    same_json(await certificates.verify_pdf(b"%PDF-1.7 not issued"), VerifyPdfOut)

    same_json(labels.list_formats(settings), LabelFormatsOut)
    figures = await totals.totals(coordinator, None, None, 1000)
    # One workshop reused and recycled, the other only collected: its row has no weight.
    assert [("weight_kg" in row) for row in figures["reconditioners"]] == [True, False]
    same_json(figures, TotalsOut, ordered=False)
    same_json(await totals.totals(coordinator, "2026-01-01", "2026-12-31", 0), TotalsOut)
    same_json(await totals.public_totals(), PublicTotalsOut)


async def test_a_replayed_transition_answers_the_same_bytes(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = [d["tag"] for d in (await make_donation(client, world.donor, count=3))["devices"]]
    key = {"Idempotency-Key": "typed-replay-1"}
    headers = {**world.reconditioner.headers, **key}

    answers = []
    for _ in range(2):
        collect = await client.post(
            f"/api/devices/{tags[0]}/transitions", json={"action": "collect"}, headers=headers
        )
        answers.append(collect.content)
    assert (await act(client, world.reconditioner, tags[1], "collect")).status_code == 200
    for n in range(2):
        receive = await client.post(
            f"/api/devices/{tags[1]}/transitions",
            json={"action": "receive"},
            headers={**world.reconditioner.headers, "Idempotency-Key": "typed-replay-2"},
        )
        batch = await client.post(
            "/api/transitions",
            json={"action": "collect", "tags": [tags[2]]},
            headers={**world.reconditioner.headers, "Idempotency-Key": "typed-replay-3"},
        )
        answers += [receive.content, batch.content]
        assert receive.status_code == batch.status_code == 200, (n, receive.text, batch.text)

    first_collect, replayed_collect, *rest = answers
    assert replayed_collect == first_collect
    assert json.loads(first_collect)["certificate"] is None
    assert rest[2:] == rest[:2]
    assert json.loads(rest[1])["certificates"] == []
    assert await DeviceEvent.count().where(DeviceEvent.action == "collect") == 3
