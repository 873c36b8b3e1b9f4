"""The readers of erasure tools' reports, without a database: the media each sample holds, the
tools' words mapped faithfully, and what is refused (and how it is said)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from collecte.documents.erasure_reports import (
    MAX_REPORT_BYTES,
    form_fields,
    read_report,
)
from collecte.documents.erasure_reports.nwipe_words import METHODS
from collecte.domain.clock import NOUMEA
from collecte.domain.errors import Invalid, TooLarge, UnsupportedFormat
from collecte.domain.vocabulary import (
    ErasureReportFormat,
    ErasureResult,
    MediumKind,
    Technique,
    Verification,
)
from tests.erasure_samples import billion_laughs, external_entity, nwipe_pdf_report, sample


def refusal(content: bytes) -> str:
    """The French sentence of a report's refusal."""
    with pytest.raises((Invalid, TooLarge, UnsupportedFormat)) as caught:
        read_report(content)
    return str(caught.value)


def nwipe_json(**result: Any) -> bytes:
    """The single-disk sample with some of its `wipe_result` replaced."""
    report = json.loads(sample("nwipe_report.json"))
    report["wipe_result"].update(result)
    return json.dumps(report).encode()


# --- nwipe JSON -------------------------------------------------------------------------------


def test_nwipe_json_gives_one_medium_with_every_field_the_report_states() -> None:
    parsed = read_report(sample("nwipe_report.json"), "nwipe_report.json")

    assert parsed.format is ErasureReportFormat.NWIPE_JSON
    [medium] = parsed.media
    assert medium.serial == "WDEB7X1K"
    assert medium.kind is MediumKind.OTHER  # /dev/sda: an HDD or an SSD, the report can't say
    assert medium.capacity_gb == 500.1
    assert (medium.tool, medium.tool_version) == ("nwipe", "0.39")
    assert medium.started_at == datetime(2026, 11, 19, 22, 1, 7, tzinfo=UTC)
    assert medium.ended_at == datetime(2026, 11, 20, 0, 41, 7, tzinfo=UTC)
    assert medium.result is ErasureResult.ERASED


def test_nwipe_json_states_neither_method_nor_verification_so_neither_is_claimed() -> None:
    parsed = read_report(sample("nwipe_report.json"))

    assert parsed.media[0].technique is Technique.OVERWRITE
    assert parsed.media[0].verification is Verification.NONE
    assert [str(w) for w in parsed.warnings] == [
        "Rapport n° 1 : le rapport JSON de nwipe ne nomme pas la méthode ; réécriture retenue, "
        "à corriger s’il s’agit d’une commande du disque.",
        "Rapport n° 1 : le rapport ne dit pas si l’effacement a été vérifié ; « non vérifié » "
        "retenu.",
    ]


def test_two_nwipe_reports_in_one_array_give_two_media_one_failed() -> None:
    parsed = read_report(sample("nwipe_two_disks.json"))

    assert [(m.serial, m.kind, m.result) for m in parsed.media] == [
        ("S4ELNX0N912345", MediumKind.NVME, ErasureResult.ERASED),
        ("WD-WCC6Y3KJ0123", MediumKind.OTHER, ErasureResult.FAILED),
    ]


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"status": "success"}, ErasureResult.ERASED),
        ({"status": "success", "pass_errors": 3}, ErasureResult.ERASED_WITH_EXCEPTIONS),
        ({"status": "success", "verify_errors": 1}, ErasureResult.ERASED_WITH_EXCEPTIONS),
        ({"status": "failure"}, ErasureResult.FAILED),
        ({"status": "aborted"}, ErasureResult.FAILED),
        ({"status": None}, ErasureResult.FAILED),
    ],
)
def test_nwipe_json_status_and_errors_give_the_result(
    result: dict[str, Any], expected: ErasureResult
) -> None:
    assert read_report(nwipe_json(**result)).media[0].result is expected


def test_a_method_and_verify_named_in_the_json_are_read_with_nwipe_s_words() -> None:
    parsed = read_report(nwipe_json(method="Sanitize Crypto Erase (ATA/SCSI/NVMe)", verify="Last"))

    assert parsed.media[0].technique is Technique.CRYPTO_ERASE
    assert parsed.media[0].verification is Verification.FULL
    assert parsed.warnings == []


