"""The data each action takes (`collecte.domain.actions`): one struct per action, decoded
leniently where people type (spaces, blanks, case), strictly on types and bounds."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from collecte.domain.actions import (
    BSD_MAX,
    MAX_STORAGE_SERIALS,
    STRUCTS,
    TEXT_MAX,
    Collect,
    complete,
    decode,
    fields_of,
    organization_targets,
)
from collecte.domain.fields import field_label
from collecte.domain.lifecycle import Actor, InvalidData, UnknownAction
from collecte.domain.vocabulary import Action, Role

RECONDITIONER_ORG = 20


def actor(role: Role) -> Actor:
    return Actor(role=role, organization_id=RECONDITIONER_ORG)


def validate_data(action: Action, data: dict[str, Any], who: Actor) -> dict[str, Any]:
    """The cleaned data, as the custody log records it."""
    decoded = decode({**data, "action": action.value})
    return complete(decoded, who.role, who.organization_id).event_data()


# --- validate_data: the data each action takes ---------------------------------------------

COORD = actor(Role.COORDINATOR)
RECOND = actor(Role.RECONDITIONER)
ASSOC = actor(Role.ASSOCIATION)
DONOR = actor(Role.DONOR)
WIPE_OK = {"method": "purge", "tool": "nwipe", "verified": True}
WIPE_CLEAN = {**WIPE_OK, "storage_serials": [], "destination": None}
MEDIUM = {"serial": "S1", "kind": "ssd", "technique": "crypto_erase", "tool": "nwipe",
          "tool_version": "0.38", "result": "erased", "verification": "full"}  # fmt: skip


def _without(record: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != name}


# fmt: off
# action, actor, data given, cleaned data expected
VALID_DATA: list[tuple[Action, Actor, dict[str, Any], dict[str, Any]]] = [
    # collect: a reconditioner collecting for itself may omit the destination
    (Action.COLLECT, COORD, {"reconditioner_id": 20}, {"reconditioner_id": 20}),
    (Action.COLLECT, RECOND, {}, {"reconditioner_id": RECONDITIONER_ORG}),
    (Action.COLLECT, RECOND, {"reconditioner_id": None}, {"reconditioner_id": RECONDITIONER_ORG}),
    (Action.COLLECT, RECOND, {"reconditioner_id": 21}, {"reconditioner_id": 21}),
    (Action.RECEIVE, RECOND, {}, {}),
    (Action.WIPE, RECOND, WIPE_OK, WIPE_CLEAN),
    (Action.WIPE, RECOND, {**WIPE_OK, "storage_serials": None}, WIPE_CLEAN),
    (Action.WIPE, RECOND, {**WIPE_OK, "storage_serials": []}, WIPE_CLEAN),
    (Action.WIPE, RECOND,
        {"method": " CLEAR ", "tool": "  Blancco 7  ", "verified": False,
         "storage_serials": [" S3R1AL ", "WD-123", "  "]},
        {"method": "clear", "tool": "Blancco 7", "verified": False,
         "storage_serials": ["S3R1AL", "WD-123"], "destination": None}),
    # optional destination stated on the erasure certificate: reuse or recycling
    (Action.WIPE, RECOND,
        {**WIPE_OK, "destination": "reuse"}, {**WIPE_CLEAN, "destination": "reuse"}),
    (Action.WIPE, RECOND,
        {**WIPE_OK, "destination": " Recycling "}, {**WIPE_CLEAN, "destination": "recycling"}),
    (Action.WIPE, COORD,
        {"method": "Destroy", "tool": "broyeur", "verified": True},
        {**WIPE_CLEAN, "method": "destroy", "tool": "broyeur"}),
    (Action.REFURBISH, RECOND, {"grade": "A"}, {"grade": "A", "notes": None}),
    (Action.REFURBISH, RECOND,
        {"grade": "b", "notes": " écran rayé "}, {"grade": "B", "notes": "écran rayé"}),
    (Action.REFURBISH, RECOND, {"grade": "C", "notes": ""}, {"grade": "C", "notes": None}),
    (Action.RECYCLE, RECOND, {"channel": "Ecotrade"}, {"channel": "Ecotrade", "weight_kg": None}),
    (Action.RECYCLE, COORD,
        {"channel": " Ecotrade ", "weight_kg": 2.5}, {"channel": "Ecotrade", "weight_kg": 2.5}),
    (Action.RECYCLE, COORD, {"channel": "X", "weight_kg": 1000},
        {"channel": "X", "weight_kg": 1000}),
    (Action.RECYCLE, COORD, {"channel": "X", "weight_kg": 0.01},
        {"channel": "X", "weight_kg": 0.01}),
    (Action.ALLOCATE, COORD, {"association_id": 30}, {"association_id": 30}),
    (Action.CONFIRM_RECEIPT, ASSOC, {"signature": {"name": " Marie W. "}},
        {"received_by": None, "signature": {"name": "Marie W.", "drawn": False}}),
    # version 1's `received_by` alone is the typed name of the one who signs
    (Action.CONFIRM_RECEIPT, ASSOC, {"received_by": " Marie W. "}, {"received_by": "Marie W."}),
    (Action.WITHDRAW, DONOR, {"reason": "Finalement gardé"}, {"reason": "Finalement gardé"}),
    # the exceptions: a reason for the people who read the history later
    (Action.DEALLOCATE, COORD,
        {"reason": " mauvaise association "}, {"reason": "mauvaise association"}),
    (Action.REFUSE, ASSOC, {"reason": "écran cassé"}, {"reason": "écran cassé"}),
    (Action.REPORT_MISSING, RECOND, {"reason": "introuvable"}, {"reason": "introuvable"}),
    (Action.FOUND, COORD, {}, {"note": None}),
    (Action.FOUND, COORD, {"note": "retrouvé au dépôt"}, {"note": "retrouvé au dépôt"}),
    (Action.RETURN, ASSOC, {"reason": "ne démarre plus", "reconditioner_id": 21},
        {"reason": "ne démarre plus", "reconditioner_id": 21}),
    (Action.TRANSFER, RECOND, {"reconditioner_id": 21}, {"reconditioner_id": 21}),
    (Action.REVERT, COORD, {"reason": "mauvais scan"}, {"reason": "mauvais scan"}),
]

A_VALID = {action: data for action, _, data, _ in reversed(VALID_DATA)}

# action, actor, data given, field named by InvalidData
INVALID_DATA: list[tuple[Action, Actor, dict[str, Any], str]] = [
    # collect: a coordinator must say where the device goes
    (Action.COLLECT, COORD, {}, "reconditioner_id"),
    (Action.COLLECT, COORD, {"reconditioner_id": None}, "reconditioner_id"),
    (Action.COLLECT, COORD, {"reconditioner_id": 0}, "reconditioner_id"),
    (Action.COLLECT, COORD, {"reconditioner_id": -4}, "reconditioner_id"),
    (Action.COLLECT, COORD, {"reconditioner_id": "20"}, "reconditioner_id"),
    (Action.COLLECT, COORD, {"reconditioner_id": 20.0}, "reconditioner_id"),
    (Action.COLLECT, COORD, {"reconditioner_id": True}, "reconditioner_id"),
    (Action.COLLECT, RECOND, {"reconditioner_id": 0}, "reconditioner_id"),
    (Action.COLLECT, RECOND, {"reconditioner_id": "x"}, "reconditioner_id"),
    # wipe
    (Action.WIPE, RECOND, {}, "media"),
    (Action.WIPE, RECOND, {"media": []}, "media"),
    (Action.WIPE, RECOND, {"media": "S1"}, "media"),
    (Action.WIPE, RECOND, {"media": [MEDIUM] * 33}, "media"),
    (Action.WIPE, RECOND, {"media": [MEDIUM], "method": "purge"}, "media"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "verification": None}]}, "media[0].verification"),
    (Action.WIPE, RECOND, {"media": [_without(MEDIUM, "verification")]}, "media[0].verification"),
    (Action.WIPE, RECOND, {"media": [MEDIUM, _without(MEDIUM, "result")]}, "media[1].result"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "technique": "shred"}]}, "media[0].technique"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "kind": "tape"}]}, "media[0].kind"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "verification": "yes"}]}, "media[0].verification"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "result": "ok"}]}, "media[0].result"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "tool": "x" * 201}]}, "media[0].tool"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "tool_version": ""}]}, "media[0].tool_version"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "serial": "S" * 201}]}, "media[0].serial"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "capacity_gb": 0}]}, "media[0].capacity_gb"),
    (Action.WIPE, RECOND,
        {"media": [{**MEDIUM, "capacity_gb": 1_000_001}]}, "media[0].capacity_gb"),
    (Action.WIPE, RECOND,
        {"media": [{**MEDIUM, "started_at": "2026-12-01T09:30:00"}]}, "media[0].started_at"),
    (Action.WIPE, RECOND, {"media": [{**MEDIUM, "ended_at": "hier"}]}, "media[0].ended_at"),
    (Action.WIPE, RECOND, {**WIPE_OK, "verified_by": "v" * 201}, "verified_by"),
    (Action.WIPE, RECOND, {"tool": "nwipe", "verified": True}, "method"),
    (Action.WIPE, RECOND, {**WIPE_OK, "method": "shred"}, "method"),
    (Action.WIPE, RECOND, {**WIPE_OK, "method": ""}, "method"),
    (Action.WIPE, RECOND, {**WIPE_OK, "method": None}, "method"),
    (Action.WIPE, RECOND, {"method": "purge", "verified": True}, "tool"),
    (Action.WIPE, RECOND, {**WIPE_OK, "tool": "   "}, "tool"),
    (Action.WIPE, RECOND, {**WIPE_OK, "tool": 12}, "tool"),
    (Action.WIPE, RECOND, {**WIPE_OK, "tool": "x" * 201}, "tool"),
    (Action.WIPE, RECOND, {"method": "purge", "tool": "nwipe"}, "verified"),
    (Action.WIPE, RECOND, {**WIPE_OK, "verified": None}, "verified"),
    (Action.WIPE, RECOND, {**WIPE_OK, "verified": "true"}, "verified"),
    (Action.WIPE, RECOND, {**WIPE_OK, "verified": 1}, "verified"),
    (Action.WIPE, RECOND, {**WIPE_OK, "storage_serials": "S1"}, "storage_serials"),
    (Action.WIPE, RECOND, {**WIPE_OK, "storage_serials": ["S1", 2]}, "storage_serials"),
    (Action.WIPE, RECOND, {**WIPE_OK, "storage_serials": {"a": "S1"}}, "storage_serials"),
    (Action.WIPE, RECOND, {**WIPE_OK, "storage_serials": ["S"] * 33}, "storage_serials"),
    (Action.WIPE, RECOND, {**WIPE_OK, "storage_serials": ["S" * 201]}, "storage_serials"),
    (Action.WIPE, RECOND, {**WIPE_OK, "destination": "landfill"}, "destination"),
    (Action.WIPE, RECOND, {**WIPE_OK, "destination": "refurbished"}, "destination"),
    # refurbish
    (Action.REFURBISH, RECOND, {}, "grade"),
    (Action.REFURBISH, RECOND, {"grade": "D"}, "grade"),
    (Action.REFURBISH, RECOND, {"grade": "AB"}, "grade"),
    (Action.REFURBISH, RECOND, {"grade": "A", "notes": 5}, "notes"),
    (Action.REFURBISH, RECOND, {"grade": "A", "notes": "n" * 201}, "notes"),
    # recycle
    (Action.RECYCLE, RECOND, {}, "channel"),
    (Action.RECYCLE, RECOND, {"channel": " "}, "channel"),
    (Action.RECYCLE, RECOND, {"weight_kg": 3}, "channel"),
    (Action.RECYCLE, RECOND, {"channel": "X", "weight_kg": 0}, "weight_kg"),
    (Action.RECYCLE, RECOND, {"channel": "X", "weight_kg": -1.5}, "weight_kg"),
    (Action.RECYCLE, RECOND, {"channel": "X", "weight_kg": 1000.01}, "weight_kg"),
    (Action.RECYCLE, RECOND, {"channel": "X", "weight_kg": "3"}, "weight_kg"),
    (Action.RECYCLE, RECOND, {"channel": "X", "weight_kg": True}, "weight_kg"),
    (Action.RECYCLE, RECOND, {"channel": "X", "weight_kg": math.nan}, "weight_kg"),
    (Action.RECYCLE, RECOND, {"channel": "X", "weight_kg": math.inf}, "weight_kg"),
    # allocate
    (Action.ALLOCATE, COORD, {}, "association_id"),
    (Action.ALLOCATE, COORD, {"association_id": 0}, "association_id"),
    (Action.ALLOCATE, COORD, {"association_id": -30}, "association_id"),
    (Action.ALLOCATE, COORD, {"association_id": "30"}, "association_id"),
    (Action.ALLOCATE, COORD, {"association_id": 30.0}, "association_id"),
    (Action.ALLOCATE, COORD, {"association_id": True}, "association_id"),
    (Action.ALLOCATE, COORD, {"association_id": False}, "association_id"),
    # withdraw
    (Action.WITHDRAW, DONOR, {}, "reason"),
    (Action.DEALLOCATE, COORD, {}, "reason"),
    (Action.DEALLOCATE, COORD, {"reason": "r" * 201}, "reason"),
    (Action.REFUSE, ASSOC, {"reason": "  "}, "reason"),
    (Action.REPORT_MISSING, RECOND, {"reason": "perdu\nau dépôt"}, "reason"),
    (Action.FOUND, COORD, {"note": "n" * 201}, "note"),
    (Action.RETURN, ASSOC, {"reason": "panne"}, "reconditioner_id"),
    (Action.RETURN, ASSOC, {"reconditioner_id": 21}, "reason"),
    (Action.TRANSFER, RECOND, {}, "reconditioner_id"),
    (Action.TRANSFER, RECOND, {"reconditioner_id": 0}, "reconditioner_id"),
    (Action.REVERT, COORD, {}, "reason"),
    (Action.WITHDRAW, DONOR, {"reason": ""}, "reason"),
    (Action.WITHDRAW, DONOR, {"reason": "  \t"}, "reason"),
    (Action.WITHDRAW, DONOR, {"reason": ["no"]}, "reason"),
    # confirm_receipt
    (Action.CONFIRM_RECEIPT, ASSOC, {"received_by": 7}, "received_by"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"received_by": "m" * 201}, "received_by"),
    (Action.CONFIRM_RECEIPT, ASSOC, {}, "signature"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"received_by": "  "}, "signature"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"signature": "Marie"}, "signature"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"signature": {}}, "signature.name"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"signature": {"name": " \t "}}, "signature.name"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"signature": {"name": 7}}, "signature.name"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"signature": {"name": "m" * 201}}, "signature.name"),
    (Action.CONFIRM_RECEIPT, ASSOC, {"signature": {"name": "a\nb"}}, "signature.name"),
    (Action.CONFIRM_RECEIPT, ASSOC,
        {"signature": {"name": "M", "image": "data:image/jpeg;base64,/9j/"}}, "signature.image"),
]
# fmt: on

# Fields no action takes: whatever a client sends besides is not recorded.
NOISE = {"status": "delivered", "donor_id": 666, "action": "collect", "tags": ["X"], "evil": "1"}


@pytest.mark.parametrize(
    ("action", "who", "data", "expected"),
    VALID_DATA,
    ids=[f"{a}-{i}" for i, (a, *_) in enumerate(VALID_DATA)],
)
def test_validate_data_cleans_valid_data(
    action: Action, who: Actor, data: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert _v1_fields(validate_data(action, data, who)) == expected


def _v1_fields(cleaned: dict[str, Any]) -> dict[str, Any]:
    """The cleaned data as version 1 saw it: a wipe's records per medium are tested apart."""
    return {key: value for key, value in cleaned.items() if key not in ("media", "verified_by")}


