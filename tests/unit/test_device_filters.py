"""The device list's parameters, read without a database: search terms, cursors, limits."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from collecte.domain import tags
from collecte.domain.clock import NOUMEA
from collecte.domain.device_filters import (
    Cursor,
    decode_cursor,
    parse_filters,
    prefix_range,
    search_terms,
)
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import Category, Status


def test_a_whole_tag_is_read_leniently() -> None:
    tag = "7K3P9QX" + tags.check_character("7K3P9QX")

    for typed in (tag, tags.display(tag), tags.display(tag).lower(), f" {tag[:4]} {tag[4:]} "):
        terms = search_terms(typed)
        assert terms.tag == tag and terms.tag_prefix == tag, typed


def test_a_tags_beginning_forgives_look_alikes() -> None:
    assert search_terms("7k3-p").tag_prefix == "7K3P"
    assert search_terms("oil").tag_prefix == "011"
    assert search_terms("7K3P").tag is None
    assert search_terms("UUU").tag_prefix is None  # U is not in the alphabet
    assert search_terms("SN-0001234567").tag_prefix is None  # longer than a tag


def test_lot_and_certificate_numbers_are_recognised_in_any_case() -> None:
    assert search_terms("lot-2026-00012").lot == "LOT-2026-00012"
    assert search_terms("eff-2026-00003").certificate == "EFF-2026-00003"
    assert search_terms("DON-2026-00003").certificate == "DON-2026-00003"
    assert search_terms("XYZ-2026-00003").certificate is None
    assert search_terms("LOT-2026-0012").lot is None
    assert search_terms("  Dell   Latitude ").text == "dell latitude"


def test_prefix_range_bounds_exactly_the_strings_that_begin_with_it() -> None:
    low, high = prefix_range("sn-12")

    assert low == "sn-12" and high == "sn-13"
    for inside in ("sn-12", "sn-12/7", "sn-129999"):
        assert low <= inside < high
    for outside in ("sn-1", "sn-13", "sn-2"):
        assert not low <= outside < high


def test_a_cursor_goes_and_comes_back() -> None:
    for cursor in (Cursor("after", 1), Cursor("before", 2**31 - 1)):
        assert decode_cursor(cursor.encode()) == cursor
    assert decode_cursor(None) is None and decode_cursor("  ") is None


@pytest.mark.parametrize(
    "raw", ["x", "YTA", "ejU", "!!", "YTU" * 10, "é", Cursor("after", 2**31).encode()]
)
def test_a_bad_cursor_names_the_parameter(raw: str) -> None:
    with pytest.raises(Invalid) as refused:
        decode_cursor(raw)

    assert refused.value.field == "cursor" and refused.value.code == "invalid_cursor"


def test_limit_is_1_to_200_and_50_by_default() -> None:
    assert parse_filters().limit == 50
    assert parse_filters(limit=1).limit == 1 and parse_filters(limit="200").limit == 200
    for bad in (0, 201, "201", "deux", True, -1):
        with pytest.raises(Invalid) as refused:
            parse_filters(limit=bad)
        assert refused.value.field == "limit"
        assert "de 1 à 200" in refused.value.message


def test_organisation_ids_are_1_to_2_31_minus_1() -> None:
    assert parse_filters(donor_id=1).donor_id == 1
    assert parse_filters(association_id=str(2**31 - 1)).association_id == 2**31 - 1
    for name in ("donor_id", "reconditioner_id", "association_id"):
        for bad in (0, 2**31, "un"):
            with pytest.raises(Invalid) as refused:
                parse_filters(**{name: bad})
            assert refused.value.field == name


def test_statuses_and_categories_repeat_or_come_comma_separated() -> None:
    filters = parse_filters(status=["collected,received", "collected"], category=["laptop"])

    assert filters.statuses == (Status.COLLECTED, Status.RECEIVED)
    assert filters.categories == (Category.LAPTOP,)
    with pytest.raises(Invalid) as refused:
        parse_filters(status=["perdu"])
    assert refused.value.field == "status" and "« perdu »" in refused.value.message


def test_q_is_200_characters_at_most() -> None:
    assert parse_filters(q="x" * 200).terms is not None
    assert parse_filters(q="   ").terms is None
    with pytest.raises(Invalid) as refused:
        parse_filters(q="x" * 201)
    assert refused.value.field == "q"


def test_from_and_to_are_whole_noumea_days() -> None:
    filters = parse_filters(start="2026-03-03", end="2026-03-04")

    assert filters.period.start == date(2026, 3, 3)
    assert filters.registered_from == datetime(2026, 3, 3, tzinfo=NOUMEA)
    assert filters.registered_before == datetime(2026, 3, 5, tzinfo=NOUMEA)
    with pytest.raises(Invalid) as refused:
        parse_filters(start="2026-03-05", end="2026-03-04")
    assert refused.value.field == "from"