def test_every_nwipe_method_maps_to_a_technique_and_only_drive_commands_purge() -> None:
    purging = {name for name, technique in METHODS.items() if technique.method_class.rank > 0}

    assert purging == {
        "secure erase (ata/nvme)",
        "secure erase + prng + verify",
        "sanitize crypto erase (ata/scsi/nvme)",
        "sanitize block erase (ata/scsi/nvme)",
        "sanitize overwrite (ata/scsi/nvme)",
    }


def test_nwipe_s_verify_only_methods_and_unknown_methods_are_refused() -> None:
    assert refusal(nwipe_json(method="Verify Ones  (0xFF)")) == (
        "Rapport JSON de nwipe illisible : « Verify Ones  (0xFF) » vérifie le disque sans l’effacer"
    )
    assert refusal(nwipe_json(method="Shred 3x")) == (
        "Rapport JSON de nwipe illisible : méthode inconnue « Shred 3x »"
    )


def test_an_unknown_serial_is_left_blank_and_said() -> None:
    report = json.loads(sample("nwipe_report.json"))
    report["device"]["serial_no"] = "Unknown"

    parsed = read_report(json.dumps(report).encode())

    assert parsed.media[0].serial is None
    assert "nwipe n’a pas lu le numéro de série" in str(parsed.warnings[0])


# --- nwipe PDF --------------------------------------------------------------------------------


def test_nwipe_pdf_page_one_gives_the_medium() -> None:
    parsed = read_report(nwipe_pdf_report(), None)

    assert parsed.format is ErasureReportFormat.NWIPE_PDF
    [medium] = parsed.media
    assert medium.serial == "WDEB7X1K"
    assert medium.capacity_gb == 500.1
    assert medium.technique is Technique.OVERWRITE
    assert (medium.tool, medium.tool_version) == ("nwipe", "0.39")
    assert medium.started_at == datetime(2026, 11, 20, 9, 1, 7, tzinfo=NOUMEA)
    assert medium.ended_at == datetime(2026, 11, 20, 11, 41, 7, tzinfo=NOUMEA)
    assert medium.result is ErasureResult.ERASED
    assert medium.verification is Verification.FULL  # "Last": the whole disk read back
    assert [str(w) for w in parsed.warnings] == [
        "Le PDF de nwipe donne l’heure sans fuseau : heure de Nouméa retenue, à corriger si la "
        "machine était réglée autrement."
    ]


@pytest.mark.parametrize(
    ("drawn", "expected"),
    [
        ({}, ErasureResult.ERASED),
        ({"warning": True}, ErasureResult.ERASED_WITH_EXCEPTIONS),
        ({"errors": "0/2/0"}, ErasureResult.ERASED_WITH_EXCEPTIONS),
        ({"status": "FAILED", "errors": "14/0/0"}, ErasureResult.FAILED),
        ({"status": "ABORTED"}, ErasureResult.FAILED),
    ],
)
def test_nwipe_pdf_status_warning_and_errors_give_the_result(
    drawn: dict[str, Any], expected: ErasureResult
) -> None:
    assert read_report(nwipe_pdf_report(**drawn)).media[0].result is expected


@pytest.mark.parametrize(
    ("drawn", "technique", "verification"),
    [
        ({"method": "Gutmann Wipe", "verify": "All"}, Technique.OVERWRITE, Verification.FULL),
        ({"method": "DoD Short", "verify": "None"}, Technique.OVERWRITE, Verification.NONE),
        (
            {"method": "Sanitize Block Erase (ATA/SCSI/NVMe)", "bus": "NVME"},
            Technique.BLOCK_ERASE,
            Verification.FULL,
        ),
    ],
)
def test_nwipe_pdf_method_and_verify_pass(
    drawn: dict[str, Any], technique: Technique, verification: Verification
) -> None:
    [medium] = read_report(nwipe_pdf_report(**drawn)).media

    assert (medium.technique, medium.verification) == (technique, verification)


