"""Fictional demo data for `collecte demo`: organisations, accounts, donations and their devices.

Everything goes through the service functions, exactly as the HTTP API would call them, so every
rule is checked, every event is appended to the custody log and every number (lots, certificates)
is real. The content is fixed by a seeded random generator: the same call gives the same
organisations, devices and fates (only the tags, random by design, and the dates differ).

Every name, RIDET, address and e-mail here is invented; the word "Exemple" in the names and the
`-exemple.nc` domains say so.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from collecte.db.tables import Device, DeviceEvent, Donation, Organization, User
from collecte.domain.access import Principal
from collecte.domain.errors import Conflict, Invalid
from collecte.domain.lifecycle import STORAGE_BY_DEFAULT
from collecte.domain.vocabulary import Category, Grade, Role, Status
from collecte.services import pickups, transitions, treatment_operators
from collecte.services.accounts import (
    FIRST_ORGANIZATION,
    add_user,
    create_organization,
    find_or_create_organization,
)
from collecte.services.donations import create_donation
from collecte.settings import Settings, load_settings

DEMO_PASSWORD = "demo-collecte-2026"
SEED = 2026
MAX_DEMO_DEVICES = 100_000

# --- the cast --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    """A fictional organisation and the one demo account that belongs to it."""

    key: str
    name: str
    kind: Role
    short_name: str
    ridet: str
    address: str
    city: str
    phone: str
    email: str
    user_email: str
    user_name: str


COORDINATION = OrgSpec(
    key="coordination",
    name=FIRST_ORGANIZATION,
    kind=Role.COORDINATOR,
    short_name="OPEN NC",
    ridet="",
    address="",
    city="Nouméa",
    phone="",
    email="",
    user_email="coordination@opennc-exemple.nc",
    user_name="Camille Coordination (démo)",
)

DONORS = (
    OrgSpec(
        key="banque",
        name="Banque Exemple du Pacifique",
        kind=Role.DONOR,
        short_name="BEP",
        ridet="1234567.001",
        address="12 avenue de la Victoire",
        city="Nouméa",
        phone="+687 20 00 01",
        email="contact@banque-exemple.nc",
        user_email="donateur@banque-exemple.nc",
        user_name="Sophie Lambert",
    ),
    OrgSpec(
        key="mines",
        name="Société Minière Exemple du Nord",
        kind=Role.DONOR,
        short_name="SMEN",
        ridet="2345678.001",
        address="Zone d’activités de Païamboué, lot 7",
        city="Koné",
        phone="+687 40 00 02",
        email="contact@mines-exemple.nc",
        user_email="donateur@mines-exemple.nc",
        user_name="Marc Dupuis",
    ),
    OrgSpec(
        key="telecom",
        name="Télécom Exemple Calédonie",
        kind=Role.DONOR,
        short_name="TEC",
        ridet="3456789.002",
        address="Centre d’affaires de Dumbéa-sur-Mer, bât. B",
        city="Dumbéa",
        phone="+687 30 00 03",
        email="contact@telecom-exemple.nc",
        user_email="donateur@telecom-exemple.nc",
        user_name="Nadia Ferrand",
    ),
    OrgSpec(
        key="agence",
        name="Agence Exemple du Développement Numérique",
        kind=Role.DONOR,
        short_name="AEDN",
        ridet="4567890.001",
        address="3 rue de la République",
        city="Nouméa",
        phone="+687 20 00 04",
        email="contact@agence-exemple.nc",
        user_email="donateur@agence-exemple.nc",
        user_name="Julien Morel",
    ),
    OrgSpec(
        key="assurance",
        name="Assurances Exemple des Îles",
        kind=Role.DONOR,
        short_name="AEI",
        ridet="5678901.001",
        address="Rue principale, Wé",
        city="Lifou",
        phone="+687 45 00 05",
        email="contact@assurance-exemple.nc",
        user_email="donateur@assurance-exemple.nc",
        user_name="Hélène Garnier",
    ),
)

RECONDITIONERS = (
    OrgSpec(
        key="atelier_noumea",
        name="Atelier Exemple Réemploi Nouméa",
        kind=Role.RECONDITIONER,
        short_name="AERN",
        ridet="6789012.001",
        address="45 rue Édouard Unger, Ducos",
        city="Nouméa",
        phone="+687 28 00 06",
        email="contact@reemploi-noumea-exemple.nc",
        user_email="atelier@reemploi-noumea-exemple.nc",
        user_name="Kévin Lefèvre",
    ),
    OrgSpec(
        key="atelier_kone",
        name="Atelier Exemple Numérique de Koné",
        kind=Role.RECONDITIONER,
        short_name="AENK",
        ridet="7890123.001",
        address="Rue du Commerce, village",
        city="Koné",
        phone="+687 47 00 07",
        email="contact@atelier-kone-exemple.nc",
        user_email="atelier@atelier-kone-exemple.nc",
        user_name="Laura Petit",
    ),
)

ASSOCIATIONS = (
    OrgSpec(
        key="brousse",
        name="Association Exemple Brousse Connectée",
        kind=Role.ASSOCIATION,
        short_name="Brousse Connectée",
        ridet="8901234.001",
        address="5 rue de la Mairie",
        city="Bourail",
        phone="+687 44 00 08",
        email="contact@brousse-connectee-exemple.nc",
        user_email="asso@brousse-connectee-exemple.nc",
        user_name="Jean-Yves Martin",
    ),
    OrgSpec(
        key="handi",
        name="Association Exemple Handi-Numérique",
        kind=Role.ASSOCIATION,
        short_name="Handi-Numérique",
        ridet="9012345.001",
        address="8 rue des Cocotiers, Boulari",
        city="Mont-Dore",
        phone="+687 43 00 09",
        email="contact@handi-numerique-exemple.nc",
        user_email="asso@handi-numerique-exemple.nc",
        user_name="Aurélie Fontaine",
    ),
    OrgSpec(
        key="tremplin",
        name="Association Exemple Tremplin Emploi",
        kind=Role.ASSOCIATION,
        short_name="Tremplin Emploi",
        ridet="1023456.001",
        address="21 rue Jules Ferry, Vallée du Tir",
        city="Nouméa",
        phone="+687 27 00 10",
        email="contact@tremplin-emploi-exemple.nc",
        user_email="asso@tremplin-emploi-exemple.nc",
        user_name="Samuel Roux",
    ),
)

ALL_ORGS = (COORDINATION, *DONORS, *RECONDITIONERS, *ASSOCIATIONS)
# How much each donor gives, relatively.
_DONOR_WEIGHTS = {"banque": 5, "mines": 4, "telecom": 3, "agence": 2, "assurance": 2}
# The workshop that collects a donor's devices (the north goes to Koné).
_WORKSHOP_OF_CITY = {"Koné": "atelier_kone"}

# --- the hardware ----------------------------------------------------------------------------

# How common each category is among donated devices.
_CATEGORY_SHARE = {
    Category.LAPTOP: 34,
    Category.DESKTOP: 18,
    Category.MONITOR: 17,
    Category.SMARTPHONE: 10,
    Category.TABLET: 6,
    Category.PRINTER: 5,
    Category.NETWORK: 4,
    Category.PERIPHERAL: 6,
}
# category: (brand, serial number style, ((model, year it came out), …)), …
_Models = tuple[tuple[str, int], ...]
_CATALOGUE: dict[Category, tuple[tuple[str, str, _Models], ...]] = {
    Category.LAPTOP: (
        (
            "Dell",
            "dell",
            (
                ("Latitude E7450", 2015),
                ("Latitude E7470", 2016),
                ("Latitude 5490", 2018),
                ("Latitude 5400", 2019),
                ("Latitude 5510", 2020),
            ),
        ),
        (
            "HP",
            "hp",
            (
                ("EliteBook 840 G2", 2015),
                ("EliteBook 850 G3", 2016),
                ("EliteBook 840 G5", 2018),
                ("EliteBook 840 G6", 2019),
                ("ProBook 450 G7", 2020),
            ),
        ),
        (
            "Lenovo",
            "lenovo",
            (
                ("ThinkPad T440", 2014),
                ("ThinkPad T470", 2017),
                ("ThinkPad X270", 2017),
                ("ThinkPad T480", 2018),
                ("ThinkPad L390", 2019),
                ("ThinkPad E14", 2020),
            ),
        ),
        (
            "Apple",
            "apple",
            (
                ('MacBook Air 13" 2015', 2015),
                ('MacBook Air 13" 2017', 2017),
                ('MacBook Pro 13" 2019', 2019),
            ),
        ),
    ),
    Category.DESKTOP: (
        (
            "Dell",
            "dell",
            (
                ("OptiPlex 3020", 2014),
                ("OptiPlex 7050", 2017),
                ("OptiPlex 5060", 2018),
                ("OptiPlex 3070 Micro", 2019),
            ),
        ),
        (
            "HP",
            "hp",
            (
                ("ProDesk 600 G1", 2014),
                ("ProDesk 600 G3", 2017),
                ("EliteDesk 800 G4", 2018),
                ("ProDesk 400 G5 SFF", 2019),
            ),
        ),
        (
            "Lenovo",
            "lenovo",
            (("ThinkCentre M700", 2015), ("ThinkCentre M710q", 2017), ("ThinkCentre M720s", 2018)),
        ),
    ),
    Category.MONITOR: (
        ("Dell", "dell", (("E2216H", 2016), ("P2417H", 2016), ("P2219H", 2018), ("P2422H", 2021))),
        ("HP", "hp", (("EliteDisplay E231", 2014), ("EliteDisplay E243", 2016), ("P22v G4", 2019))),
        ("Lenovo", "lenovo", (("ThinkVision T22i", 2016), ("ThinkVision T24i-10", 2018))),
        ("Samsung", "samsung", (("S22F350", 2016), ("S24F350", 2016), ("S24R350", 2019))),
        ("Iiyama", "generic", (("ProLite E2483HS", 2014), ("ProLite XU2292HS", 2019))),
    ),
    Category.SMARTPHONE: (
        (
            "Samsung",
            "samsung",
            (
                ("Galaxy S7", 2016),
                ("Galaxy S9", 2018),
                ("Galaxy A40", 2019),
                ("Galaxy XCover 4s", 2019),
                ("Galaxy A52", 2021),
            ),
        ),
        (
            "Apple",
            "apple",
            (
                ("iPhone 6s", 2015),
                ("iPhone 8", 2017),
                ("iPhone X", 2017),
                ("iPhone SE (2020)", 2020),
            ),
        ),
        ("Xiaomi", "generic", (("Redmi Note 9", 2020), ("Redmi Note 10", 2021))),
    ),
    Category.TABLET: (
        (
            "Apple",
            "apple",
            (("iPad Air 2", 2014), ("iPad 6e génération", 2018), ("iPad 7e génération", 2019)),
        ),
        ("Samsung", "samsung", (("Galaxy Tab A 10.1", 2016), ("Galaxy Tab S6 Lite", 2020))),
        ("Lenovo", "lenovo", (("Tab M10", 2019),)),
    ),
    Category.PRINTER: (
        (
            "HP",
            "hp",
            (
                ("LaserJet Pro M402dn", 2016),
                ("LaserJet Pro MFP M426fdw", 2016),
                ("LaserJet Pro M404dn", 2019),
            ),
        ),
        ("Brother", "generic", (("HL-L2350DW", 2018), ("MFC-L2710DW", 2018))),
        ("Canon", "generic", (("i-SENSYS MF445dw", 2019),)),
        ("Epson", "generic", (("WorkForce WF-2860", 2019),)),
    ),
    Category.NETWORK: (
        ("Cisco", "generic", (("Catalyst 2960-X 24 ports", 2014), ("Meraki MR33", 2016))),
        ("Ubiquiti", "generic", (("UniFi AP AC Lite", 2015), ("UniFi Switch 8", 2017))),
        ("Netgear", "generic", (("GS108 8 ports", 2014),)),
        ("TP-Link", "generic", (("Archer C6", 2018),)),
    ),
    Category.PERIPHERAL: (
        (
            "Dell",
            "dell",
            (
                ("Station d’accueil WD15", 2016),
                ("Clavier KB216", 2016),
                ("Station d’accueil WD19", 2019),
            ),
        ),
        ("HP", "hp", (("Station d’accueil USB-C G5", 2019),)),
        (
            "Logitech",
            "generic",
            (("Clavier K120", 2014), ("Casque H390", 2014), ("Webcam C920", 2014)),
        ),
        ("APC", "generic", (("Onduleur Back-UPS 700", 2014),)),
    ),
}
_VALUE_XPF = {
    Category.LAPTOP: (18_000, 60_000),
    Category.DESKTOP: (12_000, 40_000),
    Category.MONITOR: (5_000, 18_000),
    Category.SMARTPHONE: (6_000, 30_000),
    Category.TABLET: (8_000, 35_000),
    Category.PRINTER: (5_000, 25_000),
    Category.NETWORK: (5_000, 30_000),
    Category.PERIPHERAL: (5_000, 12_000),
}
_GOOD_CONDITIONS = (
    None,
    None,
    None,
    "Bon état",
    "Bon état",
    "Rayures légères",
    "Sans chargeur",
    "Batterie usée",
    "Traces d’usage",
)
_POOR_CONDITIONS = (
    "Ne démarre pas",
    "Écran fissuré",
    "Carte mère hors service",
    "Charnière cassée",
    "Oxydation (stockage humide)",
)
_SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _serial(rng: random.Random, style: str, year: int) -> str:
    """A serial number shaped like the brand's own."""

    def chars(n: int, alphabet: str = _SERIAL_ALPHABET) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    digits = "0123456789"
    if style == "dell":  # service tag
        return chars(7)
    if style == "hp":
        return f"5CG{year % 10}{chars(6, digits + 'ABCDEF')}"
    if style == "lenovo":
        return f"PF{chars(6)}"
    if style == "apple":
        return f"C02{chars(9)}"
    if style == "samsung":
        return f"R58{chars(8)}"
    return f"{chars(3)}{year % 100:02d}{chars(7, digits)}"


