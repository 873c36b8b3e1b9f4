"""The impact factors per device category, read from `collecte/data/impact_factors.toml`."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from collecte.domain.vocabulary import Category

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "impact_factors.toml"


@dataclass(frozen=True)
class CategoryFactors:
    """What one device of a category weighs and spares."""

    co2e_kg: float
    co2e_source: str
    weight_kg: float
    weight_source: str


@dataclass(frozen=True)
class ImpactFactors:
    """All categories' factors and the method, in French and English."""

    categories: dict[Category, CategoryFactors]
    method: dict[str, str]


@cache
def load_impact_factors(path: Path | None = None) -> ImpactFactors:
    """Read the factors file (`COLLECTE_IMPACT_FACTORS` overrides its path)."""
    path = path or Path(os.environ.get("COLLECTE_IMPACT_FACTORS") or DEFAULT_PATH)
    with path.open("rb") as file:
        raw = tomllib.load(file)
    categories = {}
    for category in Category:
        entry = raw["categories"][category.value]
        categories[category] = CategoryFactors(
            co2e_kg=float(entry["co2e_kg"]),
            co2e_source=str(entry["co2e_source"]),
            weight_kg=float(entry["weight_kg"]),
            weight_source=str(entry["weight_source"]),
        )
    return ImpactFactors(categories=categories, method=dict(raw["method"]))


def default_weight_kg(category: Category) -> float:
    """The average weight of a device of `category`."""
    return load_impact_factors().categories[category].weight_kg
