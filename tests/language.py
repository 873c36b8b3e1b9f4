"""Finding French left in an English page or document: any fixed piece of a French source string
whose English translation differs, found as it is in the text."""

from __future__ import annotations

import html
import re
import string
from functools import cache

from collecte.i18n.catalogs import read

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_TAGS = re.compile(r"<[^>]+>")


def normalised(text: str) -> str:
    """Text with every run of spaces (no-break ones included) as one space."""
    return _SPACES.sub(" ", text).strip()


@cache
def french_fragments() -> frozenset[str]:
    """The pieces of French source strings that an English text must not hold.

    A piece is what lies between two placeholders; it counts when it has a letter outside ASCII
    or at least two words and eight characters, and no English translation holds it as well
    (a brand, a unit, "NIST SP 800-88" read the same in both languages).
    """
    entries = [(str(e.id), e.string) for e in read("en") if e.id and isinstance(e.id, str)]
    english = " ".join(normalised(str(s)) for _, s in entries)
    pieces = set()
    for msgid, translation in entries:
        if normalised(msgid) == normalised(str(translation)):
            continue
        for literal, *_ in string.Formatter().parse(msgid):
            piece = normalised(literal).strip(" .:;,()«»—-")
            if len(piece) < 8 or piece in english:
                continue
            if not piece.isascii() or len(piece.split()) >= 2:
                pieces.add(piece)
    return frozenset(pieces)


def french_left_in(text: str, data: tuple[str, ...] = ()) -> list[str]:
    """The French pieces found in `text` (HTML or plain), longest first; `data` (names and
    addresses people typed, which stay as typed) is left out of the search."""
    plain = normalised(html.unescape(_TAGS.sub(" ", text)))
    attributes = normalised(html.unescape(text))
    for typed in data:
        plain = plain.replace(normalised(typed), " ")
        attributes = attributes.replace(normalised(typed), " ")
    return sorted(
        (piece for piece in french_fragments() if piece in plain or piece in attributes),
        key=len,
        reverse=True,
    )