def test_shorthand_wipe_records_one_medium_per_serial() -> None:
    cleaned = validate_data(
        Action.WIPE,
        {
            "method": "clear",
            "tool": "Blancco 7",
            "verified": False,
            "storage_serials": ["S1", "S2"],
        },
        RECOND,
    )
    assert [(m["serial"], m["method_class"], m["verification"]) for m in cleaned["media"]] == [
        ("S1", "clear", "none"),
        ("S2", "clear", "none"),
    ]
    assert {m["result"] for m in cleaned["media"]} == {"erased"}
    assert cleaned["verified_by"] is None


def test_shorthand_destroy_is_a_destruct_and_verified_counts_as_sampled() -> None:
    cleaned = validate_data(Action.WIPE, {"method": "destroy", "tool": "broyeur",
                                          "verified": True}, RECOND)  # fmt: skip
    [medium] = cleaned["media"]
    assert (medium["method_class"], medium["verification"], medium["tool"]) == (
        "destruct", "sample", "broyeur")  # fmt: skip


@pytest.mark.parametrize(
    ("action", "who", "data", "expected"),
    VALID_DATA,
    ids=[f"{a}-{i}" for i, (a, *_) in enumerate(VALID_DATA)],
)
def test_validate_data_drops_unrelated_fields(
    action: Action, who: Actor, data: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert _v1_fields(validate_data(action, {**NOISE, **data}, who)) == expected


@pytest.mark.parametrize(
    ("action", "who", "data", "field"),
    INVALID_DATA,
    ids=[f"{a}-{f}-{i}" for i, (a, _, _, f) in enumerate(INVALID_DATA)],
)
def test_validate_data_names_the_bad_field(
    action: Action, who: Actor, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidData) as caught:
        validate_data(action, data, who)
    assert caught.value.field == field
    # The sentence names the field by its words, never by its API name.
    assert f"« {field_label(field)} »" in caught.value.message
    assert f"« {field} »" not in caught.value.message


def test_every_action_has_valid_data_examples() -> None:
    assert set(A_VALID) == set(Action)


@pytest.mark.parametrize("method", ["clear", "purge", "destroy", "CLEAR", "Purge", "dEsTrOy"])
def test_wipe_method_is_case_insensitive(method: str) -> None:
    data = {**WIPE_OK, "method": method}
    assert validate_data(Action.WIPE, data, RECOND)["method"] == method.lower()


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.DONOR, Role.ASSOCIATION])
def test_only_a_reconditioner_may_omit_the_collect_destination(role: Role) -> None:
    with pytest.raises(InvalidData) as caught:
        validate_data(Action.COLLECT, {}, actor(role))
    assert caught.value.field == "reconditioner_id"