@dataclass
class DemoDevice:
    """A device as the donor types it, and the fate the demo gives it."""

    category: Category
    brand: str
    model: str
    serial_number: str
    year: int
    condition: str | None
    value_xpf: int
    poor: bool
    target: Status = Status.REGISTERED
    grade: Grade | None = None
    tag: str = ""
    association: str = ""  # the key of the association it was allocated to

    @property
    def has_storage(self) -> bool:
        return self.category in STORAGE_BY_DEFAULT

    def payload(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "brand": self.brand,
            "model": self.model,
            "serial_number": self.serial_number,
            "year": self.year,
            "condition": self.condition,
            "estimated_value_xpf": self.value_xpf,
        }


def _make_devices(rng: random.Random, count: int) -> list[DemoDevice]:
    categories = list(_CATEGORY_SHARE)
    weights = list(_CATEGORY_SHARE.values())
    devices = []
    serials: set[str] = set()
    for _ in range(count):
        category = rng.choices(categories, weights)[0]
        brand, style, models = rng.choice(_CATALOGUE[category])
        model, released = rng.choice(models)
        # Bought the year it came out or up to three years later; donated by 2022 at the latest.
        year = rng.randint(max(released, 2014), min(released + 3, 2022))
        if category not in STORAGE_BY_DEFAULT:
            style = "generic"  # the brands' computer formats are not their screens' or printers'
        serial = _serial(rng, style, year)
        while serial in serials:
            serial = _serial(rng, style, year)
        serials.add(serial)
        poor = rng.random() < 0.06 + 0.03 * max(0, 2018 - year)
        low, high = _VALUE_XPF[category]
        age_factor = (year - 2013) / 9  # newer is worth more
        value = low + (high - low) * age_factor * rng.uniform(0.6, 1.0)
        if poor:
            value = low
        devices.append(
            DemoDevice(
                category=category,
                brand=brand,
                model=model,
                serial_number=serial,
                year=year,
                condition=rng.choice(_POOR_CONDITIONS if poor else _GOOD_CONDITIONS),
                value_xpf=int(round(value / 500) * 500),
                poor=poor,
            )
        )
    return devices


