"""The four kinds of certificate (donation, erasure, recycling, receipt), one spec each; pure.

A spec says what its kind prints and in what words; `render.render_certificate` walks it. The
small functions above the specs compute the values a spec cannot hold as constants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from xml.sax.saxutils import escape

from collecte.documents import certificate_text as t
from collecte.documents.certificates import cells
from collecte.documents.certificates.bounds import shorten
from collecte.documents.certificates.layout import Column, mono, safe
from collecte.documents.certificates.model import CertificateDevice, CertificateDocument, Party
from collecte.documents.certificates.spec import (
    CertificateSpec,
    Fact,
    Markup,
    PartyBox,
    Signature,
    SummaryRow,
    Wording,
)
from collecte.domain.lifecycle import CERTIFICATE_PREFIX
from collecte.domain.vocabulary import CertificateKind

# A serial listed among the media not attested is cut shorter: 32 of them share one block.
NOT_CERTIFIED_SERIAL_MAX = 40
NOT_CERTIFIED_LISTED = 16  # more are counted, not listed: the block stays within a page

# ---------------------------------------------------------------------------------------------
# Values taken from the document


def _donor(doc: CertificateDocument) -> Party:
    """Return the donor: named apart, or else the recipient (who is the donor)."""
    return doc.donor or doc.recipient


def _association(doc: CertificateDocument) -> Party:
    """Return the receiving association: named apart, or else the recipient."""
    return doc.association or doc.recipient


def _reconditioner(doc: CertificateDocument) -> Party | None:
    """Return the workshop, if any."""
    return doc.reconditioner


def _beneficiary(doc: CertificateDocument) -> Party:
    """Return the programme as the organisation that receives a gift."""
    programme = doc.programme
    return Party(
        name=f"{programme.operator} — {programme.name}",
        ridet=programme.ridet,
        address=programme.address or None,
    )


def _channel(doc: CertificateDocument) -> Party:
    """Return the treatment organisation as a party, with its address where known."""
    return Party(name=doc.channel or "", address=doc.channel_address)


def _channel_lines(doc: CertificateDocument) -> Sequence[str]:
    """Return the treatment organisation's authorisation (ICPE) number, where known."""
    if not doc.channel_authorization:
        return ()
    return [t.text(doc.language, "channel_authorization", number=doc.channel_authorization)]


def _bsd(doc: CertificateDocument) -> Markup | None:
    """Return the waste tracking slip's number, when the devices left with one."""
    return mono(doc.bsd_number) if doc.bsd_number else None


def _operator_line(doc: CertificateDocument) -> Sequence[str]:
    """Return the person who erased, under their workshop."""
    if not doc.operator_name:
        return ()
    return [t.text(doc.language, "operator_person", name=doc.operator_name)]


def _day(doc: CertificateDocument) -> str:
    """Return the issue date, in Nouméa."""
    return t.format_date(t.to_noumea(doc.issued_at).date(), doc.language)


def _issued_at(doc: CertificateDocument) -> Markup:
    """Return the issue date and time, in Nouméa."""
    return escape(t.format_datetime(doc.issued_at, doc.language))


def _handover_date(doc: CertificateDocument) -> Markup:
    """Return the handover date; the collection issues the certificate, so it is the default."""
    handover = doc.handover_date or t.to_noumea(doc.issued_at).date()
    return escape(t.format_date(handover, doc.language))


def _pickup(doc: CertificateDocument) -> Markup | None:
    """Return the number of the pickup the donation attests, when it comes from one."""
    return escape(doc.pickup_number) if doc.pickup_number else None


def _worded(key: str) -> Callable[[CertificateDocument], Markup]:
    """Return a fact's value that is fixed wording, in the document's language."""

    def value(doc: CertificateDocument) -> Markup:
        return escape(t.text(doc.language, key))

    return value


def _place(doc: CertificateDocument) -> Markup:
    """Return where the devices were received, or that it was not given."""
    return safe(doc.place) if doc.place else escape(t.text(doc.language, "not_given"))


def _received_by(doc: CertificateDocument) -> Markup:
    """Return who received the devices, or that it was not given."""
    if doc.received_by:
        return safe(doc.received_by)
    return escape(t.text(doc.language, "not_given"))


def _programme_names(doc: CertificateDocument) -> Mapping[str, str]:
    """Return the operator and programme, escaped, for a certifying sentence."""
    return {"operator": safe(doc.programme.operator), "programme": safe(doc.programme.name)}


def _donation_intro(doc: CertificateDocument) -> Mapping[str, str]:
    """Return who received the gift from whom."""
    return {**_programme_names(doc), "donor": f"<b>{safe(_donor(doc).name)}</b>"}


