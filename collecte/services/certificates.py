"""Issuing certificates inside the transition that causes them, and reading them back.

A certificate is numbered and its content and fingerprint stored in the same transaction as the
status change and the events that cite it: a rolled-back transition leaves no certificate and
gives its number back, so numbers stay gapless. Its PDF is rendered once that transaction has
committed, outside any lock, and stored once (`collecte.services.certificate_files`); whatever
asks for the file, or its SHA-256, before then gets it rendered at once. Once stored, the bytes
are served as they are, forever.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from collecte.db.certify_sql import Templates
from collecte.db.chunks import each_chunk
from collecte.db.tables import Certificate, DeviceEvent, Organization
from collecte.documents.certificate_facts import PublicFacts, public_facts
from collecte.documents.certificates.model import (
    CertificateDocument,
    Party,
    ProgrammeInfo,
    canonical_content,
    with_fingerprint,
)
from collecte.domain.access import Principal
from collecte.domain.actions import ActionData, Collect, ConfirmReceipt, Recycle, Wipe
from collecte.domain.clock import NOUMEA
from collecte.domain.errors import Invalid, NotFound
from collecte.domain.lifecycle import CERTIFICATE_PREFIX, certificate_for
from collecte.domain.signature import Signature
from collecte.domain.vocabulary import Action, CertificateKind, Role
from collecte.i18n import msg
from collecte.services import treatment_operators
from collecte.services.certificate_files import (
    decode_document,
    encode_document,
    file_of,
    insert_issued,
    insert_made,
    sha256_of,
)
from collecte.services.certificate_sources import SOURCES, Source
from collecte.services.devices import in_turn
from collecte.services.numbering import next_number
from collecte.settings import Settings

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class Issued:
    """A certificate just issued, as a transition's answer names it."""

    number: str
    kind: CertificateKind
    device_ids: tuple[int, ...]

    def as_json(self) -> dict[str, str]:
        """The `{"number", "kind"}` of the contract."""
        return {"number": self.number, "kind": self.kind.value}


def _party(row: dict[str, Any] | None) -> Party | None:
    if row is None:
        return None
    return Party(
        name=row["name"],
        ridet=row["ridet"],
        address=row["address"],
        city=row["city"],
        email=row["email"],
        phone=row["phone"],
    )


def _parties(rows: Sequence[dict[str, Any]]) -> Party | None:
    """One organisation as a party; several (a receipt from two workshops) named together."""
    if len(rows) <= 1:
        return _party(rows[0] if rows else None)
    return Party(name=", ".join(row["name"] for row in rows))


def _programme(settings: Settings) -> ProgrammeInfo:
    programme = settings.programme
    return ProgrammeInfo(
        name=programme.name,
        operator=programme.operator,
        address=programme.address,
        ridet=programme.ridet or None,
        signatory_name=programme.signatory_name,
        signatory_title=programme.signatory_title,
        legal_mention=programme.legal_mention,
        erasure_reference=programme.erasure_reference,
        public_url=settings.public_url,
    )


async def _organizations(ids: set[int | None]) -> dict[int, dict[str, Any]]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = await Organization.select().where(Organization.id.is_in(wanted))
    return {row["id"]: row for row in rows}