# --- where each device ends up ---------------------------------------------------------------

# Shares of the final statuses, in the lifecycle's order of progress.
_STATUS_SHARE = {
    Status.DELIVERED: 0.32,
    Status.RECYCLED: 0.14,
    Status.ALLOCATED: 0.09,
    Status.REFURBISHED: 0.11,
    Status.WIPED: 0.07,
    Status.RECEIVED: 0.07,
    Status.COLLECTED: 0.06,
    Status.WITHDRAWN: 0.03,
    Status.REGISTERED: 0.11,
}
# How far along each final status is: older donations hold the most advanced devices.
_PROGRESS = {
    Status.DELIVERED: 0,
    Status.RECYCLED: 0,
    Status.ALLOCATED: 1,
    Status.REFURBISHED: 2,
    Status.WIPED: 3,
    Status.RECEIVED: 4,
    Status.COLLECTED: 5,
    Status.WITHDRAWN: 6,
    Status.REGISTERED: 6,
}
_REUSED = (Status.REFURBISHED, Status.ALLOCATED, Status.DELIVERED)


def _quotas(total: int, shares: dict[Any, float], minimum: int) -> dict[Any, int]:
    """Split `total` by `shares` (largest remainder), each getting `minimum` when it can."""
    floor = minimum if total >= minimum * len(shares) else 0
    rest = total - floor * len(shares)
    exact = {key: rest * share / sum(shares.values()) for key, share in shares.items()}
    counts = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(shares, key=lambda key: exact[key] - counts[key], reverse=True)
    for key in by_remainder[: rest - sum(counts.values())]:
        counts[key] += 1
    return {key: counts[key] + floor for key in shares}


