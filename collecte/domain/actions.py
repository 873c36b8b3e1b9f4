"""One typed struct per lifecycle action: the data it takes, its enums and bounds, in one place.

The API documents the union of these structs (tagged by `action`), the pages build their forms
from them, the services apply them, the certificates read them. Decoding is lenient where people
are (spaces trimmed, blank means absent, enum values in any case) and strict on types. Pure.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from collecte.domain import tags
from collecte.domain.erasure import (
    MAX_MEDIA,
    Medium,
    MediumRecord,
    record_of,
    shorthand_records,
)
from collecte.domain.errors import Invalid
from collecte.domain.fields import field_label
from collecte.domain.lifecycle import InvalidData, parse_action
from collecte.domain.signature import Signature, parse_signature
from collecte.domain.text import FILLED_LINE, SINGLE_LINE, WHITESPACE
from collecte.domain.validation import describe
from collecte.domain.vocabulary import Action, Destination, Grade, Labelled, Role, WipeMethod
from collecte.i18n import N_, msg

TEXT_MAX = 200
MAX_STORAGE_SERIALS = 32
MAX_WEIGHT_KG = 1000
# A waste tracking slip number (BSD) as printed on the slip: letters, digits, spaces and - / . _
BSD_MAX = 60
_BSD = r"[0-9A-Za-z](?:[0-9A-Za-z ./_-]*[0-9A-Za-z])?"
BSD_PATTERN = re.compile(_BSD)
# As the document states it (spaces around forgiven, blank is absent); decoding checks one line
# and `Recycle.check` the characters, so the refusal says what a slip number holds.
BSD_SCHEMA_PATTERN = rf"^[{WHITESPACE}]*(?:{_BSD})?[{WHITESPACE}]*$"
# Database integer keys are 32-bit; a larger id is bad input, not a database error.
MAX_ID = 2_147_483_647
# Texts are one line (`SINGLE_LINE`): no NUL (PostgreSQL refuses it), no line break or control
# character (it would break documents); refused at the door, naming the field.


Serial = Annotated[str, Meta(max_length=TEXT_MAX, pattern=SINGLE_LINE)]


def _form(label: str, **more: Any) -> dict[str, Any]:
    """What a form shows for a field (`label`, a French msgid; `organization`, the kind an id
    names; `placeholder`…): kept in `Meta.extra`, out of the OpenAPI document."""
    return {"label": label, **more}


class ActionData(Struct, kw_only=True, tag_field="action", forbid_unknown_fields=False):
    """What every action's data shares: the `action` tag, and where it leads on the device."""

    def check(self) -> None:
        """Raise InvalidData for what the fields' own bounds cannot say (across fields)."""

    def event_data(self, device: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What the custody log records of this action on `device` (every field, `action`
        aside)."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        data.pop("action", None)
        return data

    def device_changes(self) -> dict[str, Any]:
        """The device's fields this action sets, beyond its status and dates."""
        return {}

    @property
    def action(self) -> Action:
        """The lifecycle action this data is for."""
        return Action(str(self.__struct_config__.tag))


class Collect(ActionData, tag="collect"):
    """Take a registered device from the donor: to a reconditioner (a reconditioner collecting
    for itself may omit it)."""

    reconditioner_id: (
        Annotated[
            int,
            Meta(
                ge=1,
                le=MAX_ID,
                extra=_form(
                    N_("Atelier de destination"),
                    organization=Role.RECONDITIONER,
                    unassigned_hint=N_("L’appareil sera confié à votre atelier."),
                ),
            ),
        ]
        | None
    ) = None
    # The pickup the device joins; without one, the open pickup of its donation for that
    # workshop (opened on the fly). Not offered in forms: the pages collect into the open one.
    pickup_id: (
        Annotated[
            int,
            Meta(
                ge=1,
                le=MAX_ID,
                extra=_form(
                    N_("Enlèvement"),
                    hidden=True,
                    history_from="pickup",  # the event records the pickup's number
                    said=N_("Enlèvement {value}"),
                ),
            ),
        ]
        | None
    ) = None

    def event_data(self, device: Mapping[str, Any] | None = None) -> dict[str, Any]:
        # The pickup is recorded by the service, with its number, once it is known.
        data = super().event_data(device)
        data.pop("pickup_id", None)
        return data

    def device_changes(self) -> dict[str, Any]:
        return {"reconditioner": self.reconditioner_id}


class Receive(ActionData, tag="receive"):
    """The destination workshop receives a collected device."""


class Wipe(ActionData, tag="wipe"):
    """Erase the device's storage: one record per medium (technique, tool and version, result,
    verification), and who checked it. Version 1's `method`, `tool`, `verified` and
    `storage_serials` stay accepted as a shorthand for one medium per serial."""

    media: Annotated[
        list[Medium],
        Meta(max_length=MAX_MEDIA, extra=_form(N_("Supports effacés"))),
    ] = []
    verified_by: (
        Annotated[
            str,
            Meta(
                max_length=TEXT_MAX,
                pattern=SINGLE_LINE,
                extra=_form(N_("Vérifié par (seconde personne, facultatif)"), autocomplete="name"),
            ),
        ]
        | None
    ) = None
    destination: (
        Annotated[Destination, Meta(extra=_form(N_("Destination"), empty=N_("— non précisée —")))]
        | None
    ) = None
    # Version 1's shorthand: not in the forms, still in the API.
    method: Annotated[WipeMethod, Meta(extra=_form(N_("Méthode"), hidden=True))] | None = None
    tool: (
        Annotated[
            str,
            Meta(max_length=TEXT_MAX, pattern=SINGLE_LINE, extra=_form(N_("Outil"), hidden=True)),
        ]
        | None
    ) = None
    verified: Annotated[bool, Meta(extra=_form(N_("Vérifié"), hidden=True))] | None = None
    storage_serials: Annotated[
        list[Serial],
        Meta(
            max_length=MAX_STORAGE_SERIALS,
            extra=_form(N_("Supports"), hidden=True),
            # Litestar documents a list's bounds, not its items' constraints: given here.
            extra_json_schema={
                "extra": {
                    "items": {"type": "string", "maxLength": TEXT_MAX, "pattern": SINGLE_LINE}
                }
            },
        ),
    ] = []

    def check(self) -> None:
        if self.media:
            shorthand = [f for f in ("method", "tool", "verified") if getattr(self, f) is not None]
            if shorthand or self.storage_serials:
                raise InvalidData(
                    msg(
                        "Décrivez les supports effacés soit un par un (« {media} »), soit par "
                        "« {method} », « {tool} » et « {verified} », pas les deux.",
                        media=field_label("media"),
                        method=field_label("method"),
                        tool=field_label("tool"),
                        verified=field_label("verified"),
                    ),
                    "media",
                )
            seen: set[str] = set()
            for index, medium in enumerate(self.media):
                field = f"media[{index}]"
                if medium.serial is not None and medium.serial in seen:
                    raise InvalidData(
                        msg("Le support {serial} figure deux fois.", serial=medium.serial),
                        f"{field}.serial",
                    )
                seen.add(medium.serial or "")
                if medium.started_at and medium.ended_at and medium.ended_at < medium.started_at:
                    raise InvalidData(
                        msg(
                            "La fin de l’effacement du support {number} précède son début.",
                            number=index + 1,
                        ),
                        f"{field}.ended_at",
                    )
            return
        shorthand = [f for f in ("method", "tool", "verified") if getattr(self, f) is not None]
        if not shorthand and not self.storage_serials:
            raise InvalidData(
                msg(
                    "Décrivez au moins un support effacé (« {media} » : un par support, avec sa "
                    "technique, son résultat et sa vérification).",
                    media=field_label("media"),
                ),
                "media",
            )
        for field in ("method", "tool", "verified"):
            if getattr(self, field) is None:
                raise InvalidData(
                    msg(
                        "Le champ « {field} » est obligatoire (ou décrivez chaque support dans "
                        "« {media} »).",
                        media=field_label("media"),
                        field=field_label(field),
                    ),
                    field,
                )

    def records(self, device_serial: str) -> list[MediumRecord]:
        """The media records for one device (`device_serial`: its own, for media without one)."""
        if self.media:
            return [record_of(medium, device_serial) for medium in self.media]
        assert self.method is not None and self.tool is not None and self.verified is not None
        return shorthand_records(
            self.method, self.tool, self.verified, self.storage_serials, device_serial
        )

    def event_data(self, device: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The records of this device's media, who checked them, and where the device goes;
        a shorthand wipe keeps its version 1 fields too, for the clients that read them."""
        data: dict[str, Any] = {}
        if not self.media:
            assert self.method is not None
            data = {
                "method": self.method.value,
                "tool": self.tool,
                "verified": self.verified,
                "storage_serials": list(self.storage_serials),
            }
        return {
            **data,
            "media": [record.as_data() for record in self.records(own_serial(device))],
            "verified_by": self.verified_by,
            "destination": self.destination.value if self.destination else None,
        }


class Refurbish(ActionData, tag="refurbish"):
    """Grade a wiped device (or one without storage) ready for reuse."""

    grade: Annotated[
        Grade, Meta(extra=_form(N_("Grade"), layout="grades", said=N_("Grade {value}")))
    ]
    notes: (
        Annotated[
            str,
            Meta(
                max_length=TEXT_MAX, pattern=SINGLE_LINE, extra=_form(N_("Remarques (facultatif)"))
            ),
        ]
        | None
    ) = None

    def device_changes(self) -> dict[str, Any]:
        return {"grade": self.grade.value}


class Recycle(ActionData, tag="recycle"):
    """Hand a device to a treatment operator; a weight measured there replaces the estimate.

    The operator is one of the coordinator's list (`treatment_operator_id`, or `channel` naming
    it, as version 1 sends it); while that list is empty, `channel` is free text as in version 1.
    `bsd_number` is the waste tracking slip (bordereau de suivi des déchets) the devices left with.
    """

    channel: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=TEXT_MAX,
                pattern=FILLED_LINE,
                # Optional for the API (the id may name the operator instead), asked by forms.
                extra=_form(N_("Filière de recyclage"), options="treatment_operators", asked=True),
            ),
        ]
        | None
    ) = None
    treatment_operator_id: (
        Annotated[
            int, Meta(ge=1, le=MAX_ID, extra=_form(N_("Opérateur de traitement"), hidden=True))
        ]
        | None
    ) = None
    bsd_number: (
        Annotated[
            str,
            Meta(
                max_length=BSD_MAX,
                pattern=SINGLE_LINE,
                extra_json_schema={"extra": {"pattern": BSD_SCHEMA_PATTERN}},
                extra=_form(
                    N_("N° de bordereau de suivi des déchets (BSD, facultatif)"),
                    said=N_("BSD {value}"),
                ),
            ),
        ]
        | None
    ) = None
    weight_kg: (
        Annotated[
            float,
            Meta(
                gt=0,
                le=MAX_WEIGHT_KG,
                extra=_form(N_("Poids pesé (kg, facultatif)"), said=N_("{value} kg")),
                # Litestar leaves a bound of 0 out of the document: restated.
                extra_json_schema={"extra": {"exclusiveMinimum": 0}},
            ),
        ]
        | None
    ) = None

    def check(self) -> None:
        if self.channel is None and self.treatment_operator_id is None:
            raise InvalidData(
                msg(
                    "Le champ « {field} » est obligatoire : choisissez l’opérateur de "
                    "traitement à qui les appareils sont remis.",
                    field=field_label("channel"),
                ),
                "channel",
            )
        if self.bsd_number is not None and not BSD_PATTERN.fullmatch(self.bsd_number):
            raise InvalidData(
                msg(
                    "Le champ « {field} » ne peut contenir que des lettres, des chiffres, des "
                    "espaces et les signes - / . _ : recopiez le numéro tel qu’il figure sur le "
                    "bordereau.",
                    field=field_label("bsd_number"),
                ),
                "bsd_number",
            )

    def event_data(self, device: Mapping[str, Any] | None = None) -> dict[str, Any]:
        # Version 1's record (`channel`, `weight_kg`), and the operator and slip where given.
        data = super().event_data(device)
        for name in ("treatment_operator_id", "bsd_number"):
            if data.get(name) is None:
                data.pop(name, None)
        return data

    def device_changes(self) -> dict[str, Any]:
        if self.weight_kg is None:
            return {}
        return {"weight_kg": float(self.weight_kg), "weight_estimated": False}


class Allocate(ActionData, tag="allocate"):
    """Give a refurbished device to an association."""

    association_id: Annotated[
        int,
        Meta(ge=1, le=MAX_ID, extra=_form(N_("Association"), organization=Role.ASSOCIATION)),
    ]

    def device_changes(self) -> dict[str, Any]:
        return {"association": self.association_id}


class SignatureData(Struct, kw_only=True, forbid_unknown_fields=False):
    """A signature given on a screen: the signer's name, and the PNG data URL their finger drew
    (checked as a pickup close checks it, by `collecte.domain.signature`)."""

    name: Annotated[str, Meta(max_length=TEXT_MAX)] | None = None
    image: str | None = None


class ConfirmReceipt(ActionData, tag="confirm_receipt"):
    """The association confirms it received the device; its representative signs the receipt
    (the name typed, and a drawing where the screen allows). Version 1's `received_by` alone
    stays accepted as the typed name."""

    received_by: (
        Annotated[
            str,
            Meta(
                max_length=TEXT_MAX,
                pattern=SINGLE_LINE,
                extra=_form(
                    N_("Reçu par (nom, facultatif)"),
                    autocomplete="name",
                    said=N_("Reçu par {value}"),
                ),
            ),
        ]
        | None
    ) = None
    signature: (
        Annotated[
            SignatureData,
            Meta(
                extra=_form(
                    N_("Signature du représentant de l’association"),
                    layout="signature",
                    said=N_("Signé par {value}"),
                )
            ),
        ]
        | None
    ) = None

    def check(self) -> None:
        self.signed()

    def signed(self) -> Signature:
        """The representative's signature, checked: `signature`, else version 1's
        `received_by` as the typed name; InvalidData naming the field otherwise."""
        if self.signature is None and self.received_by is None:
            raise InvalidData(
                msg(
                    "Le champ « {field} » est obligatoire : le nom du représentant de "
                    "l’association qui signe l’attestation de réception.",
                    field=field_label("signature"),
                ),
                "signature",
            )
        given = (
            {"name": self.received_by}
            if self.signature is None
            else msgspec.to_builtins(self.signature)
        )
        try:
            return parse_signature(given)
        except Invalid as error:  # said as every other refusal of an action's data
            raise InvalidData(error.sentence, error.field) from None

    def event_data(self, device: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Who received and who signed; the drawing itself stays on the certificate only.
        Version 1's `received_by` alone is recorded as version 1 recorded it."""
        signed = self.signed()
        if self.signature is None:
            return {"received_by": self.received_by}
        return {
            "received_by": self.received_by,
            "signature": {"name": signed.name, "drawn": signed.image is not None},
        }


class Withdraw(ActionData, tag="withdraw"):
    """The donor keeps a device after all."""

    reason: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=TEXT_MAX,
            pattern=FILLED_LINE,
            extra=_form(N_("Motif du retrait")),
        ),
    ]


