"""Device fields typed by donors (JSON) or exported from their spreadsheets (CSV)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from collecte.domain.device_csv import parse_devices_csv
from collecte.domain.device_input import DeviceInput, parse_device
from collecte.domain.errors import Invalid
from collecte.domain.impact_factors import default_weight_kg
from collecte.domain.tags import check_character
from collecte.domain.vocabulary import Category

NEXT_YEAR = date.today().year + 1

# Two valid tags (body + Luhn mod 32 check character).
TAG_A = "7K3P9QXZ"
TAG_B = "10AB1C0H"
assert check_character(TAG_A[:-1]) == TAG_A[-1] and check_character(TAG_B[:-1]) == TAG_B[-1]

# fmt: off
# Defaults per category (DESIGN.md: storage for laptop, desktop, tablet, smartphone; the average
# weights of the impact table, network/peripheral/other from the shipped factors file).
DEFAULTS = {
    # category      has_storage  weight_kg
    "laptop":       (True,       1.6),
    "desktop":      (True,       8.8),
    "monitor":      (False,      5.5),
    "tablet":       (True,       0.5),
    "smartphone":   (True,       0.09),
    "printer":      (True,       10.3),  # version 2: data-bearing (R2v3)
    "network":      (True,       1.0),
    "peripheral":   (False,      0.5),
    "other":        (True,       2.0),
}

# The words French spreadsheets use.
FRENCH_CATEGORIES = [
    ("Portable",             "laptop"),
    ("ordinateur portable",  "laptop"),
    ("PC portable",          "laptop"),
    ("Fixe",                 "desktop"),
    ("PC fixe",              "desktop"),
    ("Unité centrale",       "desktop"),
    ("unite centrale",       "desktop"),
    ("Ordinateur fixe",      "desktop"),
    ("Écran",                "monitor"),
    ("ecran",                "monitor"),
    ("Tablette",             "tablet"),
    ("Téléphone",            "smartphone"),
    ("telephone",            "smartphone"),
    ("Imprimante",           "printer"),
    ("Réseau",               "network"),
    ("reseau",               "network"),
    ("Périphérique",         "peripheral"),
    ("peripherique",         "peripheral"),
    ("Autre",                "other"),
    ("LAPTOP",               "laptop"),
    ("  Desktop  ",          "desktop"),
]

# (fields given besides category "laptop", the field Invalid must name)
BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"category": None},                   "category"),
    ({"category": ""},                     "category"),
    ({"category": "   "},                  "category"),
    ({"category": "frigo"},                "category"),
    ({"category": "laptops"},              "category"),
    ({"year": "deux mille"},               "year"),
    ({"year": 1969},                       "year"),
    ({"year": NEXT_YEAR + 1},              "year"),
    ({"year": 2020.5},                     "year"),
    ({"year": True},                       "year"),
    ({"year": [2020]},                     "year"),
    ({"estimated_value_xpf": -1},          "estimated_value_xpf"),
    ({"estimated_value_xpf": "12,5"},      "estimated_value_xpf"),
    ({"estimated_value_xpf": "beaucoup"},  "estimated_value_xpf"),
    ({"estimated_value_xpf": 10**10},      "estimated_value_xpf"),
    ({"estimated_value_xpf": 99.5},        "estimated_value_xpf"),
    ({"estimated_value_xpf": False},       "estimated_value_xpf"),
    ({"weight_kg": 0},                     "weight_kg"),
    ({"weight_kg": -2},                    "weight_kg"),
    ({"weight_kg": 1000.5},                "weight_kg"),
    ({"weight_kg": "lourd"},               "weight_kg"),
    ({"weight_kg": True},                  "weight_kg"),
    ({"weight_kg": "0"},                   "weight_kg"),
    ({"weight_kg": [1]},                   "weight_kg"),
    ({"weight_kg": "nan"},                 "weight_kg"),
    ({"weight_kg": float("inf")},          "weight_kg"),
    ({"has_storage": "peut-être"},         "has_storage"),
    ({"has_storage": 2},                   "has_storage"),
    ({"tag": "7K3P9QX"},                   "tag"),
    ({"tag": "7K3P9QXA"},                  "tag"),  # wrong check character
    ({"tag": "7K3U9QXZ"},                  "tag"),
    ({"tag": 12345678},                    "tag"),
    ({"brand": "B" * 201},                 "brand"),
    ({"model": 42},                        "model"),
    ({"serial_number": ["S1"]},            "serial_number"),
    ({"condition": "c" * 201},             "condition"),
]
# fmt: on


def laptop(**fields: Any) -> dict[str, Any]:
    return {"category": "laptop", **fields}


# --- parse_device: defaults ----------------------------------------------------------------


@pytest.mark.parametrize("category", list(DEFAULTS))
def test_defaults_per_category(category: str) -> None:
    has_storage, weight = DEFAULTS[category]

    device = parse_device({"category": category})

    assert device.category == Category(category)
    assert device.has_storage is has_storage
    assert device.weight_kg == pytest.approx(weight)
    assert device.weight_kg == default_weight_kg(Category(category))
    assert device.weight_estimated is True
    assert (device.brand, device.model, device.serial_number, device.condition) == (None,) * 4
    assert (device.year, device.estimated_value_xpf, device.tag) == (None, None, None)


def test_every_category_has_a_default() -> None:
    assert set(DEFAULTS) == {c.value for c in Category}


def test_a_full_device() -> None:
    device = parse_device(
        {
            "category": "laptop",
            "brand": " Dell ",
            "model": "Latitude 5490",
            "serial_number": "ABC123",
            "year": 2019,
            "has_storage": False,
            "condition": "bon état",
            "estimated_value_xpf": 45000,
            "weight_kg": 2.1,
            "tag": "7k3p-9qxz",
        }
    )
    assert device == DeviceInput(
        category=Category.LAPTOP,
        brand="Dell",
        model="Latitude 5490",
        serial_number="ABC123",
        year=2019,
        has_storage=False,
        condition="bon état",
        estimated_value_xpf=45000,
        weight_kg=2.1,
        weight_estimated=False,
        tag=TAG_A,
    )


@pytest.mark.parametrize(
    ("category", "given", "expected"),
    [
        ("laptop", False, False),
        ("laptop", "non", False),
        ("laptop", "NON", False),
        ("laptop", "false", False),
        ("laptop", "0", False),
        ("monitor", True, True),
        ("monitor", "oui", True),
        ("monitor", " Oui ", True),
        ("monitor", "vrai", True),
        ("monitor", "1", True),
        ("monitor", "yes", True),
        ("laptop", "", True),  # blank means "not said": the category's default
        ("monitor", None, False),
    ],
)
def test_has_storage_given(category: str, given: Any, expected: bool) -> None:
    assert parse_device({"category": category, "has_storage": given}).has_storage is expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [(2.1, 2.1), (3, 3.0), ("2.1", 2.1), ("2,1", 2.1), (" 0,5 ", 0.5), (1000, 1000.0)],
)
def test_weight_given_is_not_estimated(given: Any, expected: float) -> None:
    device = parse_device(laptop(weight_kg=given))
    assert device.weight_kg == pytest.approx(expected)
    assert isinstance(device.weight_kg, float)
    assert device.weight_estimated is False


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_blank_weight_is_estimated(blank: Any) -> None:
    device = parse_device(laptop(weight_kg=blank))
    assert device.weight_kg == pytest.approx(1.6)
    assert device.weight_estimated is True


@pytest.mark.parametrize(
    ("given", "expected"),
    [(2020, 2020), ("2020", 2020), (" 2019 ", 2019), (2018.0, 2018), (1970, 1970)],
)
def test_year(given: Any, expected: int) -> None:
    assert parse_device(laptop(year=given)).year == expected


def test_next_year_is_accepted_for_brand_new_models() -> None:
    assert parse_device(laptop(year=NEXT_YEAR)).year == NEXT_YEAR


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0, 0), (45000, 45000), ("120000", 120000), ("120 000", 120000), ("120\u202f000", 120000)],
)
def test_estimated_value_in_whole_francs(given: Any, expected: int) -> None:
    assert parse_device(laptop(estimated_value_xpf=given)).estimated_value_xpf == expected


@pytest.mark.parametrize(("word", "category"), FRENCH_CATEGORIES)
def test_french_category_words(word: str, category: str) -> None:
    assert parse_device({"category": word}).category == Category(category)


def test_french_category_gets_its_defaults() -> None:
    device = parse_device({"category": "Écran"})
    assert device.has_storage is False
    assert device.weight_kg == pytest.approx(5.5)


@pytest.mark.parametrize("code", ["7K3P9QXZ", "7k3p-9qxz", "http://x/d/7K3P9QXZ", " 7K3P 9QXZ "])
def test_tag_is_read_leniently(code: str) -> None:
    assert parse_device(laptop(tag=code)).tag == TAG_A


@pytest.mark.parametrize("blank", ["", "  ", None])
def test_blank_texts_are_none(blank: Any) -> None:
    device = parse_device(laptop(brand=blank, model=blank, serial_number=blank, tag=blank))
    assert (device.brand, device.model, device.serial_number, device.tag) == (None,) * 4


# --- parse_device: bad values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"), BAD_VALUES, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_VALUES)]
)
def test_bad_value_names_its_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_device(laptop(**fields))
    assert caught.value.field == field
    assert caught.value.message


def test_missing_category_names_it() -> None:
    with pytest.raises(Invalid) as caught:
        parse_device({"brand": "Dell"})
    assert caught.value.field == "category"


def test_unknown_category_lists_the_possible_ones() -> None:
    with pytest.raises(Invalid) as caught:
        parse_device({"category": "frigo"})
    assert "frigo" in caught.value.message
    assert "laptop" in caught.value.message


@pytest.mark.parametrize("data", [None, [], "laptop", 3])
def test_a_device_must_be_an_object(data: Any) -> None:
    with pytest.raises(Invalid):
        parse_device(data)


# --- parse_devices_csv ---------------------------------------------------------------------


def test_csv_with_commas() -> None:
    text = (
        "category,brand,model,serial_number,year,has_storage,estimated_value_xpf,weight_kg\n"
        "laptop,Dell,Latitude 5490,SN1,2019,,45000,2.1\n"
        "monitor,HP,E24,SN2,2020,,15000,\n"
    )
    devices = parse_devices_csv(text, max_rows=100)

    assert [d.category for d in devices] == [Category.LAPTOP, Category.MONITOR]
    first, second = devices
    assert (first.brand, first.model, first.serial_number) == ("Dell", "Latitude 5490", "SN1")
    assert (first.year, first.estimated_value_xpf) == (2019, 45000)
    assert first.weight_kg == pytest.approx(2.1) and first.weight_estimated is False
    assert first.has_storage is True
    assert second.has_storage is False
    assert second.weight_kg == pytest.approx(5.5) and second.weight_estimated is True


def test_csv_with_semicolons_french_decimals_and_booleans() -> None:
    text = (
        "category;brand;weight_kg;has_storage\n"
        + "Portable;Dell;2,1;non\n"
        + "Écran;Samsung;4,75;oui\n"
        + "fixe;Lenovo;;\n"
    )
    devices = parse_devices_csv(text, max_rows=100)

    assert [d.category for d in devices] == [Category.LAPTOP, Category.MONITOR, Category.DESKTOP]
    assert [d.weight_kg for d in devices] == pytest.approx([2.1, 4.75, 8.8])
    assert [d.weight_estimated for d in devices] == [False, False, True]
    assert [d.has_storage for d in devices] == [False, True, True]


def test_csv_semicolon_file_with_commas_inside_values() -> None:
    text = "category;brand;model\nlaptop;Dell, Inc.;Latitude, 14 pouces\n"
    (device,) = parse_devices_csv(text, max_rows=10)
    assert (device.brand, device.model) == ("Dell, Inc.", "Latitude, 14 pouces")


def test_csv_quoted_values() -> None:
    text = 'category,brand,weight_kg\nlaptop,"Dell, Inc.","2,5"\n'
    (device,) = parse_devices_csv(text, max_rows=10)
    assert device.brand == "Dell, Inc."
    assert device.weight_kg == pytest.approx(2.5)


def test_csv_utf8_bom_is_ignored() -> None:
    text = "\ufeffcategory;brand\nlaptop;Dell\n"
    (device,) = parse_devices_csv(text, max_rows=10)
    assert device.category is Category.LAPTOP
    assert device.brand == "Dell"


def test_csv_windows_line_endings() -> None:
    text = "category,brand\r\nlaptop,Dell\r\nmonitor,HP\r\n"
    devices = parse_devices_csv(text, max_rows=10)
    assert [d.brand for d in devices] == ["Dell", "HP"]


def test_csv_header_is_case_and_space_insensitive_and_in_any_order() -> None:
    text = " Weight_KG ; BRAND ; Category \n2;Dell;laptop\n"
    (device,) = parse_devices_csv(text, max_rows=10)
    assert device.category is Category.LAPTOP
    assert device.brand == "Dell"
    assert device.weight_kg == 2.0


def test_csv_blank_lines_are_skipped() -> None:
    text = "category;brand\n\nlaptop;Dell\n\n   \n;\nmonitor;HP\n\n"
    devices = parse_devices_csv(text, max_rows=10)
    assert [d.brand for d in devices] == ["Dell", "HP"]


def test_csv_short_rows_are_refused_rather_than_shifted() -> None:
    error = _invalid("category,brand,model\nlaptop,Dell,E5\nlaptop\n")
    assert error.message == "Ligne 3 : 1 colonne au lieu de 3."
    assert error.extra["line"] == 3


def test_csv_tags_are_bound() -> None:
    text = f"category,tag\nlaptop,{TAG_A.lower()}\nlaptop,http://x/d/{TAG_B}\nlaptop,\n"
    devices = parse_devices_csv(text, max_rows=10)
    assert [d.tag for d in devices] == [TAG_A, TAG_B, None]


def _invalid(text: str, max_rows: int = 100) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_devices_csv(text, max_rows=max_rows)
    return caught.value


@pytest.mark.parametrize(
    "header", ["category,colour", "category;couleur;brand", "catégori,brand", "brand,categry"]
)
def test_csv_unknown_column_is_an_error_on_line_1(header: str) -> None:
    error = _invalid(f"{header}\nlaptop,x\n")
    assert error.message.startswith("Ligne 1")
    assert error.extra["line"] == 1


def test_csv_unknown_column_is_named() -> None:
    error = _invalid("category,colour\nlaptop,red\n")
    assert "colour" in error.message


def test_csv_without_category_column_is_an_error_on_line_1() -> None:
    error = _invalid("brand,model\nDell,Latitude\n")
    assert error.message.startswith("Ligne 1")
    assert error.extra["line"] == 1
    assert "category" in error.message


# fmt: off
BAD_ROWS = [
    # file,                                                  line, field
    ("category,year\nlaptop,2019\nfrigo,2019\n",              3,    "category"),
    ("category,year\nlaptop,2019\nlaptop,1800\n",             3,    "year"),
    ("category;weight_kg\nlaptop;2,1\nlaptop;lourd\n",        3,    "weight_kg"),
    ("category;has_storage\nlaptop;oui\nlaptop;peut-être\n",  3,    "has_storage"),
    ("category;estimated_value_xpf\nlaptop;1\nlaptop;-5\n",   3,    "estimated_value_xpf"),
    ("category;tag\nlaptop;\nlaptop;7K3P9QXA\n",              3,    "tag"),
    ("category\nfrigo\n",                                     2,    "category"),
    # blank lines count in the numbering
    ("category\nlaptop\n\nlaptop\n\nfrigo\n",                 6,    "category"),
    ("category,year\r\nlaptop,2019\r\nfrigo,2019\r\n",        3,    "category"),
]
# fmt: on


@pytest.mark.parametrize(("text", "line", "field"), BAD_ROWS)
def test_csv_bad_row_names_its_line(text: str, line: int, field: str) -> None:
    error = _invalid(text)
    assert error.message.startswith(f"Ligne {line} ")
    assert error.extra["line"] == line
    assert error.field == field


def test_csv_bad_row_keeps_the_reason() -> None:
    error = _invalid("category\nlaptop\nfrigo\n")
    assert error.message.startswith("Ligne 3")
    assert "frigo" in error.message


def test_csv_too_many_cells_is_an_error_on_its_line() -> None:
    error = _invalid("category,brand\nlaptop,Dell\nlaptop,Dell,extra\n")
    assert error.message.startswith("Ligne 3")
    assert error.extra["line"] == 3


def test_csv_duplicate_tags_in_the_file() -> None:
    # The same tag, spelt differently the second time.
    text = f"category;tag\nlaptop;{TAG_A}\nlaptop;{TAG_B}\nmonitor;7k3p-9qxz\n"
    error = _invalid(text)
    assert error.field == "tag"
    assert error.extra["line"] == 4
    assert error.message.startswith("Ligne 4")
    assert "7K3P-9QXZ" in error.message
    assert "ligne 2" in error.message  # where it was first seen


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "\ufeff", "\ufeff\n"])
def test_csv_empty_file(text: str) -> None:
    error = _invalid(text)
    assert error.field == "csv"
    assert "vide" in error.message


@pytest.mark.parametrize("text", ["category\n", "category;brand\n\n;\n", "\ufeffcategory,brand"])
def test_csv_with_a_header_but_no_device(text: str) -> None:
    error = _invalid(text)
    assert error.field == "csv"
    assert "aucun appareil" in error.message


def test_csv_up_to_max_rows_is_fine() -> None:
    text = "category\n" + "laptop\n" * 5
    assert len(parse_devices_csv(text, max_rows=5)) == 5


def test_csv_more_rows_than_max_rows() -> None:
    text = "category\n" + "laptop\n" * 6
    error = _invalid(text, max_rows=5)
    assert error.field == "csv"
    assert "5" in error.message
    assert error.extra["line"] == 7


def test_csv_blank_lines_do_not_count_towards_max_rows() -> None:
    text = "category\n" + "laptop\n\n" * 3
    assert len(parse_devices_csv(text, max_rows=3)) == 3


# A cell longer than the csv module's field limit (131,072 characters) must be a 422 like any
# other bad input, never a 500 (DESIGN.md: "Never a 500 for bad input"). The import endpoint
# accepts bodies of up to 5 MB, so such a file does reach the parser.
HUGE = "x" * 200_000


def test_csv_huge_cell_is_invalid_not_a_crash() -> None:
    error = _invalid(f"category,brand\nlaptop,Dell\nlaptop,{HUGE}\n")
    assert error.extra["line"] == 3
    assert error.message.startswith("Ligne 3")


def test_csv_huge_header_cell_is_invalid_not_a_crash() -> None:
    error = _invalid(f"category,{HUGE}\nlaptop,Dell\n")
    assert error.extra["line"] == 1
    assert error.message.startswith("Ligne 1")