def _assign_fates(rng: random.Random, devices: list[DemoDevice]) -> None:
    """Give each device its final status (and grade), every status represented."""
    quotas = _quotas(len(devices), _STATUS_SHARE, minimum=1)
    pool = list(devices)
    rng.shuffle(pool)
    # Broken and old devices are the ones recycled.
    pool.sort(key=lambda d: (not d.poor, d.year + rng.uniform(0, 4)))
    recycled, pool = pool[: quotas[Status.RECYCLED]], pool[quotas[Status.RECYCLED] :]
    for device in recycled:
        device.target = Status.RECYCLED
    rng.shuffle(pool)
    # Only a device with storage is left waiting at "wiped".
    with_storage = [d for d in pool if d.has_storage] or pool
    for device in with_storage[: quotas[Status.WIPED]]:
        device.target = Status.WIPED
    pool = [d for d in pool if d.target is not Status.WIPED]
    start = 0
    for status, quota in quotas.items():
        if status in (Status.RECYCLED, Status.WIPED):
            continue
        for device in pool[start : start + quota]:
            device.target = status
        start += quota
    # Grades follow age and condition; the best third A, the next B, the rest C.
    reused = [d for d in devices if d.target in _REUSED]
    reused.sort(key=lambda d: (d.poor, -d.year + rng.uniform(0, 3)))
    grades = _quotas(len(reused), {Grade.A: 0.4, Grade.B: 0.4, Grade.C: 0.2}, minimum=1)
    index = 0
    for grade, quota in grades.items():
        for device in reused[index : index + quota]:
            device.grade = grade
        index += quota


@dataclass
class DemoDonation:
    """One lot: a donor, the workshop that collects it, its devices."""

    donor: OrgSpec
    workshop: OrgSpec
    by_coordinator: bool
    coordinator_collects: bool
    devices: list[DemoDevice] = field(default_factory=list)
    number: str = ""


def _plan_donations(rng: random.Random, devices: list[DemoDevice]) -> list[DemoDonation]:
    """Group devices into lots, oldest (most advanced) first."""
    ordered = sorted(devices, key=lambda d: _PROGRESS[d.target] + rng.uniform(0, 1.5))
    count = max(1, min(len(ordered), max(len(DONORS), round(len(ordered) / 20))))
    sizes = _quotas(len(ordered), {i: rng.uniform(0.5, 1.6) for i in range(count)}, minimum=1)
    donors = list(DONORS)
    rng.shuffle(donors)  # every donor gives at least once, then the bigger ones more often
    workshops = {spec.key: spec for spec in RECONDITIONERS}
    donations = []
    start = 0
    for index in range(count):
        donor = (
            donors[index]
            if index < len(donors)
            else rng.choices(DONORS, [_DONOR_WEIGHTS[d.key] for d in DONORS])[0]
        )
        workshop = workshops[_WORKSHOP_OF_CITY.get(donor.city, "atelier_noumea")]
        if donor.key == "telecom" and rng.random() < 0.3:
            workshop = workshops["atelier_kone"]  # antennas in the north
        donations.append(
            DemoDonation(
                donor=donor,
                workshop=workshop,
                by_coordinator=donor.city == "Lifou" or rng.random() < 0.15,
                coordinator_collects=rng.random() < 0.4,
                devices=ordered[start : start + sizes[index]],
            )
        )
        start += sizes[index]
    return donations