def _erasure_intro(doc: CertificateDocument) -> Mapping[str, str]:
    """Return who erased the devices (the person, for their workshop) and when."""
    lang, operator, organisation = doc.language, doc.operator_name, doc.reconditioner
    if operator and organisation:
        who = t.text(lang, "who_erasure", name=safe(operator), organisation=safe(organisation.name))
    else:
        who = safe(operator or (organisation.name if organisation else doc.programme.operator))
    return {"who": who, "reference": safe(doc.programme.erasure_reference)}


def _recycling_intro(doc: CertificateDocument) -> Mapping[str, str]:
    """Return whose devices went to which treatment organisation, and when."""
    return {
        **_programme_names(doc),
        "donor": safe(_donor(doc).name),
        "when": _day(doc),
        "channel": f"<b>{safe(doc.channel or '')}</b>",
    }


def _receipt_intro(doc: CertificateDocument) -> Mapping[str, str]:
    """Return which association received devices of which programme."""
    return {
        "association": f"<b>{safe(_association(doc).name)}</b>",
        "programme": safe(doc.programme.name),
    }


def _device_count(doc: CertificateDocument) -> Markup:
    """Return the number of devices."""
    return escape(t.format_int(len(doc.devices), doc.language))


def _declared_total(doc: CertificateDocument) -> int:
    """Return the sum of the declared values (a device without one counts for nothing)."""
    return sum(d.declared_value_xpf or 0 for d in doc.devices)


def _weights(doc: CertificateDocument) -> list[float]:
    """Return the weights known."""
    return [d.weight_kg for d in doc.devices if d.weight_kg is not None]


def _value_figure(doc: CertificateDocument) -> str:
    """Return the total declared value in figures."""
    return t.format_xpf(_declared_total(doc), doc.language)


def _weight_figure(doc: CertificateDocument) -> str:
    """Return the total weight known."""
    return t.format_kg(t.sum_kg(_weights(doc)), doc.language)


def _total_value(doc: CertificateDocument) -> Markup:
    """Return the total declared value, saying how many devices have none."""
    value = f"<b>{escape(_value_figure(doc))}</b>"
    missing = sum(d.declared_value_xpf is None for d in doc.devices)
    if missing:
        value += " — " + escape(t.text(doc.language, "value_missing", count=missing))
    return value


def _value_in_words(doc: CertificateDocument) -> Mapping[str, str]:
    """Return the total declared value in words and in figures."""
    total = _declared_total(doc)
    return {
        "words": f"<b>{t.xpf_in_words(total, doc.language)}</b>",
        "figures": escape(t.format_xpf(total, doc.language)),
    }


def _tax_receipt(doc: CertificateDocument) -> Markup:
    """Return that the attestation is a tax receipt on the DSF model, with its order number."""
    return escape(t.text(doc.language, "tax_receipt_text", number=doc.number))


def _total_weight(doc: CertificateDocument) -> Markup:
    """Return the total weight, saying how many devices have none recorded."""
    value = f"<b>{escape(_weight_figure(doc))}</b>"
    missing = len(doc.devices) - len(_weights(doc))
    if missing:
        value += " — " + escape(t.text(doc.language, "weight_missing", count=missing))
    return value


def _weights_from(doc: CertificateDocument, source: str) -> list[float]:
    """Return the weights known from one source (weighed, declared, estimated)."""
    return [
        d.weight_kg for d in doc.devices if d.weight_kg is not None and d.weight_source == source
    ]


def _weight_share(
    source: str, always: bool = False
) -> Callable[[CertificateDocument], Markup | None]:
    """Return the part of the total weight from one source and its device count; left out when
    no device's weight comes from it (unless `always`), or on a certificate issued before the
    source of weights was recorded."""

    def value(doc: CertificateDocument) -> Markup | None:
        if all(d.weight_source is None for d in doc.devices):
            return None
        weights = _weights_from(doc, source)
        if not weights and not always:
            return None
        lang = doc.language
        figure = t.format_kg(t.sum_kg(weights), lang)
        return f"<b>{escape(figure)}</b> ({escape(t.plural(lang, len(weights)))})"

    return value


def _medium_lines(doc: CertificateDocument) -> Sequence[CertificateDevice]:
    """One table line a storage medium, under its device."""
    return [replace(device, media=(m,)) for device in doc.devices for m in device.media]


def _medium_lines_total(doc: CertificateDocument, count: int) -> str:
    """ "3 appareils · 4 supports"."""
    lang = doc.language
    return f"{t.plural(lang, len(doc.devices))} · {t.media_count(lang, count)}"


def _media_count(doc: CertificateDocument) -> Markup:
    """Return the number of storage media recorded."""
    return escape(t.format_int(sum(len(d.media) for d in doc.devices), doc.language))


