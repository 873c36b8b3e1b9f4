"""Wording and number formatting for certificates, in French and English; pure, no reportlab."""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime

from num2words import num2words

from collecte.domain.clock import NOUMEA  # tzdata is a dependency: the zone is always there
from collecte.domain.tags import display

LANGUAGES = ("fr", "en")
NBSP = "\u00a0"  # the narrow no-break space (U+202F) is missing from the PDF standard fonts

MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip

CATEGORIES = {
    "fr": {
        "laptop": "Ordinateur portable",
        "desktop": "Ordinateur fixe",
        "monitor": "Écran",
        "tablet": "Tablette",
        "smartphone": "Smartphone",
        "printer": "Imprimante",
        "network": "Équipement réseau",
        "peripheral": "Périphérique",
        "other": "Autre",
    },
    "en": {
        "laptop": "Laptop",
        "desktop": "Desktop computer",
        "monitor": "Monitor",
        "tablet": "Tablet",
        "smartphone": "Smartphone",
        "printer": "Printer",
        "network": "Network equipment",
        "peripheral": "Peripheral",
        "other": "Other",
    },
}

# NIST SP 800-88 names the three levels in English; the French gloss helps the reader.
WIPE_METHODS = {
    "fr": {
        "clear": "Clear (effacement logique)",
        "purge": "Purge (effacement sécurisé)",
        "destroy": "Destroy (destruction physique)",
    },
    "en": {
        "clear": "Clear (logical overwrite)",
        "purge": "Purge (secure erase)",
        "destroy": "Destroy (physical destruction)",
    },
}

DESTINATIONS = {
    "fr": {"reuse": "Réemploi", "recycling": "Recyclage"},
    "en": {"reuse": "Reuse", "recycling": "Recycling"},
}

TITLES = {
    "fr": {
        "donation": "Attestation de don en nature",
        "erasure": "Certificat d'effacement des données",
        "recycling": "Certificat de recyclage",
        "receipt": "Attestation de réception",
    },
    "en": {
        "donation": "Certificate of in-kind donation",
        "erasure": "Data erasure certificate",
        "recycling": "Recycling certificate",
        "receipt": "Certificate of receipt",
    },
}

TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "number": "N° {number}",
        "issued_f": "Établie le {when} (heure de Nouméa)",
        "issued_m": "Établi le {when} (heure de Nouméa)",
        "ridet": "RIDET : {ridet}",
        "ridet_unknown": "RIDET : non communiqué",
        "operated_by": "Programme porté par {operator}",
        "verify_online": "Vérifiable en ligne :",
        "verify_scan": "scannez le code ou consultez",
        "page": "page {page} / {pages}",
        "fingerprint": "Empreinte SHA-256 du contenu : {fingerprint}",
        "yes": "oui",
        "no": "non",
        "none": "—",
        # parties
        "party_donor": "Donateur",
        "party_donor_owner": "Donateur (propriétaire d'origine)",
        "party_beneficiary": "Organisme bénéficiaire",
        "party_reconditioner": "Reconditionneur",
        "party_erasure_operator": "Opérateur de l'effacement",
        "party_association": "Association bénéficiaire",
        "party_channel": "Filière de traitement",
        "operator_person": "Opérateur : {name}",
        # statements
        "intro_donation": (
            "{operator}, gestionnaire du programme {programme}, atteste avoir reçu de "
            "{donor}, à titre de don, les biens désignés ci-dessous."
        ),
        "intro_erasure": (
            "{who} certifie avoir effacé les données des supports de stockage des appareils "
            "désignés ci-dessous, le {when}, selon la méthode indiquée pour chacun, conformément "
            "aux lignes directrices NIST SP 800-88 (Guidelines for Media Sanitization)."
        ),
        "intro_recycling": (
            "{operator}, gestionnaire du programme {programme}, certifie que les appareils "
            "désignés ci-dessous, donnés par {donor}, ont été remis le {when} à la filière de "
            "traitement {channel} pour y être recyclés."
        ),
        "intro_receipt": (
            "{association} atteste avoir reçu les appareils reconditionnés désignés ci-dessous, "
            "remis gracieusement dans le cadre du programme {programme}."
        ),
        "who_erasure": "{name}, pour le compte de {organisation},",
        # detail lines
        "handover_date": "Date de remise",
        "gift_nature": "Nature du don",
        "gift_nature_text": (
            "Don manuel, en nature, consenti sans contrepartie directe ou indirecte au profit "
            "du donateur."
        ),
        "erasure_when": "Date et heure de l'effacement",
        "erasure_standard": "Référentiel",
        "erasure_standard_text": "NIST SP 800-88 Rev. 1 (Clear, Purge, Destroy)",
        "recycling_when": "Date de remise à la filière",
        "receipt_when": "Date de réception",
        "receipt_place": "Lieu",
        "receipt_by": "Reçu par",
        "not_given": "non renseigné",
        # table
        "col_index": "N°",
        "col_tag": "Étiquette",
        "col_category": "Catégorie",
        "col_model": "Marque / modèle",
        "col_serial": "N° de série",
        "col_value": "Valeur déclarée",
        "col_weight": "Poids",
        "col_device": "Appareil",
        "col_serial_media": "N° de série et supports",
        "col_method": "Méthode (NIST SP 800-88)",
        "col_tool": "Outil et version",
        "col_check": "Vérification et résultat",
        "col_destination": "Destination",
        "col_grade": "Grade",
        "col_erasure_cert": "Certificat d'effacement",
        "storage": "Support : {serial}",
        "checked": "Vérifié : {yesno}",
        "total": "Total",
        "devices": "{count} appareil",
        "devices_plural": "{count} appareils",
        "total_devices": "Nombre d'appareils",
        "total_value": "Valeur totale déclarée",
        "total_value_words": (
            "Arrêtée la présente attestation à la somme de {words} ({figures}), valeur déclarée "
            "par le donateur sous sa responsabilité."
        ),
        "value_missing": "dont {count} sans valeur déclarée",
        "total_weight": "Poids total",
        "weight_missing": "dont {count} de poids non renseigné",
        "total_media": "Supports de stockage effacés",
        "total_methods": "Méthodes",
        "total_verified": "Vérification effectuée",
        "total_grades": "Répartition par grade",
        "total_reconditioners": "Reconditionneur",
        "legal": "Mention légale",
        # signatures
        "sign_for_donor": "Pour le donateur",
        "sign_for_programme": "Pour {operator}, programme {programme}",
        "sign_for_association": "Pour l'association",
        "sign_for_reconditioner": "Pour le reconditionneur",
        "sign_hint": "Date, signature et cachet",
        "sign_name": "Nom et qualité : {name}",
        "made_at": "Fait à {place}, le {date}.",
        "made_on": "Fait le {date}.",
        # authenticity
        "authenticity": "Authenticité",
        "authenticity_text": (
            "Ce document peut être vérifié à l'adresse {url} ou en scannant le code QR de "
            "l'en-tête. Son empreinte, calculée sur son contenu (parties, appareils, valeurs), "
            "change à la moindre modification."
        ),
    },
    "en": {
        "number": "No. {number}",
        "issued_f": "Issued on {when} (Nouméa time)",
        "issued_m": "Issued on {when} (Nouméa time)",
        "ridet": "RIDET: {ridet}",
        "ridet_unknown": "RIDET: not provided",
        "operated_by": "A programme run by {operator}",
        "verify_online": "Verify online:",
        "verify_scan": "scan the code or visit",
        "page": "page {page} / {pages}",
        "fingerprint": "SHA-256 fingerprint of the content: {fingerprint}",
        "yes": "yes",
        "no": "no",
        "none": "—",
        "party_donor": "Donor",
        "party_donor_owner": "Donor (original owner)",
        "party_beneficiary": "Beneficiary organisation",
        "party_reconditioner": "Reconditioner",
        "party_erasure_operator": "Erasure operator",
        "party_association": "Receiving association",
        "party_channel": "Treatment organisation",
        "operator_person": "Operator: {name}",
        "intro_donation": (
            "{operator}, manager of the {programme} programme, acknowledges having received "
            "from {donor}, as a gift, the goods listed below."
        ),
        "intro_erasure": (
            "{who} certifies having erased the data on the storage media of the devices listed "
            "below on {when}, with the method stated for each, in accordance with the NIST "
            "SP 800-88 guidelines (Guidelines for Media Sanitization)."
        ),
        "intro_recycling": (
            "{operator}, manager of the {programme} programme, certifies that the devices "
            "listed below, donated by {donor}, were handed over on {when} to the treatment "
            "organisation {channel} for recycling."
        ),
        "intro_receipt": (
            "{association} acknowledges having received the refurbished devices listed below, "
            "given free of charge under the {programme} programme."
        ),
        "who_erasure": "{name}, on behalf of {organisation},",
        "handover_date": "Handover date",
        "gift_nature": "Nature of the gift",
        "gift_nature_text": (
            "Manual gift, in kind, made without any direct or indirect consideration for the donor."
        ),
        "erasure_when": "Date and time of erasure",
        "erasure_standard": "Standard",
        "erasure_standard_text": "NIST SP 800-88 Rev. 1 (Clear, Purge, Destroy)",
        "recycling_when": "Handed over to the organisation on",
        "receipt_when": "Date of receipt",
        "receipt_place": "Place",
        "receipt_by": "Received by",
        "not_given": "not provided",
        "col_index": "No.",
        "col_tag": "Tag",
        "col_category": "Category",
        "col_model": "Make / model",
        "col_serial": "Serial number",
        "col_value": "Declared value",
        "col_weight": "Weight",
        "col_device": "Device",
        "col_serial_media": "Serial number and media",
        "col_method": "Method (NIST SP 800-88)",
        "col_tool": "Tool and version",
        "col_check": "Verification and result",
        "col_destination": "Destination",
        "col_grade": "Grade",
        "col_erasure_cert": "Erasure certificate",
        "storage": "Medium: {serial}",
        "checked": "Verified: {yesno}",
        "total": "Total",
        "devices": "{count} device",
        "devices_plural": "{count} devices",
        "total_devices": "Number of devices",
        "total_value": "Total declared value",
        "total_value_words": (
            "This certificate is drawn up for the sum of {words} ({figures}), the value "
            "declared by the donor under its own responsibility."
        ),
        "value_missing": "of which {count} without a declared value",
        "total_weight": "Total weight",
        "weight_missing": "of which {count} with no weight recorded",
        "total_media": "Storage media erased",
        "total_methods": "Methods",
        "total_verified": "Verification done",
        "total_grades": "By grade",
        "total_reconditioners": "Reconditioner",
        "legal": "Legal notice",
        "sign_for_donor": "For the donor",
        "sign_for_programme": "For {operator}, {programme} programme",
        "sign_for_association": "For the association",
        "sign_for_reconditioner": "For the reconditioner",
        "sign_hint": "Date, signature and stamp",
        "sign_name": "Name and position: {name}",
        "made_at": "Done at {place} on {date}.",
        "made_on": "Done on {date}.",
        "authenticity": "Authenticity",
        "authenticity_text": (
            "This document can be verified at {url} or by scanning the QR code in the header. "
            "Its fingerprint, computed over its content (parties, devices, values), changes with "
            "the slightest alteration."
        ),
    },
}

