"""Every French phrase the pages show has its English, and the vocabulary covers the enums."""

from __future__ import annotations

import re

import pytest

from collecte.domain.lifecycle import Action, Category, CertificateKind, Role, Status
from collecte.web.pages import i18n, rendering
from collecte.web.pages.errors import TITLES
from collecte.web.pages.i18n_en import EN

_PHRASE = re.compile(r"""_\((["'])(.+?)\1\)""")


def _template_phrases() -> set[str]:
    found = set()
    for path in rendering.TEMPLATES_DIR.rglob("*.html"):
        found |= {match.group(2) for match in _PHRASE.finditer(path.read_text())}
    return found


def test_every_template_phrase_has_its_english() -> None:
    phrases = _template_phrases()

    assert len(phrases) > 100
    assert sorted(phrases - EN.keys()) == []


def test_navigation_error_titles_and_vocabulary_have_their_english() -> None:
    nav = {label for links in rendering._NAV.values() for _, label in links}
    vocabulary = set()
    for table in (i18n.STATUS, i18n.ACTION, i18n.EVENT, i18n.CATEGORY, i18n.ROLE, i18n.CERTIFICATE):
        vocabulary |= set(table.values())

    missing = (nav | set(TITLES.values()) | vocabulary) - EN.keys()

    assert sorted(missing) == []


@pytest.mark.parametrize(
    ("table", "enum"),
    [
        (i18n.STATUS, Status),
        (i18n.ACTION, Action),
        (i18n.CATEGORY, Category),
        (i18n.ROLE, Role),
        (i18n.CERTIFICATE, CertificateKind),
    ],
)
def test_the_vocabulary_names_every_value(table: dict[str, str], enum: type) -> None:
    assert {member.value for member in enum} <= table.keys()


def test_words_fall_back_to_french() -> None:
    english, french = i18n.Words("en"), i18n.Words("fr")

    assert english.status("wiped") == "Data erased"
    assert french.status("wiped") == "Données effacées"
    assert english.text("Une phrase sans traduction") == "Une phrase sans traduction"
    assert i18n.Words("de").lang == "fr"