def test_nwipe_pdf_bus_names_the_kind() -> None:
    assert read_report(nwipe_pdf_report(bus="NVME")).media[0].kind is MediumKind.NVME
    assert read_report(nwipe_pdf_report(bus="MMC")).media[0].kind is MediumKind.EMMC
    assert read_report(nwipe_pdf_report(bus="USB")).media[0].kind is MediumKind.FLASH


def test_a_verify_only_pdf_is_refused() -> None:
    assert refusal(nwipe_pdf_report(method="Verify Zeros (0x00)")) == (
        "Rapport PDF de nwipe illisible : « Verify Zeros (0x00) » vérifie le disque sans l’effacer"
    )


# --- Blancco XML ------------------------------------------------------------------------------


def test_blancco_xml_gives_each_erasure_with_its_standard_state_and_verification() -> None:
    parsed = read_report(sample("blancco_report.xml"))

    assert parsed.format is ErasureReportFormat.BLANCCO_XML
    ssd, hdd = parsed.media
    assert (ssd.serial, ssd.kind, ssd.capacity_gb) == ("S3YHNX0K812345A", MediumKind.SSD, 250.1)
    assert (ssd.technique, ssd.result, ssd.verification) == (
        Technique.SANITIZE,
        ErasureResult.ERASED,
        Verification.FULL,
    )
    assert (ssd.tool, ssd.tool_version) == ("Blancco Drive Eraser", "7.12.1")
    assert ssd.started_at == datetime(2026, 11, 19, 22, 2, 11, tzinfo=UTC)
    assert (hdd.serial, hdd.kind, hdd.technique, hdd.verification) == (
        "W62ABC12",
        MediumKind.HDD,
        Technique.OVERWRITE,
        Verification.SAMPLE,  # 1 % read back
    )
    assert parsed.warnings == []


def blancco(old: str, new: str) -> bytes:
    return sample("blancco_report.xml").replace(old.encode(), new.encode(), 1)


@pytest.mark.parametrize(
    ("standard", "technique"),
    [
        ("Blancco Cryptographic Erasure", Technique.CRYPTO_ERASE),
        ("Sanitize Block Erase", Technique.BLOCK_ERASE),
        ("NVMe Format", Technique.BLOCK_ERASE),
        ("Secure Erase", Technique.BLOCK_ERASE),
        ("DoD 5220.22-M", Technique.OVERWRITE),
        ("Peter Gutmann's Algorithm", Technique.OVERWRITE),
        ("NIST 800-88 Clear", Technique.OVERWRITE),
    ],
)
def test_blancco_standards_map_to_techniques(standard: str, technique: Technique) -> None:
    content = blancco("NIST 800-88 Purge", standard)

    assert read_report(content).media[0].technique is technique


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("Successful", ErasureResult.ERASED),
        ("Successful with warnings", ErasureResult.ERASED_WITH_EXCEPTIONS),
        ("Failed", ErasureResult.FAILED),
        ("Incomplete", ErasureResult.FAILED),
        ("Cancelled", ErasureResult.FAILED),
    ],
)
def test_blancco_state_gives_the_result(state: str, expected: ErasureResult) -> None:
    content = blancco(">Successful<", f">{state}<")

    assert read_report(content).media[0].result is expected


def test_blancco_errors_under_a_successful_state_are_exceptions() -> None:
    content = blancco('<entry name="failed_sectors" type="uint">0<', '<entry name="x">0<')
    content = content.replace(b'"total_errors" type="uint">0<', b'"total_errors" type="uint">7<', 1)

    assert read_report(content).media[0].result is ErasureResult.ERASED_WITH_EXCEPTIONS


def test_blancco_without_verification_or_time_zone_claims_neither() -> None:
    content = blancco('<entry name="verification" type="string">100%</entry>', "")
    content = content.replace(b"2026-11-20T09:02:11+11:00", b"2026-11-20T09:02:11", 1)

    parsed = read_report(content)

    assert parsed.media[0].verification is Verification.NONE
    assert parsed.media[0].started_at is None
    assert [str(w) for w in parsed.warnings] == [
        "Effacement n° 1 : heure sans fuseau ou illisible, non reprise.",
        "Effacement n° 1 : le rapport ne dit pas comment l’effacement a été vérifié ; « non "
        "vérifié » retenu.",
    ]