def _reason(label: str) -> Any:
    """A required one-line reason, at most TEXT_MAX characters, under `label` in forms."""
    return Annotated[
        str, Meta(min_length=1, max_length=TEXT_MAX, pattern=FILLED_LINE, extra=_form(label))
    ]


def _workshop(label: str) -> Any:
    """A required reconditioner id, under `label` in forms."""
    return Annotated[
        int, Meta(ge=1, le=MAX_ID, extra=_form(label, organization=Role.RECONDITIONER))
    ]


class Deallocate(ActionData, tag="deallocate"):
    """The coordinator takes back an allocation (a wrong association, a change of plan)."""

    reason: _reason(N_("Motif de l’annulation"))  # type: ignore[valid-type]

    def device_changes(self) -> dict[str, Any]:
        return {"association": None}


class Refuse(ActionData, tag="refuse"):
    """The allocated association declines the device; it goes back to the workshop's stock."""

    reason: _reason(N_("Motif du refus"))  # type: ignore[valid-type]

    def device_changes(self) -> dict[str, Any]:
        return {"association": None}


class ReportMissing(ActionData, tag="report_missing"):
    """The holder cannot find the device."""

    reason: _reason(N_("Circonstances"))  # type: ignore[valid-type]


class Found(ActionData, tag="found"):
    """A missing device turns up: it takes back the status it had."""

    note: (
        Annotated[
            str,
            Meta(max_length=TEXT_MAX, pattern=SINGLE_LINE, extra=_form(N_("Note (facultatif)"))),
        ]
        | None
    ) = None


