"""Wording and number formatting for certificates; pure, no reportlab.

The wording is named by key (the specs say which); each key's French is a msgid of the catalogs,
said in the certificate's language. Names of values (categories, methods, titles) are the
vocabulary's labels, so a certificate reads like the pages.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime
from functools import cache, lru_cache

from babel import Locale
from babel.dates import get_month_names
from babel.numbers import format_decimal
from num2words import num2words

from collecte.domain.clock import NOUMEA  # tzdata is a dependency: the zone is always there
from collecte.domain.tags import display
from collecte.domain.vocabulary import (
    Category,
    CertificateKind,
    Destination,
    ErasureResult,
    MediumKind,
    MethodClass,
    Technique,
    Verification,
    label_of,
)
from collecte.i18n import N_, gettext, say

LANGUAGES = ("fr", "en")
NBSP = "\u00a0"  # the narrow no-break space (U+202F) is missing from the PDF standard fonts

# The certificates' fixed wording by key (French msgids; English comes from the catalog).
TEXT: dict[str, str] = {
    "number": N_("N° {number}"),
    "replaces": N_("Remplace le certificat n° {number}, qui n’est plus valide."),
    "issued_f": N_("Établie le {when} (heure de Nouméa)"),
    "issued_m": N_("Établi le {when} (heure de Nouméa)"),
    "ridet": N_("RIDET : {ridet}"),
    "ridet_unknown": N_("RIDET : non communiqué"),
    "operated_by": N_("Programme porté par {operator}"),
    "verify_online": N_("Vérifiable en ligne :"),
    "verify_scan": N_("scannez le code ou consultez"),
    "page": N_("page {page} / {pages}"),
    "fingerprint": N_("Empreinte SHA-256 du contenu : {fingerprint}"),
    "yes": N_("oui"),
    "no": N_("non"),
    "none": N_("—"),
    # parties
    "party_donor": N_("Donateur"),
    "party_donor_owner": N_("Donateur (propriétaire d'origine)"),
    "party_beneficiary": N_("Organisme bénéficiaire"),
    "party_reconditioner": N_("Reconditionneur"),
    "party_erasure_operator": N_("Opérateur de l'effacement"),
    "party_association": N_("Association bénéficiaire"),
    "party_channel": N_("Filière de traitement"),
    "operator_person": N_("Opérateur : {name}"),
    "channel_authorization": N_("N° d’autorisation (ICPE) : {number}"),
    # statements
    "intro_donation": N_(
        "{operator}, gestionnaire du programme {programme}, atteste avoir reçu de "
        "{donor}, à titre de don, les biens désignés ci-dessous."
    ),
    "intro_erasure": N_(
        "{who} certifie que les données des supports de stockage marqués « effacement "
        "certifié » ci-dessous ont été effacées selon la technique indiquée pour chacun, et que "
        "cet effacement a été vérifié, conformément à {reference}. Les autres supports du "
        "tableau ne sont pas certifiés effacés."
    ),
    "intro_recycling": N_(
        "{operator}, gestionnaire du programme {programme}, certifie que les appareils "
        "désignés ci-dessous, donnés par {donor}, ont été remis le {when} à la filière de "
        "traitement {channel} pour y être recyclés."
    ),
    "intro_receipt": N_(
        "{association} atteste avoir reçu les appareils reconditionnés désignés ci-dessous, "
        "remis gracieusement dans le cadre du programme {programme}."
    ),
    "who_erasure": N_("{name}, pour le compte de {organisation},"),
    # detail lines
    "handover_date": N_("Date de remise"),
    "gift_nature": N_("Nature du don"),
    "gift_nature_text": N_(
        "Don manuel, en nature, consenti sans contrepartie directe ou indirecte au profit "
        "du donateur."
    ),
    "erasure_when": N_("Enregistré le"),
    "erasure_standard": N_("Référentiel"),
    "erasure_verified_by": N_("Vérifié par"),
    "recycling_when": N_("Date de remise à la filière"),
    "recycling_bsd": N_("Bordereau de suivi des déchets (BSD)"),
    "receipt_when": N_("Date de réception"),
    "receipt_place": N_("Lieu"),
    "receipt_by": N_("Reçu par"),
    "not_given": N_("non renseigné"),
    # table
    "col_index": N_("N°"),
    "col_tag": N_("Étiquette"),
    "col_category": N_("Catégorie"),
    "col_model": N_("Marque / modèle"),
    "col_serial": N_("N° de série"),
    "col_value": N_("Valeur déclarée"),
    "col_value_estimated": N_("Valeur estimée"),
    "col_weight": N_("Poids"),
    "col_weight_source": N_("Pesée"),
    "weight_weighed": N_("pesé"),
    "weight_declared": N_("déclaré"),
    "weight_estimated": N_("estimé"),
    "col_device": N_("Appareil"),
    "col_medium": N_("Support"),
    "col_technique": N_("Classe et technique"),
    "col_tool": N_("Outil et version"),
    "col_when": N_("Effacement"),
    "col_outcome": N_("Résultat"),
    "medium_started": N_("début : {when}"),
    "medium_ended": N_("fin : {when}"),
    "medium_certified": N_("effacement certifié"),
    "medium_not_certified": N_("non certifié"),
    "col_destination": N_("Destination"),
    "destination_is": N_("Destination : {value}"),
    "col_grade": N_("Grade"),
    "col_erasure_cert": N_("Certificat d'effacement"),
    "total": N_("Total"),
    "devices": N_("{count} appareil"),
    "devices_plural": N_("{count} appareils"),
    "total_devices": N_("Nombre d'appareils"),
    "total_value": N_("Valeur totale déclarée"),
    "total_value_words": N_(
        "Arrêtée la présente attestation à la somme de {words} ({figures}), valeur déclarée "
        "par le donateur sous sa responsabilité."
    ),
    "value_missing": N_("dont {count} sans valeur déclarée"),
    "total_value_estimated": N_("Total, valeur estimée par le donateur"),
    "value_estimated_note": N_(
        "Valeur estimée par le donateur, sous sa responsabilité, sans expertise du programme. "
        "Cette attestation n'est pas un reçu fiscal."
    ),
    "total_value_receipt": N_("Montant du don (valeur déclarée par le donateur)"),
    "tax_receipt": N_("Reçu fiscal"),
    "tax_receipt_text": N_(
        "Reçu au titre des dons à un organisme d'intérêt général, selon le modèle de la "
        "direction des services fiscaux ; numéro d'ordre {number}."
    ),
    "gift_form": N_("Forme du don"),
    "gift_form_text": N_("Don en nature (biens désignés ci-dessous)"),
    "total_weight": N_("Poids total"),
    "weight_missing": N_("dont {count} de poids non renseigné"),
    "total_weighed": N_("dont poids pesé"),
    "total_declared": N_("dont poids déclaré à l’enregistrement"),
    "total_estimated": N_("dont poids estimé"),
    "weight_sources_note": N_(
        "Poids « pesé » : mesuré lors de la remise à la filière. Poids « déclaré » : indiqué à "
        "l’enregistrement de l’appareil, non pesé à la remise. Poids « estimé » : poids moyen "
        "retenu par le programme pour la catégorie de l’appareil, qui n’a pas été pesé."
    ),
    "total_media": N_("Supports de stockage"),
    "total_certified": N_("Effacement certifié"),
    "total_not_certified": N_("Non certifiés"),
    "media": N_("{count} support"),
    "media_plural": N_("{count} supports"),
    "total_grades": N_("Répartition par grade"),
    "total_reconditioners": N_("Reconditionneur"),
    "legal": N_("Mention légale"),
    # signatures
    "sign_for_donor": N_("Pour le donateur"),
    "sign_for_programme": N_("Pour {operator}, programme {programme}"),
    "sign_for_association": N_("Pour l'association"),
    "sign_for_reconditioner": N_("Pour le reconditionneur"),
    "sign_hint": N_("Date, signature et cachet"),
    "sign_name": N_("Nom et qualité : {name}"),
    "signed_by": N_("Signé par : {name}"),
    "signed_on_screen": N_("Signature recueillie à l'écran"),
    "closed_unsigned": N_(
        "Enlèvement clôturé sans signature à la fin de la journée (heure de Nouméa)."
    ),
    "pickup": N_("Enlèvement"),
    "made_at": N_("Fait à {place}, le {date}."),
    "made_on": N_("Fait le {date}."),
    # authenticity
    "authenticity": N_("Authenticité"),
    "authenticity_text": N_(
        "Ce document peut être vérifié à l'adresse {url} ou en scannant le code QR de "
        "l'en-tête. Son empreinte, calculée sur son contenu (parties, appareils, valeurs), "
        "change à la moindre modification."
    ),
}


def _french_spacing(language: str, text: str) -> str:
    """French sets a no-break space before a colon; the msgids keep a plain one."""
    return text.replace(" : ", f"{NBSP}: ") if language == "fr" else text


def text(language: str, key: str, **values: object) -> str:
    """Return the wording `key` in `language`, with `values` filled in."""
    if not values:
        return _fixed_text(language, key)
    return _french_spacing(language, say(language, TEXT[key], **values))


@cache
def _fixed_text(language: str, key: str) -> str:
    """A wording without placeholders: the same every time (a certificate prints dozens)."""
    return _french_spacing(language, say(language, TEXT[key]))


def title(kind: str, language: str) -> str:
    """Return the document title for a certificate kind."""
    return gettext(language, label_of(CertificateKind, kind))


def plural(language: str, count: int) -> str:
    """Return "1 appareil" / "3 appareils" (French counts 0 and 1 as singular)."""
    singular = count <= 1 if language == "fr" else count == 1
    return text(
        language, "devices" if singular else "devices_plural", count=format_int(count, language)
    )


def colon(language: str) -> str:
    """Return a colon with the spacing of the language: " : " in French, ": " in English."""
    return f"{NBSP}: " if language == "fr" else ": "


def category_label(code: str, language: str) -> str:
    """Return the readable name of a device category code (the code itself when unknown)."""
    return gettext(language, label_of(Category, code))


def method_class_label(code: str, language: str) -> str:
    """Return the class a medium's sanitisation reached (Clear, Purge, Destruct)."""
    return gettext(language, label_of(MethodClass, code))