def test_an_unknown_blancco_standard_is_refused_by_name() -> None:
    assert refusal(blancco("NIST 800-88 Purge", "Mystery Wipe 9000")) == (
        "Rapport XML de Blancco illisible : norme d’effacement inconnue « Mystery Wipe 9000 »"
    )


# --- hostile and broken -----------------------------------------------------------------------


def test_entity_expansion_and_external_entities_are_refused() -> None:
    expected = (
        "Rapport XML de Blancco illisible : le XML déclare une DTD ou des entités, refusées par "
        "sécurité"
    )
    assert refusal(billion_laughs()) == expected
    assert refusal(external_entity()) == expected


def test_truncated_files_are_refused_saying_where() -> None:
    assert refusal(sample("blancco_report.xml")[:300]).startswith(
        "Rapport XML de Blancco illisible : XML tronqué ou mal formé (ligne "
    )
    assert refusal(b'{"report_metadata": {') == (
        "Rapport JSON de nwipe illisible : JSON tronqué ou mal formé (ligne 1, colonne 22)"
    )
    assert refusal(nwipe_pdf_report()[:-400]) == (
        "Rapport PDF de nwipe illisible : PDF tronqué ou mal formé"
    )


def test_deeply_nested_json_is_refused_not_crashed() -> None:
    assert refusal(b"[" * 1_000_000) == (
        "Rapport JSON de nwipe illisible : JSON imbriqué trop profondément"
    )


def test_the_format_is_read_from_the_content_not_the_name() -> None:
    assert read_report(sample("blancco_report.xml"), "report.json").format is (
        ErasureReportFormat.BLANCCO_XML
    )
    assert read_report(b"\xef\xbb\xbf" + sample("nwipe_report.json"), "x.pdf").format is (
        ErasureReportFormat.NWIPE_JSON
    )
    assert refusal(b"PK\x03\x04 a zip") == (
        "Format de rapport non reconnu : déposez le rapport JSON ou PDF de nwipe, ou le rapport "
        "XML de Blancco."
    )


def test_the_size_limit_on_both_sides() -> None:
    report = sample("nwipe_report.json")
    at_limit = report + b" " * (MAX_REPORT_BYTES - len(report))

    assert len(read_report(at_limit).media) == 1
    assert refusal(at_limit + b" ") == "Rapport trop volumineux : 10 Mo au plus."


def test_at_most_32_media_on_both_sides() -> None:
    one = json.loads(sample("nwipe_report.json"))

    assert len(read_report(json.dumps([one] * 32).encode()).media) == 32
    assert refusal(json.dumps([one] * 33).encode()) == (
        "Rapport JSON de nwipe illisible : le rapport décrit 33 supports, 32 au plus"
    )
    assert (
        refusal(b"[]")
        == "Rapport JSON de nwipe illisible : le rapport ne décrit aucun support effacé"
    )


def test_a_control_character_in_a_serial_does_not_reach_the_record() -> None:
    report = json.loads(sample("nwipe_report.json"))
    report["device"]["serial_no"] = "AB\nC\x00D"

    assert read_report(json.dumps(report).encode()).media[0].serial == "AB C D"


# --- the wipe form ----------------------------------------------------------------------------


def test_form_fields_name_each_medium_s_inputs_as_the_wipe_form_posts_them() -> None:
    fields = form_fields(read_report(sample("nwipe_two_disks.json")).media)

    assert fields["media-0-serial"] == "S4ELNX0N912345"
    assert fields["media-0-kind"] == "nvme"
    assert fields["media-0-capacity_gb"] == "256.1"
    assert fields["media-0-started_at"] == "2026-11-20T09:01"  # Nouméa, datetime-local
    assert fields["media-1-result"] == "failed"
    assert fields["media-1-verification"] == "none"
    assert len(fields) == 20


def test_the_kept_pdf_sample_is_the_one_the_tests_draw() -> None:
    assert sample("nwipe_report.pdf") == nwipe_pdf_report()
    assert read_report(sample("nwipe_report.pdf")).media[0].serial == "WDEB7X1K"
