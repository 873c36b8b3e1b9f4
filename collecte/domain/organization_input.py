"""An organisation's details as the coordinator types them: checked and cleaned. Pure."""

from __future__ import annotations

import re
from typing import Any

from collecte.domain import text
from collecte.domain.errors import Invalid
from collecte.domain.fields import field_label
from collecte.domain.vocabulary import Role
from collecte.i18n import msg

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RIDET = re.compile(r"^[0-9][0-9 .]{5,13}$")
# What a coordinator may correct; the kind is the role of the organisation's users, so it stays.
EDITABLE = ("name", "short_name", "ridet", "email", "phone", "address", "city", "language")


def name(value: Any) -> str:
    """The legal name: one line, required."""
    cleaned = text.single_line("name", value, 200)
    if not cleaned:
        raise Invalid(
            msg("Le champ « {field} » est obligatoire.", field=field_label("name")), "name"
        )
    return cleaned


def kind(value: Any) -> Role:
    """The organisation's kind, which is its users' role."""
    try:
        return Role(str(value))
    except ValueError:
        kinds = ", ".join(r.value for r in Role)
        raise Invalid(
            msg(
                "Le champ « {field} » doit valoir l’un de : {kinds}.",
                field=field_label("organization.kind"),
                kinds=kinds,
            ),
            "kind",
        ) from None


def ridet(value: Any) -> str | None:
    """The New Caledonian company id, digits with dots or spaces."""
    cleaned = text.single_line("ridet", value, 20)
    if cleaned and not RIDET.match(cleaned):
        raise Invalid(msg("Le RIDET doit être composé de chiffres (ex. 1234567.001)."), "ridet")
    return cleaned


def email(value: Any) -> str | None:
    """A contact address."""
    cleaned = text.single_line("email", value, 254)
    if cleaned and not EMAIL.match(cleaned):
        raise Invalid(msg("Adresse e-mail invalide."), "email")
    return cleaned


def language(value: Any) -> str:
    """The language of its certificates (French unless told)."""
    chosen = value or "fr"
    if chosen not in ("fr", "en"):
        raise Invalid(
            msg("Le champ « {field} » doit valoir fr ou en.", field=field_label("language")),
            "language",
        )
    return str(chosen)


def clean(field: str, value: Any) -> Any:
    """The cleaned value of one editable field, or Invalid naming it."""
    if field == "name":
        return name(value)
    if field == "ridet":
        return ridet(value)
    if field == "email":
        return email(value)
    if field == "language":
        return language(value)
    if field == "address":
        return text.address("address", value)
    limits = {"short_name": 60, "phone": 40, "city": 100}
    return text.single_line(field, value, limits[field])
