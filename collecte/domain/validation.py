"""What msgspec says of bad input, as a sentence for a person naming the field at fault. Pure.

msgspec reports a refused value in English for programmers ("Expected `str` of length <= 200 -
at `$.tool`"); this reads those reports and says the same in the catalogs' words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collecte.domain.fields import field_label
from collecte.domain.text import FILLED_LINE, SINGLE_LINE, one_line_sentence
from collecte.i18n import N_, Message, msg

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`")
_LENGTH = re.compile(r"^Expected `(?P<kind>str|array|object)` of length (?P<op>[<>]=?) (?P<n>\d+)")
_BOUND = re.compile(r"^Expected `(?P<kind>int|float)` (?P<op>[<>]=?) (?P<n>[-\d.e+]+)")
_TYPE = re.compile(r"^Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`")
_ENUM = re.compile(r"^Invalid enum value (?P<value>.+)$")
_REGEX = re.compile(r"^Expected `str` matching regex")
_MOMENT = re.compile(r"^(Expected `datetime` with a timezone|Invalid RFC3339|Expected `datetime`,)")
# How msgspec quotes the one-line patterns in its report: the refusal then says "one line" (a
# required line is refused blank before its pattern is checked, so only a break is left).
_ONE_LINE = (repr(SINGLE_LINE), repr(FILLED_LINE))

_KINDS = {
    "str": N_("un texte"),
    "int": N_("un nombre entier"),
    "float": N_("un nombre"),
    "bool": N_("true ou false"),
    "array": N_("une liste"),
    "object": N_("un objet"),
    "datetime": N_("une date et heure"),
}
_OPERATORS = {
    ">=": N_("supérieur ou égal à"),
    ">": N_("supérieur à"),
    "<=": N_("inférieur ou égal à"),
    "<": N_("inférieur à"),
}


@dataclass(frozen=True)
class Problem:
    """One refused value: the field (a dotted path, '' for the whole body) and what is wrong."""

    field: str
    sentence: Message


def field_of(path: str) -> str:
    """`.devices[3].brand` → `devices[3].brand`; `.storage_serials[0]` → `storage_serials`."""
    path = path.lstrip(".")
    if path.endswith("]") and "[" in path:
        path = path[: path.rindex("[")]
    return path


def _number(text: str) -> str:
    value = float(text)
    return str(int(value)) if value.is_integer() else text


def describe(
    report: str, key: str | None = None, choices: Callable[[str], Sequence[str]] | None = None
) -> Problem:
    """The Problem in msgspec's `report`; `key` names the field when the report does not,
    `choices(field)` lists the values an enumerated field accepts."""
    at = _AT.search(report)
    field = field_of(at.group("path")) if at else (key or "")
    text = report[: at.start()] if at else report
    if missing := _MISSING.match(text):
        # The object at fault may be one of a list (`media[0]`): keep its index.
        where = at.group("path").lstrip(".") if at else field
        name = f"{where}.{missing.group('name')}" if where else missing.group("name")
        return Problem(name, msg("Le champ « {field} » est obligatoire.", field=field_label(name)))
    if not field:
        if want := _TYPE.match(text):
            kind = _KINDS.get(want.group("want"), want.group("want"))
            return Problem("", msg("Le corps de la requête doit être {kind}.", kind=msg(kind)))
        return Problem("", msg("Requête invalide : {detail}.", detail=text))
    label = field_label(field)
    if length := _LENGTH.match(text):
        n = int(length.group("n"))
        if length.group("kind") == "str":
            if length.group("op").startswith("<"):
                sentence = msg(
                    "Le champ « {field} » dépasse {max} caractères.",
                    field=label,
                    max=n,
                )
            else:
                sentence = msg(
                    "Le champ « {field} » doit compter au moins {min} caractères.",
                    field=label,
                    min=n,
                )
        elif length.group("op").startswith("<"):
            sentence = msg(
                "Le champ « {field} » compte plus de {max} éléments.",
                field=label,
                max=n,
            )
        else:
            sentence = msg(
                "Le champ « {field} » doit compter au moins {min} éléments.",
                field=label,
                min=n,
            )
        return Problem(field, sentence)
    if bound := _BOUND.match(text):
        return Problem(
            field,
            msg(
                "Le champ « {field} » doit être {comparison} {limit}.",
                field=label,
                comparison=msg(_OPERATORS[bound.group("op")]),
                limit=_number(bound.group("n")),
            ),
        )
    if _ENUM.match(text) and choices is not None:
        allowed = ", ".join(choices(field))
        return Problem(
            field, msg("Le champ « {field} » doit valoir l’un de : {allowed}.", field=label,
                       allowed=allowed)
        )  # fmt: skip
    if _MOMENT.match(text):
        return Problem(
            field,
            msg(
                "Le champ « {field} » doit être une date et heure avec son fuseau horaire "
                "(par exemple 2026-12-01T09:30:00+11:00).",
                field=label,
            ),
        )
    if _REGEX.match(text):
        if any(pattern in text for pattern in _ONE_LINE):
            return Problem(field, one_line_sentence(field))
        return Problem(
            field,
            msg(
                "Le champ « {field} » contient un caractère interdit (NUL).",
                field=label,
            ),
        )
    if want := _TYPE.match(text):
        kinds = [k for k in want.group("want").split(" | ") if k != "null"]
        kind = _KINDS.get(kinds[0], kinds[0]) if len(kinds) == 1 else " | ".join(kinds)
        return Problem(field, msg("Le champ « {field} » doit être {kind}.", field=label,
                                  kind=msg(kind)))  # fmt: skip
    return Problem(field, msg("Le champ « {field} » est invalide : {detail}.", field=label,
                              detail=text))  # fmt: skip
