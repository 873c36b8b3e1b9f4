"""Label stocks (sheets and thermal rolls), one TOML file each in the top-level `labels/` folder.

`labels/` is installed as the package `collecte.stocks`: the shipped stocks are found through
importlib, in a wheel as in a checkout. A folder of the operator's own files may add stocks or
replace shipped ones, by file name (`load_stocks`).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from importlib.resources import files
from pathlib import Path
from typing import Any

__all__ = ["LABELS_DIR", "MAX_OFFSET_MM", "LabelFormat", "load_formats", "load_stocks"]

# The shipped stocks; a package on disk, never a zip (the files are globbed and watched).
LABELS_DIR = Path(str(files("collecte.stocks")))
# A calibration larger than this is a typo (centimetres, a wrong sign in the wrong field…),
# not a printer's drift.
MAX_OFFSET_MM = 10.0
_TOLERANCE_MM = 0.01  # rounding in published sheet dimensions
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


@dataclass(frozen=True)
class LabelFormat:
    """A label stock: page, grid and label sizes in millimetres, plus the printer's calibration."""

    id: str
    name: str
    description: str
    page_width_mm: float
    page_height_mm: float
    rows: int
    columns: int
    label_width_mm: float
    label_height_mm: float
    margin_top_mm: float
    margin_left_mm: float
    gap_x_mm: float
    gap_y_mm: float
    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    # The stock's name and description in English; French (`name`) when not given.
    name_en: str = ""
    description_en: str = ""

    def title(self, language: str) -> str:
        """The stock's name in `language`."""
        return self.name_en if language == "en" and self.name_en else self.name

    def summary(self, language: str) -> str:
        """The stock's description in `language`."""
        return self.description_en if language == "en" and self.name_en else self.description

    @property
    def per_page(self) -> int:
        """Return how many labels one page holds."""
        return self.rows * self.columns


# field -> required
_TEXT_FIELDS = {"name": True, "description": False, "name_en": False, "description_en": False}
_COUNT_FIELDS = ("rows", "columns")
_SIZE_FIELDS = ("page_width_mm", "page_height_mm", "label_width_mm", "label_height_mm")
_SPACING_FIELDS = ("margin_top_mm", "margin_left_mm", "gap_x_mm", "gap_y_mm")
_OFFSET_FIELDS = ("offset_x_mm", "offset_y_mm")
_KNOWN_FIELDS = {field.name for field in fields(LabelFormat)}


def load_formats(folder: Path) -> tuple[dict[str, LabelFormat], list[str]]:
    """Load every `*.toml` stock in `folder`; return the valid ones by id and French error messages.

    A bad file is reported (by name) and skipped: it never stops the others from loading.
    """
    formats: dict[str, LabelFormat] = {}
    errors: list[str] = []
    if not folder.is_dir():
        return formats, [f"Dossier des formats d’étiquettes introuvable : {folder}"]
    for path in sorted(folder.glob("*.toml")):
        if path.name.startswith("."):
            continue
        try:
            label_format = _read(path)
        except _FormatError as exc:
            errors.append(f"{path.name} : {exc}")
            continue
        formats[label_format.id] = label_format
    return formats, errors


def load_stocks(folders: Sequence[Path]) -> tuple[dict[str, LabelFormat], list[str]]:
    """Load the stocks of each folder in turn: a later folder adds ids and replaces same ids.

    A bad file replaces nothing: the stock of the same id in an earlier folder stays in use, and
    the file is reported with the others.
    """
    formats: dict[str, LabelFormat] = {}
    errors: list[str] = []
    for folder in folders:
        found, problems = load_formats(folder)
        formats.update(found)
        errors.extend(problems)
    return formats, errors


class _FormatError(Exception):
    """A label stock file that cannot be used; the message is French and names the problem."""


def _read(path: Path) -> LabelFormat:
    """Parse and check one stock file."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise _FormatError(f"TOML invalide ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _FormatError(f"fichier illisible ({exc})") from exc
    format_id = path.stem
    if not _ID.match(format_id):
        raise _FormatError(
            "le nom du fichier sert d’identifiant et ne doit contenir que des minuscules, "
            "des chiffres, « - » ou « _ »"
        )
    if "id" in data and data["id"] != format_id:
        raise _FormatError(
            f"« id » vaut {data['id']!r} mais doit être le nom du fichier, {format_id!r}"
        )
    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        names = ", ".join(f"« {name} »" for name in unknown)
        raise _FormatError(f"champ(s) inconnu(s) : {names}")
    values: dict[str, Any] = {"id": format_id}
    for name, required in _TEXT_FIELDS.items():
        value = data.get(name, None if required else "")
        if value is None:
            raise _FormatError(f"champ obligatoire manquant : « {name} »")
        if not isinstance(value, str) or (required and not value.strip()):
            raise _FormatError(f"« {name} » doit être un texte non vide")
        values[name] = value.strip()
    for name in _COUNT_FIELDS:
        value = _required(data, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _FormatError(f"« {name} » doit être un entier supérieur ou égal à 1 ({value!r})")
        values[name] = value
    for name in _SIZE_FIELDS:
        values[name] = _number(name, _required(data, name), minimum=0.0, strict=True)
    for name in _SPACING_FIELDS:
        values[name] = _number(name, _required(data, name), minimum=0.0, strict=False)
    for name in _OFFSET_FIELDS:
        value = _number(name, data.get(name, 0.0), minimum=-MAX_OFFSET_MM, strict=False)
        if value > MAX_OFFSET_MM:
            raise _FormatError(
                f"« {name} » doit être compris entre {_mm(-MAX_OFFSET_MM)} et "
                f"{_mm(MAX_OFFSET_MM)} ({_mm(value)})"
            )
        values[name] = value
    label_format = LabelFormat(**values)
    _check_fits(label_format)
    return label_format


def _required(data: dict[str, Any], name: str) -> Any:
    """Return `data[name]`, or fail naming the missing field."""
    if name not in data:
        raise _FormatError(f"champ obligatoire manquant : « {name} »")
    return data[name]


def _number(name: str, value: Any, *, minimum: float, strict: bool) -> float:
    """Return `value` as a float in millimetres, or fail with a message naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _FormatError(f"« {name} » doit être un nombre (en millimètres), reçu {value!r}")
    if value < minimum or (strict and value == minimum):
        relation = "strictement supérieur à" if strict else "supérieur ou égal à"
        raise _FormatError(f"« {name} » doit être {relation} {_mm(minimum)} ({_mm(value)})")
    return float(value)


def _check_fits(fmt: LabelFormat) -> None:
    """Fail unless the grid of labels, with its margins and gaps, fits on the page."""
    checks = (
        ("largeur", fmt.margin_left_mm, fmt.columns, fmt.label_width_mm, fmt.gap_x_mm,
         fmt.page_width_mm),
        ("hauteur", fmt.margin_top_mm, fmt.rows, fmt.label_height_mm, fmt.gap_y_mm,
         fmt.page_height_mm),
    )  # fmt: skip
    for axis, margin, count, label, gap, page in checks:
        needed = margin + count * label + (count - 1) * gap
        if needed > page + _TOLERANCE_MM:
            raise _FormatError(
                f"la grille dépasse la page en {axis} : {_mm(margin)} + {count} × {_mm(label)} "
                f"+ {count - 1} × {_mm(gap)} = {_mm(needed)} > {_mm(page)}"
            )


def _mm(value: float) -> str:
    """Format millimetres the French way: `15,15 mm`."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " mm"
