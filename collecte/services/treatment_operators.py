"""The treatment operators recycled devices are handed to: kept by the coordinator, chosen at
`recycle`.

An operator is deactivated, never deleted: old recyclings and certificates keep its name. While
the list is empty, `recycle` takes version 1's free-text `channel`; once it holds an operator,
the channel must be an active operator (by id, or by its name in `channel`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from collecte.db.tables import TreatmentOperator
from collecte.db.transactions import write_transaction
from collecte.domain import text
from collecte.domain.access import Principal, require_coordinator
from collecte.domain.actions import Recycle
from collecte.domain.clock import now
from collecte.domain.corrections import check_patch
from collecte.domain.errors import Conflict, Invalid, NotFound
from collecte.domain.fields import field_label
from collecte.i18n import msg

NAME_MAX = 200
AUTHORIZATION_MAX = 100
# An unknown channel's refusal lists the active operators, up to this many.
LISTED_MAX = 12


@dataclass(frozen=True)
class OperatorDetails:
    """What a recycling certificate prints of its operator."""

    name: str
    authorization_number: str | None = None
    address: str | None = None


def _key(name: str) -> str:
    """A name as compared: case, accents' composition and inner spaces forgiven."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def operator_view(row: dict[str, Any]) -> dict[str, Any]:
    """An operator as the API and the pages show it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "authorization_number": row["authorization_number"],
        "address": row["address"],
        "is_active": row["is_active"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def _rows(active_only: bool = False) -> list[dict[str, Any]]:
    query = TreatmentOperator.select().order_by(TreatmentOperator.name)
    if active_only:
        query = query.where(TreatmentOperator.is_active.eq(True))
    return list(await query)


async def list_operators(principal: Principal, active: bool | None = None) -> list[dict[str, Any]]:
    """Every operator by name, or only the active (or inactive) ones (coordinators only)."""
    require_coordinator(principal)
    rows = await _rows()
    return [operator_view(row) for row in rows if active is None or row["is_active"] is active]


async def active_operators() -> list[dict[str, Any]]:
    """The operators a recycling may name, by name (for the scanning forms)."""
    return [operator_view(row) for row in await _rows(active_only=True)]


def _name(value: Any) -> str:
    name = text.single_line("name", value, NAME_MAX)
    if name is None:
        raise Invalid(
            msg("Le champ « {field} » est obligatoire.", field=field_label("name")), "name"
        )
    return name


async def _check_unique(name: str, other_than: int | None = None) -> None:
    for row in await TreatmentOperator.select(TreatmentOperator.id, TreatmentOperator.name):
        if row["id"] != other_than and _key(row["name"]) == _key(name):
            raise Conflict(
                msg(
                    "Un opérateur de traitement s’appelle déjà « {name} » : modifiez-le plutôt "
                    "que d’en ajouter un second.",
                    name=row["name"],
                ),
                "name",
                code="duplicate_name",
            )


async def create_operator(principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Add an operator to the list (coordinators only)."""
    require_coordinator(principal)
    name = _name(data.get("name"))
    authorization = text.single_line(
        "authorization_number", data.get("authorization_number"), AUTHORIZATION_MAX
    )
    address = text.address("address", data.get("address"))
    async with write_transaction():
        await _check_unique(name)
        at = now()
        row = TreatmentOperator(
            name=name,
            authorization_number=authorization,
            address=address,
            is_active=True,
            created_at=at,
            updated_at=at,
        )
        await row.save()
    return operator_view(row.to_dict())


EDITABLE = ("name", "authorization_number", "address", "is_active")