# --- both sides of every limit, and what each refusal says -----------------------------------

TEXT_FIELDS = [
    (Action.WIPE, "tool", "Outil", {"method": "purge", "verified": True}),
    (Action.REFURBISH, "notes", "Remarques", {"grade": "A"}),
    (Action.RECYCLE, "channel", "Filière de recyclage", {}),
    (Action.CONFIRM_RECEIPT, "received_by", "Reçu par", {}),
    (Action.WITHDRAW, "reason", "Motif", {}),
]


@pytest.mark.parametrize(("action", "field", "label", "rest"), TEXT_FIELDS, ids=lambda v: str(v))
def test_texts_of_200_characters_pass_and_201_are_refused(
    action: Action, field: str, label: str, rest: dict[str, Any]
) -> None:
    accepted = decode({"action": action.value, **rest, field: "é" * TEXT_MAX})
    with pytest.raises(InvalidData) as caught:
        decode({"action": action.value, **rest, field: "é" * (TEXT_MAX + 1)})

    assert getattr(accepted, field) == "é" * TEXT_MAX
    assert caught.value.field == field
    assert caught.value.message == f"Le champ « {label} » dépasse 200 caractères."


def test_32_storage_serials_pass_and_33_are_refused() -> None:
    wipe = {"action": "wipe", **WIPE_OK}
    accepted = decode({**wipe, "storage_serials": ["S" * TEXT_MAX] * MAX_STORAGE_SERIALS})
    with pytest.raises(InvalidData) as too_many:
        decode({**wipe, "storage_serials": ["S"] * (MAX_STORAGE_SERIALS + 1)})
    with pytest.raises(InvalidData) as too_long:
        decode({**wipe, "storage_serials": ["S" * (TEXT_MAX + 1)]})

    assert len(accepted.storage_serials) == 32  # type: ignore[attr-defined]
    assert too_many.value.message == (
        "Le champ « N° de série des supports » compte plus de 32 éléments."
    )
    assert too_long.value.message == (
        "Le champ « N° de série des supports » dépasse 200 caractères."
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Le champ « Association » doit être supérieur ou égal à 1."),
        (2_147_483_648, "Le champ « Association » doit être inférieur ou égal à 2147483647."),
        ("30", "Le champ « Association » doit être un nombre entier."),
    ],
)
def test_organisation_ids_from_1_to_the_largest_key(value: object, message: str) -> None:
    assert decode({"action": "allocate", "association_id": 1}).association_id == 1  # type: ignore[attr-defined]
    assert decode({"action": "allocate", "association_id": 2_147_483_647}).association_id == (  # type: ignore[attr-defined]
        2_147_483_647
    )
    with pytest.raises(InvalidData) as caught:
        decode({"action": "allocate", "association_id": value})
    assert caught.value.message == message


