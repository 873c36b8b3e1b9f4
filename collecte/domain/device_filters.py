"""What a device list asks for: the search, the filters, the page size and where the page
starts. Pure: no web, no database.

The API (`GET /api/devices`) and every list page parse their parameters here, so a bad value is
refused with the same sentence naming the same parameter everywhere. The cursor is opaque to
clients: a direction and a device id (pages are keyset on id, newest first, so a device
registered while someone walks the pages never shifts them).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import Enum
from typing import TypeVar

from collecte.domain import tags
from collecte.domain.clock import NOUMEA
from collecte.domain.errors import Invalid
from collecte.domain.impact import Period, parse_period
from collecte.domain.lifecycle import CERTIFICATE_PREFIX
from collecte.domain.vocabulary import Category, Status
from collecte.i18n import msg

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_QUERY = 200  # the longest searchable field (serial, brand, model) holds 200 characters
MAX_ID = 2**31 - 1  # organisation ids are 32-bit serials
_LOT = re.compile(r"LOT-\d{4}-\d{5}")
_CERTIFICATE = re.compile("(" + "|".join(CERTIFICATE_PREFIX.values()) + r")-\d{4}-\d{5}")
_TAG_NOISE = str.maketrans("", "", " -")
E = TypeVar("E", bound=Enum)
_CURSOR = re.compile(r"([ab])(\d{1,10})")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the devices `after` (older than) or `before` (newer than) an id."""

    direction: str  # "after" or "before"
    device_id: int

    def encode(self) -> str:
        """The opaque form clients send back (`?cursor=`)."""
        raw = f"{self.direction[0]}{self.device_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> Invalid:
    return Invalid(
        msg(
            "Le paramètre « cursor » est invalide : reprenez la valeur « next_cursor » d’une "
            "réponse précédente, telle quelle."
        ),
        "cursor",
        code="invalid_cursor",
    )


def decode_cursor(raw: str | None) -> Cursor | None:
    """The cursor a client sent back, None when absent; Invalid naming `cursor` otherwise."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if len(text) > 16:
        raise _bad_cursor()
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise _bad_cursor() from None
    match = _CURSOR.fullmatch(decoded)
    if match is None or not 1 <= int(match.group(2)) <= MAX_ID:  # device ids are 32-bit too
        raise _bad_cursor()
    direction = "after" if match.group(1) == "a" else "before"
    return Cursor(direction, int(match.group(2)))


@dataclass(frozen=True)
class SearchTerms:
    """What one search text may be: a tag (whole or its beginning), the beginning of a serial,
    brand or model, a lot number, a certificate number. Each kind the text cannot be is None."""

    text: str  # lower-case: serials, brands and models begin with it
    tag: str | None = None  # a whole canonical tag (check character right)
    tag_prefix: str | None = None  # upper-case Crockford characters a tag begins with
    lot: str | None = None
    certificate: str | None = None


def search_terms(raw: str) -> SearchTerms:
    """Read a search text; lenient on case, spaces and dashes in tags, as the scanner is."""
    text = " ".join(raw.split())
    upper = text.upper()
    compact = upper.translate(_TAG_NOISE)
    tag = tag_prefix = None
    if 0 < len(compact) <= tags.TAG_LENGTH:
        try:
            tag = tags.parse(compact) if len(compact) == tags.TAG_LENGTH else None
        except tags.TagError:
            tag = None
        # The forgiven look-alikes (I, L → 1, O → 0), as on a label read aloud.
        lenient = compact.translate(str.maketrans("ILO", "110"))
        if all(char in tags.ALPHABET for char in lenient):
            tag_prefix = lenient
    return SearchTerms(
        text=text.lower(),
        tag=tag,
        tag_prefix=tag_prefix,
        lot=upper if _LOT.fullmatch(upper) else None,
        certificate=upper if _CERTIFICATE.fullmatch(upper) else None,
    )


def prefix_range(prefix: str) -> tuple[str, str]:
    """The bounds [low, high) of the strings that begin with `prefix`, in code point order
    (an index on the column answers a range; `LIKE` with a parameter it may not)."""
    last = prefix[-1]
    following = chr(ord(last) + 1) if ord(last) < 0x10FFFF else last
    return prefix, prefix[:-1] + following


@dataclass(frozen=True)
class DeviceFilters:
    """A device list's search and filters; empty tuples and None mean "any"."""

    terms: SearchTerms | None = None
    statuses: tuple[Status, ...] = ()
    categories: tuple[Category, ...] = ()
    donor_id: int | None = None
    reconditioner_id: int | None = None
    association_id: int | None = None
    period: Period = field(default_factory=Period)
    limit: int = DEFAULT_LIMIT
    cursor: Cursor | None = None

    @property
    def registered_from(self) -> datetime | None:
        """The first moment of the period's first Nouméa day."""
        if self.period.start is None:
            return None
        return datetime.combine(self.period.start, time(), NOUMEA)

    @property
    def registered_before(self) -> datetime | None:
        """The first moment after the period's last Nouméa day."""
        if self.period.end is None:
            return None
        return datetime.combine(self.period.end + timedelta(days=1), time(), NOUMEA)


def _choices(values: Iterable[object] | None, enum: type[E], name: str) -> tuple[E, ...]:
    found: list[E] = []
    for value in values or ():
        for part in str(value).split(","):
            if not part.strip():
                continue
            try:
                found.append(enum(part.strip()))
            except ValueError:
                raise Invalid(
                    msg(
                        "Le paramètre « {name} » doit valoir l’un de : {allowed} "
                        "(reçu « {value} »).",
                        name=name,
                        allowed=", ".join(member.value for member in enum),
                        value=part.strip(),
                    ),
                    name,
                ) from None
    return tuple(dict.fromkeys(found))


def _whole(value: object, name: str, low: int, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        number = int(text) if re.fullmatch(r"[+-]?\d{1,19}", text) else None
    if number is None or not low <= number <= high:
        raise Invalid(
            msg(
                "Le paramètre « {name} » doit être un nombre entier de {low} à {high} "
                "(reçu « {value} »).",
                name=name,
                low=low,
                high=high,
                value=value,
            ),
            name,
        )
    return number


def parse_filters(
    *,
    q: str | None = None,
    status: Iterable[object] | None = None,
    category: Iterable[object] | None = None,
    donor_id: object = None,
    reconditioner_id: object = None,
    association_id: object = None,
    start: str | None = None,
    end: str | None = None,
    limit: object = None,
    cursor: str | None = None,
) -> DeviceFilters:
    """The filters of a device list from its parameters, typed or as typed in a URL (a status
    or category list may also be comma-separated); Invalid naming the parameter at fault."""
    if q is not None and len(q) > MAX_QUERY:
        raise Invalid(msg("Le paramètre « q » dépasse {max} caractères.", max=MAX_QUERY), "q")
    text = " ".join((q or "").split())
    size = _whole(limit, "limit", 1, MAX_LIMIT)
    return DeviceFilters(
        terms=search_terms(text) if text else None,
        statuses=_choices(status, Status, "status"),
        categories=_choices(category, Category, "category"),
        donor_id=_whole(donor_id, "donor_id", 1, MAX_ID),
        reconditioner_id=_whole(reconditioner_id, "reconditioner_id", 1, MAX_ID),
        association_id=_whole(association_id, "association_id", 1, MAX_ID),
        period=parse_period(start, end),
        limit=DEFAULT_LIMIT if size is None else size,
        cursor=decode_cursor(cursor),
    )
