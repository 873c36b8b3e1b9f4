"""Devices imported from a CSV file, and the template offered to fill one in. Pure.

The header names the columns, in any order: the device fields (`category`, `serial_number`…),
their French and English names as the template and the devices export print them
(« Catégorie », « N° de série », "Serial number"…) and a few usual spreadsheet words; case,
accents and punctuation are forgiven. The export's other columns (status, lot, dates…) are
given by the caller as ignored, so an export, edited, imports as it is. Commas or semicolons
(French spreadsheets), a UTF-8 BOM and Windows line ends all work.

Every line holds as many cells as the header: a line with fewer or more is refused with its
number, like a line with a bad value, and then nothing of the file is imported.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from collecte.domain import tags
from collecte.domain.device_input import FIELDS, DeviceInput, parse_device, yes_no
from collecte.domain.errors import Invalid
from collecte.i18n import LANGUAGES, N_, gettext, msg

# Each field's header in the template and the export (French, translated in the catalogs).
COLUMN_LABELS = {
    "category": N_("Catégorie"),
    "brand": N_("Marque"),
    "model": N_("Modèle"),
    "serial_number": N_("N° de série"),
    "year": N_("Année"),
    "has_storage": N_("Stockage"),
    "condition": N_("État"),
    "estimated_value_xpf": N_("Valeur déclarée (F CFP)"),
    "weight_kg": N_("Poids (kg)"),
    "tag": N_("Étiquette"),
}
# The export says whether a weight was the category's default: such a weight is left to the
# default again rather than imported as weighed.
WEIGHT_ESTIMATED = "weight_estimated"
_WEIGHT_ESTIMATED_LABEL = N_("Poids estimé")
# Words spreadsheets use for the same columns, compared as `column_key` gives them.
_SYNONYMS = {
    "category": ("type",),
    "brand": ("fabricant", "manufacturer", "make"),
    "model": (),
    "serial_number": ("serial", "numero de serie", "no de serie", "num serie", "sn"),
    "year": (),
    "has_storage": ("stockage de donnees", "data storage", "storage"),
    "condition": (),
    "estimated_value_xpf": (
        "valeur",
        "valeur declaree",
        "valeur estimee",
        "valeur estimee f cfp",
        "value",
        "declared value",
        "estimated value",
    ),
    "weight_kg": ("poids", "weight"),
    "tag": ("etiquette vierge",),
}
# The export's way of keeping a spreadsheet from running a cell as a formula: undone on import.
_NEUTRALISED = re.compile("^'[=+\\-@\t\r]")

# The template's example line, in the order of COLUMN_LABELS.
_EXAMPLE = {
    "category": "laptop",
    "brand": "Dell",
    "model": "Latitude 5490",
    "serial_number": "5CG1234XYZ",
    "year": "2019",
    "has_storage": N_("oui"),
    "condition": N_("Bon état, chargeur fourni"),
    "estimated_value_xpf": "25000",
    "weight_kg": "1,6",
    "tag": "",
}


def column_key(name: str) -> str:
    """A column name as it is compared: lower case, no accents, words of letters and digits."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall("[a-z0-9]+", plain))


@cache
def _fields_by_key() -> dict[str, str]:
    """Every accepted column name (as `column_key` gives it) → the field it fills."""
    found: dict[str, str] = {}
    for field in FIELDS:
        names = [field, *_SYNONYMS[field]]
        names += [gettext(language, COLUMN_LABELS[field]) for language in LANGUAGES]
        found.update({column_key(name): field for name in names})
    for language in LANGUAGES:
        found[column_key(gettext(language, _WEIGHT_ESTIMATED_LABEL))] = WEIGHT_ESTIMATED
    return found


def expected_columns() -> list[Any]:
    """The columns a file may have, as a refusal lists them: « Catégorie (category) », …"""
    return [
        msg("{label} ({field})", label=msg(COLUMN_LABELS[field]), field=field) for field in FIELDS
    ]


