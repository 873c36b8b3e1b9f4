"""The impact factors per device category, read from `collecte/data/impact_factors.toml`.

CO₂e avoided by a reused device = `co2e_per_year_kg` × `years_of_extra_use` (the method, see
`collecte.domain.impact.co2e_avoided`); `manufacture_co2e_kg`, a new device's whole
manufacturing footprint, is only the upper bound. Every value carries its source.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from collecte.domain.vocabulary import Category

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "impact_factors.toml"


@dataclass(frozen=True)
class CategoryFactors:
    """What one device of a category weighs and, reused, spares."""

    co2e_per_year_kg: float
    co2e_per_year_source: str
    years_of_extra_use: float
    years_source: str
    manufacture_co2e_kg: float
    manufacture_source: str
    weight_kg: float
    weight_source: str

    @property
    def co2e_kg(self) -> float:
        """CO₂e one reused device avoids: the yearly factor × the years of extra use."""
        return self.co2e_per_year_kg * self.years_of_extra_use


@dataclass(frozen=True)
class ImpactFactors:
    """All categories' factors and the method, in French and English."""

    categories: dict[Category, CategoryFactors]
    method: dict[str, str]


def _number(entry: dict[str, Any], key: str, where: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}: `{key}` must be a number, zero or more (got {value!r})")
    return float(value)


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: `{key}` must be a text, not empty (got {value!r})")
    return value


def parse_category(entry: dict[str, Any], where: str) -> CategoryFactors:
    """One category's table of the factors file; ValueError naming the key at fault."""
    factors = CategoryFactors(
        co2e_per_year_kg=_number(entry, "co2e_per_year_kg", where),
        co2e_per_year_source=_text(entry, "co2e_per_year_source", where),
        years_of_extra_use=_number(entry, "years_of_extra_use", where),
        years_source=_text(entry, "years_source", where),
        manufacture_co2e_kg=_number(entry, "manufacture_co2e_kg", where),
        manufacture_source=_text(entry, "manufacture_source", where),
        weight_kg=_number(entry, "weight_kg", where),
        weight_source=_text(entry, "weight_source", where),
    )
    # Reuse cannot avoid more than making the new device it replaces: the upper bound holds.
    if factors.co2e_kg > factors.manufacture_co2e_kg + 1e-9:
        raise ValueError(
            f"{where}: co2e_per_year_kg × years_of_extra_use ({factors.co2e_kg:g}) exceeds "
            f"manufacture_co2e_kg ({factors.manufacture_co2e_kg:g}), the upper bound"
        )
    return factors


@cache
def load_impact_factors(path: Path | None = None) -> ImpactFactors:
    """Read the factors file (`COLLECTE_IMPACT_FACTORS` overrides its path)."""
    path = path or Path(os.environ.get("COLLECTE_IMPACT_FACTORS") or DEFAULT_PATH)
    with path.open("rb") as file:
        raw = tomllib.load(file)
    tables = raw.get("categories", {})
    categories = {}
    for category in Category:
        where = f"{path.name} [categories.{category.value}]"
        if not isinstance(tables.get(category.value), dict):
            raise ValueError(f"{where}: missing; every category needs its factors")
        categories[category] = parse_category(tables[category.value], where)
    method = raw.get("method", {})
    for language in ("fr", "en"):
        _text(method, language, f"{path.name} [method]")
    return ImpactFactors(categories=categories, method=dict(method))


def check_impact_factors() -> None:
    """Read the factors once at start: a malformed file stops the process with plain lines for
    the operator (exit status 1, no traceback), naming the key at fault."""
    try:
        load_impact_factors()
    except (OSError, ValueError) as error:
        raise SystemExit(
            f"Le fichier des facteurs d’impact est invalide : {error}\n"
            "Corrigez-le, ou retirez COLLECTE_IMPACT_FACTORS pour revenir au fichier fourni."
        ) from None


def default_weight_kg(category: Category) -> float:
    """The average weight of a device of `category`."""
    return load_impact_factors().categories[category].weight_kg
