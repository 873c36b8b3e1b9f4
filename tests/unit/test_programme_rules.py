"""The programme's settings rules, without a database: the RIDET as New Caledonia writes it,
what a tax receipt on the DSF model lacks, the minimum erasure method, the environment's
defaults."""

from __future__ import annotations

import pytest

from collecte.domain import programme
from collecte.domain.erasure import check_wipe_minimum, decode_media
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import MethodClass, WipeMethod
from collecte.settings import load_settings


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("1234567", "1234567"), ("1234567.001", "1234567.001"), ("1234567 001", "1234567.001"),
     ("1234567001", "1234567.001"), ("", "")],
)  # fmt: skip
def test_a_ridet_is_written_as_new_caledonia_writes_it(typed: str, kept: str) -> None:
    assert programme.ridet(typed) == kept


@pytest.mark.parametrize("typed", ["123456", "12345678", "1234567.01", "1234567.0011", "A234567"])
def test_a_ridet_of_another_shape_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        programme.ridet(typed)

    assert refused.value.field == "ridet"


def test_a_tax_receipt_lacks_each_field_of_the_dsf_model_left_empty() -> None:
    complete = {"ridet": "1234567", "address": "Nouméa", "signatory_name": "M",
                "signatory_title": "P", "legal_mention": "L"}  # fmt: skip
    donor = {"ridet": "7654321", "address": "Païta"}

    assert programme.tax_receipt_gaps(complete, donor, signed=True) == []
    assert programme.tax_receipt_gaps({**complete, "ridet": " "}, {}, signed=False) == [
        "programme.ridet", "donor.ridet", "donor.address", "signature",
    ]  # fmt: skip


def test_a_wipe_below_the_minimum_is_refused_naming_its_field() -> None:
    overwrite = {"kind": "ssd", "technique": "overwrite", "tool": "t", "tool_version": "1",
                 "result": "erased", "verification": "full"}  # fmt: skip
    [medium] = decode_media([overwrite])

    check_wipe_minimum([medium], None, None)  # no minimum: anything
    check_wipe_minimum([medium], None, MethodClass.CLEAR)  # exactly the minimum
    check_wipe_minimum([], WipeMethod.DESTROY, MethodClass.DESTRUCT)
    with pytest.raises(Invalid) as below:
        check_wipe_minimum([medium], None, MethodClass.PURGE)
    with pytest.raises(Invalid) as shorthand:
        check_wipe_minimum([], WipeMethod.PURGE, MethodClass.DESTRUCT)

    assert below.value.field == "media[0].technique" and below.value.code == "erasure_below_minimum"
    assert below.value.extra == {"method": "clear", "minimum": "purge"}
    assert shorthand.value.field == "method"


def test_the_environment_gives_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTE_PROGRAMME_TAX_RECEIPTS_ELIGIBLE", "true")
    monkeypatch.setenv("COLLECTE_PROGRAMME_MINIMUM_ERASURE_METHOD", "purge")

    defaults = load_settings().programme

    assert defaults.tax_receipts_eligible is True
    assert defaults.minimum_erasure_method == "purge"
    assert defaults.legal_mention == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [("COLLECTE_PROGRAMME_TAX_RECEIPTS_ELIGIBLE", "maybe"),
     ("COLLECTE_PROGRAMME_MINIMUM_ERASURE_METHOD", "shred")],
)  # fmt: skip
def test_a_bad_default_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as stopped:
        load_settings()

    assert name in str(stopped.value)