def _certified_count(doc: CertificateDocument) -> Markup:
    """Return how many media the certificate attests erased, out of how many."""
    media = [m for d in doc.devices for m in d.media]
    return f"<b>{sum(m.certified for m in media)} / {len(media)}</b>"


def _not_certified(doc: CertificateDocument) -> Markup | None:
    """Return each medium the certificate does not attest, and why; None when there is none."""
    lang = doc.language
    left = [
        f"{mono(shorten(m.serial, NOT_CERTIFIED_SERIAL_MAX))} "
        f"({safe(t.result_label(m.result, lang))}, "
        f"{safe(t.verification_label(m.verification, lang))})"
        for d in doc.devices
        for m in d.media
        if not m.certified
    ]
    if len(left) > NOT_CERTIFIED_LISTED:  # the table lists every medium; this block sums up
        left = [*left[:NOT_CERTIFIED_LISTED], f"… +{len(left) - NOT_CERTIFIED_LISTED}"]
    return " · ".join(left) if left else None


def _reference(doc: CertificateDocument) -> Markup:
    """Return the reference the erasure follows (a programme setting)."""
    return safe(doc.programme.erasure_reference)


def _verified_by(doc: CertificateDocument) -> Markup:
    """Return the second person who checked the erasure, if named."""
    return safe(doc.verified_by) if doc.verified_by else escape(t.text(doc.language, "not_given"))


def _grades(doc: CertificateDocument) -> Markup:
    """Return how many devices have each grade."""
    grades = Counter(d.grade or "—" for d in doc.devices)
    return " · ".join(f"{safe(g)}{t.colon(doc.language)}{c}" for g, c in sorted(grades.items()))


def _workshop(doc: CertificateDocument) -> Markup | None:
    """Return the workshop that prepared the devices, if named."""
    return safe(doc.reconditioner.name) if doc.reconditioner else None


def _for_programme(doc: CertificateDocument) -> Mapping[str, str]:
    """Return the operator and programme a signatory signs for."""
    return {"operator": doc.programme.operator, "programme": doc.programme.name}


INDEX = Column("col_index", 9, cells.index)
TAG = Column("col_tag", 19, cells.tag, font="mono")
DEVICE_COUNT = SummaryRow("total_devices", _device_count)
PROGRAMME_SIGNS = Signature(
    Wording("sign_for_programme", _for_programme),
    lambda doc: [doc.programme.signatory_name, doc.programme.signatory_title],
)

# ---------------------------------------------------------------------------------------------
# The specs

DONATION = CertificateSpec(
    kind=CertificateKind.DONATION,
    prefix=CERTIFICATE_PREFIX[CertificateKind.DONATION],
    title="donation",
    issued="issued_f",  # une attestation
    intro=Wording("intro_donation", _donation_intro),
    parties=(
        PartyBox("party_donor", _donor, ridet_required=True),
        PartyBox("party_beneficiary", _beneficiary),
    ),
    facts=(
        Fact("handover_date", _handover_date),
        Fact("pickup", _pickup),
        Fact("gift_nature", _worded("gift_nature_text")),
    ),
    columns=(
        INDEX,
        TAG,
        Column("col_category", 28, cells.category),
        Column("col_model", 46, cells.make_model),
        Column("col_serial", 46, cells.serial, font="mono"),
        Column("col_value_estimated", 26, cells.declared_value, align="right"),
    ),
    table_total=_value_figure,
    # The donor's own estimate, never written as a tax amount: the programme holds no ruling.
    summary=(DEVICE_COUNT, SummaryRow("total_value_estimated", _total_value)),
    summary_note=Wording("value_estimated_note"),
    legal_mention=True,
    signatures=(
        Signature(Wording("sign_for_donor"), lambda doc: [_donor(doc).name, None], on_screen=True),
        PROGRAMME_SIGNS,
    ),
)

# The same attestation issued as a tax receipt on the DSF model (the programme holds a DSF ruling):
# its order number, the form of the gift, and the amount in figures and in words.
DONATION_TAX_RECEIPT = replace(
    DONATION,
    facts=(
        Fact("tax_receipt", _tax_receipt),
        *DONATION.facts,
        Fact("gift_form", _worded("gift_form_text")),
    ),
    columns=tuple(
        replace(column, heading="col_value") if column.heading == "col_value_estimated" else column
        for column in DONATION.columns
    ),
    summary=(DEVICE_COUNT, SummaryRow("total_value_receipt", _total_value)),
    summary_note=Wording("total_value_words", _value_in_words),
)