class Return(ActionData, tag="return"):
    """A delivered device comes back from the association to a workshop (broken, unused…);
    it must be received and wiped again before it is reused."""

    reason: _reason(N_("Motif du retour"))  # type: ignore[valid-type]
    reconditioner_id: _workshop(N_("Atelier qui le reprend"))  # type: ignore[valid-type]

    def device_changes(self) -> dict[str, Any]:
        # No longer counted as delivered; a `revert` of the return restores the date.
        return {"reconditioner": self.reconditioner_id, "association": None, "delivered_at": None}


class Transfer(ActionData, tag="transfer"):
    """A workshop hands a device over to another one, which then receives it."""

    reconditioner_id: _workshop(N_("Atelier de destination"))  # type: ignore[valid-type]

    def device_changes(self) -> dict[str, Any]:
        return {"reconditioner": self.reconditioner_id}


class Revert(ActionData, tag="revert"):
    """The coordinator undoes the device's last step (a wrong scan): the device takes back the
    status it had, and a certificate that step issued is superseded or revoked."""

    reason: _reason(N_("Motif de l’annulation"))  # type: ignore[valid-type]


AnyAction = (
    Collect
    | Receive
    | Wipe
    | Refurbish
    | Recycle
    | Allocate
    | ConfirmReceipt
    | Withdraw
    | Deallocate
    | Refuse
    | ReportMissing
    | Found
    | Return
    | Transfer
    | Revert
)
STRUCTS: Mapping[Action, type[ActionData]] = {
    Action(str(cls.__struct_config__.tag)): cls
    for cls in (
        Collect,
        Receive,
        Wipe,
        Refurbish,
        Recycle,
        Allocate,
        ConfirmReceipt,
        Withdraw,
        Deallocate,
        Refuse,
        ReportMissing,
        Found,
        Return,
        Transfer,
        Revert,
    )
}


