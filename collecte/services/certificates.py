"""Issuing certificates inside the transition that causes them, and reading them back.

A certificate is numbered, rendered and stored in the same transaction as the status change and
the events that cite it: a rolled-back transition leaves no certificate and gives its number
back, so numbers stay gapless. Once stored, the bytes are served as they are, forever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio

from collecte.access import Principal
from collecte.certificate_pdf import (
    DEFAULT_LEGAL_MENTION,
    CertificateDevice,
    CertificateDocument,
    Party,
    ProgrammeInfo,
    render_certificate,
    with_fingerprint,
)
from collecte.clock import NOUMEA
from collecte.errors import Invalid, NotFound
from collecte.lifecycle import CERTIFICATE_PREFIX, Action, CertificateKind, Role, certificate_for
from collecte.services.numbering import next_number
from collecte.settings import Settings
from collecte.tables import Certificate, DeviceEvent, Organization

LANGUAGES = ("fr", "en")
_WIPE_RESULT = {
    ("fr", True): "Effacement réussi et vérifié",
    ("fr", False): "Effacement effectué, non vérifié",
    ("en", True): "Erasure successful and verified",
    ("en", False): "Erasure performed, not verified",
}


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


def _programme(settings: Settings) -> ProgrammeInfo:
    programme = settings.programme
    return ProgrammeInfo(
        name=programme.name,
        operator=programme.operator,
        address=programme.address,
        ridet=programme.ridet or None,
        signatory_name=programme.signatory_name,
        signatory_title=programme.signatory_title,
        legal_mention=programme.legal_mention or DEFAULT_LEGAL_MENTION,
        public_url=settings.public_url,
    )


async def _organizations(ids: set[int]) -> dict[int, dict[str, Any]]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    rows = await Organization.select().where(Organization.id.is_in(sorted(ids)))
    return {row["id"]: row for row in rows}


async def _erasure_numbers(device_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    rows = await DeviceEvent.select(DeviceEvent.device, DeviceEvent.certificate_number).where(
        DeviceEvent.device.is_in(list(device_ids))
        & (DeviceEvent.action == Action.WIPE.value)
        & DeviceEvent.certificate_number.is_not_null()
    )
    numbers: dict[int, tuple[str, ...]] = {}
    for row in rows:
        numbers[row["device"]] = (*numbers.get(row["device"], ()), row["certificate_number"])
    return numbers


def _device(
    row: dict[str, Any],
    kind: CertificateKind,
    data: dict[str, Any],
    language: str,
    erasures: dict[int, tuple[str, ...]],
) -> CertificateDevice:
    wipe = kind is CertificateKind.ERASURE
    return CertificateDevice(
        tag=row["tag"],
        category=row["category"],
        brand=row["brand"],
        model=row["model"],
        serial_number=row["serial_number"],
        declared_value_xpf=row["estimated_value_xpf"] if kind is CertificateKind.DONATION else None,
        weight_kg=(
            float(data["weight_kg"]) if kind is CertificateKind.RECYCLING and data.get("weight_kg")
            else row["weight_kg"]
        ),
        grade=row["grade"] if kind is CertificateKind.RECEIPT else None,
        storage_serials=tuple(data.get("storage_serials") or ()) if wipe else (),
        wipe_method=data.get("method") if wipe else None,
        wipe_tool=data.get("tool") if wipe else None,
        wipe_verified=data.get("verified") if wipe else None,
        wipe_result=_WIPE_RESULT[(language, bool(data.get("verified")))] if wipe else None,
        destination=data.get("destination") if wipe else None,
        erasure_certificates=erasures.get(row["id"], ()) if kind is CertificateKind.RECEIPT else (),
    )


def _recipient_id(kind: CertificateKind, row: dict[str, Any], data: dict[str, Any]) -> int:
    if kind is CertificateKind.RECEIPT:
        return int(row["association"] or data["association_id"])
    return int(row["donor"])


async def issue_for_transition(
    principal: Principal,
    action: Action,
    rows: Sequence[dict[str, Any]],
    data: dict[str, Any],
    at: datetime,
    settings: Settings,
    language: str | None = None,
) -> list[Issued]:
    """Issue the certificates `action` calls for, one per recipient; call inside the transition.

    `rows` are the devices as they were before the action (with their names); the donor receives
    donation, erasure and recycling certificates, the association its receipt.
    """
    kind = certificate_for(action)
    if kind is None:
        return []
    if language is not None and language not in LANGUAGES:
        raise Invalid("Le paramètre « lang » doit valoir fr ou en.", "lang")
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(_recipient_id(kind, row, data), []).append(row)
    holders = {row["reconditioner"] for row in rows}
    if action is Action.COLLECT:
        holders.add(data["reconditioner_id"])
    organizations = await _organizations(
        set(groups) | holders | {principal.organization_id}
    )
    erasures = await _erasure_numbers([r["id"] for r in rows]) if kind is CertificateKind.RECEIPT else {}
    issued: list[Issued] = []
    for recipient_id, group in sorted(groups.items()):
        recipient = organizations[recipient_id]
        lang = language or (recipient["language"] if recipient["language"] in LANGUAGES else "fr")
        holder_id = data["reconditioner_id"] if action is Action.COLLECT else group[0]["reconditioner"]
        actor_org = organizations[principal.organization_id]
        reconditioner = organizations.get(holder_id)
        if reconditioner is None and actor_org["kind"] == Role.RECONDITIONER.value:
            reconditioner = actor_org
        number = await next_number(CERTIFICATE_PREFIX[kind], at.astimezone(NOUMEA).year)
        document = with_fingerprint(
            CertificateDocument(
                kind=kind.value,
                number=number,
                issued_at=at,
                language=lang,
                programme=_programme(settings),
                recipient=_party(recipient),  # type: ignore[arg-type]
                donor=_party(organizations.get(group[0]["donor"]))
                if kind is not CertificateKind.RECEIPT
                else None,
                reconditioner=_party(reconditioner),
                association=_party(recipient) if kind is CertificateKind.RECEIPT else None,
                operator_name=f"{principal.display_name} ({principal.organization_name})",
                handover_date=at.astimezone(NOUMEA).date()
                if kind is CertificateKind.DONATION
                else None,
                channel=data.get("channel"),
                received_by=data.get("received_by"),
                place=recipient["city"] if kind is CertificateKind.RECEIPT else None,
                devices=tuple(_device(r, kind, data, lang, erasures) for r in group),
            )
        )
        # Rendering takes milliseconds to a fraction of a second: keep it off the event loop.
        pdf = await anyio.to_thread.run_sync(render_certificate, document)
        await Certificate.insert(
            Certificate(
                number=number,
                kind=kind.value,
                issued_at=at,
                language=lang,
                recipient=recipient_id,
                issuer=principal.organization_id,
                issued_by=principal.user_id,
                device_count=len(group),
                sha256=hashlib.sha256(pdf).hexdigest(),
                content_fingerprint=document.content_fingerprint,
                pdf=pdf,
            )
        )
        issued.append(Issued(number, kind, tuple(r["id"] for r in group)))
    return issued


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


async def list_certificates(
    principal: Principal, kind: str | None, public_url: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The certificates the caller may see, newest first."""
    query = Certificate.select(*_META_COLUMNS).order_by(Certificate.id, ascending=False)
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    if kind:
        try:
            query = query.where(Certificate.kind == CertificateKind(kind).value)
        except ValueError:
            kinds = ", ".join(k.value for k in CertificateKind)
            raise Invalid(f"Le paramètre « kind » doit valoir l’un de : {kinds}.", "kind") from None
    return [_meta(row, public_url) for row in await query.limit(limit).offset(offset)]