def test_weights_above_zero_up_to_1000_kg() -> None:
    def weight(value: float) -> float | None:
        return decode({"action": "recycle", "channel": "X", "weight_kg": value}).weight_kg  # type: ignore[attr-defined, no-any-return]

    assert weight(1000) == 1000
    assert weight(1e-9) == 1e-9
    for refused, message in [
        (0, "Le champ « Poids (kg) » doit être supérieur à 0."),
        (1000.000001, "Le champ « Poids (kg) » doit être inférieur ou égal à 1000."),
    ]:
        with pytest.raises(InvalidData) as caught:
            weight(refused)
        assert caught.value.message == message


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"action": "withdraw"}, "reason", "Le champ « Motif » est obligatoire."),
        ({"action": "withdraw", "reason": " \t"}, "reason", "Le champ « Motif » est obligatoire."),
        (
            {"action": "wipe", **WIPE_OK, "method": "shred"},
            "method",
            "Le champ « Méthode » doit valoir l’un de : clear, purge, destroy.",
        ),
        (
            {"action": "wipe", **WIPE_OK, "verified": "yes"},
            "verified",
            "Le champ « Vérifié » doit être true ou false.",
        ),
        (
            {"action": "withdraw", "reason": "a\x00b"},
            "reason",
            "Le champ « Motif » doit tenir sur une ligne, sans saut de ligne ni caractère de "
            "contrôle.",
        ),
        (
            {"action": "refurbish", "grade": "A", "notes": ["x"]},
            "notes",
            "Le champ « Remarques » doit être un texte.",
        ),
    ],
)
def test_each_refusal_names_the_field_and_says_why(
    payload: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidData) as caught:
        decode(payload)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_an_unknown_or_missing_action_is_refused_as_such() -> None:
    with pytest.raises(UnknownAction) as unknown:
        decode({"action": "teleport"})
    with pytest.raises(UnknownAction) as missing:
        decode({})
    assert unknown.value.message.startswith("Action « teleport » inconnue (actions possibles : ")
    assert missing.value.field == "action"


