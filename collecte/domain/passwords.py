"""The password policy: long enough, not too long, and not one of the commonly used ones.

Pure: the list of common passwords is data shipped by the `zxcvbn` package (the 30 000 most
frequent passwords of public leaks, as Dropbox's zxcvbn ranks them, MIT licence), read once.
"""

from __future__ import annotations

from functools import cache

from collecte.domain.errors import Invalid
from collecte.i18n import msg

MIN_LENGTH = 12
# Argon2 hashes any length, but a bound keeps a request from making it hash megabytes.
MAX_LENGTH = 256


@cache
def _common_passwords() -> frozenset[str]:
    # Imported on first use: the module holds several word lists (a few MB) besides this one.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """Whether `password` (any case, surrounding spaces ignored) is in the common list."""
    return password.strip().casefold() in _common_passwords()


def check_new_password(password: str, field: str = "password") -> None:
    """Raise Invalid, saying what to do, unless `password` may be chosen as a new password."""
    if len(password) < MIN_LENGTH:
        raise Invalid(
            msg(
                "Mot de passe trop court : choisissez-en un d’au moins {min} caractères "
                "(une phrase de quelques mots fait l’affaire).",
                min=MIN_LENGTH,
            ),
            field,
            code="password_too_short",
        )
    if len(password) > MAX_LENGTH:
        raise Invalid(
            msg(
                "Mot de passe trop long : {max} caractères au plus.",
                max=MAX_LENGTH,
            ),
            field,
            code="password_too_long",
        )
    if is_common(password):
        raise Invalid(
            msg(
                "Ce mot de passe figure parmi les plus utilisés : choisissez-en un autre, "
                "par exemple quelques mots sans rapport entre eux."
            ),
            field,
            code="password_too_common",
        )