def _cleaned(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Texts trimmed, blank texts and None dropped (absent), blank lines of lists dropped."""
    cleaned: dict[str, Any] = {}
    for name, value in payload.items():
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        elif isinstance(value, list):
            value = [
                item.strip() if isinstance(item, str) else item
                for item in value
                if not (isinstance(item, str) and not item.strip())
            ]
        elif value is None:
            continue
        cleaned[name] = value
    return cleaned


@dataclass(frozen=True)
class FieldSpec:
    """One field of an action's data, as forms, histories and checks need it."""

    name: str
    # "text", "choice", "bool", "organization", "lines", "number", "datetime", "rows" (a list
    # of records, each with the `columns` given), or "signature" (a name and a drawing)
    kind: str
    required: bool
    label: str  # French msgid
    choices: tuple[Labelled, ...] = ()
    organization: Role | None = None
    max_length: int | None = None
    max_items: int | None = None
    default: Any = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    columns: tuple[FieldSpec, ...] = ()

    @property
    def hidden(self) -> bool:
        """Kept for the API (version 1's shorthand) but not offered in forms."""
        return bool(self.extra.get("hidden"))


def _unwrap(kind: Any) -> tuple[Any, Mapping[str, Any], Any]:
    """A field's type without its `| None` and `Annotated` layers, its form extras, its Meta."""
    if isinstance(kind, msgspec.inspect.UnionType):
        kind = next(t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType))
    extra: Mapping[str, Any] = {}
    meta = None
    if isinstance(kind, msgspec.inspect.Metadata):
        extra, meta, kind = kind.extra or {}, kind, kind.type
    return kind, extra, meta