async def _erasure_numbers(device_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    rows = await each_chunk(
        list(device_ids),
        lambda part: (
            DeviceEvent.select(DeviceEvent.device, DeviceEvent.certificate_number)
            .where(
                DeviceEvent.device.is_in(part)
                & (DeviceEvent.action == Action.WIPE.value)
                & DeviceEvent.certificate_number.is_not_null()
            )
            .order_by(DeviceEvent.id)
        ),
    )  # each device's events come whole from one piece, oldest first
    numbers: dict[int, tuple[str, ...]] = {}
    for row in rows:
        numbers[row["device"]] = (*numbers.get(row["device"], ()), row["certificate_number"])
    return numbers


def _holder_id(row: dict[str, Any], data: ActionData) -> int | None:
    """The reconditioner the device is destined to (collect) or held by (every later step)."""
    if isinstance(data, Collect) and data.reconditioner_id is not None:
        return data.reconditioner_id
    holder: int | None = row["reconditioner"]
    return holder


def _group_key(source: Source, row: dict[str, Any], data: ActionData) -> tuple[int, int]:
    """Which certificate a device goes on: one per recipient and, where the kind's source says
    so, per workshop."""
    workshop = (_holder_id(row, data) or 0) if source.per_workshop else 0
    return source.recipient(row, data), workshop


@dataclass(frozen=True)
class Draft:
    """A certificate ready to be numbered: its content but its number and fingerprint."""

    kind: CertificateKind
    recipient_id: int
    document: CertificateDocument  # numbered "" until `numbered`
    device_ids: tuple[int, ...]
    # Its canonical content and stored JSON made ahead, when `prepared`: numbering it then only
    # writes the number in and hashes (no JSON made while a lock is held).
    made: Templates | None = None

    def prepared(self) -> Draft:
        """This draft with its content made ahead (`templates`)."""
        return replace(self, made=self.templates())

    def numbered(self, number: str) -> CertificateDocument:
        """The content under `number`, its fingerprint filled."""
        return with_fingerprint(replace(self.document, number=number))

    def templates(self) -> Templates:
        """The content with random placeholders for its number and fingerprint, for a statement
        that takes the number itself (`collecte.db.certify_sql`)."""
        number = f"{CERTIFICATE_PREFIX[self.kind]}-{secrets.token_hex(12)}"
        fingerprint = secrets.token_hex(32)
        document = replace(self.document, number=number, content_fingerprint=fingerprint)
        canonical = canonical_content(document).decode()
        return Templates(number, fingerprint, canonical, encode_document(document))


async def drafts_for_transition(
    principal: Principal,
    rows: Sequence[dict[str, Any]],
    data: ActionData,
    at: datetime,
    settings: Settings,
    language: str | None = None,
    organizations: Mapping[int, dict[str, Any]] | None = None,
) -> list[Draft]:
    """The certificates `action` calls for, not numbered yet, in the order their numbers are
    taken (recipient, workshop).

    `rows` are the devices as they were before the action. The donor receives donation, erasure
    and recycling certificates (one per workshop, which a coordinator's batch may mix), the
    association its receipt. The organisations they name are read unless given (by id).
    """
    kind = certificate_for(data.action)
    if kind is None:
        return []
    source = SOURCES[kind]
    if language is not None and language not in LANGUAGES:
        raise Invalid(msg("Le paramètre « lang » doit valoir fr ou en."), "lang")
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_group_key(source, row, data), []).append(row)
    wanted: set[int | None] = {recipient for recipient, _ in groups}
    wanted |= {_holder_id(row, data) for row in rows}
    if organizations is None or not {i for i in wanted if i is not None} <= set(organizations):
        organizations = await _organizations(wanted)
    erasures = await _erasure_numbers([r["id"] for r in rows]) if source.erasure_numbers else {}
    operator_details = (
        await treatment_operators.details_of(data) if isinstance(data, Recycle) else None
    )
    programme = _programme(settings)
    # A receipt is rendered after the association's representative signed: their name and
    # drawing go in its signature block (the person who received, when named, in its facts).
    signed: Signature | None = None
    received_by: str | None = None
    if isinstance(data, ConfirmReceipt):
        signed = data.signed()
        received_by = data.received_by or signed.name
    drafts: list[Draft] = []
    for (recipient_id, _), group in sorted(groups.items()):
        recipient = organizations[recipient_id]
        lang = language or (recipient["language"] if recipient["language"] in LANGUAGES else "fr")
        workshop_ids = list(dict.fromkeys(_holder_id(row, data) for row in group))
        workshops = [organizations[i] for i in workshop_ids if i is not None and i in organizations]
        operator = principal.display_name
        if [w["id"] for w in workshops] != [principal.organization_id]:
            operator = f"{operator} ({principal.organization_name})"  # e.g. the coordination
        party = _party(recipient)
        lines = []
        for row in group:
            lines.append(source.line(row, data, lang, erasures.get(row["id"], ())))
            await in_turn()
        document = CertificateDocument(
            kind=kind.value,
            number="",
            issued_at=at,
            language=lang,
            programme=programme,
            recipient=party,  # type: ignore[arg-type]
            donor=party if source.recipient_is == "donor" else None,
            reconditioner=_parties(workshops),
            association=party if source.recipient_is == "association" else None,
            operator_name=operator,
            verified_by=data.verified_by if isinstance(data, Wipe) else None,
            handover_date=at.astimezone(NOUMEA).date() if source.handover_on_issue else None,
            channel=data.channel if isinstance(data, Recycle) else None,
            channel_authorization=(
                operator_details.authorization_number if operator_details else None
            ),
            channel_address=operator_details.address if operator_details else None,
            bsd_number=data.bsd_number if isinstance(data, Recycle) else None,
            received_by=received_by,
            signed_by=signed.name if signed else None,
            signature_image=signed.image if signed else None,
            place=recipient["city"] if source.place_is_city else None,
            devices=tuple(lines),
        )
        drafts.append(Draft(kind, recipient_id, document, tuple(r["id"] for r in group)))
    return drafts