async def _visible(principal: Principal, number: str, *columns: Any) -> dict[str, Any]:
    query = Certificate.select(*columns).where(Certificate.number == number.strip().upper())
    scope = _scope(principal)
    if scope is not None:
        query = query.where(scope)
    row = await query.first()
    if row is None:
        raise NotFound(f"Certificat {number} introuvable.", "number")
    return row


async def get_certificate(principal: Principal, number: str, public_url: str) -> dict[str, Any]:
    """A certificate's metadata, with the SHA-256 of its PDF."""
    return _meta(await _visible(principal, number, *_META_COLUMNS), public_url)


async def certificate_pdf(principal: Principal, number: str) -> tuple[str, bytes]:
    """The stored PDF bytes, exactly as issued."""
    row = await _visible(principal, number, Certificate.number, Certificate.pdf)
    return row["number"], bytes(row["pdf"])


async def verify_number(number: str) -> dict[str, Any]:
    """Public: whether a certificate number was issued, with no personal data."""
    row = (
        await Certificate.select(
            Certificate.number,
            Certificate.kind,
            Certificate.issued_at,
            Certificate.device_count,
            Certificate.sha256,
        )
        .where(Certificate.number == number.strip().upper())
        .first()
    )
    if row is None:
        raise NotFound(f"Aucun certificat n’a été émis sous le numéro {number}.", "number",
                       valid=False)
    return {"valid": True, **row}


async def verify_pdf(body: bytes) -> dict[str, Any]:
    """Public: whether these exact bytes are an issued certificate."""
    if not body:
        raise Invalid("Envoyez le fichier PDF du certificat dans le corps de la requête.", "body")
    digest = hashlib.sha256(body).hexdigest()
    row = await Certificate.select(Certificate.number).where(Certificate.sha256 == digest).first()
    if row is None:
        return {"valid": False, "sha256": digest}
    return {"valid": True, "number": row["number"], "sha256": digest}
