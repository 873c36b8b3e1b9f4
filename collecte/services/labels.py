"""Printing QR labels: a donation's, any list of tags, one device's, and blank tags.

The stocks are those shipped with collecte (see `collecte.documents.label_stocks`), plus the
files of `settings.labels_dir` (`COLLECTE_LABELS_DIR`), which add stocks or replace shipped ones
of the same id; read on first use and again whenever a file changes; a bad file is logged and
reported by name, and the others still load. Rendering runs in a worker thread: a thousand
labels take about a second, which must not stall the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from collecte.db.tables import BlankTag, Device, Donation, User
from collecte.db.transactions import write_transaction
from collecte.documents.label_sheets import LabelContent, LabelFormat, render_labels
from collecte.documents.label_stocks import LABELS_DIR, load_stocks
from collecte.domain import tags
from collecte.domain.access import Principal, can_see_device
from collecte.domain.clock import now
from collecte.domain.errors import Conflict, Forbidden, Invalid, NotFound
from collecte.domain.fields import field_label
from collecte.domain.vocabulary import Category, Role, label_of
from collecte.i18n import N_, gettext, msg, say
from collecte.services.devices import device_select, parse_code, state_of
from collecte.services.fresh_tags import new_tags
from collecte.services.programme import current_programme
from collecte.settings import Settings

logger = logging.getLogger("collecte")

DEFAULT_SHEET_FORMAT = "avery-l7160"  # donations, lists of tags, blank tags
DEFAULT_SINGLE_FORMAT = "thermal-62x29"  # one device's label: the workshop's label printer
MAX_TAGS_PER_REQUEST = 1000  # labels for a list of tags
MAX_BLANK_TAGS = 1000  # blank tags reserved at once (48 A4 sheets of L7160)


@dataclass(frozen=True)
class LabelsPdf:
    """A rendered PDF of labels and the name to save it under."""

    filename: str
    content: bytes
    count: int
    format_id: str


# --- stocks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """The stocks found in some folders, and one French message per file that could not be used."""

    formats: dict[str, LabelFormat]
    errors: tuple[str, ...]


_catalogues: dict[tuple[Path, ...], tuple[object, Catalogue]] = {}
_catalogues_lock = threading.Lock()


def _signature(folders: tuple[Path, ...]) -> object:
    """What changes when a stock file is added, removed or edited in one of `folders`."""
    try:
        return tuple(
            tuple(sorted((path.name, path.stat().st_mtime_ns, path.stat().st_size)
                         for path in folder.glob("*.toml")))
            for folder in folders
        )  # fmt: skip
    except OSError:
        return None


def stock_folders(extra: Path | None) -> tuple[Path, ...]:
    """The folders read for stocks, in order: the shipped stocks, then `extra` if any."""
    return (LABELS_DIR,) if extra is None else (LABELS_DIR, extra)


def catalogue(extra: Path | None) -> Catalogue:
    """Return the shipped stocks, added to or replaced by those of `extra`, reloaded on change."""
    folders = stock_folders(extra)
    signature = _signature(folders)
    with _catalogues_lock:
        cached = _catalogues.get(folders)
    if cached is not None and cached[0] == signature:
        return cached[1]
    formats, errors = load_stocks(folders)
    for error in errors:
        logger.warning("Label stock skipped (%s): %s", ", ".join(map(str, folders)), error)
    loaded = Catalogue(formats, tuple(errors))
    with _catalogues_lock:
        _catalogues[folders] = (signature, loaded)
    return loaded


def format_view(fmt: LabelFormat) -> dict[str, Any]:
    """The JSON shape of a stock: the fields of its file (millimetres) and `per_page`."""
    return {**dataclasses.asdict(fmt), "per_page": fmt.per_page}


def list_formats(settings: Settings) -> dict[str, Any]:
    """Every usable stock, the defaults, and the files that could not be read."""
    found = catalogue(settings.labels_dir)
    return {
        "formats": [format_view(found.formats[key]) for key in sorted(found.formats)],
        "defaults": {"sheet": DEFAULT_SHEET_FORMAT, "single": DEFAULT_SINGLE_FORMAT},
        "errors": list(found.errors),
    }


def choose_format(
    settings: Settings, format_id: object, skip: object, default: str = DEFAULT_SHEET_FORMAT
) -> tuple[LabelFormat, int]:
    """Return the stock named `format_id` (None: `default`) and `skip`, checked against it."""
    found = catalogue(settings.labels_dir)
    if format_id is None or (isinstance(format_id, str) and not format_id.strip()):
        format_id = default
    if not isinstance(format_id, str):
        raise Invalid(
            msg(
                "Le champ « {field} » doit être l’identifiant d’un format.",
                field=field_label("format"),
            ),
            "format",
        )
    fmt = found.formats.get(format_id.strip().lower())
    if fmt is None:
        known = ", ".join(sorted(found.formats)) or "aucun"
        raise Invalid(
            msg(
                "Format d’étiquettes « {format} » inconnu ; « {field} » possibles : {known}.",
                format=format_id.strip()[:60],
                field=field_label("format"),
                known=known,
            ),
            "format",
            code="unknown_format",
        )
    if isinstance(skip, bool) or not isinstance(skip, int):
        raise Invalid(
            msg("Le champ « {field} » doit être un nombre entier.", field=field_label("skip")),
            "skip",
        )
    if not 0 <= skip < fmt.per_page:
        raise Invalid(
            msg(
                "Le champ « {field} » doit être compris entre 0 et {last} pour ce format "
                "({per_page} étiquette(s) par page) ; reçu {skip}.",
                field=field_label("skip"),
                last=fmt.per_page - 1,
                per_page=fmt.per_page,
                skip=skip,
            ),
            "skip",
        )
    return fmt, skip


# --- label contents ----------------------------------------------------------------------------


def payload(settings: Settings, tag: str) -> str:
    """The QR text: the device page's URL in upper case, so the code stays alphanumeric."""
    return f"{settings.public_url}/d/{tag}".upper()