async def issue_drafts(principal: Principal, drafts: Sequence[Draft], at: datetime) -> list[Issued]:
    """Number and store the certificates drafted for a transition (`drafts_for_transition`), in
    their order; call inside the transition's transaction, after its devices moved.

    The content was made before, so a number is taken (PostgreSQL: the counter row held until
    the commit) only for what follows it; the PDFs are rendered once the transaction commits,
    outside its locks (SQLite's writer, PostgreSQL's counter row).
    """
    issued: list[Issued] = []
    for draft in drafts:
        number = await next_number(CERTIFICATE_PREFIX[draft.kind], at.astimezone(NOUMEA).year)
        issuer, issued_by = principal.organization_id, principal.user_id
        if draft.made is not None:
            await insert_made(
                draft.document, draft.made, number, draft.recipient_id, issuer, issued_by
            )
        else:
            await insert_issued(draft.numbered(number), draft.recipient_id, issuer, issued_by)
        issued.append(Issued(number, draft.kind, draft.device_ids))
    return issued


def party_of(row: dict[str, Any]) -> Party:
    """An organisation row as a certificate names it."""
    party = _party(row)
    assert party is not None
    return party


def programme_of(settings: Settings) -> ProgrammeInfo:
    """The programme that issues the certificates, as the settings say."""
    return _programme(settings)


def language_for(recipient: dict[str, Any], language: str | None = None) -> str:
    """The language a certificate is written in: the one asked, else its recipient's."""
    if language is not None:
        return language
    return str(recipient["language"]) if recipient["language"] in LANGUAGES else "fr"


async def store_certificate(
    document: CertificateDocument,
    recipient_id: int,
    issuer_id: int | None,
    issued_by: int | None,
) -> Issued:
    """Store a numbered document (its fingerprint filled) as issued, its PDF rendered once the
    transaction commits; call inside the transaction that numbered it, so a failure gives the
    number back."""
    await insert_issued(document, recipient_id, issuer_id, issued_by)
    return Issued(document.number, CertificateKind(document.kind), ())


_META_COLUMNS = (
    Certificate.number,
    Certificate.kind,
    Certificate.issued_at,
    Certificate.language,
    Certificate.device_count,
    Certificate.sha256,
    Certificate.content_fingerprint,
    Certificate.recipient,
    Certificate.issuer,
)


def _meta(row: dict[str, Any], public_url: str) -> dict[str, Any]:
    return {
        "number": row["number"],
        "kind": row["kind"],
        "issued_at": row["issued_at"],
        "language": row["language"],
        "device_count": row["device_count"],
        "sha256": row["sha256"],
        "content_fingerprint": row["content_fingerprint"],
        "recipient_id": row["recipient"],
        "issuer_id": row["issuer"],
        "pdf_url": f"/api/certificates/{row['number']}/pdf",
        "verify_url": f"{public_url}/verify/{row['number']}",
    }


def _scope(principal: Principal) -> Any:
    """Recipients see what they received, issuers what they issued; coordinators everything."""
    if principal.role is Role.COORDINATOR:
        return None
    org = principal.organization_id
    return (Certificate.recipient == org) | (Certificate.issuer == org)


def _listed(principal: Principal, query: Any, kind: str | None) -> Any:
    """`query` on certificates narrowed to those the caller may see, of `kind` if given."""
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    if kind:
        try:
            query = query.where(Certificate.kind == CertificateKind(kind).value)
        except ValueError:
            kinds = ", ".join(k.value for k in CertificateKind)
            raise Invalid(
                msg("Le paramètre « kind » doit valoir l’un de : {kinds}.", kinds=kinds), "kind"
            ) from None
    return query