# --- one place per action: what it records, what it changes, what its form shows ------------


def test_the_custody_log_records_the_data_without_the_action() -> None:
    data = decode({"action": "recycle", "channel": " Ecotrade ", "weight_kg": 2})
    assert data.event_data() == {"channel": "Ecotrade", "weight_kg": 2.0}
    assert data.action is Action.RECYCLE


@pytest.mark.parametrize(
    ("payload", "changes"),
    [
        ({"action": "collect", "reconditioner_id": 7}, {"reconditioner": 7}),
        ({"action": "receive"}, {}),
        ({"action": "wipe", **WIPE_OK}, {}),
        ({"action": "refurbish", "grade": "b"}, {"grade": "B"}),
        ({"action": "recycle", "channel": "X"}, {}),
        (
            {"action": "recycle", "channel": "X", "weight_kg": 3},
            {"weight_kg": 3.0, "weight_estimated": False},
        ),
        ({"action": "allocate", "association_id": 9}, {"association": 9}),
        ({"action": "confirm_receipt", "signature": {"name": "M"}}, {}),
        ({"action": "withdraw", "reason": "x"}, {}),
    ],
)
def test_each_action_says_which_device_fields_it_sets(
    payload: dict[str, Any], changes: dict[str, Any]
) -> None:
    assert decode(payload).device_changes() == changes