def template(language: str) -> str:
    """The import template: the header in `language`, then one example line to replace."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([gettext(language, COLUMN_LABELS[field]) for field in FIELDS])
    writer.writerow([gettext(language, _EXAMPLE[field]) for field in FIELDS])
    return "\ufeff" + out.getvalue()  # the BOM: so that a spreadsheet reads the accents


def parse_devices_csv(text: str, max_rows: int, ignored: Iterable[str] = ()) -> list[DeviceInput]:
    """Return every device of a CSV file; any bad line raises Invalid naming its number.

    `ignored` names columns that are read past (the export's own, in any language).
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise Invalid(msg("Le fichier CSV est vide."), "csv")
    if "\x00" in text:
        raise Invalid(msg("Le fichier contient des caractères nuls : est-ce bien un CSV ?"), "csv")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        devices = _read_rows(reader, max_rows, {column_key(name) for name in ignored})
    except csv.Error as error:
        # A malformed file (e.g. a cell beyond the csv module's size limit) is bad input.
        line = reader.line_num or 1
        raise Invalid(
            msg("Ligne {line} : ligne CSV illisible ({error}).", line=line, error=error),
            "csv",
            line=line,
        ) from None
    if not devices:
        raise Invalid(msg("Le fichier CSV ne contient aucun appareil."), "csv")
    return devices


def _header_error(sentence: Any) -> Invalid:
    return Invalid(sentence, "csv", line=1, expected=list(FIELDS))


def _columns(header: list[str], ignored: set[str]) -> list[str | None]:
    """The field each column fills (None: a column read past), or Invalid on line 1."""
    by_key = _fields_by_key()
    fields: list[str | None] = []
    unknown: list[str] = []
    for name in header:
        key = column_key(name)
        field = by_key.get(key)
        if field is None and key and key not in ignored:
            unknown.append(name.strip())
        fields.append(field)
    if not any(fields):
        raise _header_error(
            msg(
                "Ligne 1 : en-tête non reconnu. La première ligne doit nommer les colonnes ; "
                "colonnes possibles : {expected}.",
                expected=expected_columns(),
            )
        )
    if unknown:
        raise _header_error(
            msg(
                "Ligne 1 : colonne(s) inconnue(s) : {unknown} (colonnes possibles : {expected}).",
                unknown=", ".join(unknown),
                expected=expected_columns(),
            )
        )
    repeated = sorted({f for f in fields if f and fields.count(f) > 1})
    if repeated:
        names = [name.strip() for name, f in zip(header, fields, strict=True) if f in repeated]
        raise _header_error(
            msg("Ligne 1 : colonne(s) en double : {columns}.", columns=", ".join(names))
        )
    if "category" not in fields:
        raise _header_error(
            msg(
                "Ligne 1 : la colonne « {label} » (category) est obligatoire.",
                label=msg(COLUMN_LABELS["category"]),
            )
        )
    return fields


def _values(fields: list[str | None], row: list[str]) -> dict[str, str]:
    """A line's cells by field; an estimated weight left out, so it is estimated again."""
    values = {
        field: cell[1:] if _NEUTRALISED.match(cell) else cell
        for field, cell in zip(fields, row, strict=False)
        if field is not None
    }
    if WEIGHT_ESTIMATED in values:
        try:
            estimated = yes_no(WEIGHT_ESTIMATED, values.pop(WEIGHT_ESTIMATED))
        except Invalid:
            estimated = False  # a column read only to know whether to keep the weight
        if estimated:
            values.pop("weight_kg", None)
    return values


def _lines(reader: Any, fields: list[str | None]) -> Iterator[tuple[int, list[str]]]:
    """The lines after the header that hold something, with their number.

    A line with fewer cells than the header, or more that are not blank, is refused: a cell
    would land in the wrong column. Only unnamed columns at the end may be left out.
    """
    width = len(fields)
    named = max(index for index, field in enumerate(fields) if field) + 1
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < named or any(cell.strip() for cell in row[width:]):
            sentence = (
                msg("Ligne {line} : 1 colonne au lieu de {expected}.", line=line, expected=width)
                if len(row) == 1
                else msg(
                    "Ligne {line} : {count} colonnes au lieu de {expected}.",
                    line=line,
                    count=len(row),
                    expected=width,
                )
            )
            raise Invalid(sentence, "csv", line=line)
        yield line, row


def _read_rows(reader: Any, max_rows: int, ignored: set[str]) -> list[DeviceInput]:
    """The devices of a CSV reader positioned before its header."""
    fields = _columns(next(reader), ignored)
    devices: list[DeviceInput] = []
    seen_tags: dict[str, int] = {}
    for line, row in _lines(reader, fields):
        if len(devices) >= max_rows:
            raise Invalid(
                msg("Le fichier dépasse {max} appareils.", max=max_rows), "csv", line=line
            )
        try:
            device = parse_device(_values(fields, row))
        except Invalid as error:
            raise Invalid(
                msg("Ligne {line} : {problem}", line=line, problem=error.sentence),
                error.field,
                line=line,
                column=error.field,
            ) from None
        if device.tag:
            if device.tag in seen_tags:
                raise Invalid(
                    msg(
                        "Ligne {line} : l’étiquette {tag} figure déjà ligne {first}.",
                        line=line,
                        tag=tags.display(device.tag),
                        first=seen_tags[device.tag],
                    ),
                    "tag",
                    line=line,
                )
            seen_tags[device.tag] = line
        devices.append(device)
    return devices
