"""The catalogs: every word a person reads is extracted, translated, never fuzzy; the vocabulary
names every enumerated value once; the English catalog keeps each sentence's placeholders."""

from __future__ import annotations

import re
import string

import pytest

from collecte.domain.vocabulary import (
    Action,
    Category,
    CertificateKind,
    Destination,
    Labelled,
    Role,
    Status,
    WipeMethod,
    event_label,
)
from collecte.i18n import gettext, msg, ngettext, say
from collecte.i18n.catalogs import extract, read
from collecte.web.pages import i18n, rendering
from collecte.web.pages.errors import TITLES

_PHRASE = re.compile(r"""_\((["'])(.+?)\1\)""")
ENUMS: list[type[Labelled]] = [
    Role, Status, Action, Category, CertificateKind, WipeMethod, Destination
]  # fmt: skip


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_english_catalog_holds_every_extracted_string_translated_and_not_fuzzy() -> None:
    extracted = {m.id for m in extract() if m.id}
    catalog = read("en")
    entries = {m.id: m for m in catalog if m.id}

    missing = sorted(str(i) for i in extracted - entries.keys())
    untranslated = sorted(str(i) for i, m in entries.items() if not m.string or not all(m.string))
    fuzzy = sorted(str(i) for i, m in entries.items() if m.fuzzy)
    stale = sorted(str(i) for i in entries.keys() - extracted)

    assert missing == [], "run `make messages`, then translate"
    assert untranslated == []
    assert fuzzy == []
    assert stale == [], "run `make messages`: these strings are no longer in the code"


def test_every_template_phrase_is_extracted() -> None:
    extracted = {m.id for m in extract() if m.id}
    phrases = set()
    for path in rendering.TEMPLATES_DIR.rglob("*.html"):
        phrases |= {match.group(2) for match in _PHRASE.finditer(path.read_text())}

    assert len(phrases) > 100
    assert sorted(phrases - extracted) == []


def test_translations_keep_the_placeholders_of_their_source() -> None:
    for entry in read("en"):
        if entry.id and isinstance(entry.id, str):
            assert _placeholders(str(entry.string)) == _placeholders(entry.id), entry.id


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_value_has_one_label_translated(enum: type[Labelled]) -> None:
    labels = [member.label for member in enum]

    assert len(set(labels)) == len(labels), "one wording per value"
    for member in enum:
        assert member.label != member.value or enum in (Role,), member
        assert gettext("en", member.label) != member.label or member.label.isascii(), member


def test_the_navigation_titles_and_events_are_marked() -> None:
    extracted = {m.id for m in extract() if m.id}
    nav = {label for links in rendering._NAV.values() for _, label in links}
    events = {event_label("register"), *(action.done for action in Action)}

    assert sorted((nav | set(TITLES.values()) | events) - extracted) == []


def test_one_wording_per_concept() -> None:
    # The same category reads the same on pages, labels and certificates.
    assert Category.NETWORK.label == "Équipement réseau"
    assert gettext("en", Category.DESKTOP.label) == "Desktop computer"
    assert i18n.Words("en").category("network") == gettext("en", "Équipement réseau")


def test_words_fall_back_to_french() -> None:
    english, french = i18n.Words("en"), i18n.Words("fr")

    assert english.status("wiped") == "Data erased"
    assert french.status("wiped") == "Données effacées"
    assert english.text("Une phrase sans traduction") == "Une phrase sans traduction"
    assert i18n.Words("de").lang == "fr"


def test_a_message_is_said_at_the_edge_with_its_values_in_the_same_language() -> None:
    sentence = msg(
        "« {action} » impossible : l’appareil est « {status} »{should_be}.{hint}",
        action=Action.RECEIVE,
        status=Status.REGISTERED,
        should_be="",
        hint=msg(" Il faut d’abord « {step} ».", step=Action.COLLECT),
    )

    assert str(sentence) == (
        "« Réceptionner à l’atelier » impossible : l’appareil est « Enregistré ». "
        "Il faut d’abord « Collecter »."
    )
    assert sentence.render("en") == (
        "“Receive at the workshop” is not possible: the device is “Registered”. Do “Collect” first."
    )
    assert say(
        "en", "Ligne {line} : {problem}", line=3, problem=msg("Le fichier CSV est vide.")
    ) == ("Line 3: The CSV file is empty.")


def test_plural_forms_follow_each_language() -> None:
    assert ngettext("fr", "appareil", "appareils", 0) == "appareil"
    assert ngettext("fr", "appareil", "appareils", 2) == "appareils"
    assert ngettext("en", "device", "devices", 0) == "devices"
    assert ngettext("en", "device", "devices", 1) == "device"
