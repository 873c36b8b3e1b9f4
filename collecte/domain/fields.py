"""The words a person reads for each field of the API, as the forms show them. Pure.

A refusal names the field at fault twice: `extra.field` keeps the API's name for programs
(`reason`, `devices[3].brand`), and the sentence says the field's label in the reader's language
(« Motif », « Marque (appareil 4) »). Every sentence that names a field takes it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from collecte.i18n import N_, Message, msg

# A field's label, by its API name; a field of one row of a list is looked up as `list.name`
# first (`media.kind` is a medium's type, `kind` an organisation's).
FIELD_LABELS: Mapping[str, str] = {
    # Devices, as donors type or import them.
    "category": N_("Catégorie"),
    "brand": N_("Marque"),
    "model": N_("Modèle"),
    "serial_number": N_("N° de série"),
    "year": N_("Année"),
    "has_storage": N_("Stockage de données"),
    "condition": N_("État"),
    "estimated_value_xpf": N_("Valeur estimée (XPF)"),
    "weight_kg": N_("Poids (kg)"),
    "weight_estimated": N_("Poids estimé"),
    "tag": N_("Étiquette"),
    "tags": N_("Étiquettes"),
    "code": N_("Code scanné"),
    "csv": N_("Fichier CSV"),
    # Donations and pickups.
    "donor_id": N_("Donateur"),
    "devices": N_("Appareils"),
    "pickup_address": N_("Adresse d’enlèvement"),
    "notes": N_("Remarques"),
    "pickup_id": N_("Enlèvement"),
    "signature": N_("Signature"),
    "signature.name": N_("Nom du signataire"),
    "signature.image": N_("Signature dessinée"),
    # The data of lifecycle actions.
    "action": N_("Action"),
    "reconditioner_id": N_("Atelier"),
    "association_id": N_("Association"),
    "media": N_("Supports effacés"),
    "verified_by": N_("Vérifié par"),
    "destination": N_("Destination"),
    "method": N_("Méthode"),
    "tool": N_("Outil"),
    "verified": N_("Vérifié"),
    "storage_serials": N_("N° de série des supports"),
    "grade": N_("Grade"),
    "channel": N_("Filière de recyclage"),
    "treatment_operator_id": N_("Opérateur de traitement"),
    "bsd_number": N_("N° de bordereau de suivi des déchets (BSD)"),
    # Treatment operators, as the coordinator keeps them.
    "authorization_number": N_("N° d’autorisation (ICPE)"),
    "is_active": N_("Actif"),
    "received_by": N_("Reçu par"),
    "reason": N_("Motif"),
    "note": N_("Note"),
    # What a certificate prints besides the devices and organisations.
    "operator_name": N_("Opérateur"),
    "place": N_("Lieu"),
    # One erased medium (a row of `media`).
    "media.serial": N_("N° de série du support"),
    "media.kind": N_("Type de support"),
    "media.capacity_gb": N_("Capacité (Go)"),
    "media.technique": N_("Technique"),
    "media.tool": N_("Outil"),
    "media.tool_version": N_("Version de l’outil"),
    "media.started_at": N_("Début"),
    "media.ended_at": N_("Fin"),
    "media.result": N_("Résultat"),
    "media.verification": N_("Vérification"),
    # Organisations and accounts.
    "name": N_("Raison sociale"),
    "organization.kind": N_("Rôle"),  # an event's kind (security log) is another thing
    "short_name": N_("Nom court"),
    "ridet": N_("RIDET"),
    "email": N_("E-mail"),
    "phone": N_("Téléphone"),
    "address": N_("Adresse"),
    "city": N_("Commune"),
    "language": N_("Langue des certificats"),
    "organization_id": N_("Organisation"),
    "full_name": N_("Nom complet"),
    "password": N_("Mot de passe"),
    # The filters of a list of devices.
    "q": N_("Rechercher"),
    "status": N_("Statut"),
    "limit": N_("Nombre par page"),
    "donation_id": N_("Don"),
    # Labels.
    "format": N_("Support d’étiquettes"),
    "skip": N_("Positions déjà utilisées à sauter"),
    "count": N_("Nombre d’étiquettes"),
}

# How one row of a list is named, numbered from 1 as people count.
_ROW_LABELS: Mapping[str, str] = {
    "devices": N_("appareil {number}"),
    "media": N_("support {number}"),
    "tags": N_("étiquette {number}"),
    "storage_serials": N_("support {number}"),
}
_ROW = re.compile(r"^(?P<name>[a-z_]+)\[(?P<index>\d+)\]$")


def field_label(path: str | None) -> Message | str:
    """The words for the field at `path` (an API name, maybe dotted with row indices:
    `devices[3].brand` → « Marque (appareil 4) »); the name itself when it has none."""
    if not path:
        return ""
    parts = path.split(".")
    rows: list[Message] = []
    names: list[str] = []
    for part in parts:
        row = _ROW.match(part)
        if row is None:
            names.append(part)
            continue
        name = row.group("name")
        names.append(name)
        if name in _ROW_LABELS:
            rows.append(msg(_ROW_LABELS[name], number=int(row.group("index")) + 1))
    label = _label_of(names)
    if label is None:
        return path
    if not rows:
        return msg(label)
    return msg("{label} ({row})", label=msg(label), row=rows)


def _label_of(names: list[str]) -> str | None:
    """The label of the innermost field, in its list's context first (`media.kind`)."""
    if len(names) >= 2 and f"{names[-2]}.{names[-1]}" in FIELD_LABELS:
        return FIELD_LABELS[f"{names[-2]}.{names[-1]}"]
    return FIELD_LABELS.get(names[-1])