def test_the_organisations_an_action_points_at_and_their_kind() -> None:
    assert organization_targets(decode({"action": "collect", "reconditioner_id": 7})) == {
        "reconditioner_id": (7, Role.RECONDITIONER)
    }
    assert organization_targets(decode({"action": "allocate", "association_id": 9})) == {
        "association_id": (9, Role.ASSOCIATION)
    }
    assert organization_targets(Collect()) == {}


def test_every_action_describes_its_form() -> None:
    kinds = {
        action: [(f.name, f.kind, f.required) for f in fields_of(struct)]
        for action, struct in STRUCTS.items()
    }
    assert set(kinds) == set(Action)
    assert kinds[Action.WIPE] == [
        ("media", "rows", False),
        ("verified_by", "text", False),
        ("destination", "choice", False),
        ("method", "choice", False),
        ("tool", "text", False),
        ("verified", "bool", False),
        ("storage_serials", "lines", False),
    ]
    wipe = {field.name: field for field in fields_of(STRUCTS[Action.WIPE])}
    # Version 1's shorthand stays in the API only: forms offer one row per medium.
    assert [name for name, field in wipe.items() if field.hidden] == [
        "method",
        "tool",
        "verified",
        "storage_serials",
    ]
    assert wipe["media"].max_items == 32
    assert [(c.name, c.kind, c.required) for c in wipe["media"].columns] == [
        ("serial", "text", False),
        ("kind", "choice", True),
        ("capacity_gb", "number", False),
        ("technique", "choice", True),
        ("tool", "text", True),
        ("tool_version", "text", True),
        ("started_at", "datetime", False),
        ("ended_at", "datetime", False),
        ("result", "choice", True),
        ("verification", "choice", True),
    ]
    assert kinds[Action.COLLECT] == [
        ("reconditioner_id", "organization", False),
        ("pickup_id", "number", False),
    ]
    assert kinds[Action.RECEIVE] == []
    # The operator is chosen by its name in `channel` (a select where the list is kept);
    # its id is for API clients.
    assert kinds[Action.RECYCLE] == [
        ("channel", "text", False),
        ("treatment_operator_id", "number", False),
        ("bsd_number", "text", False),
        ("weight_kg", "number", False),
    ]
    recycle = {field.name: field for field in fields_of(STRUCTS[Action.RECYCLE])}
    assert [name for name, field in recycle.items() if field.hidden] == ["treatment_operator_id"]
    assert recycle["channel"].extra["options"] == "treatment_operators"
    for struct in STRUCTS.values():
        for field in fields_of(struct):
            assert field.label and field.label != field.name, (struct, field.name)
            if field.kind == "text":
                # The slip's number is shorter: BSD_MAX.
                expected = BSD_MAX if field.name == "bsd_number" else TEXT_MAX
                assert field.max_length == expected, (struct, field.name)