async def update_operator(
    principal: Principal, operator_id: int, changes: object
) -> dict[str, Any]:
    """Edit an operator, or deactivate (reactivate) it (coordinators only); a field absent from
    `changes` is kept, a blank or null optional one is cleared."""
    require_coordinator(principal)
    check_patch(changes, EDITABLE, {})
    assert isinstance(changes, Mapping)
    columns: dict[Any, Any] = {}
    if "name" in changes:
        columns[TreatmentOperator.name] = _name(changes["name"])
    if "authorization_number" in changes:
        columns[TreatmentOperator.authorization_number] = text.single_line(
            "authorization_number", changes["authorization_number"], AUTHORIZATION_MAX
        )
    if "address" in changes:
        columns[TreatmentOperator.address] = text.address("address", changes["address"])
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise Invalid(
                msg("Le champ « {field} » doit valoir true ou false.",
                    field=field_label("is_active")),
                "is_active",
            )  # fmt: skip
        columns[TreatmentOperator.is_active] = changes["is_active"]
    async with write_transaction():
        found = (
            await TreatmentOperator.select(TreatmentOperator.id)
            .where(TreatmentOperator.id == operator_id)
            .first()
        )
        if found is None:
            raise NotFound(
                msg("Opérateur de traitement {id} introuvable.", id=operator_id),
                "treatment_operator_id",
            )
        if TreatmentOperator.name in columns:
            await _check_unique(columns[TreatmentOperator.name], other_than=operator_id)
        columns[TreatmentOperator.updated_at] = now()
        await TreatmentOperator.update(columns).where(TreatmentOperator.id == operator_id)
        row = await TreatmentOperator.select().where(TreatmentOperator.id == operator_id).first()
    assert row is not None
    return operator_view(row)


def _what_to_do(active: list[dict[str, Any]]) -> str:
    names = ", ".join(f"« {row['name']} »" for row in active[:LISTED_MAX])
    if len(active) > LISTED_MAX:
        names += ", …"
    return names


async def resolve(data: Recycle) -> tuple[Recycle, OperatorDetails | None]:
    """The recycling's operator, from the coordinator's list: `data` with `channel` set to its
    name and `treatment_operator_id` to its id, and what the certificate prints of it. While the
    list is empty, version 1's free-text channel is taken as it is. Invalid (422, naming the
    field) for an operator that is not an active one of the list."""
    rows = await _rows()
    if not rows and data.treatment_operator_id is None:
        return data, None
    active = [row for row in rows if row["is_active"]]
    chosen = None
    field = "channel"
    if data.treatment_operator_id is not None:
        field = "treatment_operator_id"
        chosen = next((row for row in active if row["id"] == data.treatment_operator_id), None)
        if (
            chosen is not None
            and data.channel is not None
            and _key(data.channel) != _key(chosen["name"])
        ):
            raise Invalid(
                msg(
                    "Le champ « {channel} » (« {given} ») ne nomme pas l’opérateur choisi "
                    "(« {name} ») : n’envoyez que l’un des deux.",
                    channel=field_label("channel"),
                    given=data.channel,
                    name=chosen["name"],
                ),
                "channel",
                code="unknown_treatment_operator",
            )
    else:
        assert data.channel is not None
        chosen = next((row for row in active if _key(row["name"]) == _key(data.channel)), None)
    if chosen is None:
        if not active:
            sentence = msg(
                "Aucun opérateur de traitement n’est actif : demandez à la coordination d’en "
                "ajouter ou d’en réactiver un, puis choisissez-le."
            )
        else:
            sentence = msg(
                "Le champ « {field} » ne désigne pas un opérateur de traitement actif. "
                "Choisissez l’un de : {names} ; ou demandez à la coordination d’ajouter le "
                "vôtre.",
                field=field_label(field),
                names=_what_to_do(active),
            )
        raise Invalid(sentence, field, code="unknown_treatment_operator")
    resolved = msgspec.structs.replace(
        data, channel=chosen["name"], treatment_operator_id=chosen["id"]
    )
    details = OperatorDetails(
        name=chosen["name"],
        authorization_number=chosen["authorization_number"],
        address=chosen["address"],
    )
    return resolved, details


async def details_of(data: Recycle) -> OperatorDetails | None:
    """What the certificate prints of an already resolved recycling's operator."""
    if data.treatment_operator_id is None:
        return None
    row = (
        await TreatmentOperator.select()
        .where(TreatmentOperator.id == data.treatment_operator_id)
        .first()
    )
    if row is None:
        return None
    return OperatorDetails(row["name"], row["authorization_number"], row["address"])
