"""CSV imports: columns named in French or English (the export's and the template's headers
included), lines with missing or extra cells refused with their number, the template."""

from __future__ import annotations

import pytest

from collecte.db.chunks import MAX_PARAMETERS, chunked
from collecte.db.sqlite import SQLITE_MAX_VARIABLES
from collecte.domain.device_csv import column_key, parse_devices_csv, template
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import Category
from collecte.i18n import say


def _invalid(text: str, ignored: tuple[str, ...] = ()) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_devices_csv(text, max_rows=100, ignored=ignored)
    return caught.value


@pytest.mark.parametrize(
    "header",
    [
        "category;brand;model;serial_number;weight_kg",
        "Catégorie;Marque;Modèle;N° de série;Poids (kg)",
        "Category;Brand;Model;Serial number;Weight (kg)",
        "CATEGORIE;marque;MODELE;n° de serie;poids (KG)",
        " catégorie ; Fabricant ; modèle ; Numéro de série ; Poids ",
        "Type;Make;Model;Serial;Weight",
        "Catégorie;Marque;Modèle;Nº de série;Poids_kg",
    ],
)
def test_headers_in_french_english_any_case_and_accents(header: str) -> None:
    (device,) = parse_devices_csv(f"{header}\nlaptop;Dell;E5;SN1;2,5\n", max_rows=10)

    assert device.category is Category.LAPTOP
    assert (device.brand, device.model, device.serial_number) == ("Dell", "E5", "SN1")
    assert device.weight_kg == 2.5 and device.weight_estimated is False


def test_the_exports_headers_import_and_its_other_columns_are_read_past() -> None:
    header = (
        "Étiquette;Statut;Catégorie;Marque;Modèle;N° de série;Année;Stockage;État;Lot;"
        "Donateur;Reconditionneur;Association;Grade;Valeur déclarée (F CFP);Poids (kg);"
        "Poids estimé;Enregistré le"
    )
    lines = [
        ";registered;laptop;Dell;E5;SN1;2019;oui;Bon;LOT-2026-00001;ACME;;;;25000;1,6;oui;"
        "01/03/2026 10:00",
        ";registered;monitor;'=HP;E24;SN2;;non;;LOT-2026-00001;ACME;;;;;4,2;non;01/03/2026 10:00",
    ]
    ignored = ("Étiquette", "Statut", "Lot", "Donateur", "Reconditionneur", "Association")
    ignored += ("Grade", "Poids estimé", "Enregistré le")

    first, second = parse_devices_csv("\n".join([header, *lines]), 10, ignored=ignored)

    assert (first.year, first.has_storage, first.condition) == (2019, True, "Bon")
    assert first.estimated_value_xpf == 25000
    # The export says the weight was the category's default: it stays a default.
    assert first.weight_estimated is True and first.weight_kg == 1.6
    assert second.weight_estimated is False and second.weight_kg == 4.2
    # The apostrophe the export puts before a formula-like cell is taken off again.
    assert second.brand == "=HP"


def test_a_column_the_caller_does_not_ignore_is_still_unknown() -> None:
    error = _invalid("Catégorie;Statut\nlaptop;registered\n")
    assert error.message.startswith("Ligne 1 : colonne(s) inconnue(s) : Statut (colonnes")
    assert "Catégorie (category)" in error.message
    assert error.extra["line"] == 1


def test_a_file_without_a_header_is_refused_listing_the_columns_expected() -> None:
    error = _invalid("laptop;Dell;Latitude\nlaptop;HP;EliteBook\n")

    assert error.message == (
        "Ligne 1 : en-tête non reconnu. La première ligne doit nommer les colonnes ; colonnes "
        "possibles : Catégorie (category), Marque (brand), Modèle (model), N° de série "
        "(serial_number), Année (year), Stockage (has_storage), État (condition), Valeur "
        "déclarée (F CFP) (estimated_value_xpf), Poids (kg) (weight_kg), Étiquette (tag)."
    )
    assert error.field == "csv"
    assert error.extra["line"] == 1
    assert error.extra["expected"][:3] == ["category", "brand", "model"]
    assert say("en", error.sentence).startswith(
        "Line 1: header not recognised. The first line must name the columns; possible "
        "columns: Category (category), Brand (brand)"
    )


