"""Every text a certificate prints, kept within what a page can hold; pure.

Input validation keeps new values short and on one line, but a certificate also prints values
stored before those rules, and values of the programme's settings. Before laying a document out,
`bounded` makes each one-line value one line of at most `LINE_MAX` characters and each address at
most `ADDRESS_LINES` lines, shortening with "…" what is cut. `wrap` then breaks a value into the
lines of a column, at most `max_lines` of them. No row or block can so grow taller than a page.

The document's fingerprint is computed on the values as given, before this shortening.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

from collecte.documents.certificates.model import (
    CertificateDevice,
    CertificateDocument,
    CertificateMedium,
    Party,
    ProgrammeInfo,
)
from collecte.documents.certificates.text import units
from collecte.documents.certificates.text import width as stringWidth

ELLIPSIS = "…"
LINE_MAX = 200  # what validation accepts for one line
ADDRESS_LINES = 6  # what validation accepts for an address
LONG_TEXT_MAX = 2000  # the programme's legal mention
# Values that may hold several lines; every other text field is one line.
_MULTI_LINE = {"address": ADDRESS_LINES, "legal_mention": 12}
_SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def shorten(value: str, limit: int = LINE_MAX) -> str:
    """Return `value` on one line (line breaks and controls as spaces), cut to `limit`
    characters with "…" when longer."""
    value = _SPACES.sub(" ", value).strip()
    if len(value) <= limit:
        return value
    return value[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def shorten_lines(value: str, max_lines: int, limit: int = LINE_MAX) -> str:
    """Return at most `max_lines` non-blank lines of `value`, each shortened; "…" ends the
    last when lines were dropped."""
    lines = [shorten(line, limit) for line in value.splitlines() if line.strip()]
    if len(lines) <= max_lines:
        return "\n".join(lines)
    kept = lines[:max_lines]
    kept[-1] = shorten(kept[-1], limit - 2).removesuffix(ELLIPSIS).rstrip() + " " + ELLIPSIS
    return "\n".join(kept)


def _bound_value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _MULTI_LINE:
        return shorten_lines(value, _MULTI_LINE[name], LONG_TEXT_MAX)
    return shorten(value, LINE_MAX)


def _bound(obj: Any) -> Any:
    """Return a copy of a model dataclass with every text in bounds, recursively."""
    changes: dict[str, Any] = {}
    for field in fields(obj):
        value = getattr(obj, field.name)
        if isinstance(value, Party | ProgrammeInfo | CertificateDevice | CertificateMedium):
            new = _bound(value)
        elif isinstance(value, tuple):
            new = tuple(
                _bound(item) if isinstance(item, CertificateDevice | CertificateMedium)
                else _bound_value(field.name, item)
                for item in value
            )  # fmt: skip
        elif field.name in ("verify_url", "content_fingerprint", "number", "kind", "language"):
            new = value  # identifiers: never cut
        else:
            new = _bound_value(field.name, value)
        if new != value:
            changes[field.name] = new
    return replace(obj, **changes) if changes else obj


def bounded(doc: CertificateDocument) -> CertificateDocument:
    """Return `doc` with every one-line text on one line of at most 200 characters and every
    address on at most six lines; a value within bounds is kept as it is."""
    return _bound(doc)  # type: ignore[no-any-return]


def _break_word(word: str, font: str, size: float, width: float) -> list[str]:
    """Return `word` cut into pieces that each fit `width`."""
    pieces, current = [], ""
    for char in word:
        if current and stringWidth(current + char, font, size) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Return the lines of `text` (its own line breaks kept) wrapped to `width` at spaces, a
    word wider than the column broken, at most `max_lines` lines, the last ending with "…"
    when some text did not fit."""
    out: list[str] = []
    space = units(" ", font)  # widths in thousandths of the size: sums of whole numbers, exact
    for paragraph in text.split("\n"):
        if units(paragraph, font) * size / 1000 <= width and not paragraph.startswith(" "):
            # most values: one line as it is (a leading space would be dropped below)
            out.append(paragraph)
            if len(out) > max_lines:
                break
            continue
        line, used = "", 0.0
        for word in paragraph.split(" "):
            word_units = units(word, font)
            candidate = used + space + word_units if line else word_units
            if candidate * size / 1000 <= width:
                line, used = (f"{line} {word}" if line else word), candidate
                continue
            if line:
                out.append(line)
            pieces = _break_word(word, font, size, width) or [""]
            out.extend(pieces[:-1])
            line, used = pieces[-1], units(pieces[-1], font)
        out.append(line)
        if len(out) > max_lines:
            break
    if len(out) <= max_lines:
        return out
    kept = out[:max_lines]
    last = kept[-1]
    while last and stringWidth(last + ELLIPSIS, font, size) > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + ELLIPSIS
    return kept