# French sets a no-break space before a colon; the wording above keeps a plain one for legibility.
TEXT["fr"] = {key: value.replace(" : ", f"{NBSP}: ") for key, value in TEXT["fr"].items()}


def text(language: str, key: str, **values: object) -> str:
    """Return the wording `key` in `language`, with `values` filled in."""
    return TEXT[language][key].format(**values)


def title(kind: str, language: str) -> str:
    """Return the document title for a certificate kind."""
    return TITLES[language][kind]


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
    return CATEGORIES[language].get(code, code)


def wipe_method_label(code: str | None, language: str) -> str:
    """Return the NIST SP 800-88 level of a wipe method code."""
    if code is None:
        return TEXT[language]["none"]
    return WIPE_METHODS[language].get(code, code)


def destination_label(code: str | None, language: str) -> str:
    """Return the readable destination (reuse or recycling) of a device."""
    if code is None:
        return TEXT[language]["none"]
    return DESTINATIONS[language].get(code, code)


def yes_no(value: bool | None, language: str) -> str:
    """Return oui / non (yes / no), or a dash when unknown."""
    if value is None:
        return TEXT[language]["none"]
    return TEXT[language]["yes" if value else "no"]


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
    """Return "1er novembre 2026" / "1 November 2026"."""
    month = MONTHS[language][day.month - 1]
    number = "1er" if language == "fr" and day.day == 1 else str(day.day)
    return f"{number} {month} {day.year}"


def format_datetime(moment: datetime, language: str) -> str:
    """Return "23 novembre 2026 à 14 h 05" / "23 November 2026 at 14:05", in Nouméa time."""
    local = to_noumea(moment)
    day = format_date(local.date(), language)
    if language == "fr":
        return f"{day} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"
    return f"{day} at {local.hour:02d}:{local.minute:02d}"


def format_int(value: int, language: str) -> str:
    """Return an integer with thousands separators: "120 000" (fr) / "120,000" (en)."""
    grouped = f"{value:,}"
    return grouped.replace(",", NBSP) if language == "fr" else grouped


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
    grouped = f"{value:,.2f}"
    if language == "fr":
        grouped = grouped.replace(",", NBSP).replace(".", ",")
    return f"{grouped}{NBSP}kg"


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