def technique_label(code: str, language: str) -> str:
    """Return the technique applied to a medium."""
    return gettext(language, label_of(Technique, code))


def medium_kind_label(code: str, language: str) -> str:
    """Return the kind of a storage medium."""
    return gettext(language, label_of(MediumKind, code))


def result_label(code: str, language: str) -> str:
    """Return the result of an erasure pass."""
    return gettext(language, label_of(ErasureResult, code))


def verification_label(code: str, language: str) -> str:
    """Return how an erasure was verified."""
    return gettext(language, label_of(Verification, code))


def media_count(language: str, count: int) -> str:
    """Return "1 support" / "3 supports"."""
    singular = count <= 1 if language == "fr" else count == 1
    return text(
        language, "media" if singular else "media_plural", count=format_int(count, language)
    )


@cache
def _locale(language: str) -> Locale:
    """The babel locale of a language, parsed once: babel builds a new one for every string."""
    return Locale.parse(language)


@cache
def _month_names(language: str) -> dict[int, str]:
    """The months' names in a language, by number."""
    return dict(get_month_names("wide", locale=_locale(language)))


@lru_cache(maxsize=1024)  # a batch's media share a few capacities
def format_capacity(gigabytes: float, language: str) -> str:
    """Return a capacity: "512 Go", "1,5 To" / "512 GB", "1.5 TB"."""
    unit, value = ("To", gigabytes / 1000) if gigabytes >= 1000 else ("Go", gigabytes)
    if language == "en":
        unit = {"To": "TB", "Go": "GB"}[unit]
    figures = format_decimal(round(value, 1), locale=_locale(language))
    return f"{_pdf_spaces(figures)}{NBSP}{unit}"


