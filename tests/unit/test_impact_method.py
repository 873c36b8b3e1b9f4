"""The CO₂e method: yearly factor × years of extra use, per category, and its upper bound."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from collecte.domain.impact import TallySum, co2e_avoided, factors_json, public_counters
from collecte.domain.impact_factors import (
    DEFAULT_PATH,
    CategoryFactors,
    ImpactFactors,
    load_impact_factors,
    parse_category,
)
from collecte.domain.vocabulary import Category

SHIPPED = load_impact_factors(DEFAULT_PATH)


def _factor(per_year: float, years: float, manufacture: float) -> CategoryFactors:
    return CategoryFactors(per_year, "s", years, "s", manufacture, "s", 1.0, "s")


def _factors(**overrides: CategoryFactors) -> ImpactFactors:
    categories = {c: overrides.get(c.value, _factor(0, 0, 0)) for c in Category}
    return ImpactFactors(categories=categories, method={"fr": "m", "en": "m"})


@pytest.mark.parametrize(
    ("category", "per_year", "years", "per_device", "upper_bound"),
    [
        (Category.LAPTOP, 27.0, 3, 81.0, 182.6),
        (Category.SMARTPHONE, 24.6, 2, 49.2, 85.1),
        (Category.DESKTOP, 30.2, 3, 90.6, 204.4),
        (Category.MONITOR, 9.7, 3, 29.1, 65.9),
        (Category.TABLET, 17.3, 2, 34.6, 59.7),
        (Category.PRINTER, 0.0, 3, 0.0, 0.0),
        (Category.NETWORK, 0.0, 3, 0.0, 0.0),
        (Category.PERIPHERAL, 0.0, 3, 0.0, 0.0),
        (Category.OTHER, 0.0, 3, 0.0, 0.0),
    ],
)
def test_one_reused_device_of_each_category(
    category: Category, per_year: float, years: float, per_device: float, upper_bound: float
) -> None:
    factors = SHIPPED.categories[category]

    estimate = co2e_avoided({category: 1}, SHIPPED)

    assert (factors.co2e_per_year_kg, factors.years_of_extra_use) == (per_year, years)
    assert estimate.by_category[category].avoided_kg == per_device
    assert estimate.by_category[category].upper_bound_kg == upper_bound
    assert estimate.total.avoided_kg == per_device
    assert estimate.total.upper_bound_kg == upper_bound


def test_the_method_is_far_below_the_whole_footprint_for_a_laptop() -> None:
    estimate = co2e_avoided({Category.LAPTOP: 10}, SHIPPED)

    assert estimate.total.avoided_kg == 810.0  # 10 × 27 kg × 3 years
    assert estimate.total.upper_bound_kg == 1826.0  # 10 × 182.6 kg, the old figure
    assert estimate.total.avoided_kg < estimate.total.upper_bound_kg


def test_the_years_multiply_the_yearly_factor() -> None:
    one = co2e_avoided({Category.LAPTOP: 1}, _factors(laptop=_factor(27.0, 1, 182.6)))
    four = co2e_avoided({Category.LAPTOP: 1}, _factors(laptop=_factor(27.0, 4, 182.6)))
    half = co2e_avoided({Category.LAPTOP: 1}, _factors(laptop=_factor(27.0, 0.5, 182.6)))

    assert (one.total.avoided_kg, four.total.avoided_kg, half.total.avoided_kg) == (27, 108, 13.5)
    assert one.total.upper_bound_kg == four.total.upper_bound_kg == 182.6


def test_no_device_and_unknown_categories_count_zero() -> None:
    estimate = co2e_avoided({}, SHIPPED)

    assert set(estimate.by_category) == set(Category)
    assert estimate.total.avoided_kg == estimate.total.upper_bound_kg == 0


def test_each_category_rounds_to_a_tenth_and_the_total_adds_the_rounded_figures() -> None:
    factors = _factors(laptop=_factor(0.05, 1, 1), desktop=_factor(0.05, 1, 1))

    estimate = co2e_avoided({Category.LAPTOP: 3, Category.DESKTOP: 3}, factors)

    assert estimate.by_category[Category.LAPTOP].avoided_kg == 0.2  # 0.15 shown as 0,2
    assert estimate.by_category[Category.DESKTOP].avoided_kg == 0.2
    assert estimate.total.avoided_kg == 0.4  # what the table shows adds up (not 0.3)
    assert estimate.total.upper_bound_kg == 6.0


@pytest.mark.parametrize(
    ("devices", "per_year", "shown"),
    [(1, 0.25, 0.3), (1, 0.24, 0.2), (3, 9.7, 29.1), (7, 0.35, 2.5)],
)
def test_halves_round_up_as_on_paper(devices: int, per_year: float, shown: float) -> None:
    factors = _factors(laptop=_factor(per_year, 1, 100))

    assert co2e_avoided({Category.LAPTOP: devices}, factors).total.avoided_kg == shown


def test_the_public_counters_use_the_same_method() -> None:
    sums = [
        TallySum("delivered", "category", "laptop", 2),
        TallySum("delivered", "category", "smartphone", 1),
        TallySum("recycled", "category", "laptop", 5, weight_g=8000),
    ]

    counters = public_counters(sums, SHIPPED)

    assert counters["delivered"] == 3
    assert counters["co2e_avoided_kg"] == 2 * 81.0 + 49.2  # recycled devices count no CO₂e


def test_the_factors_answer_states_the_method_and_the_upper_bound() -> None:
    laptop = factors_json(SHIPPED)["laptop"]

    assert laptop["co2e_kg"] == 81.0
    assert laptop["co2e_per_year_kg"] == 27.0 and laptop["years_of_extra_use"] == 3
    assert laptop["co2e_upper_bound_kg"] == 182.6
    assert "ADEME 2022" in laptop["co2e_per_year_source"]


def test_every_value_has_a_source_and_assumptions_say_so() -> None:
    raw = tomllib.loads(DEFAULT_PATH.read_text())
    published = {"laptop", "smartphone"}

    for name, entry in raw["categories"].items():
        for key in ("co2e_per_year", "years", "manufacture", "weight"):
            assert entry[f"{key}_source"].strip(), (name, key)
        assert entry["years_source"].startswith("Hypothèse du programme")
        if name in published:
            assert "chiffre publié" in entry["co2e_per_year_source"]
        elif entry["co2e_per_year_kg"]:
            assert entry["co2e_per_year_source"].startswith("Hypothèse du programme"), name
    assert "Hypothèse de substitution" in raw["method"]["fr"]
    assert "Borne haute : empreinte de fabrication d’un appareil neuf" in raw["method"]["fr"]


def test_a_figure_above_the_upper_bound_is_refused_on_loading() -> None:
    entry = {
        "co2e_per_year_kg": 27.0,
        "co2e_per_year_source": "ADEME 2022",
        "years_of_extra_use": 7,
        "years_source": "Hypothèse",
        "manufacture_co2e_kg": 182.6,
        "manufacture_source": "ADEME/Arcep 2022",
        "weight_kg": 1.6,
        "weight_source": "UNU",
    }
    assert parse_category({**entry, "years_of_extra_use": 6}, "laptop").co2e_kg == 162.0

    with pytest.raises(ValueError, match=r"\(189\) exceeds manufacture_co2e_kg \(182\.6\)"):
        parse_category(entry, "laptop")


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("years_of_extra_use", -1, "`years_of_extra_use` must be a number, zero or more"),
        ("co2e_per_year_kg", "27", "`co2e_per_year_kg` must be a number, zero or more"),
        ("co2e_per_year_source", " ", "`co2e_per_year_source` must be a text, not empty"),
    ],
)
def test_a_malformed_factor_is_refused_naming_its_key(key: str, value: object, says: str) -> None:
    entry = {
        "co2e_per_year_kg": 0,
        "co2e_per_year_source": "s",
        "years_of_extra_use": 0,
        "years_source": "s",
        "manufacture_co2e_kg": 0,
        "manufacture_source": "s",
        "weight_kg": 0,
        "weight_source": "s",
        key: value,
    }
    with pytest.raises(ValueError, match=says):
        parse_category(entry, "f.toml [categories.other]")


def test_the_shipped_file_loads_from_its_own_path(tmp_path: Path) -> None:
    copy = tmp_path / "factors.toml"
    copy.write_text(DEFAULT_PATH.read_text())

    assert load_impact_factors(copy) == SHIPPED


def test_a_file_missing_a_category_or_the_method_is_refused(tmp_path: Path) -> None:
    shipped = DEFAULT_PATH.read_text()
    no_printer = tmp_path / "no_printer.toml"
    no_printer.write_text(shipped.replace("[categories.printer]", "[categories.imprimante]"))
    no_method = tmp_path / "no_method.toml"
    no_method.write_text(shipped.replace("\nen = ", "\nanglais = ", 1))

    with pytest.raises(ValueError, match=r"no_printer.toml \[categories.printer\]: missing"):
        load_impact_factors(no_printer)
    with pytest.raises(ValueError, match=r"no_method.toml \[method\]: `en` must be a text"):
        load_impact_factors(no_method)
