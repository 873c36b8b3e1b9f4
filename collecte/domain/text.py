"""Free text as people type it: one line, or a few lines, within limits; checked once. Pure.

Every text accepted here can be printed: a single-line field (a brand, a serial, a name) holds
no line break or control character, which would stack a table cell taller than a page; a
multi-line field (an address, notes) has a bounded number of lines. Refusals name the field.
"""

from __future__ import annotations

import re
from typing import Any

from collecte.domain.errors import Invalid
from collecte.domain.fields import field_label
from collecte.i18n import msg

# C0 and C1 control characters (line breaks and tabs among them), DEL, and the Unicode line and
# paragraph separators: none belongs in one line of text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NEWLINES = re.compile("\r\n|\r|\u2028|\u2029")
# The same rules as msgspec / JSON Schema patterns, for the request structs. `str.strip()`
# removes what Python calls whitespace (listed, since a schema's `\s` is not Python's), then no
# control character may remain; a required field must keep something after stripping.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INNER = r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]"
_EDGE = rf"[^{WHITESPACE}\x00-\x1f\x7f-\x9f\u2028\u2029]"
_FILLED = rf"{_EDGE}(?:{_INNER}*{_EDGE})?"
SINGLE_LINE = rf"^[{WHITESPACE}]*(?:{_FILLED})?[{WHITESPACE}]*$"
FILLED_LINE = rf"^[{WHITESPACE}]*{_FILLED}[{WHITESPACE}]*$"

SINGLE_MAX = 200
ADDRESS_MAX, ADDRESS_LINES = 500, 6
NOTES_MAX, NOTES_LINES = 2000, 20


def has_control(value: str) -> bool:
    """Whether `value` holds a line break or another control character."""
    return _CONTROL.search(value) is not None


def one_line_sentence(field: str) -> Any:
    """The refusal of a line break or control character in `field`."""
    return msg(
        "Le champ « {field} » doit tenir sur une ligne, sans saut de ligne ni caractère de "
        "contrôle.",
        field=field_label(field),
    )


def _too_long(field: str, max_length: int) -> Invalid:
    return Invalid(
        msg(
            "Le champ « {field} » dépasse {max_length} caractères.",
            field=field_label(field),
            max_length=max_length,
        ),
        field,
    )


def single_line(field: str, value: Any, max_length: int = SINGLE_MAX) -> str | None:
    """Return `value` stripped (None when blank), or raise Invalid naming `field`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(
            msg("Le champ « {field} » doit être un texte.", field=field_label(field)), field
        )
    value = value.strip()
    if not value:
        return None
    if _CONTROL.search(value):
        raise Invalid(one_line_sentence(field), field)
    if len(value) > max_length:
        raise _too_long(field, max_length)
    return value


def multi_line(field: str, value: Any, max_length: int, max_lines: int) -> str | None:
    """Return `value` with its lines joined by "\\n", each stripped on the right, blank lines
    at both ends dropped (None when blank); or raise Invalid naming `field`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(
            msg("Le champ « {field} » doit être un texte.", field=field_label(field)), field
        )
    lines = [line.replace("\t", " ").rstrip() for line in _NEWLINES.sub("\n", value).split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    if any(_CONTROL.search(line) for line in lines):
        raise Invalid(
            msg(
                "Le champ « {field} » contient un caractère de contrôle interdit.",
                field=field_label(field),
            ),
            field,
        )
    if len(lines) > max_lines:
        raise Invalid(
            msg(
                "Le champ « {field} » dépasse {max_lines} lignes.",
                field=field_label(field),
                max_lines=max_lines,
            ),
            field,
        )
    text = "\n".join(lines)
    if len(text) > max_length:
        raise _too_long(field, max_length)
    return text


def address(field: str, value: Any) -> str | None:
    """A postal address: at most six lines and 500 characters."""
    return multi_line(field, value, ADDRESS_MAX, ADDRESS_LINES)


def notes(field: str, value: Any) -> str | None:
    """Free notes: at most twenty lines and 2,000 characters."""
    return multi_line(field, value, NOTES_MAX, NOTES_LINES)
