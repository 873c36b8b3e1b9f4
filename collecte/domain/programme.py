"""The programme's own settings (name, operator, RIDET, signatory, legal mention, tax-receipt
eligibility, minimum erasure method): what a coordinator may type, what a tax receipt needs, and
which wipe falls short of the programme's minimum. Pure: no web, no database.

A donation attestation opens a tax credit in New Caledonia only when it follows the model of the
DSF (direction des services fiscaux) and its beneficiary holds a DSF ruling (rescrit): an order
number, the identity and address of the beneficiary and of the donor, the date, form and amount
of the gift, and the signatures of the beneficiary's representative and of the donor. The
beneficiary is the programme's operator, which receives the gift and gives it on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from collecte.domain import text
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import MethodClass
from collecte.i18n import N_, Message, msg

# The editable fields, in the order of the page and of the API.
FIELDS = (
    "name",
    "operator",
    "ridet",
    "address",
    "signatory_name",
    "signatory_title",
    "legal_mention",
    "tax_receipts_eligible",
    "minimum_erasure_method",
    "impact_note",
)
TEXT_FIELDS = tuple(f for f in FIELDS if f not in ("tax_receipts_eligible",))

LABELS: Mapping[str, str] = {
    "name": N_("Nom du programme"),
    "operator": N_("Organisme gestionnaire"),
    "ridet": N_("RIDET de l’organisme gestionnaire"),
    "address": N_("Adresse de l’organisme gestionnaire"),
    "signatory_name": N_("Nom du signataire"),
    "signatory_title": N_("Qualité du signataire"),
    "legal_mention": N_("Mention légale"),
    "tax_receipts_eligible": N_("Reçus fiscaux (rescrit de la DSF obtenu)"),
    "minimum_erasure_method": N_("Méthode d’effacement minimale"),
    "impact_note": N_("Hypothèses d’impact"),
}

NAME_MAX = 200
LINE_MAX = 200
LEGAL_MENTION_MAX, LEGAL_MENTION_LINES = 1000, 12  # what a certificate's note holds
IMPACT_NOTE_MAX, IMPACT_NOTE_LINES = text.NOTES_MAX, text.NOTES_LINES

# The RIDET as New Caledonia writes it: the company's 7 digits, then optionally its
# establishment's 3 ("1234567.001"); spaces or a dot between the two are forgiven.
_RIDET = re.compile(r"^([0-9]{7})(?:[ .]?([0-9]{3}))?$")


def label(field: str) -> Message:
    """The words for one of the settings."""
    return msg(LABELS[field])


def _say(sentence: str, field: str, **values: Any) -> Invalid:
    return Invalid(msg(sentence, field=label(field), **values), field)


def _line(field: str, value: Any, required: bool, max_length: int = LINE_MAX) -> str:
    """One line of text, stripped; a required one may not be blank."""
    if value is not None and not isinstance(value, str):
        raise _say(N_("Le champ « {field} » doit être un texte."), field)
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise _say(N_("Le champ « {field} » est obligatoire."), field)
    if text.has_control(cleaned):
        raise _say(
            N_(
                "Le champ « {field} » doit tenir sur une ligne, sans saut de ligne ni caractère de "
                "contrôle."
            ),
            field,
        )
    if len(cleaned) > max_length:
        raise _say(
            N_("Le champ « {field} » dépasse {max_length} caractères."),
            field,
            max_length=max_length,
        )
    return cleaned


def _lines(field: str, value: Any, max_length: int, max_lines: int) -> str:
    """A few lines of text; blank is allowed."""
    try:
        return text.multi_line(field, value, max_length, max_lines) or ""
    except Invalid as error:  # its sentence names the API field: say it with the setting's label
        raise _say(
            N_(
                "Le champ « {field} » doit être un texte d’au plus {max_lines} lignes et "
                "{max_length} caractères, sans caractère de contrôle."
            ),
            field,
            max_lines=max_lines,
            max_length=max_length,
        ) from error


def ridet(value: Any) -> str:
    """A RIDET (7 digits, optionally a dot and the 3 of the establishment), or empty."""
    cleaned = _line("ridet", value, required=False, max_length=20)
    if not cleaned:
        return ""
    found = _RIDET.match(cleaned)
    if found is None:
        raise _say(
            N_(
                "Le champ « {field} » doit compter 7 chiffres, suivis s’il y a lieu du point "
                "et des 3 chiffres de l’établissement (ex. 1234567.001)."
            ),
            "ridet",
        )
    company, establishment = found.groups()
    return f"{company}.{establishment}" if establishment else company


def minimum_method(value: Any) -> str:
    """A method class (clear, purge or destruct), or empty for no minimum."""
    if value is None or value == "":
        return ""
    try:
        return MethodClass(value).value
    except ValueError:
        raise _say(
            N_("Le champ « {field} » doit valoir clear, purge, destruct ou rester vide."),
            "minimum_erasure_method",
        ) from None


def eligible(value: Any) -> bool:
    """The tax-receipt eligibility, a true boolean."""
    if not isinstance(value, bool):
        raise _say(N_("Le champ « {field} » doit valoir true ou false."), "tax_receipts_eligible")
    return value


def parse(payload: object, current: Mapping[str, Any]) -> dict[str, Any]:
    """The settings after a change: each field given replaces the current one (absent: kept);
    every field is checked, a refusal names the first one at fault."""
    if not isinstance(payload, Mapping):
        raise Invalid(msg("Le corps de la requête doit être un objet JSON."), "data")
    unknown = sorted(str(key) for key in payload if key not in FIELDS)
    if unknown:
        raise Invalid(
            msg("Réglage inconnu : {names}.", names=", ".join(unknown)),
            unknown[0],
            code="unknown_field",
        )
    given = {**{f: current.get(f) for f in FIELDS}, **payload}
    return {
        "name": _line("name", given["name"], required=True, max_length=NAME_MAX),
        "operator": _line("operator", given["operator"], required=True, max_length=NAME_MAX),
        "ridet": ridet(given["ridet"]),
        "address": _lines("address", given["address"], text.ADDRESS_MAX, text.ADDRESS_LINES),
        "signatory_name": _line("signatory_name", given["signatory_name"], required=False),
        "signatory_title": _line("signatory_title", given["signatory_title"], required=False),
        "legal_mention": _lines(
            "legal_mention", given["legal_mention"], LEGAL_MENTION_MAX, LEGAL_MENTION_LINES
        ),
        "tax_receipts_eligible": eligible(given["tax_receipts_eligible"]),
        "minimum_erasure_method": minimum_method(given["minimum_erasure_method"]),
        "impact_note": _lines(
            "impact_note", given["impact_note"], IMPACT_NOTE_MAX, IMPACT_NOTE_LINES
        ),
    }


# --- tax receipts (the DSF model) --------------------------------------------------------------

# What a tax receipt prints, by the API name of the field at fault.
TAX_RECEIPT_FIELDS: Mapping[str, str] = {
    "programme.ridet": N_("le RIDET de l’organisme bénéficiaire (réglages du programme)"),
    "programme.address": N_("l’adresse de l’organisme bénéficiaire (réglages du programme)"),
    "programme.signatory_name": N_(
        "le nom du représentant de l’organisme bénéficiaire (réglages du programme)"
    ),
    "programme.signatory_title": N_(
        "la qualité du représentant de l’organisme bénéficiaire (réglages du programme)"
    ),
    "programme.legal_mention": N_("la mention légale (réglages du programme)"),
    "donor.ridet": N_("le RIDET du donateur"),
    "donor.address": N_("l’adresse du donateur"),
    "signature": N_("la signature du représentant du donateur"),
}


def tax_receipt_gaps(
    programme: Mapping[str, Any], donor: Mapping[str, Any], signed: bool
) -> list[str]:
    """What a tax receipt on the DSF model still lacks, by field (empty: it may be issued).
    `programme` and `donor` hold the fields by their API names; `signed`: the donor's
    representative signed."""
    missing = [
        f"programme.{name}"
        for name in ("ridet", "address", "signatory_name", "signatory_title", "legal_mention")
        if not str(programme.get(name) or "").strip()
    ]
    missing += [
        f"donor.{name}" for name in ("ridet", "address") if not str(donor.get(name) or "").strip()
    ]
    if not signed:
        missing.append("signature")
    return missing


def tax_receipt_refusal(missing: Sequence[str]) -> Invalid:
    """The refusal of a tax receipt that lacks fields of the DSF model, naming each."""
    return Invalid(
        msg(
            "Le programme délivre des reçus fiscaux (modèle de la DSF) : l’attestation de don ne "
            "peut être établie sans {missing}. Complétez-les puis recommencez.",
            missing=[msg(TAX_RECEIPT_FIELDS[name]) for name in missing],
        ),
        missing[0],
        code="tax_receipt_incomplete",
        missing=list(missing),
    )