# --- loading ---------------------------------------------------------------------------------

_DONATION_NOTES = (
    "Renouvellement annuel du parc informatique.",
    "Fin de contrat de location, matériel racheté pour le don.",
    "Déménagement des bureaux : matériel stocké en salle serveur.",
    "Matériel des agences de brousse, regroupé au siège.",
    None,
)
_WITHDRAW_REASONS = (
    "Réaffecté en interne à un nouvel agent.",
    "Conservé par le service informatique pour pièces détachées.",
    "Erreur de saisie : appareil encore sous contrat de location.",
)


@dataclass(frozen=True)
class _Erasure:
    """How a workshop erases a kind of device: one medium record, the same for a whole batch."""

    tool: str
    tool_version: str
    kind: str
    technique: str

    def medium(self, serial: str | None = None) -> dict[str, Any]:
        record = {
            "kind": self.kind,
            "technique": self.technique,
            "tool": self.tool,
            "tool_version": self.tool_version,
            "result": "erased",
            "verification": "sample" if self.technique == "destruct" else "full",
        }
        return {**record, "serial": serial} if serial else record  # none: the device's own


_SIGNERS = ("Marie-Claude Wamytan", "Patrick Nouvel", "Sandrine Kaouma", "Jean-Luc Tein")
_WIPE_TOOLS = {
    "atelier_noumea": _Erasure("Blancco Drive Eraser", "7.9", "ssd", "block_erase"),
    "atelier_kone": _Erasure("hdparm (ATA Sanitize)", "9.65", "hdd", "sanitize"),
}
_MOBILE_WIPE = _Erasure("Réinitialisation d’usine chiffrée", "Android 13", "flash", "crypto_erase")
_DESTROY_WIPE = _Erasure("Perçage et broyage du support", "—", "other", "destruct")
_REFURBISH_NOTES = {
    Grade.A: "Nettoyé, système réinstallé (Linux Mint 21 ou Windows 10), tests complets OK.",
    Grade.B: "Traces d’usage légères, batterie testée au-delà de 70 %, tests OK.",
    Grade.C: "Fonctionnel, esthétique marquée (rayures, touches usées).",
}
# The treatment operators the coordination keeps (fictional), and the one each workshop uses.
_TREATMENT_OPERATORS = (
    {
        "name": "Calédonie Recyclage Exemple (filière DEEE, Ducos)",
        "authorization_number": "ICPE 0000-EX-01",
        "address": "Zone industrielle de Ducos\n98800 Nouméa",
    },
    {
        "name": "Éco-Tri Exemple du Nord (filière DEEE, Koné)",
        "authorization_number": "ICPE 0000-EX-02",
        "address": "Route territoriale 1\n98860 Koné",
    },
)
_RECYCLING_CHANNEL = {
    "atelier_noumea": _TREATMENT_OPERATORS[0]["name"],
    "atelier_kone": _TREATMENT_OPERATORS[1]["name"],
}
# The Nouméa operator weighs what it takes in; at Koné the certificates keep the category's
# average weight, printed as estimated.
_WEIGHED_AT = {"atelier_noumea"}
# Weighed at the recycling channel (close to the factors file's averages).
_AVERAGE_WEIGHT_KG = {
    Category.LAPTOP: 1.8,
    Category.DESKTOP: 7.5,
    Category.MONITOR: 4.6,
    Category.SMARTPHONE: 0.17,
    Category.TABLET: 0.5,
    Category.PRINTER: 9.8,
    Category.NETWORK: 1.2,
    Category.PERIPHERAL: 0.6,
}
_RECEIVERS = {
    "brousse": ("Marie-Claude T.", "Joseph W.", "Anaïs B."),
    "handi": ("Patricia L.", "Thierry N."),
    "tremplin": ("Yannick K.", "Sandrine M.", "Océane D."),
}
_STATUS_LABELS = {
    Status.REGISTERED: "enregistrés (en attente de collecte)",
    Status.COLLECTED: "collectés (en transit)",
    Status.RECEIVED: "réceptionnés à l’atelier",
    Status.WIPED: "effacés",
    Status.REFURBISHED: "reconditionnés (prêts à attribuer)",
    Status.RECYCLED: "recyclés",
    Status.ALLOCATED: "attribués à une association",
    Status.DELIVERED: "livrés",
    Status.WITHDRAWN: "retirés par le donateur",
    Status.MISSING: "introuvables",
    Status.RETURNED: "rendus par une association",
}


