"""What a verifier reads of an issued certificate to match a paper copy: who issued it, for whom,
how many devices, and its total (value or weight) as printed; pure.

Computed from the issued content as stored beside the PDF, with the functions the certificate
itself prints its totals with, so each figure reads as on paper. Only organisations are named:
the persons a certificate names (operator, signatories) stay on the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from collecte.documents import certificate_text as t
from collecte.documents.certificates.model import CertificateDocument, Party
from collecte.domain.vocabulary import CertificateKind


@dataclass(frozen=True)
class PublicFacts:
    """The facts of a certificate a verifier may see; None where the kind has no such fact."""

    issuer: str | None
    recipient: str | None
    total_value_xpf: int | None = None
    total_weight_kg: float | None = None
    total_value_text: str | None = None  # as printed: "120 000 XPF"
    total_weight_text: str | None = None  # as printed: "12,50 kg"


def _programme(doc: CertificateDocument) -> str:
    """The programme as the certificate names it where it attests: "OPEN NC — La Grande…"."""
    return f"{doc.programme.operator} — {doc.programme.name}"


def _name(party: Party | None) -> str | None:
    return party.name if party is not None else None


def public_facts(doc: CertificateDocument) -> PublicFacts:
    """Who issued the certificate and for whom, and its printed total, by kind.

    Donation: the programme attests receiving the gift of the donor. Erasure: the workshop
    certifies the erasure, for the donor (the data's owner). Recycling: the programme certifies
    the hand-over to the treatment channel, for the donor. Receipt: the association attests
    receiving the devices the workshop(s) handed over.
    """
    kind = CertificateKind(doc.kind)
    donor = _name(doc.donor or doc.recipient)
    if kind is CertificateKind.DONATION:
        value = sum(d.declared_value_xpf or 0 for d in doc.devices)
        return PublicFacts(
            issuer=_programme(doc),
            recipient=donor,
            total_value_xpf=value,
            total_value_text=t.format_xpf(value, doc.language),
        )
    if kind is CertificateKind.ERASURE:
        return PublicFacts(issuer=_name(doc.reconditioner), recipient=donor)
    if kind is CertificateKind.RECYCLING:
        weight = t.sum_kg([d.weight_kg for d in doc.devices if d.weight_kg is not None])
        return PublicFacts(
            issuer=_programme(doc),
            recipient=donor,
            total_weight_kg=round(weight, 2),
            total_weight_text=t.format_kg(weight, doc.language),
        )
    association = _name(doc.association or doc.recipient)
    return PublicFacts(issuer=association, recipient=_name(doc.reconditioner))