@cache
def fields_of(struct: type[msgspec.Struct]) -> tuple[FieldSpec, ...]:
    """The fields of an action's data (or of one row of it), in declaration order."""
    specs = []
    for item in msgspec.inspect.type_info(struct).fields:  # type: ignore[attr-defined]
        kind, extra, _ = _unwrap(item.type)
        form: dict[str, Any] = dict(extra)
        common = {
            "name": item.name,
            "required": item.required,
            "label": form.pop("label", item.name),
            "organization": form.pop("organization", None),
            "default": None if item.default is msgspec.NODEFAULT else item.default,
        }
        if isinstance(kind, msgspec.inspect.EnumType):
            spec = FieldSpec(kind="choice", choices=tuple(kind.cls), extra=form, **common)
        elif isinstance(kind, msgspec.inspect.BoolType):
            spec = FieldSpec(kind="bool", extra=form, **common)
        elif isinstance(kind, msgspec.inspect.IntType) and common["organization"] is not None:
            spec = FieldSpec(kind="organization", extra=form, **common)
        elif isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
            spec = FieldSpec(kind="number", extra=form, **common)
        elif isinstance(kind, msgspec.inspect.DateTimeType):
            spec = FieldSpec(kind="datetime", extra=form, **common)
        elif isinstance(kind, msgspec.inspect.ListType) and isinstance(
            kind.item_type, msgspec.inspect.StructType
        ):
            spec = FieldSpec(
                kind="rows",
                max_items=kind.max_length,
                columns=fields_of(kind.item_type.cls),
                extra=form,
                **common,
            )
        elif isinstance(kind, msgspec.inspect.StructType):
            spec = FieldSpec(kind="signature", extra=form, **common)
        elif isinstance(kind, msgspec.inspect.ListType):
            spec = FieldSpec(
                kind="lines",
                max_items=kind.max_length,
                max_length=getattr(kind.item_type, "max_length", None),
                extra=form,
                **common,
            )
        else:
            spec = FieldSpec(
                kind="text", max_length=getattr(kind, "max_length", None), extra=form, **common
            )
        specs.append(spec)
    return tuple(specs)


