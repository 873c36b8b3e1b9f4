"""The erasure records and their gates (NIST SP 800-88 Rev. 2, IEEE 2883-2022); no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from collecte.domain.erasure import (
    MediumRecord,
    certified,
    latest_by_medium,
    records_in,
    recycling_gaps,
    reuse_gaps,
)
from collecte.domain.lifecycle import ErasureIncomplete, check_erasure
from collecte.domain.vocabulary import (
    Action,
    ErasureResult,
    MediumKind,
    MethodClass,
    Technique,
    Verification,
)

GOOD = MediumRecord(
    serial="S1",
    kind=MediumKind.SSD,
    capacity_gb=256,
    technique=Technique.BLOCK_ERASE,
    method_class=MethodClass.PURGE,
    tool="nwipe",
    tool_version="0.38",
    started_at=None,
    ended_at=None,
    result=ErasureResult.ERASED,
    verification=Verification.FULL,
)
PURGE = MethodClass.PURGE


def said(gaps: list) -> list[tuple[str | None, str]]:  # type: ignore[type-arg]
    return [(gap.serial, gap.sentence.render("fr")) for gap in gaps]


# --- IEEE 2883-2022: the class each technique reaches --------------------------------------


@pytest.mark.parametrize(
    ("technique", "method_class"),
    [
        (Technique.OVERWRITE, MethodClass.CLEAR),
        (Technique.BLOCK_ERASE, MethodClass.PURGE),
        (Technique.CRYPTO_ERASE, MethodClass.PURGE),
        (Technique.SANITIZE, MethodClass.PURGE),
        (Technique.DESTRUCT, MethodClass.DESTRUCT),
    ],
)
def test_each_technique_reaches_its_class(technique: Technique, method_class: MethodClass) -> None:
    assert technique.method_class is method_class


def test_classes_are_ranked_clear_purge_destruct() -> None:
    assert MethodClass.CLEAR.rank < MethodClass.PURGE.rank < MethodClass.DESTRUCT.rank


# --- the gate to reuse ----------------------------------------------------------------------


def test_an_erased_verified_purge_opens_reuse() -> None:
    assert reuse_gaps([GOOD], PURGE) == []
    assert reuse_gaps([replace(GOOD, verification=Verification.SAMPLE)], PURGE) == []
    check_erasure(Action.REFURBISH, True, [GOOD], PURGE)  # no error


def test_the_minimum_itself_is_enough_and_one_class_below_is_not() -> None:
    cleared = replace(GOOD, technique=Technique.OVERWRITE, method_class=MethodClass.CLEAR)
    assert reuse_gaps([cleared], MethodClass.CLEAR) == []
    assert said(reuse_gaps([cleared], PURGE)) == [
        ("S1", "S1 : Clear — effacement logique ne suffit pas pour le réemploi "
               "(minimum : Purge — effacement sécurisé du support)")
    ]  # fmt: skip
    assert reuse_gaps([GOOD], MethodClass.DESTRUCT) != []


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"verification": Verification.NONE}, "S1 : effacement non vérifié"),
        ({"result": ErasureResult.FAILED}, "S1 : Échec"),
        ({"result": ErasureResult.ERASED_WITH_EXCEPTIONS}, "S1 : Effacé avec exceptions"),
    ],
)
def test_an_unverified_failed_or_partial_erasure_closes_reuse(change: dict, sentence: str) -> None:  # type: ignore[type-arg]
    gaps = reuse_gaps([replace(GOOD, **change)], PURGE)
    assert said(gaps) == [("S1", sentence)]
    with pytest.raises(ErasureIncomplete) as caught:
        check_erasure(Action.REFURBISH, True, [replace(GOOD, **change)], PURGE)
    assert caught.value.code == "erasure_incomplete"
    assert caught.value.field == "action"
    assert caught.value.sentence.render("fr") == (
        f"« Reconditionner » impossible : l’effacement des données est incomplet ({sentence})."
    )


def test_no_record_at_all_closes_reuse_and_recycling() -> None:
    assert said(reuse_gaps([], PURGE)) == [(None, "aucun support effacé n’est enregistré")]
    assert said(recycling_gaps([])) == [(None, "aucun support effacé ou détruit n’est enregistré")]


def test_the_latest_record_of_each_medium_decides() -> None:
    failed = replace(GOOD, result=ErasureResult.FAILED)
    assert reuse_gaps([failed, GOOD], PURGE) == []  # a second pass that worked
    assert said(reuse_gaps([GOOD, failed], PURGE)) == [("S1", "S1 : Échec")]
    other = replace(GOOD, serial="S2", verification=Verification.NONE)
    assert said(reuse_gaps([GOOD, other], PURGE)) == [("S2", "S2 : effacement non vérifié")]
    assert list(latest_by_medium([GOOD, other, failed])) == ["S2", "S1"]


def test_a_device_without_storage_or_an_ungated_action_passes() -> None:
    check_erasure(Action.REFURBISH, False, [], PURGE)
    check_erasure(Action.RECYCLE, False, [], PURGE)
    check_erasure(Action.ALLOCATE, True, [], PURGE)
    with pytest.raises(ErasureIncomplete):
        check_erasure(Action.REFURBISH, True, [], PURGE)


# --- the gate to recycling ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "open_"),
    [
        (GOOD, True),
        (replace(GOOD, verification=Verification.NONE), True),  # erased, even unverified
        (replace(GOOD, technique=Technique.OVERWRITE, method_class=MethodClass.CLEAR), True),
        (replace(GOOD, result=ErasureResult.FAILED), False),
        (replace(GOOD, result=ErasureResult.ERASED_WITH_EXCEPTIONS), False),
        (replace(GOOD, technique=Technique.DESTRUCT, method_class=MethodClass.DESTRUCT,
                 result=ErasureResult.ERASED_WITH_EXCEPTIONS), True),
        (replace(GOOD, technique=Technique.DESTRUCT, method_class=MethodClass.DESTRUCT,
                 result=ErasureResult.FAILED), False),
    ],
)  # fmt: skip
def test_recycling_needs_every_medium_erased_or_destructed(
    record: MediumRecord, open_: bool
) -> None:
    assert (recycling_gaps([record]) == []) is open_
    if not open_:
        with pytest.raises(ErasureIncomplete):
            check_erasure(Action.RECYCLE, True, [record], PURGE)


# --- what a certificate may certify ---------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, True),
        ({"verification": Verification.SAMPLE}, True),
        ({"verification": Verification.NONE}, False),
        ({"result": ErasureResult.FAILED}, False),
        ({"result": ErasureResult.ERASED_WITH_EXCEPTIONS}, False),
    ],
)
def test_only_erased_and_verified_media_are_certified(change: dict, expected: bool) -> None:  # type: ignore[type-arg]
    assert certified(replace(GOOD, **change)) is expected


# --- records as the custody log keeps them --------------------------------------------------


def test_records_read_back_as_stored() -> None:
    assert records_in({"media": [GOOD.as_data()]}) == [GOOD]


def test_a_version_1_wipe_reads_as_one_record_per_serial() -> None:
    records = records_in(
        {"method": "destroy", "tool": "broyeur", "verified": False, "storage_serials": ["A", "B"]}
    )
    assert [(r.serial, r.method_class, r.verification, r.result) for r in records] == [
        ("A", MethodClass.DESTRUCT, Verification.NONE, ErasureResult.ERASED),
        ("B", MethodClass.DESTRUCT, Verification.NONE, ErasureResult.ERASED),
    ]
    assert records_in({"destination": "reuse"}) == []
