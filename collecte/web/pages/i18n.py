"""The pages' words: French first, English on request (`?lang=en`, kept in a cookie).

Templates write French, `{{ _("Mes dons") }}` (Jinja's i18n extension, wired to the catalogs of
`collecte.i18n`); `words` names the programme's vocabulary (statuses, actions…) by its labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context

from collecte.domain.corrections import FIELD_LABELS
from collecte.domain.vocabulary import (
    Action,
    Category,
    CertificateKind,
    Destination,
    ErasureResult,
    Labelled,
    MethodClass,
    Role,
    SecurityEvent,
    Status,
    Technique,
    Verification,
    WipeMethod,
    event_label,
    label_of,
)
from collecte.i18n import (
    LANGUAGES,
    N_,
    Message,
    gettext,
    language_or_default,
    msg,
    ngettext,
    say,
)
from collecte.web.pages.forms import action_fields

__all__ = ["LANGUAGES", "Words", "install", "shown_of"]


class Words:
    """The words of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = language_or_default(lang)

    def text(self, french: str | Message) -> str:
        """`french` (a msgid or a Message) in this language."""
        return say(self.lang, french)

    def _named(self, enum: type[Labelled], value: object) -> str:
        return gettext(self.lang, label_of(enum, getattr(value, "value", value)))

    def status(self, value: object) -> str:
        """A status, as people say it."""
        return self._named(Status, value)

    def action(self, value: object) -> str:
        """An action, as its button says it."""
        return self._named(Action, value)

    def statuses(self) -> dict[str, str]:
        """Every status by its value, as people say it (for the pages' scripts)."""
        return {status.value: self.status(status) for status in Status}

    def actions(self) -> dict[str, str]:
        """Every action by its value, as its button says it (for the pages' scripts)."""
        return {action.value: self.action(action) for action in Action}

    def event(self, value: object) -> str:
        """An event of the history."""
        return gettext(self.lang, event_label(str(getattr(value, "value", value))))

    def category(self, value: object) -> str:
        """A device category."""
        return self._named(Category, value)

    def role(self, value: object) -> str:
        """An organisation's kind."""
        return self._named(Role, value)

    def security(self, value: object) -> str:
        """A kind of security log entry."""
        return self._named(SecurityEvent, value)

    def certificate(self, value: object) -> str:
        """A certificate's kind."""
        return self._named(CertificateKind, value)

    def method(self, value: object) -> str:
        """A NIST SP 800-88 method."""
        return self._named(WipeMethod, value)

    def destination(self, value: object) -> str:
        """Where a wiped device goes."""
        return self._named(Destination, value)

    def label(self, member: Labelled) -> str:
        """Any vocabulary member by its label."""
        return gettext(self.lang, member.label)

    def medium(self, record: Mapping[str, Any]) -> str:
        """One erasure record, in a line: serial, technique (or class), result, verification."""
        technique = record.get("technique")
        how = (
            label_of(Technique, technique)
            if technique
            else label_of(MethodClass, record.get("method_class"))
        )
        parts = [
            gettext(self.lang, how),
            gettext(self.lang, label_of(ErasureResult, record.get("result"))),
            gettext(self.lang, label_of(Verification, record.get("verification"))),
        ]
        serial = record.get("serial") or gettext(self.lang, N_("support"))
        return f"{serial} : " + ", ".join(parts)

    def changes(self, changes: object) -> list[str]:
        """A correction's changes, one line each: "marque Dell → HP"."""
        if not isinstance(changes, list):
            return []
        lines = []
        for change in changes:
            if not isinstance(change, Mapping):
                continue
            field = str(change.get("field"))
            name = gettext(self.lang, FIELD_LABELS.get(field, field))
            old, new = self._value(field, change.get("from")), self._value(field, change.get("to"))
            lines.append(f"{name} {old} → {new}")
        return lines

    def _value(self, field: object, value: object) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return gettext(self.lang, N_("oui") if value else N_("non"))
        if field == "category":
            return self.category(value)
        if isinstance(value, int | float):
            return format_decimal(value, locale=self.lang)
        return str(value)

    def facts(self, action: str, data: Mapping[str, Any]) -> list[str]:
        """What an event's data says, field by field, for the device's history."""
        facts: list[str] = []
        for field in action_fields(action):
            # A field may be told from another key of the event (a pickup by its number).
            value = data.get(field.extra.get("history_from", field.name))
            if value in (None, "", []) or field.kind == "organization":
                continue
            if field.hidden and "media" in data:
                continue  # version 1's shorthand, told again by the records per medium
            if field.kind == "rows":
                facts.extend(self.medium(item) for item in value)
                continue
            if field.kind == "bool":
                said = field.extra.get("said_true" if value else "said_false")
                if said:
                    facts.append(gettext(self.lang, said))
                continue
            if field.kind == "choice":
                shown = gettext(self.lang, label_of(type(field.choices[0]), value))
            elif field.kind == "lines":
                shown = ", ".join(str(item) for item in value)
            elif field.kind == "signature":
                if not isinstance(value, Mapping) or not value.get("name"):
                    continue
                shown = str(value["name"])
            elif field.kind == "number" and not isinstance(value, str):
                shown = format_decimal(value, locale=self.lang)
            else:
                shown = str(value)
            said = field.extra.get("said")
            facts.append(say(self.lang, said, value=shown) if said else shown)
        return facts


def shown_of(shown: int, total: int) -> Message:
    """« 50 sur 236 appareil(s) », or « 236 appareil(s) » when every one is shown."""
    if shown == total:
        return msg("{count} appareil(s)", count=total)
    return msg("{shown} sur {total} appareil(s)", shown=shown, total=total)


@pass_context
def _gettext(context: Context, msgid: str) -> str:
    return gettext(str(context.get("lang", "fr")), msgid)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return ngettext(str(context.get("lang", "fr")), singular, plural, count)


def install(environment: Any) -> None:
    """Give the templates `_`, `gettext`, `ngettext` and `{% trans %}` in the page's language."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)