async def _ensure_organization(coordinator: Principal | None, spec: OrgSpec) -> dict[str, Any]:
    """The organisation of `spec`, created through the service when missing."""
    if spec is COORDINATION:
        return await find_or_create_organization(spec.name, spec.kind)
    row = await Organization.select().where(Organization.name == spec.name).first()
    if row is not None:
        if row["kind"] != spec.kind.value:
            raise Conflict(
                f"L’organisation « {spec.name} » existe déjà avec le type {row['kind']}.", "name"
            )
        return row
    assert coordinator is not None
    return await create_organization(
        coordinator,
        {
            "name": spec.name,
            "kind": spec.kind.value,
            "short_name": spec.short_name,
            "ridet": spec.ridet,
            "email": spec.email,
            "phone": spec.phone,
            "address": spec.address,
            "city": spec.city,
        },
    )


async def _ensure_treatment_operators(coordinator: Principal) -> None:
    """The demo's treatment operators, added once (a second run finds them by name)."""
    known = {row["name"] for row in await treatment_operators.list_operators(coordinator)}
    for operator in _TREATMENT_OPERATORS:
        if operator["name"] not in known:
            await treatment_operators.create_operator(coordinator, dict(operator))


async def _ensure_user(spec: OrgSpec, organization: dict[str, Any]) -> Principal:
    """The demo account of `spec` (created unless its e-mail exists), as a principal."""
    row = await User.select().where(User.email == spec.user_email).first()
    if row is None:
        # Not provisional: the demo's one shared password is printed for visitors to try it.
        await add_user(
            organization, spec.user_email, DEMO_PASSWORD, spec.user_name, provisional=False
        )
        row = await User.select().where(User.email == spec.user_email).first()
        assert row is not None
    elif row["organization"] != organization["id"]:
        raise Conflict(
            f"Le compte {spec.user_email} existe déjà dans une autre organisation.", "email"
        )
    return Principal(
        user_id=row["id"],
        email=row["email"],
        full_name=row["full_name"],
        organization_id=organization["id"],
        organization_name=organization["name"],
        role=spec.kind,
    )


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Walker:
    """Moves the demo devices through the lifecycle in batches, counting the calls."""

    def __init__(self, settings: Settings) -> None:
        self.context = transitions.Context(settings)
        self.limit = settings.max_devices_per_request
        self.calls = 0

    async def batch(
        self, principal: Principal, action: str, devices: Sequence[DemoDevice], **data: Any
    ) -> None:
        for chunk in _chunks(devices, self.limit):
            payload = {"action": action, "tags": [d.tag for d in chunk], **data}
            await transitions.act_on_batch(principal, payload, self.context)
            self.calls += 1

    async def one(self, principal: Principal, action: str, device: DemoDevice, **data: Any) -> None:
        payload = {"action": action, **data}
        await transitions.act_on_device(principal, device.tag, payload, self.context)
        self.calls += 1


def _beyond(device: DemoDevice, *statuses: Status) -> bool:
    return device.target not in (Status.REGISTERED, Status.WITHDRAWN, *statuses)


async def _walk_donation(
    rng: random.Random,
    walker: _Walker,
    donation: DemoDonation,
    people: dict[str, Principal],
) -> None:
    """Withdraw, collect, receive, wipe or recycle the devices of one lot."""
    devices = donation.devices
    donor = people[donation.donor.key]
    workshop = people[donation.workshop.key]
    coordinator = people[COORDINATION.key]

    withdrawn = [d for d in devices if d.target is Status.WITHDRAWN]
    if withdrawn:
        await walker.batch(donor, "withdraw", withdrawn, reason=rng.choice(_WITHDRAW_REASONS))

    collected = [d for d in devices if _beyond(d)]
    if donation.coordinator_collects:
        await walker.batch(
            coordinator, "collect", collected, reconditioner_id=workshop.organization_id
        )
    else:
        await walker.batch(workshop, "collect", collected)  # the workshop collects for itself
    if collected:
        # The donor's representative signs on the workshop's phone: one attestation per pickup.
        found = await Device.select(Device.pickup).where(Device.tag == collected[0].tag).first()
        assert found is not None and found["pickup"] is not None
        closer = coordinator if donation.coordinator_collects else workshop
        signature = {"signature": {"name": rng.choice(_SIGNERS)}}
        await pickups.close_pickup(closer, found["pickup"], signature, walker.context.settings)

    received = [d for d in devices if _beyond(d, Status.COLLECTED)]
    await walker.batch(workshop, "receive", received)

    to_wipe = [d for d in received if d.has_storage and d.target is not Status.RECEIVED]
    wipes: dict[_Erasure, list[DemoDevice]] = {}
    for device in to_wipe:
        if device.target is Status.RECYCLED:
            how = _DESTROY_WIPE
        elif device.category in (Category.SMARTPHONE, Category.TABLET):
            how = _MOBILE_WIPE
        else:
            how = _WIPE_TOOLS[donation.workshop.key]
        wipes.setdefault(how, []).append(device)
    for how, group in wipes.items():
        destroyed = how is _DESTROY_WIPE
        destination = "recycling" if destroyed else "reuse"
        # Now and then a disk is wiped on its own, its serial noted on the certificate, and a
        # second person checks it.
        single = group[0] if len(group) > 8 and not destroyed else None
        if single is not None:
            disk = f"S{rng.randint(3, 5)}{''.join(rng.choices(_SERIAL_ALPHABET, k=12))}"
            await walker.one(
                workshop,
                "wipe",
                single,
                media=[how.medium(disk)],
                verified_by="Sylvie Wamytan",
                destination=destination,
            )
        rest = [d for d in group if d is not single]
        await walker.batch(workshop, "wipe", rest, media=[how.medium()], destination=destination)

    recycled = [d for d in received if d.target is Status.RECYCLED]
    by_category: dict[Category, list[DemoDevice]] = {}
    for device in recycled:
        by_category.setdefault(device.category, []).append(device)
    # The coordinator sometimes closes a recycling batch itself, as the rules allow.
    recycler = coordinator if rng.random() < 0.2 else workshop
    for category, group in by_category.items():
        average = _AVERAGE_WEIGHT_KG[category]
        weight = round(average * rng.uniform(0.85, 1.25), 2)
        # Each handover leaves with its waste tracking slip (BSD), numbered after the lot.
        slip = f"BSD-{donation.number.removeprefix('LOT-')}-{category.value[:3].upper()}"
        weighed = {"weight_kg": weight} if donation.workshop.key in _WEIGHED_AT else {}
        await walker.batch(
            recycler,
            "recycle",
            group,
            channel=_RECYCLING_CHANNEL[donation.workshop.key],
            bsd_number=slip,
            **weighed,
        )