async def _with_files(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with the SHA-256 of each one's file, those not rendered yet rendered now."""
    missing = [row["number"] for row in rows if row["sha256"] is None]
    if missing:
        digests = await sha256_of(missing)
        for row in rows:
            if row["sha256"] is None:
                row["sha256"] = digests[row["number"]]
    return rows


async def list_certificates(
    principal: Principal, kind: str | None, public_url: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The certificates the caller may see, newest first."""
    query = Certificate.select(*_META_COLUMNS).order_by(Certificate.id, ascending=False)
    rows = await _listed(principal, query, kind).limit(limit).offset(offset)
    return [_meta(row, public_url) for row in await _with_files(rows)]


async def count_certificates(principal: Principal, kind: str | None) -> int:
    """How many certificates `list_certificates` lists on all its pages together."""
    return int(await _listed(principal, Certificate.count(), kind))


def canonical_number(number: str) -> str:
    """A certificate number as stored: trimmed, upper-case."""
    return number.strip().upper()


async def _visible(principal: Principal, number: str, *columns: Any) -> dict[str, Any]:
    query = Certificate.select(*columns).where(Certificate.number == canonical_number(number))
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    row = await query.first()
    if row is None:
        raise NotFound(msg("Certificat {number} introuvable.", number=number), "number")
    return row


async def get_certificate(principal: Principal, number: str, public_url: str) -> dict[str, Any]:
    """A certificate's metadata, with the SHA-256 of its PDF (rendered now if not yet)."""
    [row] = await _with_files([await _visible(principal, number, *_META_COLUMNS)])
    return _meta(row, public_url)


async def certificate_pdf(principal: Principal, number: str) -> tuple[str, bytes]:
    """The stored PDF bytes, exactly as issued (rendered and stored now if not yet)."""
    row = await _visible(principal, number, Certificate.number, Certificate.pdf)
    if row["pdf"] is not None:
        return row["number"], bytes(row["pdf"])
    return row["number"], (await file_of(row["number"], stored_only=False)).pdf


_PUBLIC_COLUMNS = (
    Certificate.number,
    Certificate.kind,
    Certificate.issued_at,
    Certificate.device_count,
    Certificate.sha256,
    Certificate.content_fingerprint,
    Certificate.status,
    Certificate.reason,
    Certificate.replaced_by,
    Certificate.replaces,
    Certificate.recipient,
    Certificate.issuer,
    Certificate.document,
)


async def _public_facts(row: dict[str, Any]) -> PublicFacts:
    """The organisations and total the certificate prints; from the organisations' current
    rows for a certificate issued before its content was stored (no total then)."""
    if row["document"]:
        return public_facts(decode_document(row["document"]))
    names = await _organizations({row["recipient"], row["issuer"]})
    recipient = names.get(row["recipient"], {}).get("name")
    issuer = names.get(row["issuer"], {}).get("name") if row["issuer"] is not None else None
    return PublicFacts(issuer=issuer, recipient=recipient)


async def _check(number: str) -> tuple[dict[str, Any], PublicFacts | None]:
    canonical = canonical_number(number)
    row = await Certificate.select(*_PUBLIC_COLUMNS).where(Certificate.number == canonical).first()
    if row is None:
        missing = {
            "valid": False,
            "number": canonical,
            "sentence": msg(
                "Aucun certificat n’a été émis sous le numéro {number}.", number=canonical
            ),
        }
        return missing, None
    [row] = await _with_files([row])
    facts = await _public_facts(row)
    found = {
        "valid": True,
        "number": row["number"],
        "kind": row["kind"],
        "issued_at": row["issued_at"],
        "device_count": row["device_count"],
        "sha256": row["sha256"],
        "content_sha256": row["content_fingerprint"],
        "issuer": facts.issuer,
        "recipient": facts.recipient,
        "total_value_xpf": facts.total_value_xpf,
        "total_weight_kg": facts.total_weight_kg,
        "status": row["status"],
        "reason": row["reason"],
        "replaced_by": row["replaced_by"],
        "replaces": row["replaces"],
    }
    return found, facts


async def check_number(number: str) -> dict[str, Any]:
    """Public: whether a certificate number was issued (`valid`), with what a paper copy is
    matched against: its printed content fingerprint, the organisations it names, its device
    count and total. No person is named. Its `status` says whether it still holds (valid,
    superseded by `replaced_by`, or revoked) and the `reason`."""
    found, _ = await _check(number)
    return found


async def check_number_as_printed(number: str) -> dict[str, Any]:
    """`check_number`, with the total also as the certificate prints it (`total_text`:
    "120 000 XPF", "12,50 kg"), for the verify page."""
    found, facts = await _check(number)
    if facts is not None:
        found["total_text"] = facts.total_value_text or facts.total_weight_text
    return found


async def verify_pdf(body: bytes) -> dict[str, Any]:
    """Public: whether these exact bytes are an issued certificate (its stored SHA-256)."""
    if not body:
        raise Invalid(
            msg("Envoyez le fichier PDF du certificat dans le corps de la requête."), "body"
        )
    digest = hashlib.sha256(body).hexdigest()
    row = await Certificate.select(Certificate.number).where(Certificate.sha256 == digest).first()
    if row is None:
        return {"valid": False, "sha256": digest}
    return {"valid": True, "number": row["number"], "sha256": digest}