ERASURE = CertificateSpec(
    kind=CertificateKind.ERASURE,
    prefix=CERTIFICATE_PREFIX[CertificateKind.ERASURE],
    title="erasure",
    issued="issued_m",  # un certificat
    intro=Wording("intro_erasure", _erasure_intro),
    parties=(
        PartyBox("party_donor_owner", _donor),
        PartyBox("party_erasure_operator", _reconditioner, extra=_operator_line),
    ),
    facts=(
        Fact("erasure_when", _issued_at),
        Fact("erasure_standard", _reference),
        Fact("erasure_verified_by", _verified_by),
    ),
    columns=(
        Column("col_index", 7, cells.index),
        TAG,
        Column("col_device", 26, cells.erasure_device),
        Column("col_medium", 30, cells.medium),
        Column("col_technique", 28, cells.technique),
        Column("col_tool", 20, cells.tool),
        Column("col_when", 22, cells.when),
        Column("col_outcome", 22, cells.outcome),
    ),
    lines=_medium_lines,
    lines_total=_medium_lines_total,
    summary=(
        DEVICE_COUNT,
        SummaryRow("total_media", _media_count),
        SummaryRow("total_certified", _certified_count),
        SummaryRow("total_not_certified", _not_certified),
    ),
    signatures=(
        None,
        Signature(
            Wording("sign_for_reconditioner"),
            lambda doc: [
                doc.reconditioner.name if doc.reconditioner else "",
                doc.operator_name or None,
            ],
        ),
    ),
)

RECYCLING = CertificateSpec(
    kind=CertificateKind.RECYCLING,
    prefix=CERTIFICATE_PREFIX[CertificateKind.RECYCLING],
    title="recycling",
    issued="issued_m",  # un certificat
    intro=Wording("intro_recycling", _recycling_intro),
    parties=(
        PartyBox("party_donor", _donor),
        PartyBox("party_reconditioner", _reconditioner, optional=True),
        PartyBox("party_channel", _channel, extra=_channel_lines),
    ),
    facts=(Fact("recycling_when", _issued_at), Fact("recycling_bsd", _bsd)),
    columns=(
        INDEX,
        TAG,
        Column("col_category", 26, cells.category),
        Column("col_model", 40, cells.make_model),
        Column("col_serial", 38, cells.serial, font="mono"),
        Column("col_weight", 24, cells.weight, align="right"),
        Column("col_weight_source", 18, cells.weight_source),
    ),
    table_total=_weight_figure,
    summary=(
        DEVICE_COUNT,
        SummaryRow("total_weight", _total_weight),
        SummaryRow("total_weighed", _weight_share("weighed", always=True)),
        SummaryRow("total_declared", _weight_share("declared")),
        SummaryRow("total_estimated", _weight_share("estimated")),
    ),
    summary_note=Wording("weight_sources_note"),
    signatures=(None, PROGRAMME_SIGNS),
)

RECEIPT = CertificateSpec(
    kind=CertificateKind.RECEIPT,
    prefix=CERTIFICATE_PREFIX[CertificateKind.RECEIPT],
    title="receipt",
    issued="issued_f",  # une attestation
    intro=Wording("intro_receipt", _receipt_intro),
    parties=(
        PartyBox("party_association", _association, ridet_required=True),
        PartyBox("party_reconditioner", _reconditioner),
        PartyBox("party_donor", lambda doc: doc.donor, optional=True),
    ),
    facts=(
        Fact("receipt_when", _issued_at),
        Fact("receipt_place", _place),
        Fact("receipt_by", _received_by),
    ),
    columns=(
        INDEX,
        TAG,
        Column("col_category", 26, cells.category),
        Column("col_model", 40, cells.make_model),
        Column("col_serial", 37, cells.serial, font="mono"),
        Column("col_grade", 12, cells.grade),
        Column("col_erasure_cert", 31, cells.erasure_certificates),
    ),
    summary=(
        DEVICE_COUNT,
        SummaryRow("total_grades", _grades),
        SummaryRow("total_reconditioners", _workshop),
    ),
    signatures=(
        None,
        Signature(
            Wording("sign_for_association"),
            # Signed at `confirm_receipt`: "signed by" the representative; a receipt issued
            # before signatures names who received, or leaves a line to write a name on.
            lambda doc: [_association(doc).name, None if doc.signed_by else doc.received_by],
            on_screen=True,
        ),
    ),
)

# Keyed by the enum, whose members are their own string values: SPECS[doc.kind] works with either.
SPECS: Mapping[str, CertificateSpec] = {
    spec.kind: spec for spec in (DONATION, ERASURE, RECYCLING, RECEIPT)
}


def spec_for(doc: CertificateDocument) -> CertificateSpec:
    """Return the spec a document is printed by: its kind's, or the tax receipt's."""
    if doc.tax_receipt and doc.kind == CertificateKind.DONATION:
        return DONATION_TAX_RECEIPT
    return SPECS[doc.kind]
