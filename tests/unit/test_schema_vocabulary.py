"""The values the API schema lists are the domain's: a new role or language updates both."""

from __future__ import annotations

import re
import typing

import pytest

from collecte.domain import tags
from collecte.domain.vocabulary import Role
from collecte.i18n import LANGUAGES
from collecte.web.schemas import TAG_PATTERN, Kind, Lang


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
