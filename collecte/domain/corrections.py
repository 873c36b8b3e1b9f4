"""Corrections of typed data: which fields change, from what to what, and what may not. Pure.

A correction never rewrites history: the service appends an `edit` event that keeps each
field's old and new value, and issued certificates keep what they printed (they are stored
bytes). The values are checked by the same rules as at registration (`device_input`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from collecte.domain.device_input import parse_device
from collecte.domain.errors import Conflict, Invalid
from collecte.domain.vocabulary import Status
from collecte.i18n import N_, msg

# The fields a donor typed at registration and may correct; the tag is the device's identity.
DEVICE_FIELDS = (
    "category",
    "brand",
    "model",
    "serial_number",
    "year",
    "has_storage",
    "condition",
    "estimated_value_xpf",
    "weight_kg",
)
# Columns a correction may write: the fields, and whether the weight is a category default.
DEVICE_COLUMNS = (*DEVICE_FIELDS, "weight_estimated")

# How the device's history names each field ("Correction : marque Dell → HP").
FIELD_LABELS = {
    "category": N_("catégorie"),
    "brand": N_("marque"),
    "model": N_("modèle"),
    "serial_number": N_("numéro de série"),
    "year": N_("année"),
    "has_storage": N_("stockage de données"),
    "condition": N_("état"),
    "estimated_value_xpf": N_("valeur estimée (XPF)"),
    "weight_kg": N_("poids (kg)"),
    "weight_estimated": N_("poids estimé"),
    "name": N_("nom"),
    "short_name": N_("nom court"),
    "ridet": N_("RIDET"),
    "email": N_("e-mail"),
    "phone": N_("téléphone"),
    "address": N_("adresse"),
    "city": N_("commune"),
    "language": N_("langue des certificats"),
}


def check_patch(data: object, editable: tuple[str, ...], fixed: Mapping[str, Any]) -> None:
    """Refuse a body that is not an object, is empty, or names a field that cannot change.

    `fixed` maps fields known but not correctable to the sentence that says why.
    """
    if not isinstance(data, Mapping):
        raise Invalid(msg("Le corps doit être un objet JSON : les champs à corriger."), None)
    for name in data:
        if name in fixed:
            raise Invalid(fixed[name], name, code="not_editable")
        if name not in editable:
            raise Invalid(
                msg(
                    "Champ « {name} » inconnu (champs corrigeables : {known}).",
                    name=name,
                    known=", ".join(editable),
                ),
                str(name),
                code="unknown_field",
            )
    if not data:
        raise Invalid(
            msg("Rien à corriger : donnez au moins un champ ({known}).", known=", ".join(editable)),
            None,
        )


def device_changes(current: Mapping[str, Any], data: object) -> list[dict[str, Any]]:
    """The changes `data` makes to the device row `current`: `[{"field", "from", "to"}]`.

    Fields absent from `data` keep their value; null clears an optional field (a cleared weight
    or storage flag falls back to the category's default, as at registration). An empty list
    means nothing changes. Removing the storage flag of a device that has left the donor is
    refused: whether its data must be erased is no longer the donor's word.
    """
    check_patch(
        data,
        DEVICE_FIELDS,
        {"tag": msg("L’étiquette d’un appareil ne se corrige pas : c’est son identité.")},
    )
    assert isinstance(data, Mapping)
    merged = {name: current[name] for name in DEVICE_FIELDS}
    if current["weight_estimated"]:
        merged["weight_kg"] = None  # a default weight follows the category
    merged.update(data)
    parsed = asdict(parse_device(merged))
    parsed["category"] = parsed["category"].value
    changes = [
        {"field": name, "from": current[name], "to": parsed[name]}
        for name in DEVICE_COLUMNS
        if current[name] != parsed[name]
    ]
    status = Status(current["status"])
    if status is not Status.REGISTERED and any(
        change["field"] == "has_storage" and change["from"] and not change["to"]
        for change in changes
    ):
        raise Conflict(
            msg(
                "Le stockage de données ne peut plus être retiré : l’appareil est « {status} ». "
                "Son effacement est l’affaire de l’atelier.",
                status=status,
            ),
            "has_storage",
            code="storage_locked",
            current_status=status.value,
        )
    return changes