def test_the_same_field_twice_is_refused() -> None:
    error = _invalid("category;Catégorie\nlaptop;laptop\n")
    assert error.message == "Ligne 1 : colonne(s) en double : category, Catégorie."


def test_the_category_column_is_required() -> None:
    error = _invalid("Marque;Modèle\nDell;E5\n")
    assert error.message == "Ligne 1 : la colonne « Catégorie » (category) est obligatoire."


def test_a_short_line_is_refused_with_its_number_rather_than_shifted() -> None:
    # The case: `laptop,Dell` under a four-column header.
    text = "category,brand,model,serial_number\nlaptop,Dell,E5,SN1\nlaptop,Dell\n"
    error = _invalid(text)
    assert error.message == "Ligne 3 : 2 colonnes au lieu de 4."
    assert error.field == "csv"
    assert error.extra["line"] == 3
    assert say("en", error.sentence) == "Line 3: 2 columns instead of 4."


def test_a_line_with_one_cell_too_many_is_refused() -> None:
    error = _invalid("category;brand;model;serial_number\nlaptop;Dell;E5;SN1;en trop\n")
    assert error.message == "Ligne 2 : 5 colonnes au lieu de 4."
    assert error.extra["line"] == 2


def test_a_line_of_exactly_the_headers_width_is_accepted() -> None:
    (device,) = parse_devices_csv("category;brand;model\nlaptop;Dell;E5\n", max_rows=10)
    assert device.model == "E5"


def test_blank_cells_past_the_last_column_are_not_extra_fields() -> None:
    # Spreadsheets pad lines with separators; unnamed columns at the end may be left out.
    text = "category;brand;;\nlaptop;Dell;;\nmonitor;HP\nprinter;Brother;;;\n"
    devices = parse_devices_csv(text, max_rows=10)
    assert [d.brand for d in devices] == ["Dell", "HP", "Brother"]


def test_a_line_shorter_than_the_named_columns_is_refused_even_with_unnamed_ones() -> None:
    error = _invalid("category;brand;;\nlaptop\n")
    assert error.message == "Ligne 2 : 1 colonne au lieu de 4."


def test_column_keys_forgive_case_accents_and_punctuation() -> None:
    assert column_key(" N° de Série ") == "n de serie"
    assert column_key("Valeur déclarée (F CFP)") == "valeur declaree f cfp"
    assert column_key("serial_number") == column_key("Serial number")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_template_imports_its_example_and_without_it_its_header_takes_devices(
    language: str,
) -> None:
    text = template(language)
    header, _example = text.lstrip("\ufeff").splitlines()

    (device,) = parse_devices_csv(text, max_rows=10)
    assert device.category is Category.LAPTOP and device.brand == "Dell"
    assert device.has_storage is True and device.weight_kg == 1.6

    mine = f"{header}\nmonitor;Samsung;S24;SN9;;;;;;\n"
    (monitor,) = parse_devices_csv(mine, max_rows=10)
    assert monitor.category is Category.MONITOR and monitor.serial_number == "SN9"


def test_the_french_template_has_the_french_headers() -> None:
    header = template("fr").lstrip("\ufeff").splitlines()[0]
    assert header == (
        "Catégorie;Marque;Modèle;N° de série;Année;Stockage;État;Valeur déclarée (F CFP);"
        "Poids (kg);Étiquette"
    )
    assert template("fr").startswith("\ufeff")  # so that a spreadsheet reads the accents


# --- pieces under the parameter bound -------------------------------------------------------


def test_the_bound_is_under_both_databases_limits() -> None:
    assert MAX_PARAMETERS < SQLITE_MAX_VARIABLES < 32_767


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, []), (1, [1]), (500, [500]), (501, [500, 1]), (1200, [500, 500, 200])],
)
def test_chunked_cuts_at_the_size_and_keeps_the_order(count: int, sizes: list[int]) -> None:
    items = list(range(count))
    pieces = list(chunked(items, 500))
    assert [len(piece) for piece in pieces] == sizes
    assert [item for piece in pieces for item in piece] == items


def test_chunked_refuses_an_empty_size() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(chunked([1], 0))
