"""Device tags: 8 characters of Crockford base32, the last one a check character.

Pure, standard library only. Seven random characters give 32⁷ ≈ 3.4 × 10¹⁰ tags, so guessing
one is hopeless and a clash (retried by the caller) is rare even at a million devices. The check
character is Luhn mod 32, which catches every single mistyped character and almost every swap
of two neighbours.
"""

from __future__ import annotations

import re
import secrets

from collecte.i18n import Message, msg

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
BODY_LENGTH = 7
TAG_LENGTH = BODY_LENGTH + 1
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
# Crockford's forgiving reading of look-alike characters.
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
# A label's QR holds `{public_url}/d/{TAG}`; any URL ending in /d/<tag> is accepted.
_URL_TAG = re.compile(r"/d/([^/?#]+)/?(?:[?#].*)?$", re.IGNORECASE)


class TagError(ValueError):
    """A code that is not a valid tag; `sentence` says why, for the person who typed it."""

    code = "invalid_tag"

    def __init__(self, sentence: Message) -> None:
        super().__init__(str(sentence))
        self.sentence = sentence

    @property
    def message(self) -> str:
        """The sentence in French (logs and tests)."""
        return str(self.sentence)


def check_character(body: str) -> str:
    """Return the Luhn mod 32 check character of `body` (Crockford characters)."""
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * _VALUE[char]
        addend = addend // 32 + addend % 32
        total += addend
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def is_valid(tag: str) -> bool:
    """Whether `tag` is a canonical tag with a correct check character."""
    return (
        len(tag) == TAG_LENGTH
        and all(char in _VALUE for char in tag)
        and check_character(tag[:-1]) == tag[-1]
    )


def generate() -> str:
    """Return a new random canonical tag (the caller retries on a clash)."""
    # One draw of five bits per character (32 letters): an import draws thousands of tags.
    bits = secrets.randbits(5 * BODY_LENGTH)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(BODY_LENGTH))
    return body + check_character(body)


def display(tag: str) -> str:
    """Return the tag as printed and read aloud: `7K3P-9QXM`."""
    return f"{tag[:4]}-{tag[4:]}"


def parse(code: str) -> str:
    """Return the canonical tag in `code`: a tag typed loosely, or a label's URL in any case.

    Case, spaces and dashes are forgiven, and I→1, L→1, O→0; a wrong check character is not.
    """
    text = code.strip()
    match = _URL_TAG.search(text)
    if match:
        text = match.group(1)
    elif "/" in text:
        raise TagError(msg("Ce code n’est ni une étiquette ni une adresse d’appareil (…/d/TAG)."))
    cleaned = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if len(cleaned) != TAG_LENGTH:
        raise TagError(
            msg(
                "Une étiquette compte {length} caractères (ex. 7K3P-9QXM) ; « {code} » en a "
                "{count}.",
                length=TAG_LENGTH,
                code=code.strip()[:40],
                count=len(cleaned),
            )
        )
    bad = sorted({char for char in cleaned if char not in _VALUE})
    if bad:
        raise TagError(
            msg("Caractère(s) impossible(s) dans une étiquette : {characters}.",
                characters=" ".join(bad))
        )  # fmt: skip
    if check_character(cleaned[:-1]) != cleaned[-1]:
        raise TagError(
            msg(
                "Étiquette « {tag} » invalide : le caractère de contrôle ne correspond pas "
                "(faute de frappe ?).",
                tag=display(cleaned),
            )
        )
    return cleaned
