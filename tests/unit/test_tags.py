"""Device tags: 8 Crockford base32 characters, the last a check character (DESIGN.md, Identifiers).

Lenient where people are (case, spaces, dashes, look-alike letters, the label's URL in any case),
strict where it matters: every mistyped character is caught.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from collecte.domain.tags import TagError, check_character, display, generate, is_valid, parse

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 32 characters: no I, L, O, U
assert len(CROCKFORD) == 32 and not set("ILOU") & set(CROCKFORD)

# Canonical tags whose check characters were computed once and are pinned here: labels already
# printed must keep scanning whatever happens to the code.
# fmt: off
KNOWN_TAGS = [
    "7K3P9QXZ",
    "10AB1C0H",  # holds 1s and 0s, for the look-alike tests
    "00000000",
    "ZZZZZZZ7",
    "11001ABV",
]
# fmt: on
TAG = "7K3P9QXZ"

# Every code below must read as TAG.
# fmt: off
LENIENT_SPELLINGS = [
    "7K3P9QXZ",
    "7k3p9qxz",
    "7K3P-9QXZ",
    "7k3p-9qxz",
    "  7K3P 9QXZ  ",
    "7K3P - 9QXZ",
    "7 K 3 P 9 Q X Z",
    "\t7K3P9QXZ\n",
    # the label's QR payload, and the same URL typed or lower-cased by a phone
    "HTTP://HOST:8000/D/7K3P9QXZ",
    "http://host:8000/d/7K3P9QXZ",
    "http://x/d/7k3p-9qxz",
    "https://collecte.opennc.nc/d/7K3P9QXZ",
    "http://x/d/7K3P9QXZ/",
    "http://x/d/7K3P9QXZ?utm_source=qr",
    "http://x/d/7K3P9QXZ/?a=1&b=2",
    "http://x/d/7K3P9QXZ#top",
    "  HTTP://HOST:8000/D/7K3P-9QXZ  ",
    "http://localhost:8000/prefix/d/7K3P9QXZ",
]
# fmt: on

# Codes that are not a tag at all; each must raise TagError with a French message.
# fmt: off
NOT_TAGS = [
    "",                              # nothing
    "   ",
    "7K3P9QX",                       # 7 characters
    "7K3P9QXZZ",                     # 9 characters
    "7K3P-9QX",
    "7K3U9QXZ",                      # U is not a Crockford character
    "U0000000",
    "7K3P9QX*",
    "7K3P9QXÉ",
    "http://x/e/7K3P9QXZ",           # not /d/
    "http://x/device/7K3P9QXZ",
    "http://x/7K3P9QXZ",
    "http://x/d/",
    "http://x/d/7K3P9QXZ/extra",
    "7K3P/9QXZ",
    "/",
]
# fmt: on

FRENCH = re.compile(r"étiquette", re.IGNORECASE)


def luhn_mod_32_is_valid(tag: str) -> bool:
    """Reference Luhn mod N validation (N = 32), written independently of the module."""
    total = 0
    for position, char in enumerate(reversed(tag)):
        value = CROCKFORD.index(char)
        if position % 2 == 1:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return total % 32 == 0


def random_tags(count: int, seed: int) -> list[str]:
    """Valid tags built from a seeded generator, so failures are reproducible."""
    rng = random.Random(seed)
    bodies = ("".join(rng.choice(CROCKFORD) for _ in range(7)) for _ in range(count))
    return [body + check_character(body) for body in bodies]


# --- generation ----------------------------------------------------------------------------


def test_generated_tags_are_8_crockford_characters_with_a_valid_check() -> None:
    for _ in range(2_000):
        tag = generate()
        assert len(tag) == 8
        assert set(tag) <= set(CROCKFORD), tag
        assert not set(tag) & set("ILOU")
        assert is_valid(tag)
        assert luhn_mod_32_is_valid(tag)
        assert parse(tag) == tag


def test_generated_tags_are_random() -> None:
    generated = [generate() for _ in range(10_000)]

    # 10,000 draws among 32⁷ bodies collide about once in 700 runs (the birthday bound): one
    # repeat is chance, two would be a broken generator.
    assert len(generated) - len(set(generated)) <= 1
    # Every body position takes every character (all but impossible by chance otherwise).
    for position in range(7):
        seen = Counter(tag[position] for tag in generated)
        assert set(seen) == set(CROCKFORD), position
        # …and none is badly favoured: the expectation is 10,000 / 32 ≈ 312.
        assert max(seen.values()) < 450, (position, seen.most_common(3))


def test_check_character_is_luhn_mod_32() -> None:
    for tag in random_tags(2_000, seed=1):
        assert luhn_mod_32_is_valid(tag)
    for tag in KNOWN_TAGS:
        assert check_character(tag[:-1]) == tag[-1]
        assert luhn_mod_32_is_valid(tag)


@pytest.mark.parametrize("tag", KNOWN_TAGS)
def test_known_tags_are_valid(tag: str) -> None:
    assert is_valid(tag)
    assert parse(tag) == tag


@pytest.mark.parametrize(
    "code", ["7k3p9qxz", "7K3P-9QXZ", "7K3P9QX", "7K3P9QXZZ", "7K3P9QXA", "7K3U9QXZ", ""]
)
def test_is_valid_accepts_only_canonical_tags(code: str) -> None:
    assert not is_valid(code)


# --- lenient parsing -----------------------------------------------------------------------


@pytest.mark.parametrize("code", LENIENT_SPELLINGS)
def test_parse_forgives_case_spaces_dashes_and_urls(code: str) -> None:
    assert parse(code) == TAG


# fmt: off
LOOKALIKES = [
    # typed,          read as
    ("IOAB1C0H",     "10AB1C0H"),
    ("LOAB1C0H",     "10AB1C0H"),
    ("10AB1CoH",     "10AB1C0H"),
    ("10ABiC0H",     "10AB1C0H"),
    ("10ABlC0H",     "10AB1C0H"),
    ("ioab-lcoh",    "10AB1C0H"),
    ("http://x/d/IOAB-LCOH", "10AB1C0H"),
    ("ll00lABV",     "11001ABV"),
    ("OOOOOOOO",     "00000000"),
]
# fmt: on


@pytest.mark.parametrize(("typed", "tag"), LOOKALIKES)
def test_parse_reads_lookalike_letters_as_digits(typed: str, tag: str) -> None:
    assert parse(typed) == tag


# --- strict parsing ------------------------------------------------------------------------


@pytest.mark.parametrize("code", NOT_TAGS)
def test_parse_rejects_what_is_not_a_tag_in_french(code: str) -> None:
    with pytest.raises(TagError) as caught:
        parse(code)
    assert FRENCH.search(str(caught.value)), str(caught.value)


def test_tag_error_is_a_value_error() -> None:
    assert issubclass(TagError, ValueError)


def test_wrong_length_message_says_how_many_characters() -> None:
    with pytest.raises(TagError) as caught:
        parse("7K3P-9QX")
    assert "8 caractères" in str(caught.value)
    assert "7" in str(caught.value)


def test_forbidden_character_message_names_it() -> None:
    with pytest.raises(TagError) as caught:
        parse("7K3U9QXZ")
    assert "U" in str(caught.value)


def test_wrong_check_character_message_shows_the_tag() -> None:
    with pytest.raises(TagError) as caught:
        parse("7k3p9qxa")
    assert "7K3P-9QXA" in str(caught.value)
    assert "contrôle" in str(caught.value)


@pytest.mark.parametrize("tag", [*KNOWN_TAGS, *random_tags(200, seed=2)])
def test_every_single_character_substitution_is_rejected(tag: str) -> None:
    """Exhaustive: each position, replaced by each other Crockford character."""
    for position in range(len(tag)):
        for char in CROCKFORD:
            if char == tag[position]:
                continue
            typo = tag[:position] + char + tag[position + 1 :]
            assert not is_valid(typo), typo
            with pytest.raises(TagError):
                parse(typo)


def test_adjacent_transpositions_are_almost_always_rejected() -> None:
    swaps = caught = 0
    for tag in random_tags(5_000, seed=3):
        for position in range(len(tag) - 1):
            first, second = tag[position], tag[position + 1]
            if first == second:
                continue  # swapping equal characters changes nothing
            swapped = tag[:position] + second + first + tag[position + 2 :]
            swaps += 1
            try:
                parse(swapped)
            except TagError:
                caught += 1
    assert swaps > 30_000
    assert caught / swaps >= 0.90, f"only {caught / swaps:.1%} of swaps detected"


# --- display -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "shown"),
    [("7K3P9QXZ", "7K3P-9QXZ"), ("00000000", "0000-0000"), ("10AB1C0H", "10AB-1C0H")],
)
def test_display_splits_in_two_groups_of_four(tag: str, shown: str) -> None:
    assert display(tag) == shown
    assert parse(shown) == tag


def test_display_round_trips_generated_tags() -> None:
    for _ in range(500):
        tag = generate()
        shown = display(tag)
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", shown)
        assert parse(shown) == tag
        assert parse(shown.lower()) == tag
