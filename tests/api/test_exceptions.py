"""The days things go wrong, end to end through the API on both databases: compensating events
(never edits), each path walked as a coordinator, a workshop or an association would."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.test_certificates_api import batch, certified, tags_of
from tests.api.test_erasure_gate import MEDIUM
from tests.api.test_pages import post_form, sign_in
from tests.factory import WIPE, World, act, close_pickup, make_world, walk_to


async def device_of(client: httpx.AsyncClient, world: World, tag: str) -> dict[str, Any]:
    response = await client.get(f"/api/devices/{tag}", headers=world.coordinator.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def verify(client: httpx.AsyncClient, number: str) -> dict[str, Any]:
    response = await client.get(f"/api/verify/{number}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_wrong_allocation_is_fixed(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "refurbished")
    wrong = world.other_association.organization_id
    await ok(await act(client, world.coordinator, tag, "allocate", association_id=wrong))

    # The right association does not even see it; the reason is required.
    refused = await act(client, world.association, tag, "confirm_receipt")
    assert refused.status_code == 404, refused.text
    no_reason = await act(client, world.coordinator, tag, "deallocate")
    assert no_reason.status_code == 422, no_reason.text
    assert no_reason.json()["detail"] == "Le champ « Motif » est obligatoire."
    two_lines = await act(client, world.coordinator, tag, "deallocate", reason="a\nb")
    assert two_lines.status_code == 422, two_lines.text
    # Only the coordinator deallocates.
    by_them = await act(client, world.other_association, tag, "deallocate", reason="non")
    assert by_them.status_code == 403, by_them.text
    assert by_them.json()["detail"] == (
        "Le rôle « Association » ne peut pas effectuer l’action « Annuler l’attribution »."
    )

    back = await ok(
        await act(client, world.coordinator, tag, "deallocate", reason="Mauvaise association")
    )
    assert back["status"] == "refurbished"
    assert back["association"] is None
    # The wrong association no longer sees it.
    hidden = await client.get(f"/api/devices/{tag}", headers=world.other_association.headers)
    assert hidden.status_code == 404, hidden.text

    right = world.association.organization_id
    await ok(await act(client, world.coordinator, tag, "allocate", association_id=right))
    signed = {"name": "Marie Hnawia"}
    delivered = await ok(
        await act(client, world.association, tag, "confirm_receipt", signature=signed)
    )
    assert delivered["status"] == "delivered"
    actions = [event["action"] for event in delivered["events"]]
    assert actions[-4:] == ["allocate", "deallocate", "allocate", "confirm_receipt"]
    assert delivered["events"][-3]["data"]["reason"] == "Mauvaise association"


async def test_an_association_refuses_a_device(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "allocated")
    refused = await ok(await act(client, world.association, tag, "refuse", reason="Écran fissuré"))
    assert refused["status"] == "refurbished" and refused["association"] is None


async def test_a_lost_device_is_found_and_continues(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "wiped")

    # Another workshop may not report it; the holder may.
    theirs = await act(client, world.other_reconditioner, tag, "report_missing", reason="?")
    assert theirs.status_code == 404, theirs.text
    missing = await ok(
        await act(client, world.reconditioner, tag, "report_missing", reason="Pas sur l’étagère")
    )
    assert missing["status"] == "missing"
    assert missing["allowed_actions"] == []  # the workshop waits for the coordination

    # Nothing moves a missing device but `found` (or a revert).
    stuck = await act(client, world.reconditioner, tag, "refurbish", grade="A")
    assert stuck.status_code == 409, stuck.text
    assert stuck.json()["detail"] == (
        "« Reconditionner » impossible : l’appareil est « Introuvable » alors qu’il devrait être "
        "« Données effacées ». Il faut d’abord « Signaler retrouvé » (par la coordination)."
    )
    found = await ok(await act(client, world.coordinator, tag, "found", note="Dans le camion"))
    assert found["status"] == "wiped"  # where it was before it went missing
    # Its erasure still counts: it continues to reuse.
    refurbished = await ok(await act(client, world.reconditioner, tag, "refurbish", grade="B"))
    assert refurbished["status"] == "refurbished"


async def test_a_returned_laptop_is_wiped_again_and_reallocated(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1, serial_number="PC-RETURN-1")
    await walk_to(client, world, tag, "delivered")
    workshop = world.reconditioner.organization_id

    # Another association cannot return it.
    theirs = await act(
        client, world.other_association, tag, "return", reason="x", reconditioner_id=workshop
    )
    assert theirs.status_code == 404, theirs.text
    returned = await ok(
        await act(
            client,
            world.association,
            tag,
            "return",
            reason="Ne démarre plus",
            reconditioner_id=workshop,
        )
    )
    assert returned["status"] == "returned"
    assert returned["reconditioner"]["id"] == workshop
    assert returned["dates"]["delivered"] is None  # no longer counted as delivered
    received = await ok(await act(client, world.reconditioner, tag, "receive"))
    assert received["status"] == "received"

    # Its earlier wipe no longer opens the gate: it was used since.
    early = await act(client, world.reconditioner, tag, "refurbish", grade="A")
    assert early.status_code == 409, early.text
    assert early.json()["extra"]["code"] == "wrong_status"  # received: must be wiped first
    wiped = await act(client, world.reconditioner, tag, "wipe", media=[MEDIUM])
    await certified(wiped)
    await ok(await act(client, world.reconditioner, tag, "refurbish", grade="B"))
    association = world.other_association.organization_id
    allocated = await ok(
        await act(client, world.coordinator, tag, "allocate", association_id=association)
    )
    assert allocated["status"] == "allocated"


async def test_a_returned_device_needs_a_new_wipe_even_from_wiped_records(
    client: httpx.AsyncClient,
) -> None:
    """The gate reads only the records after the last return (a failed new pass blocks)."""
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1, serial_number="PC-RETURN-2")
    await walk_to(client, world, tag, "delivered")
    workshop = world.reconditioner.organization_id
    await ok(
        await act(client, world.association, tag, "return", reason="HS", reconditioner_id=workshop)
    )
    await ok(await act(client, world.reconditioner, tag, "receive"))
    failed = {**MEDIUM, "serial": "PC-RETURN-2", "result": "failed"}
    await certified(await act(client, world.reconditioner, tag, "wipe", media=[failed]))
    blocked = await act(client, world.reconditioner, tag, "refurbish", grade="A")
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["extra"]["code"] == "erasure_incomplete"


async def test_a_reverted_wipe_supersedes_its_certificate(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 3)
    for tag in tags:
        await walk_to(client, world, tag, "received")
    number = await certified(await batch(client, world.reconditioner, "wipe", tags, **WIPE))
    assert (await verify(client, number))["device_count"] == 3

    # Only the coordinator reverts, with a reason.
    theirs = await act(client, world.reconditioner, tags[0], "revert", reason="Erreur")
    assert theirs.status_code == 403, theirs.text
    reverted = await ok(
        await act(client, world.coordinator, tags[0], "revert", reason="Mauvaise étiquette")
    )
    assert reverted["status"] == "received"
    [superseded] = reverted["superseded"]
    assert superseded["number"] == number and superseded["status"] == "superseded"
    replacement = superseded["replaced_by"]
    assert replacement and replacement != number

    old = await verify(client, number)
    assert old["status"] == "superseded"
    assert old["replaced_by"] == replacement
    assert old["reason"] == "Annuler la dernière étape : Mauvaise étiquette"
    new = await verify(client, replacement)
    assert (new["status"], new["replaces"], new["device_count"]) == ("valid", number, 2)
    # Numbering stays gapless: the replacement is the next erasure number.
    prefix, year, sequence = number.split("-")
    assert replacement == f"{prefix}-{year}-{int(sequence) + 1:05d}"

    # The reverted device must be wiped again before reuse.
    gated = await act(client, world.reconditioner, tags[0], "refurbish", grade="A")
    assert gated.status_code == 409, gated.text

    # The page shows the state, the reason and the replacement.
    page = await client.get(f"/verify/{number}")
    assert page.status_code == 200
    assert "Certificat remplacé" in page.text and replacement in page.text
    assert "Mauvaise étiquette" in page.text

    # Reverting the other two leaves none: the replacement is revoked.
    await ok(await act(client, world.coordinator, tags[1], "revert", reason="Erreur"))
    last = await ok(await act(client, world.coordinator, tags[2], "revert", reason="Erreur"))
    [revoked] = last["superseded"]
    assert revoked["status"] == "revoked" and revoked["replaced_by"] is None
    final = await verify(client, revoked["number"])
    assert final["status"] == "revoked"
    page = await client.get(f"/verify/{revoked['number']}")
    assert "Certificat révoqué" in page.text


async def test_a_revert_of_a_revert_is_refused(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "refurbished")
    await ok(await act(client, world.coordinator, tag, "revert", reason="Erreur"))
    again = await act(client, world.coordinator, tag, "revert", reason="Erreur")
    assert again.status_code == 409, again.text
    assert again.json()["detail"] == (
        "« Annuler la dernière étape » impossible : la dernière étape de l’appareil est déjà "
        "une annulation ; refaites l’étape elle-même."
    )


async def test_a_device_missing_before_reception_supersedes_its_donation_attestation(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 2)
    await ok(await batch(client, world.reconditioner, "collect", tags))
    number = await certified(await close_pickup(client, world.reconditioner, tags[0]))
    missing = await ok(
        await act(client, world.reconditioner, tags[0], "report_missing", reason="Jamais arrivé")
    )
    assert [s["number"] for s in missing["superseded"]] == [number]
    assert (await verify(client, number))["status"] == "superseded"


async def test_a_transfer_goes_to_another_workshop_which_receives(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "received")
    same = world.reconditioner.organization_id
    refused = await act(client, world.reconditioner, tag, "transfer", reconditioner_id=same)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == (
        "Un transfert va vers un autre atelier que celui qui détient l’appareil."
    )
    other = world.other_reconditioner.organization_id
    moved = await ok(
        await act(client, world.reconditioner, tag, "transfer", reconditioner_id=other)
    )
    assert moved["status"] == "collected"
    received = await ok(await act(client, world.other_reconditioner, tag, "receive"))
    assert received["status"] == "received"


async def test_the_exceptions_work_in_batch(client: httpx.AsyncClient) -> None:
    world = await make_world()
    tags = await tags_of(client, world.donor, 2)
    for tag in tags:
        await walk_to(client, world, tag, "allocated")
    body = await ok(await batch(client, world.coordinator, "deallocate", tags, reason="Erreur"))
    assert [d["status"] for d in body["devices"]] == ["refurbished", "refurbished"]


# --- pages -----------------------------------------------------------------------------------


async def test_the_device_page_offers_each_exception_with_a_required_reason(
    client: httpx.AsyncClient,
) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "allocated")
    await sign_in(client, world.coordinator)

    page = await client.get(f"/d/{tag}")

    assert page.status_code == 200, page.text[:500]
    for action in ("deallocate", "refuse", "report_missing", "revert"):
        form = re.search(
            rf'<form[^>]*class="card action action-{action}".*?</form>', page.text, re.S
        )
        assert form, action
        assert re.search(r'<input type="text" name="reason"[^>]* required', form.group(0)), action
    assert "Annuler l’attribution" in page.text and "Annuler la dernière étape" in page.text

    done = await post_form(
        client, f"/d/{tag}", f"/d/{tag}", {"action": "deallocate", "reason": "Mauvaise association"}
    )
    assert done.status_code == 303, done.text[:500]
    after = await client.get(done.headers["location"])
    assert "Attribution annulée" in after.text


async def test_an_association_returns_a_device_from_its_page(client: httpx.AsyncClient) -> None:
    world = await make_world()
    [tag] = await tags_of(client, world.donor, 1)
    await walk_to(client, world, tag, "delivered")
    await sign_in(client, world.association)

    page = await client.get(f"/d/{tag}")
    form = re.search(r'<form[^>]*class="card action action-return".*?</form>', page.text, re.S)
    assert form, page.text[:2000]
    assert world.reconditioner.organization_name in form.group(0)  # the workshops to choose

    done = await post_form(
        client,
        f"/d/{tag}",
        f"/d/{tag}",
        {
            "action": "return",
            "reason": "Ne démarre plus",
            "reconditioner_id": str(world.reconditioner.organization_id),
        },
    )
    assert done.status_code == 303, done.text[:500]
    assert (await device_of(client, world, tag))["status"] == "returned"


async def test_batch_mode_offers_the_exceptions(client: httpx.AsyncClient) -> None:
    world = await make_world()
    await sign_in(client, world.coordinator)
    menu = await client.get("/scan")
    for action in ("deallocate", "report_missing", "found", "transfer", "revert"):
        assert f'href="/scan?action={action}"' in menu.text, action
    page = await client.get("/scan?action=revert")
    assert page.status_code == 200
    assert re.search(r'<input type="text" name="reason"[^>]* required', page.text)
