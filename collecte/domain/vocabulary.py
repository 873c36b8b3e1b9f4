"""The programme's vocabulary: every enumerated value with the words people read for it.

One wording per concept, used by pages, labels, certificates and exports alike. Values are the
stable lowercase codes stored in the database and sent by the API; labels are French source
strings, said in the reader's language by `collecte.i18n`. Pure: standard library only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from collecte.i18n import N_


class Labelled(StrEnum):
    """A StrEnum whose members carry a label (French msgid); lookup forgives case and spaces.

    `done`, a second wording, says what happened (an action's line in a device's history).
    """

    label: str
    done: str

    def __new__(cls, value: str, label: str = "", done: str = "") -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        member.done = done or member.label
        return member

    @classmethod
    def _missing_(cls, value: object) -> Labelled | None:
        if isinstance(value, str):
            wanted = value.strip().casefold()
            for member in cls:
                if member.value.casefold() == wanted:
                    return member
        return None


class Role(Labelled):
    """The kind of an organisation, which is the role of its users."""

    DONOR = "donor", N_("Donateur")
    RECONDITIONER = "reconditioner", N_("Reconditionneur")
    ASSOCIATION = "association", N_("Association")
    COORDINATOR = "coordinator", N_("Coordination")


class Status(Labelled):
    """Where a device stands; stable lowercase values stored in the database."""

    REGISTERED = "registered", N_("Enregistré")
    COLLECTED = "collected", N_("Collecté")
    RECEIVED = "received", N_("Réceptionné à l’atelier")
    WIPED = "wiped", N_("Données effacées")
    REFURBISHED = "refurbished", N_("Reconditionné")
    RECYCLED = "recycled", N_("Recyclé")
    ALLOCATED = "allocated", N_("Attribué à une association")
    DELIVERED = "delivered", N_("Remis à l’association")
    WITHDRAWN = "withdrawn", N_("Retiré du don")
    MISSING = "missing", N_("Introuvable")
    RETURNED = "returned", N_("Rendu par l’association")


class Action(Labelled):
    """What a user does to a device; each appends one event to the custody log.

    `label` is what its button says; `done` is how the device's history tells it.
    """

    COLLECT = "collect", N_("Collecter"), N_("Collecté")
    RECEIVE = "receive", N_("Réceptionner à l’atelier"), N_("Réceptionné à l’atelier")
    WIPE = "wipe", N_("Effacer les données"), N_("Données effacées")
    REFURBISH = "refurbish", N_("Reconditionner"), N_("Reconditionné")
    RECYCLE = "recycle", N_("Envoyer au recyclage"), N_("Recyclé")
    ALLOCATE = "allocate", N_("Attribuer à une association"), N_("Attribué")
    CONFIRM_RECEIPT = "confirm_receipt", N_("Confirmer la réception"), N_("Reçu par l’association")
    WITHDRAW = "withdraw", N_("Retirer du don"), N_("Retiré du don")
    # The exceptions: compensating events, never edits.
    DEALLOCATE = "deallocate", N_("Annuler l’attribution"), N_("Attribution annulée")
    REFUSE = "refuse", N_("Refuser l’appareil"), N_("Refusé par l’association")
    REPORT_MISSING = "report_missing", N_("Signaler introuvable"), N_("Signalé introuvable")
    FOUND = "found", N_("Signaler retrouvé"), N_("Retrouvé")
    RETURN = "return", N_("Rendre à un atelier"), N_("Rendu par l’association")
    TRANSFER = "transfer", N_("Transférer à un autre atelier"), N_("Transféré à un autre atelier")
    REVERT = "revert", N_("Annuler la dernière étape"), N_("Dernière étape annulée")


# The event recorded when a device is created; not an action a user can request.
REGISTER_EVENT = "register"
# A correction of the device's typed fields (from = to = its status); not a lifecycle action.
EDIT_EVENT = "edit"
_OTHER_EVENTS = {
    REGISTER_EVENT: N_("Enregistré par le donateur"),
    EDIT_EVENT: N_("Correction"),
}


def event_label(name: str) -> str:
    """How the history tells an event (an action's `done`, or the registration)."""
    if name in _OTHER_EVENTS:
        return _OTHER_EVENTS[name]
    try:
        return Action(name).done
    except ValueError:
        return name


class Category(Labelled):
    """Device categories."""

    LAPTOP = "laptop", N_("Ordinateur portable")
    DESKTOP = "desktop", N_("Ordinateur fixe")
    MONITOR = "monitor", N_("Écran")
    TABLET = "tablet", N_("Tablette")
    SMARTPHONE = "smartphone", N_("Smartphone")
    PRINTER = "printer", N_("Imprimante")
    NETWORK = "network", N_("Équipement réseau")
    PERIPHERAL = "peripheral", N_("Périphérique")
    OTHER = "other", N_("Autre")


class CertificateKind(Labelled):
    """The documents the programme issues; the label is the document's title."""

    DONATION = "donation", N_("Attestation de don en nature")
    ERASURE = "erasure", N_("Certificat d’effacement des données")
    RECYCLING = "recycling", N_("Certificat de recyclage")
    RECEIPT = "receipt", N_("Attestation de réception")


class CertificateStatus(Labelled):
    """Whether an issued certificate still holds: a certificate is never changed, but a device
    taken out of it (a `revert`, a `report_missing`) supersedes it with a replacement for the
    remaining devices, or revokes it when none remain."""

    VALID = "valid", N_("Valide")
    SUPERSEDED = "superseded", N_("Remplacé")
    REVOKED = "revoked", N_("Révoqué")


class WipeMethod(Labelled):
    """Sanitisation method types of NIST SP 800-88."""

    CLEAR = "clear", N_("Clear — réécriture logicielle")
    PURGE = "purge", N_("Purge — effacement sécurisé du support")
    DESTROY = "destroy", N_("Destroy — destruction physique")


class MediumKind(Labelled):
    """What kind of storage medium an erasure record is about."""

    HDD = "hdd", N_("Disque dur (HDD)")
    SSD = "ssd", N_("SSD (SATA)")
    NVME = "nvme", N_("SSD NVMe")
    EMMC = "emmc", N_("Mémoire eMMC intégrée")
    FLASH = "flash", N_("Mémoire flash")
    OTHER = "other", N_("Autre support")


class MethodClass(Labelled):
    """How thoroughly a medium was sanitised, as NIST SP 800-88 Rev. 2 and IEEE 2883-2022 name
    it; the members are in increasing order of assurance."""

    CLEAR = "clear", N_("Clear — effacement logique")
    PURGE = "purge", N_("Purge — effacement sécurisé du support")
    DESTRUCT = "destruct", N_("Destruct — destruction physique")

    @property
    def rank(self) -> int:
        """0 for clear, 1 for purge, 2 for destruct: compare assurance levels."""
        return list(MethodClass).index(self)


class Technique(Labelled):
    """The sanitisation technique applied to a medium; its class follows (IEEE 2883-2022)."""

    OVERWRITE = "overwrite", N_("Réécriture")
    BLOCK_ERASE = "block_erase", N_("Effacement par blocs (Block Erase)")
    CRYPTO_ERASE = "crypto_erase", N_("Effacement cryptographique (Crypto Erase)")
    SANITIZE = "sanitize", N_("Commande Sanitize du support")
    DESTRUCT = "destruct", N_("Destruction physique")

    @property
    def method_class(self) -> MethodClass:
        """The class this technique achieves: a logical overwrite clears; the media's own block,
        cryptographic or sanitize commands purge; physical destruction destructs."""
        return _TECHNIQUE_CLASS[self]


_TECHNIQUE_CLASS = {
    Technique.OVERWRITE: MethodClass.CLEAR,
    Technique.BLOCK_ERASE: MethodClass.PURGE,
    Technique.CRYPTO_ERASE: MethodClass.PURGE,
    Technique.SANITIZE: MethodClass.PURGE,
    Technique.DESTRUCT: MethodClass.DESTRUCT,
}


class ErasureResult(Labelled):
    """What an erasure pass achieved on one medium."""

    ERASED = "erased", N_("Effacé")
    ERASED_WITH_EXCEPTIONS = "erased_with_exceptions", N_("Effacé avec exceptions")
    FAILED = "failed", N_("Échec")


class Verification(Labelled):
    """How the erasure of a medium was checked afterwards."""

    FULL = "full", N_("Vérification complète")
    SAMPLE = "sample", N_("Vérification par échantillonnage")
    NONE = "none", N_("Non vérifié")


class ErasureReportFormat(Labelled):
    """An erasure tool's report that collecte reads into media records."""

    NWIPE_JSON = "nwipe_json", N_("Rapport JSON de nwipe")
    NWIPE_PDF = "nwipe_pdf", N_("Rapport PDF de nwipe")
    BLANCCO_XML = "blancco_xml", N_("Rapport XML de Blancco")


class Destination(Labelled):
    """Where a wiped device is headed, as stated on the erasure certificate."""

    REUSE = "reuse", N_("Réemploi")
    RECYCLING = "recycling", N_("Recyclage")


class Grade(Labelled):
    """Cosmetic and functional grade given at refurbishment."""

    A = "A", N_("A")
    B = "B", N_("B")
    C = "C", N_("C")


def label_of(enum: type[Labelled], value: Any) -> str:
    """The label (msgid) of `value` in `enum`, or the value itself when it is not a member."""
    try:
        return enum(value).label
    except ValueError:
        return str(value)


class PickupStatus(Labelled):
    """Where a pickup stands: open while devices are collected into it, closed once attested."""

    OPEN = "open", N_("En cours")
    CLOSED = "closed", N_("Clôturé")


class SecurityEvent(Labelled):
    """What the security log records: sign-ins and what happens to accounts and keys."""

    SIGN_IN = "sign_in", N_("Connexion")
    SIGN_IN_FAILED = "sign_in_failed", N_("Échec de connexion")
    SIGN_IN_LOCKED = "sign_in_locked", N_("Connexion bloquée (trop d’échecs)")
    SIGN_OUT = "sign_out", N_("Déconnexion")
    USER_CREATED = "user_created", N_("Compte créé")
    USER_DEACTIVATED = "user_deactivated", N_("Compte désactivé")
    USER_REACTIVATED = "user_reactivated", N_("Compte réactivé")
    PASSWORD_CHANGED = "password_changed", N_("Mot de passe changé")
    PASSWORD_RESET = "password_reset", N_("Mot de passe réinitialisé")
    PASSWORD_CHANGE_REFUSED = (
        "password_change_refused",
        N_("Changement de mot de passe refusé (mot de passe actuel incorrect)"),
    )
    ROLE_CHANGED = "role_changed", N_("Rôle modifié")
    KEY_ROTATED = "key_rotated", N_("Clé de signature renouvelée")
    TOTP_ENABLED = "totp_enabled", N_("Double authentification activée")
    TOTP_DISABLED = "totp_disabled", N_("Double authentification désactivée")


class SessionEnd(Labelled):
    """Why a sign-in session ended before its time (stored with it, for the audit)."""

    LOGOUT = "logout", N_("Déconnexion")
    DEACTIVATED = "deactivated", N_("Compte désactivé")
    PASSWORD_CHANGED = "password_changed", N_("Mot de passe changé")
    PASSWORD_RESET = "password_reset", N_("Mot de passe réinitialisé")
    KEY_ROTATED = "key_rotated", N_("Clé de signature renouvelée")
    ROLE_CHANGED = "role_changed", N_("Organisation et rôle modifiés")
    TOTP_ENABLED = "totp_enabled", N_("Double authentification activée")
