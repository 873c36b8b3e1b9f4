"""Reconciliation: what left the donor in a pickup and never reached the workshop is reported
missing, all at once, so no device stays "collected" for ever without anyone noticing."""

from __future__ import annotations

from typing import Any

from collecte.domain.access import Principal
from collecte.domain.actions import ReportMissing
from collecte.domain.errors import Forbidden
from collecte.domain.vocabulary import Role, Status
from collecte.i18n import msg
from collecte.services import pickups
from collecte.services.transitions import Context, transition_batch


async def reconcile_pickup(
    principal: Principal, pickup_id: int, context: Context
) -> dict[str, Any]:
    """Mark every device collected in the pickup and not received yet as `missing`, in one
    transaction (the batch's); `{"missing": [tags]}` (empty when everything arrived)."""
    pickup = await pickups.get_pickup(principal, pickup_id)
    if principal.role is not Role.COORDINATOR and (
        principal.organization_id != pickup["reconditioner_id"]
    ):
        raise Forbidden(
            msg(
                "Seuls l’atelier destinataire de l’enlèvement {number} et la coordination "
                "peuvent le rapprocher.",
                number=pickup["number"],
            )
        )
    waiting = [d["tag"] for d in pickup["devices"] if d["status"] == Status.COLLECTED.value]
    if not waiting:
        return {"missing": []}
    reason = msg("Non reçu à l’atelier (rapprochement de l’enlèvement {number})",
                 number=pickup["number"]).render("fr")  # fmt: skip
    await transition_batch(principal, waiting, ReportMissing(reason=reason), context)
    return {"missing": waiting}