async def _refurbish(
    walker: _Walker, donations: list[DemoDonation], people: dict[str, Principal]
) -> None:
    """Each workshop grades what it wiped (or received without storage), one run per grade."""
    for spec in RECONDITIONERS:
        reused = [
            device
            for donation in donations
            if donation.workshop is spec
            for device in donation.devices
            if device.target in _REUSED
        ]
        for grade in Grade:
            graded = [d for d in reused if d.grade is grade]
            await walker.batch(
                people[spec.key],
                "refurbish",
                graded,
                grade=grade.value,
                notes=_REFURBISH_NOTES[grade],
            )


def _association_for(rng: random.Random, device: DemoDevice, workshop: OrgSpec) -> str:
    """Northern workshops serve the bush; tablets and phones suit the disability association."""
    if workshop.key == "atelier_kone" and rng.random() < 0.7:
        return "brousse"
    if device.category in (Category.TABLET, Category.SMARTPHONE) and rng.random() < 0.6:
        return "handi"
    return rng.choices(("brousse", "handi", "tremplin"), (4, 2, 4))[0]


async def _allocate_and_deliver(
    rng: random.Random,
    walker: _Walker,
    donations: list[DemoDonation],
    people: dict[str, Principal],
) -> None:
    """The coordinator allocates refurbished devices; associations confirm what they received."""
    coordinator = people[COORDINATION.key]
    chosen: dict[str, list[DemoDevice]] = {spec.key: [] for spec in ASSOCIATIONS}
    for donation in donations:
        for device in donation.devices:
            if device.target in (Status.ALLOCATED, Status.DELIVERED):
                chosen[_association_for(rng, device, donation.workshop)].append(device)
    # Every association receives something when there is enough to share.
    for devices in chosen.values():
        if devices:
            continue
        richest = max(chosen, key=lambda k: len(chosen[k]))
        if len(chosen[richest]) > 1:
            devices.append(chosen[richest].pop())
    for key, devices in chosen.items():
        association_id = people[key].organization_id
        # First round: what has since been delivered; second round: still waiting.
        for device in devices:
            device.association = key
        for status in (Status.DELIVERED, Status.ALLOCATED):
            group = [d for d in devices if d.target is status]
            await walker.batch(coordinator, "allocate", group, association_id=association_id)
        delivered = [d for d in devices if d.target is Status.DELIVERED]
        receivers = _RECEIVERS[key]
        parts = min(len(receivers), max(1, len(delivered) // 8))
        for index in range(parts):
            group = delivered[index::parts]
            signed = {"name": receivers[index]}  # typed at the association's desk, not drawn
            await walker.batch(people[key], "confirm_receipt", group, signature=signed)


_MISSING_REASONS = (
    "Introuvable à l’inventaire de fin de mois.",
    "Pas retrouvé après le déménagement de l’atelier.",
)
_RETURN_REASONS = (
    "Ne démarre plus après deux semaines.",
    "Écran défectueux constaté à la première utilisation.",
)


async def _go_wrong(
    rng: random.Random,
    walker: _Walker,
    donations: list[DemoDonation],
    people: dict[str, Principal],
) -> None:
    """Some days do not go as planned: a wiped device goes missing at its workshop, a delivered
    one comes back from its association (about one in fifteen of each, at least one)."""
    for target, share in ((Status.WIPED, 15), (Status.DELIVERED, 15)):
        candidates = [
            (donation, device)
            for donation in donations
            for device in donation.devices
            if device.target is target
        ]
        # Keep at least one device at the status the path left it at.
        for donation, device in rng.sample(candidates, max(1, len(candidates) // share))[
            : len(candidates) - 1
        ]:
            workshop = people[donation.workshop.key]
            if target is Status.WIPED:
                await walker.one(
                    workshop, "report_missing", device, reason=rng.choice(_MISSING_REASONS)
                )
                device.target = Status.MISSING
            else:
                await walker.one(
                    people[device.association],
                    "return",
                    device,
                    reason=rng.choice(_RETURN_REASONS),
                    reconditioner_id=workshop.organization_id,
                )
                device.target = Status.RETURNED


_CERTIFICATE_LABELS = {
    "DON": "attestations de don",
    "EFF": "certificats d’effacement",
    "RCY": "certificats de recyclage",
    "REC": "attestations de réception",
}
_ROLE_LABELS = {
    Role.COORDINATOR: "coordination",
    Role.DONOR: "donateur",
    Role.RECONDITIONER: "atelier",
    Role.ASSOCIATION: "association",
}


async def _summary(title: str, donor_ids: list[int], footer: str | None = None) -> str:
    """What the demo donors' devices look like now, and how to sign in."""
    rows = await Device.select(Device.status).where(Device.donor.is_in(donor_ids))
    counts = Counter(row["status"] for row in rows)
    donations = await Donation.count().where(Donation.donor.is_in(donor_ids))
    numbers = await (
        DeviceEvent.select(DeviceEvent.certificate_number)
        .where(
            DeviceEvent.certificate_number.is_not_null() & DeviceEvent.device.donor.is_in(donor_ids)
        )
        .distinct()
    )
    certificates = Counter(row["certificate_number"].split("-")[0] for row in numbers)

    lines = [title, "", f"{len(rows)} appareils de démonstration dans {donations} dons :"]
    width = max(len(label) for label in _STATUS_LABELS.values())
    for status in Status:
        lines.append(f"  {_STATUS_LABELS[status]:<{width}}  {counts.get(status.value, 0):>6}")
    if certificates:
        issued = ", ".join(
            f"{certificates[prefix]} {label}"
            for prefix, label in _CERTIFICATE_LABELS.items()
            if certificates[prefix]
        )
        lines += ["", f"Certificats émis : {issued}."]
    lines += ["", f"Comptes de démonstration (mot de passe pour tous : {DEMO_PASSWORD}) :"]
    email_width = max(len(spec.user_email) for spec in ALL_ORGS)
    for spec in ALL_ORGS:
        role = _ROLE_LABELS[spec.kind]
        lines.append(f"  {role:<13} {spec.user_email:<{email_width}}  {spec.name}")
    lines += ["", "Organisations, personnes, RIDET et adresses sont fictifs."]
    if footer:
        lines.append(footer)
    return "\n".join(lines)


async def load_demo(devices: int = 300, settings: Settings | None = None) -> str:
    """Load fictional demo data through the services; return a French summary.

    Safe to run twice: existing organisations and accounts are reused, and when the demo donors
    already have devices nothing more is added. `settings` (default: the environment's) give the
    certificates their public address.
    """
    settings = settings or load_settings()
    if (
        isinstance(devices, bool)
        or not isinstance(devices, int)
        or not 0 <= devices <= (MAX_DEMO_DEVICES)
    ):
        raise Invalid(
            f"Le nombre d’appareils de démonstration doit être compris entre 0 et "
            f"{MAX_DEMO_DEVICES}.",
            "devices",
        )
    started = time.perf_counter()
    rng = random.Random(SEED)

    opennc = await _ensure_organization(None, COORDINATION)
    people = {COORDINATION.key: await _ensure_user(COORDINATION, opennc)}
    for spec in ALL_ORGS[1:]:
        organization = await _ensure_organization(people[COORDINATION.key], spec)
        people[spec.key] = await _ensure_user(spec, organization)
    donor_ids = [people[spec.key].organization_id for spec in DONORS]
    await _ensure_treatment_operators(people[COORDINATION.key])

    if await Device.exists().where(Device.donor.is_in(donor_ids)):
        return await _summary(
            "Les données de démonstration sont déjà chargées : rien n’a été ajouté.", donor_ids
        )

    demo_devices = _make_devices(rng, devices)
    _assign_fates(rng, demo_devices)
    donations = _plan_donations(rng, demo_devices) if demo_devices else []

    walker = _Walker(settings)
    for donation in donations:
        donor = people[donation.donor.key]
        registrar = people[COORDINATION.key] if donation.by_coordinator else donor
        data: dict[str, Any] = {
            "pickup_address": f"{donation.donor.address}, {donation.donor.city}",
            "notes": rng.choice(_DONATION_NOTES),
            "devices": [d.payload() for d in donation.devices],
        }
        if donation.by_coordinator:
            data["donor_id"] = donor.organization_id
        created = await create_donation(registrar, data, settings.max_devices_per_request)
        walker.calls += 1
        donation.number = created["number"]
        by_serial = {d["serial_number"]: d["tag"] for d in created["devices"]}
        for device in donation.devices:
            device.tag = by_serial[device.serial_number]
    for donation in donations:
        await _walk_donation(rng, walker, donation, people)
    await _refurbish(walker, donations, people)
    await _allocate_and_deliver(rng, walker, donations, people)
    await _go_wrong(rng, walker, donations, people)

    elapsed = time.perf_counter() - started
    return await _summary(
        "Données de démonstration chargées.",
        donor_ids,
        f"{walker.calls} appels aux services en {elapsed:.1f} s.",
    )
