"""Device fields as donors type them (JSON, or a CSV line: `collecte.domain.device_csv`):
checked and cleaned. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from collecte.domain import tags
from collecte.domain.errors import Invalid
from collecte.domain.fields import field_label
from collecte.domain.impact_factors import default_weight_kg
from collecte.domain.lifecycle import STORAGE_BY_DEFAULT
from collecte.domain.text import single_line
from collecte.domain.vocabulary import Category
from collecte.i18n import msg

TEXT_FIELDS = ("brand", "model", "serial_number", "condition")
FIELDS = (
    "category",
    "brand",
    "model",
    "serial_number",
    "year",
    "has_storage",
    "condition",
    "estimated_value_xpf",
    "weight_kg",
    "tag",
)
MAX_TEXT = 200
MAX_VALUE_XPF = 1_000_000_000
_TRUE = {"true", "1", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"false", "0", "no", "n", "non", "faux"}
# French spreadsheets say "Portable", "PC fixe", "Écran"…: accept the usual words.
_CATEGORY_WORDS = {
    "portable": Category.LAPTOP,
    "ordinateur portable": Category.LAPTOP,
    "pc portable": Category.LAPTOP,
    "fixe": Category.DESKTOP,
    "pc fixe": Category.DESKTOP,
    "unité centrale": Category.DESKTOP,
    "unite centrale": Category.DESKTOP,
    "ordinateur fixe": Category.DESKTOP,
    "écran": Category.MONITOR,
    "ecran": Category.MONITOR,
    "tablette": Category.TABLET,
    "téléphone": Category.SMARTPHONE,
    "telephone": Category.SMARTPHONE,
    "imprimante": Category.PRINTER,
    "réseau": Category.NETWORK,
    "reseau": Category.NETWORK,
    "périphérique": Category.PERIPHERAL,
    "peripherique": Category.PERIPHERAL,
    "autre": Category.OTHER,
}


@dataclass(frozen=True)
class DeviceInput:
    """A device's fields, validated, defaults applied."""

    category: Category
    brand: str | None
    model: str | None
    serial_number: str | None
    year: int | None
    has_storage: bool
    condition: str | None
    estimated_value_xpf: int | None
    weight_kg: float
    weight_estimated: bool
    tag: str | None  # a blank tag scanned at registration, to bind to this device


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _category(value: Any) -> Category:
    if _blank(value):
        raise Invalid(
            msg("Le champ « {field} » est obligatoire.", field=field_label("category")), "category"
        )
    text = str(value).strip().lower()
    try:
        return Category(text)
    except ValueError:
        pass
    if text in _CATEGORY_WORDS:
        return _CATEGORY_WORDS[text]
    allowed = ", ".join(c.value for c in Category)
    raise Invalid(
        msg(
            "Catégorie « {value} » inconnue (possibles : {allowed}).", value=value, allowed=allowed
        ),
        "category",
    )


def _text(name: str, value: Any) -> str | None:
    """One line of text: a brand, a model or a serial never holds a line break."""
    return single_line(name, value, MAX_TEXT)


def _int(name: str, value: Any, low: int, high: int) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise Invalid(
            msg("Le champ « {name} » doit être un nombre entier.", name=field_label(name)), name
        )
    if isinstance(value, str):
        cleaned = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        try:
            value = int(cleaned)
        except ValueError:
            raise Invalid(
                msg("Le champ « {name} » doit être un nombre entier.", name=field_label(name)), name
            ) from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise Invalid(
            msg("Le champ « {name} » doit être un nombre entier.", name=field_label(name)), name
        )
    if not low <= value <= high:
        raise Invalid(
            msg(
                "Le champ « {name} » doit être compris entre {low} et {high}.",
                name=field_label(name),
                low=low,
                high=high,
            ),
            name,
        )
    return value


def _weight(value: Any) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise Invalid(
            msg("Le champ « {field} » doit être un nombre.", field=field_label("weight_kg")),
            "weight_kg",
        )
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))  # French decimal comma
        except ValueError:
            raise Invalid(
                msg("Le champ « {field} » doit être un nombre.", field=field_label("weight_kg")),
                "weight_kg",
            ) from None
    if not isinstance(value, int | float) or not 0 < value <= 1000:
        raise Invalid(
            msg(
                "Le champ « {field} » doit être un nombre entre 0 et 1000.",
                field=field_label("weight_kg"),
            ),
            "weight_kg",
        )
    return float(value)


def yes_no(name: str, value: Any) -> bool | None:
    """A yes/no cell (true/false, oui/non, 1/0, x…); None when blank."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise Invalid(
        msg("Le champ « {name} » doit valoir true ou false (oui / non).", name=field_label(name)),
        name,
    )


def _tag(value: Any) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise Invalid(
            msg("Le champ « {field} » doit être un texte.", field=field_label("tag")), "tag"
        )
    try:
        return tags.parse(value)
    except tags.TagError as error:
        raise Invalid(str(error), "tag") from None


def parse_device(data: Mapping[str, Any]) -> DeviceInput:
    """Return the validated device described by `data`, or raise Invalid naming the field."""
    if not isinstance(data, Mapping):
        raise Invalid(msg("Un appareil doit être un objet JSON."), "devices")
    category = _category(data.get("category"))
    has_storage = yes_no("has_storage", data.get("has_storage"))
    weight = _weight(data.get("weight_kg"))
    return DeviceInput(
        category=category,
        brand=_text("brand", data.get("brand")),
        model=_text("model", data.get("model")),
        serial_number=_text("serial_number", data.get("serial_number")),
        year=_int("year", data.get("year"), 1970, date.today().year + 1),
        has_storage=category in STORAGE_BY_DEFAULT if has_storage is None else has_storage,
        condition=_text("condition", data.get("condition")),
        estimated_value_xpf=_int(
            "estimated_value_xpf", data.get("estimated_value_xpf"), 0, MAX_VALUE_XPF
        ),
        weight_kg=weight if weight is not None else default_weight_kg(category),
        weight_estimated=weight is None,
        tag=_tag(data.get("tag")),
    )
