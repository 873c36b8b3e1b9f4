"""The pages' words: French first, English on request (`?lang=en`, kept in a cookie).

Templates write French, `{{ _("Mes dons") }}`; `_EN` gives the English, French being the fallback.
Messages from the services (errors) stay French: they are written for the programme's people.
"""

from __future__ import annotations

from collecte.web.pages.i18n_en import EN

LANGUAGES = ("fr", "en")

STATUS = {
    "registered": "Enregistré",
    "collected": "Collecté",
    "received": "Réceptionné à l’atelier",
    "wiped": "Données effacées",
    "refurbished": "Reconditionné",
    "recycled": "Recyclé",
    "allocated": "Attribué à une association",
    "delivered": "Remis à l’association",
    "withdrawn": "Retiré du don",
}
ACTION = {
    "register": "Enregistrement",
    "collect": "Collecter",
    "receive": "Réceptionner à l’atelier",
    "wipe": "Effacer les données",
    "refurbish": "Reconditionner",
    "recycle": "Envoyer au recyclage",
    "allocate": "Attribuer à une association",
    "confirm_receipt": "Confirmer la réception",
    "withdraw": "Retirer du don",
}
# What happened, as the history tells it.
EVENT = {
    "register": "Enregistré par le donateur",
    "collect": "Collecté",
    "receive": "Réceptionné à l’atelier",
    "wipe": "Données effacées",
    "refurbish": "Reconditionné",
    "recycle": "Recyclé",
    "allocate": "Attribué",
    "confirm_receipt": "Reçu par l’association",
    "withdraw": "Retiré du don",
}
CATEGORY = {
    "laptop": "Ordinateur portable",
    "desktop": "Ordinateur fixe",
    "monitor": "Écran",
    "tablet": "Tablette",
    "smartphone": "Smartphone",
    "printer": "Imprimante",
    "network": "Matériel réseau",
    "peripheral": "Périphérique",
    "other": "Autre",
}
ROLE = {
    "donor": "Donateur",
    "reconditioner": "Reconditionneur",
    "association": "Association",
    "coordinator": "Coordination",
}
CERTIFICATE = {
    "donation": "Attestation de don",
    "erasure": "Certificat d’effacement",
    "recycling": "Certificat de recyclage",
    "receipt": "Attestation de réception",
}
WIPE_METHOD = {
    "clear": "Clear — réécriture logicielle",
    "purge": "Purge — effacement sécurisé du support",
    "destroy": "Destroy — destruction physique",
}
DESTINATION = {"reuse": "Réemploi", "recycling": "Recyclage"}


class Words:
    """The words of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "fr"

    def text(self, french: str) -> str:
        """`french` in this language (French when no translation is known)."""
        if self.lang == "en":
            return EN.get(french, french)
        return french

    def _named(self, table: dict[str, str], value: object) -> str:
        key = str(getattr(value, "value", value))
        return self.text(table.get(key, key))

    def status(self, value: object) -> str:
        """A status, as people say it."""
        return self._named(STATUS, value)

    def action(self, value: object) -> str:
        """An action, as its button says it."""
        return self._named(ACTION, value)

    def event(self, value: object) -> str:
        """An event of the history."""
        return self._named(EVENT, value)

    def category(self, value: object) -> str:
        """A device category."""
        return self._named(CATEGORY, value)

    def role(self, value: object) -> str:
        """An organisation's kind."""
        return self._named(ROLE, value)

    def certificate(self, value: object) -> str:
        """A certificate's kind."""
        return self._named(CERTIFICATE, value)

    def method(self, value: object) -> str:
        """A NIST SP 800-88 method."""
        return self._named(WIPE_METHOD, value)

    def destination(self, value: object) -> str:
        """Where a wiped device goes."""
        return self._named(DESTINATION, value)