def device_content(settings: Settings, row: dict[str, Any], language: str = "fr") -> LabelContent:
    """The label of a device row from `device_select()`, its category in `language`."""
    brand_model = " ".join(part for part in (row["brand"], row["model"]) if part)
    return LabelContent(
        tag=row["tag"],
        payload=payload(settings, row["tag"]),
        category=gettext(language, label_of(Category, row["category"])),
        brand_model=brand_model or None,
        serial_number=row["serial_number"] or None,
        donor=row["donor_short_name"] or row["donor_name"],
    )


# What a blank label says in place of the device's category and model.
BLANK_TITLE = N_("Étiquette vierge")
BLANK_HINT = N_("À associer à un appareil")


def blank_content(settings: Settings, tag: str, language: str = "fr") -> LabelContent:
    """The label of a blank tag, not yet bound to a device."""
    return LabelContent(
        tag=tag,
        payload=payload(settings, tag),
        category=gettext(language, BLANK_TITLE),
        brand_model=gettext(language, BLANK_HINT),
        blank=True,
    )


async def _render(
    settings: Settings,
    contents: Sequence[LabelContent],
    fmt: LabelFormat,
    skip: int,
    language: str = "fr",
) -> bytes:
    """Render in a worker thread: never on the event loop."""
    title = say(language, msg("Étiquettes QR — {stock}", stock=fmt.title(language)))
    programme = await current_programme(settings.programme)  # its name, as last set
    work = partial(render_labels, list(contents), fmt, skip, programme.name, title)
    return await anyio.to_thread.run_sync(work)


# --- use cases ---------------------------------------------------------------------------------


async def donation_labels(
    principal: Principal,
    settings: Settings,
    donation_id: int,
    format_id: object = None,
    skip: object = 0,
    language: str = "fr",
) -> LabelsPdf:
    """Every device of a donation, in registration order; its donor or a coordinator."""
    if principal.role not in (Role.DONOR, Role.COORDINATOR):
        raise Forbidden(
            msg("Seuls le donateur et la coordination impriment les étiquettes d’un don.")
        )
    donation = (
        await Donation.select(Donation.id, Donation.number, Donation.donor)
        .where(Donation.id == donation_id)
        .first()
    )
    if donation is None or (
        principal.role is Role.DONOR and donation["donor"] != principal.organization_id
    ):
        raise NotFound(msg("Don {donation_id} introuvable.", donation_id=donation_id), "id")
    fmt, skipped = choose_format(settings, format_id, skip)
    rows = await device_select().where(Device.donation == donation_id).order_by(Device.id)
    if not rows:
        raise Conflict(
            msg(
                "Le don {number} ne compte encore aucun appareil : rien à imprimer.",
                number=donation["number"],
            ),
            code="no_devices",
        )
    contents = [device_content(settings, row, language) for row in rows]
    pdf = await _render(settings, contents, fmt, skipped, language)
    return LabelsPdf(f"etiquettes-{donation['number']}-{fmt.id}.pdf", pdf, len(rows), fmt.id)


async def donation_id_for_number(number: str) -> int:
    """The id of the donation numbered `number` (`LOT-2026-00001`, any case)."""
    cleaned = number.strip().upper()
    row = await Donation.select(Donation.id).where(Donation.number == cleaned).first()
    if row is None:
        raise NotFound(msg("Don {number} introuvable.", number=cleaned), "donation")
    return int(row["id"])


async def _contents(
    principal: Principal,
    settings: Settings,
    wanted: Sequence[tuple[str, str]],
    language: str,
) -> list[LabelContent]:
    """The labels of (tag, field) pairs, in order; NotFound naming the first one not visible.

    A coordinator may also reprint blank tags that are not bound yet.
    """
    unique = sorted({tag for tag, _ in wanted})
    rows = {row["tag"]: row for row in await device_select().where(Device.tag.is_in(unique))}
    visible = {tag for tag, row in rows.items() if can_see_device(principal, state_of(row))}
    blank: set[str] = set()
    if principal.role is Role.COORDINATOR and len(visible) < len(unique):
        others = [tag for tag in unique if tag not in visible]
        blank = {
            row["tag"]
            for row in await BlankTag.select(BlankTag.tag).where(
                BlankTag.tag.is_in(others) & BlankTag.device.is_null()
            )
        }
    missing = [(tag, field) for tag, field in wanted if tag not in visible and tag not in blank]
    if missing:
        tag, field = missing[0]
        raise NotFound(
            msg("Aucun appareil visible avec l’étiquette {tag}.", tag=tags.display(tag)),
            field,
            missing=sorted({tags.display(tag) for tag, _ in missing}),
        )
    return [
        device_content(settings, rows[tag], language)
        if tag in visible
        else blank_content(settings, tag, language)
        for tag, _ in wanted
    ]