# --- recycle: the slip's number and the weighed weight -----------------------------------------


def _refusal(payload: dict[str, Any]) -> tuple[str | None, str]:
    with pytest.raises(InvalidData) as caught:
        decode({"action": "recycle", "channel": "Trecodec", **payload})
    return caught.value.field, caught.value.message


@pytest.mark.parametrize(
    "bsd", ["BSD-2026-000123", "a", "12 34/56.78_9", "7" * BSD_MAX, f"  {'B' * BSD_MAX}  "]
)
def test_a_slip_number_of_letters_digits_and_separators_up_to_60_is_taken(bsd: str) -> None:
    data = decode({"action": "recycle", "channel": "Trecodec", "bsd_number": bsd})
    assert data.bsd_number == bsd.strip()  # type: ignore[attr-defined]
    assert data.event_data()["bsd_number"] == bsd.strip()


def test_a_slip_number_too_long_or_odd_is_refused_naming_it() -> None:
    label = "N° de bordereau de suivi des déchets (BSD)"
    assert _refusal({"bsd_number": "7" * (BSD_MAX + 1)}) == (
        "bsd_number", f"Le champ « {label} » dépasse 60 caractères.")  # fmt: skip
    odd = (
        "bsd_number",
        f"Le champ « {label} » ne peut contenir que des lettres, des chiffres, des espaces et "
        "les signes - / . _ : recopiez le numéro tel qu’il figure sur le bordereau.",
    )
    for bad in ("BSD#12", "-12", "12-", "BSD 12 ; drop", "n°12"):
        assert _refusal({"bsd_number": bad}) == odd, bad
    assert _refusal({"bsd_number": "BSD\n12"})[0] == "bsd_number"
    assert _refusal({"bsd_number": 12})[0] == "bsd_number"


