"""The shape of a certificate kind's description: what `render_certificate` walks; pure data.

Every piece of wording is named by its key in `certificate_text`; a value that must be computed
from the document is a small function of it. Functions that return markup escape user text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from collecte.documents.certificates.layout import Column
from collecte.documents.certificates.model import CertificateDevice, CertificateDocument, Party
from collecte.domain.vocabulary import CertificateKind

# Markup: text ready for a Paragraph (user text escaped, <b> and <font> tags allowed).
Markup = str


def no_values(_doc: CertificateDocument) -> Mapping[str, str]:
    """Return no placeholder values, for wording that has none."""
    return {}


def no_lines(_doc: CertificateDocument) -> Sequence[str]:
    """Return no extra lines, for a party box that adds none."""
    return ()


@dataclass(frozen=True)
class Wording:
    """A sentence: its wording key and the values of its placeholders, taken from the document."""

    key: str
    values: Callable[[CertificateDocument], Mapping[str, str]] = no_values


@dataclass(frozen=True)
class PartyBox:
    """One party named under the introduction, in its own box."""

    label: str  # wording key of the role
    party: Callable[[CertificateDocument], Party | None]
    extra: Callable[[CertificateDocument], Sequence[str]] = no_lines  # lines under the party
    ridet_required: bool = False  # say the RIDET was not given rather than print nothing
    optional: bool = False  # leave the box out when no one holds the role (else "not given")


@dataclass(frozen=True)
class Fact:
    """One labelled fact under the parties (a date, a place, the standard followed)."""

    label: str  # wording key
    value: Callable[[CertificateDocument], Markup | None]  # None: the fact is left out


@dataclass(frozen=True)
class SummaryRow:
    """One labelled total under the device table; left out when its value is None."""

    label: str  # wording key
    value: Callable[[CertificateDocument], Markup | None]


@dataclass(frozen=True)
class Signature:
    """Who signs: a heading, then lines naming them; a None line is a blank "name and position"."""

    heading: Wording
    lines: Callable[[CertificateDocument], Sequence[str | None]]
    # Signed on a screen (the donor at a pickup's close, the association at `confirm_receipt`):
    # the document's `signed_by` (and its drawn image) fill the block, or it says the pickup
    # closed unsigned.
    on_screen: bool = False


@dataclass(frozen=True, kw_only=True)
class CertificateSpec:
    """Everything that sets one kind of certificate apart, in the order it is printed."""

    kind: CertificateKind
    prefix: str  # of the certificate number, as the domain numbers them
    title: str  # the certificate kind, whose vocabulary label is the title
    issued: str  # wording key of the "issued on" line, agreed with the title's gender
    intro: Wording  # the certifying sentence (its values are markup)
    parties: tuple[PartyBox, ...]
    facts: tuple[Fact, ...]
    columns: tuple[Column, ...]  # the device table; widths add up to 174 mm
    # The table's lines, when not one a device (an erasure prints one a storage medium), and
    # how its total row counts them.
    lines: Callable[[CertificateDocument], Sequence[CertificateDevice]] | None = None
    lines_total: Callable[[CertificateDocument, int], str] | None = None
    table_total: Callable[[CertificateDocument], str] | None = None  # ends the last column
    summary: tuple[SummaryRow, ...]
    summary_note: Wording | None = None  # a sentence under the totals (its values are markup)
    legal_mention: bool = False  # print the programme's legal mention
    signatures: tuple[Signature | None, Signature | None] = field(default=(None, None))