async def tag_labels(
    principal: Principal,
    settings: Settings,
    codes: object,
    format_id: object = None,
    skip: object = 0,
    language: str = "fr",
) -> LabelsPdf:
    """Labels for a list of tags or label URLs, in the order given (repeats print twice).

    Every tag must be one the caller may see; a coordinator may also reprint unbound blank tags.
    """
    if not isinstance(codes, list) or not codes:
        raise Invalid(
            msg(
                "Le champ « {field} » doit être une liste non vide d’étiquettes.",
                field=field_label("tags"),
            ),
            "tags",
        )
    if len(codes) > MAX_TAGS_PER_REQUEST:
        raise Invalid(
            msg(
                "Au plus {max} étiquettes par requête.",
                max=MAX_TAGS_PER_REQUEST,
            ),
            "tags",
        )
    wanted = [
        (parse_code(code, f"tags[{index}]"), f"tags[{index}]") for index, code in enumerate(codes)
    ]
    fmt, skipped = choose_format(settings, format_id, skip)
    contents = await _contents(principal, settings, wanted, language)
    pdf = await _render(settings, contents, fmt, skipped, language)
    return LabelsPdf(f"etiquettes-{len(contents)}-{fmt.id}.pdf", pdf, len(contents), fmt.id)


async def device_label(
    principal: Principal,
    settings: Settings,
    code: object,
    format_id: object = None,
    skip: object = 0,
    language: str = "fr",
) -> LabelsPdf:
    """One device's label; by default on the thermal roll (`skip` places it on a used sheet)."""
    tag = parse_code(code, "tag")
    fmt, skipped = choose_format(settings, format_id, skip, default=DEFAULT_SINGLE_FORMAT)
    contents = await _contents(principal, settings, [(tag, "tag")], language)
    pdf = await _render(settings, contents, fmt, skipped, language)
    return LabelsPdf(f"etiquette-{tags.display(tag)}-{fmt.id}.pdf", pdf, 1, fmt.id)


async def reserve_blank_tags(
    principal: Principal,
    settings: Settings,
    count: object,
    format_id: object = None,
    skip: object = 0,
    language: str = "fr",
) -> LabelsPdf:
    """Reserve `count` new tags for labels printed ahead of a collection day; coordinators only.

    Each is bound to the first device registered with it (`"tag"` of a device). Nothing is
    reserved unless the whole request is valid.
    """
    if principal.role is not Role.COORDINATOR:
        raise Forbidden(msg("Seule la coordination imprime des étiquettes vierges."))
    if isinstance(count, bool) or not isinstance(count, int):
        raise Invalid(
            msg("Le champ « {field} » doit être un nombre entier.", field=field_label("count")),
            "count",
        )
    if not 1 <= count <= MAX_BLANK_TAGS:
        raise Invalid(
            msg(
                "Le champ « {field} » doit être compris entre 1 et {max} ; reçu {count}.",
                field=field_label("count"),
                max=MAX_BLANK_TAGS,
                count=count,
            ),
            "count",
        )
    fmt, skipped = choose_format(settings, format_id, skip)
    async with write_transaction():
        reserved = await new_tags(count)
        moment = now()
        await BlankTag.insert(
            *[
                BlankTag(tag=tag, created_by=principal.user_id, created_at=moment)
                for tag in reserved
            ]
        )
    contents = [blank_content(settings, tag, language) for tag in reserved]
    pdf = await _render(settings, contents, fmt, skipped, language)
    return LabelsPdf(f"etiquettes-vierges-{count}-{fmt.id}.pdf", pdf, count, fmt.id)


async def first_coordinator() -> Principal:
    """The oldest active coordinator account: who the command line acts as."""
    row = (
        await User.select(
            User.id,
            User.email,
            User.full_name,
            User.organization.id.as_alias("org_id"),
            User.organization.name.as_alias("org_name"),
        )
        .where((User.organization.kind == Role.COORDINATOR.value) & (User.is_active.eq(True)))
        .order_by(User.id)
        .first()
    )
    if row is None:
        raise NotFound(
            msg(
                "Aucun compte de coordination actif dans la base : créez-en un avec "
                "« collecte create-user --role coordinator … » (ou lancez « collecte serve »)."
            ),
            code="no_coordinator",
        )
    return Principal(
        user_id=row["id"],
        email=row["email"],
        full_name=row["full_name"],
        organization_id=row["org_id"],
        organization_name=row["org_name"],
        role=Role.COORDINATOR,
    )