def test_a_weighed_weight_is_above_0_and_at_most_1000_kg() -> None:
    def weight(value: float) -> float | None:
        data = decode({"action": "recycle", "channel": "X", "weight_kg": value})
        return data.weight_kg  # type: ignore[attr-defined, no-any-return]

    assert weight(0.001) == 0.001 and weight(1000) == 1000 and weight(2.35) == 2.35
    assert _refusal({"weight_kg": 0}) == (
        "weight_kg", "Le champ « Poids (kg) » doit être supérieur à 0.")  # fmt: skip
    assert _refusal({"weight_kg": 1000.001}) == (
        "weight_kg", "Le champ « Poids (kg) » doit être inférieur ou égal à 1000.")  # fmt: skip


def test_a_recycling_names_its_operator_by_name_or_id() -> None:
    assert _refusal({"channel": None}) == (
        "channel",
        "Le champ « Filière de recyclage » est obligatoire : choisissez l’opérateur de "
        "traitement à qui les appareils sont remis.",
    )
    by_id = decode({"action": "recycle", "treatment_operator_id": 3})
    assert by_id.event_data() == {"channel": None, "treatment_operator_id": 3, "weight_kg": None}
    assert _refusal({"treatment_operator_id": 0})[0] == "treatment_operator_id"


def test_the_union_decodes_to_the_struct_of_each_action() -> None:
    for action, struct in STRUCTS.items():
        assert struct.__struct_config__.tag == action.value
        assert msgspec.json.schema(struct)["$defs"][struct.__name__]["properties"]["action"] == {
            "enum": [action.value]
        }


def test_a_medium_given_twice_is_refused_by_its_serial() -> None:
    with pytest.raises(InvalidData) as caught:
        validate_data(Action.WIPE, {"media": [MEDIUM, {**MEDIUM, "result": "failed"}]}, RECOND)
    assert caught.value.field == "media[1].serial"
    assert caught.value.message == "Le support S1 figure deux fois."


def test_an_erasure_cannot_end_before_it_starts() -> None:
    timed = {**MEDIUM, "started_at": "2026-12-01T10:00:00+11:00"}
    with pytest.raises(InvalidData) as caught:
        validate_data(
            Action.WIPE, {"media": [{**timed, "ended_at": "2026-12-01T09:59:59+11:00"}]}, RECOND
        )
    assert caught.value.field == "media[0].ended_at"
    assert caught.value.message == "La fin de l’effacement du support 1 précède son début."
    same = validate_data(
        Action.WIPE, {"media": [{**timed, "ended_at": "2026-12-01T10:00:00+11:00"}]}, RECOND
    )
    assert same["media"][0]["ended_at"] == "2026-12-01T10:00:00+11:00"


def test_media_at_their_limits_are_kept_whole() -> None:
    many = [{**MEDIUM, "serial": f"S{i:02}" + "x" * 197, "tool": "t" * 200} for i in range(32)]
    cleaned = validate_data(Action.WIPE, {"media": many, "verified_by": "v" * 200}, RECOND)
    assert len(cleaned["media"]) == 32
    assert cleaned["media"][31]["serial"] == "S31" + "x" * 197
    assert cleaned["verified_by"] == "v" * 200
    assert cleaned["media"][0]["method_class"] == "purge"  # crypto erase purges (IEEE 2883)


def test_a_medium_without_serial_is_the_devices_own() -> None:
    data = decode({"action": "wipe", "media": [_without(MEDIUM, "serial")]})
    [record] = data.event_data({"serial_number": "PC-42"})["media"]
    assert record["serial"] == "PC-42"