def _choices(struct: type[ActionData]) -> Callable[[str], Sequence[str]]:
    def choices(field: str) -> Sequence[str]:
        # `grade`, or a column of one row: `media[0].technique`
        specs = fields_of(struct)
        *rows, name = re.sub(r"\[\d+\]", "", field).split(".")
        for row in rows:
            specs = next((spec.columns for spec in specs if spec.name == row), ())
        for spec in specs:
            if spec.name == name:
                return [choice.value for choice in spec.choices]
        return []

    return choices


def decode(payload: object) -> ActionData:
    """The typed data of `payload` (`{"action", …fields}`), or InvalidData naming the field."""
    if not isinstance(payload, Mapping):
        raise Invalid(msg("Le corps de la requête doit être un objet JSON."), "data")
    action = parse_action(payload.get("action"))
    struct = STRUCTS[action]
    try:
        data = msgspec.convert({**_cleaned(payload), "action": action.value}, struct)
    except msgspec.ValidationError as error:
        problem = describe(str(error), choices=_choices(struct))
        raise InvalidData(problem.sentence, problem.field or "action") from None
    data.check()
    return data


def own_serial(device: Mapping[str, Any] | None) -> str:
    """What names a device's own storage: its serial number, else its tag."""
    if device is None:
        return ""
    return str(device.get("serial_number") or tags.display(str(device["tag"])))


def complete(data: ActionData, actor_role: Role, actor_organization: int) -> ActionData:
    """Fill what the actor implies: a reconditioner collecting for itself is the destination."""
    if isinstance(data, Collect) and data.reconditioner_id is None:
        if actor_role is not Role.RECONDITIONER:
            raise InvalidData(
                msg("Le champ « {field} » est obligatoire pour cette action.",
                    field=field_label("reconditioner_id")),
                "reconditioner_id",
            )  # fmt: skip
        return msgspec.structs.replace(data, reconditioner_id=actor_organization)
    return data


def organization_targets(data: ActionData) -> dict[str, tuple[int, Role]]:
    """The organisations the data points at: field → (id, the kind it must be)."""
    return {
        spec.name: (getattr(data, spec.name), spec.organization)
        for spec in fields_of(type(data))
        if spec.organization is not None and getattr(data, spec.name) is not None
    }
