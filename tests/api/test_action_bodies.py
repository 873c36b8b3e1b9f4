"""The transition endpoints take one struct per action: documented in OpenAPI, and checked after
the rules, so a 404, 403 or 409 is never hidden behind a 422."""

from __future__ import annotations

from typing import Any

import httpx

from collecte.db.tables import DeviceEvent
from collecte.domain.vocabulary import Action
from tests.factory import WIPE, act, make_donation, make_world


def _not_null(node: dict[str, Any]) -> dict[str, Any]:
    """An optional field's schema without its `null` alternative."""
    for key in ("oneOf", "anyOf"):
        if key in node:
            [kept] = [item for item in node[key] if item.get("type") != "null"]
            return kept
    return node


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


async def test_the_schema_shows_each_action_with_its_fields_enums_and_bounds(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    for path, prefix in (("/api/devices/{tag}/transitions", ""), ("/api/transitions", "Batch")):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        variants = [_resolve(schema, ref) for ref in body["schema"]["oneOf"]]
        by_action = {v["properties"]["action"]["const"]: v for v in variants}

        assert set(by_action) == {action.value for action in Action}
        wipe = by_action["wipe"]
        assert wipe["title"] == f"{prefix}Wipe"
        # Version 2: `media` (one record per medium) or version 1's shorthand; neither is
        # required by the schema alone, the rules say which is missing.
        assert "method" not in wipe.get("required", [])
        media = _resolve(schema, wipe["properties"]["media"])
        assert media["maxItems"] == 32
        medium = _resolve(schema, media["items"])
        assert set(medium["required"]) == {
            "kind",
            "technique",
            "tool",
            "tool_version",
            "result",
            "verification",
        }
        verification = _resolve(schema, medium["properties"]["verification"])
        assert sorted(verification["enum"]) == ["full", "none", "sample"]
        assert wipe["properties"]["tool"]["maxLength"] == 200
        assert wipe["properties"]["storage_serials"]["maxItems"] == 32
        method = _resolve(schema, _not_null(wipe["properties"]["method"]))
        assert sorted(method["enum"]) == ["clear", "destroy", "purge"]
        assert by_action["recycle"]["properties"]["weight_kg"]["maximum"] == 1000
        assert by_action["allocate"]["properties"]["association_id"]["minimum"] == 1
        if prefix:
            assert "tags" in wipe["required"]


async def test_the_rules_speak_before_the_data(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=2)
    tag, other = (d["tag"] for d in donation["devices"])
    bad_wipe = {"method": "shred", "tool": "", "verified": "maybe"}

    wrong_status = await act(client, world.coordinator, tag, "wipe", **bad_wipe)
    wrong_role = await act(client, world.donor, tag, "wipe", **bad_wipe)
    not_seen = await act(client, world.other_donor, tag, "withdraw")
    batch = await client.post(
        "/api/transitions",
        json={"action": "wipe", "tags": [tag, other], **bad_wipe},
        headers=world.coordinator.headers,
    )
    data_only = await act(client, world.donor, tag, "withdraw", reason="  ")

    assert wrong_status.status_code == 409
    assert wrong_status.json()["extra"]["current_status"] == "registered"
    assert wrong_role.status_code == 403
    assert not_seen.status_code == 404
    assert batch.status_code == 409
    assert [e["tag"] for e in batch.json()["extra"]["errors"]] == [tag, other]
    assert data_only.status_code == 422
    assert data_only.json()["detail"] == "Le champ « Motif » est obligatoire."
    assert data_only.json()["extra"]["field"] == "reason"
    assert await DeviceEvent.count() == 2  # the two registrations: nothing else was written


async def test_values_are_trimmed_and_enum_values_forgive_case(client: httpx.AsyncClient) -> None:
    world = await make_world()
    donation = await make_donation(client, world.donor, count=1)
    tag = donation["devices"][0]["tag"]
    await act(client, world.reconditioner, tag, "collect")
    await act(client, world.reconditioner, tag, "receive")

    wiped = await act(
        client,
        world.reconditioner,
        tag,
        "wipe",
        **{**WIPE, "method": " PURGE ", "tool": "  nwipe 0.35 ", "storage_serials": [" S1 ", " "]},
    )

    assert wiped.status_code == 200, wiped.text
    event = wiped.json()["events"][-1]
    media = event["data"].pop("media")
    assert [(m["serial"], m["method_class"], m["verification"]) for m in media] == [
        ("S1", "purge", "sample")
    ]
    assert event["data"].pop("verified_by") is None
    assert event["data"] == {
        "method": "purge",
        "tool": "nwipe 0.35",
        "verified": True,
        "storage_serials": ["S1"],
        "destination": None,
    }
