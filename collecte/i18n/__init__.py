"""Words people read: written in French in the code, translated from gettext catalogs at the edge.

The code never builds a finished sentence for a person. It marks French source strings
(`N_("Enregistré")` for a word said later, `msg("Le champ « {field} » dépasse {max} caractères.",
field=…, max=…)` for a sentence with values) and the edge — an API error answer, a page, a
certificate, a label, an export — says them in the reader's language with `say(lang, …)`.
English comes from `collecte/locale/en/LC_MESSAGES/messages.po` (`make messages` extracts and
updates it); French is the source, so it needs no catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("fr", "en")
SOURCE_LANGUAGE = "fr"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"


def N_(msgid: str) -> str:
    """Mark `msgid` (French) for the catalogs; it is said later, in the reader's language."""
    return msgid


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence for a person: its French source and the values it names, said at the edge."""

    msgid: str
    values: tuple[tuple[str, Any], ...] = ()

    def render(self, language: str) -> str:
        """The sentence in `language` (French when the catalog has no translation)."""
        return say(language, self.msgid, **dict(self.values))

    def __str__(self) -> str:
        return self.render(SOURCE_LANGUAGE)


def msg(msgid: str, /, **values: Any) -> Message:
    """A sentence to say later: `msgid` is French with `{name}` placeholders for `values`."""
    return Message(msgid, tuple(values.items()))


def language_or_default(language: object) -> str:
    """`language` when it is one collecte speaks, else French."""
    return language if isinstance(language, str) and language in LANGUAGES else SOURCE_LANGUAGE


@cache
def _translations(language: str) -> Mapping[str, str | tuple[str, ...]]:
    """msgid → translation for `language`, from its catalog; fuzzy and empty entries skipped."""
    if language == SOURCE_LANGUAGE:
        return {}
    from babel.messages.pofile import read_po  # only where a catalog is read: the rules stay light

    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    found: dict[str, str | tuple[str, ...]] = {}
    for entry in catalog:
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, tuple):
            forms = tuple(str(s) for s in entry.string or ())
            if all(forms):
                found[str(entry.id[0])] = forms
        elif entry.string:
            found[str(entry.id)] = str(entry.string)
    return found


def gettext(language: str, msgid: str) -> str:
    """`msgid` in `language`, or `msgid` itself (French) when no translation is known."""
    found = _translations(language_or_default(language)).get(msgid)
    return found if isinstance(found, str) else msgid


def ngettext(language: str, singular: str, plural: str, count: int) -> str:
    """The form for `count`: French treats 0 and 1 as singular, English only 1."""
    language = language_or_default(language)
    one = count <= 1 if language == "fr" else count == 1
    found = _translations(language).get(singular)
    if isinstance(found, tuple) and len(found) >= 2:
        return found[0] if one else found[1]
    return singular if one else plural


def word(language: str, value: Any) -> str:
    """A value named in a sentence, in `language`: a Message is said, an enum by its label."""
    if isinstance(value, Message):
        return value.render(language)
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return gettext(language, label) if label else str(value.value)
    if isinstance(value, list | tuple):
        return ", ".join(word(language, item) for item in value)
    return str(value)


def say(language: str, text: str | Message, /, **values: Any) -> str:
    """`text` (a French msgid or a Message) in `language`, its `{placeholders}` filled."""
    if isinstance(text, Message):
        return text.render(language)
    translated = gettext(language, text)
    if not values:
        return translated
    return translated.format_map({name: word(language, v) for name, v in values.items()})


def catalog_messages(language: str) -> Iterable[str]:
    """Every msgid the catalog of `language` translates (for the tests)."""
    return _translations(language).keys()
