"""The values the API schema lists are the domain's: a new role or language updates both."""

from __future__ import annotations

import re
import typing

import pytest

from collecte.domain import tags, text
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import Role
from collecte.i18n import LANGUAGES
from collecte.web.schemas import CODE_PATTERN, TAG_PATTERN, Kind, Lang


def test_the_organisation_kinds_are_the_roles() -> None:
    assert set(typing.get_args(Kind)) == {role.value for role in Role}


def test_the_languages_are_those_collecte_speaks() -> None:
    assert set(typing.get_args(Lang)) == set(LANGUAGES)


@pytest.mark.parametrize(
    "code",
    ["7K3P9QXM", "7k3p-9qxm", " 7K3P 9QXM ", "7K3P-9QXM", "7K3P_9QXM", "7K3P.9QXM", "7k3p9qxl"],
)
def test_the_tag_pattern_admits_what_parsing_forgives(code: str) -> None:
    assert re.fullmatch(TAG_PATTERN, code)


@pytest.mark.parametrize("code", ["", "7K3P9QX", "7K3P9QXM0", "7K3P/9QXM", "7K3U9QXM"])
def test_the_tag_pattern_refuses_what_cannot_be_a_tag(code: str) -> None:
    assert not re.fullmatch(TAG_PATTERN, code)


def test_a_generated_tag_matches_the_pattern() -> None:
    assert re.fullmatch(TAG_PATTERN, tags.display(tags.generate()))


# Strings at the edges of the one-line rule: blanks of every kind, controls, separators.
EDGES = ["", " ", "\t", "\n", "\x1c", "\x85", "\xa0", "\u2028", "\u3000", "\ufeff", "a", "\x00"]


@pytest.mark.parametrize("before", EDGES)
@pytest.mark.parametrize("after", EDGES)
def test_the_line_patterns_admit_what_the_services_accept(before: str, after: str) -> None:
    for value in (before + after, before + "Dell" + after, "Dell" + before + after + "XPS"):
        try:
            kept = text.single_line("f", value)
        except Invalid:
            accepted = False
        else:
            accepted = True
        assert bool(re.fullmatch(text.SINGLE_LINE, value)) is accepted, repr(value)
        filled = accepted and kept is not None
        assert bool(re.fullmatch(text.FILLED_LINE, value)) is filled, repr(value)


@pytest.mark.parametrize(
    "code",
    [
        "7K3P9QXM",
        "HTTP://HOST:8000/D/7K3P9QXM",
        "http://h/d/7k3p-9qxm/?utm=1",
        "7K3P9QXM/?x",
        "a/b",
    ],
)
def test_the_code_pattern_admits_what_parsing_reads(code: str) -> None:
    try:
        tags.parse(code)
    except tags.TagError as error:
        readable = "contrôle" in error.message  # well formed, a wrong check character
    else:
        readable = True

    assert bool(re.fullmatch(CODE_PATTERN, code)) is readable