@lru_cache(maxsize=4096)  # and their erasures, a few moments
def format_moment(moment: str | None, language: str) -> str | None:
    """Return a stored ISO 8601 moment as a date and time in Nouméa, or None."""
    if not moment:
        return None
    return format_datetime(datetime.fromisoformat(moment), language)


def destination_label(code: str | None, language: str) -> str:
    """Return the readable destination (reuse or recycling) of a device."""
    if code is None:
        return text(language, "none")
    return gettext(language, label_of(Destination, code))


def yes_no(value: bool | None, language: str) -> str:
    """Return oui / non (yes / no), or a dash when unknown."""
    if value is None:
        return text(language, "none")
    return text(language, "yes" if value else "no")


def format_tag(tag: str) -> str:
    """Return the tag as printed, whatever its case or dashes (anything else unchanged)."""
    compact = tag.replace("-", "").strip().upper()
    return display(compact) if len(compact) == 8 else tag


def to_noumea(moment: datetime) -> datetime:
    """Return `moment` in Nouméa time; a naive datetime is refused, its zone would be a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware")
    return moment.astimezone(NOUMEA)


def format_date(day: date, language: str) -> str:
    """Return "1er novembre 2026" / "1 November 2026" (the month's name from the locale)."""
    month = _month_names(language)[day.month]
    number = "1er" if language == "fr" and day.day == 1 else str(day.day)
    return f"{number} {month} {day.year}"


def format_datetime(moment: datetime, language: str) -> str:
    """Return "23 novembre 2026 à 14 h 05" / "23 November 2026 at 14:05", in Nouméa time."""
    local = to_noumea(moment)
    day = format_date(local.date(), language)
    if language == "fr":
        return f"{day} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"
    return f"{day} at {local.hour:02d}:{local.minute:02d}"


def _pdf_spaces(text: str) -> str:
    # The locale's narrow no-break space (U+202F) is missing from the PDF standard fonts.
    return text.replace("\u202f", NBSP)


# Each language's thousands separator, as its locale groups integers (fr: a narrow no-break
# space, printed as a no-break space): Python's own grouping then does what babel does, without
# its number-pattern machinery, once per amount of a certificate of thousands of devices.
_THOUSANDS = {"fr": NBSP, "en": ","}


def format_int(value: int, language: str) -> str:
    """Return an integer with the locale's grouping: "120 000" (fr) / "120,000" (en)."""
    return f"{value:,}".replace(",", _THOUSANDS[language])


def format_xpf(value: int, language: str) -> str:
    """Return an amount in francs CFP in figures: "120 000 XPF"."""
    return f"{format_int(value, language)}{NBSP}XPF"


def xpf_in_words(value: int, language: str) -> str:
    """Return an amount in francs CFP in words: "cent vingt mille francs CFP"."""
    if value < 0:
        raise ValueError("an amount in words must not be negative")
    words = str(num2words(value, lang=language)).replace(",", "")
    if language == "fr":
        # "un million de francs", but "un million deux cent mille francs"
        joiner = " de " if words.endswith(("million", "millions", "milliard", "milliards")) else " "
        return f"{words}{joiner}{'franc' if value <= 1 else 'francs'} CFP"
    return f"{words} {'CFP franc' if value == 1 else 'CFP francs'}"


def format_kg(value: float, language: str) -> str:
    """Return a weight in kilograms with two decimals: "1 234,50 kg" (fr) / "1,234.50 kg" (en)."""
    figures = format_decimal(round(value, 2), format="#,##0.00", locale=_locale(language))
    return f"{_pdf_spaces(figures)}{NBSP}kg"


def sum_kg(values: list[float]) -> float:
    """Return an exact-as-possible sum of weights (no drift over thousands of devices)."""
    return math.fsum(values)


def pdf_safe(value: str) -> str:
    """Return `value` drawable with the PDF standard fonts (Windows-1252 repertoire).

    Characters outside it lose their accents ("ē" → "e") rather than print as black boxes.
    """
    value = unicodedata.normalize("NFC", value).replace("\u202f", NBSP).replace("\u2009", " ")
    try:
        value.encode("cp1252")
        return value
    except UnicodeEncodeError:
        pass
    out = []
    for char in value:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            try:
                base.encode("cp1252")
                out.append(base or "?")
            except UnicodeEncodeError:
                out.append("?")
    return "".join(out)
