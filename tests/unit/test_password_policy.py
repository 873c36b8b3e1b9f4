"""The password policy: 12 to 256 characters, and not one of the commonly used ones."""

from __future__ import annotations

import pytest

from collecte.domain.errors import Invalid
from collecte.domain.passwords import MAX_LENGTH, MIN_LENGTH, check_new_password, is_common


def test_the_limits_are_twelve_and_two_hundred_fifty_six() -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (12, 256)


def test_eleven_characters_are_refused_twelve_accepted() -> None:
    with pytest.raises(Invalid) as refused:
        check_new_password("k7#vQ2!mZp9", "new")

    assert refused.value.code == "password_too_short"
    assert refused.value.field == "new"
    assert refused.value.message == (
        "Mot de passe trop court : choisissez-en un d’au moins 12 caractères "
        "(une phrase de quelques mots fait l’affaire)."
    )
    check_new_password("k7#vQ2!mZp9x")


def test_two_hundred_fifty_six_characters_are_accepted_257_refused() -> None:
    check_new_password("abcdefgh" * 32)

    with pytest.raises(Invalid) as refused:
        check_new_password("abcdefgh" * 32 + "z")

    assert refused.value.code == "password_too_long"
    assert refused.value.message == "Mot de passe trop long : 256 caractères au plus."


@pytest.mark.parametrize(
    "common", ["qwerty123456", "QWERTY123456", " 1qaz2wsx3edc ", "leavemealone"]
)
def test_a_common_password_is_refused_whatever_its_case(common: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_new_password(common)

    assert refused.value.code == "password_too_common"
    assert refused.value.field == "password"
    assert "parmi les plus utilisés : choisissez-en un autre" in refused.value.message


def test_the_list_is_the_shipped_one_not_a_few_typed_words() -> None:
    assert is_common("password") and is_common("123456")
    assert not is_common("la-pirogue-rouge-de-poindimié")
