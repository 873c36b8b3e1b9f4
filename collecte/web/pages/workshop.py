"""The reconditioner's workshop page: devices on their way, and those in its hands."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from collecte.domain.vocabulary import Status
from collecte.services import worklists
from collecte.web.pages.rendering import render
from collecte.web.pages.session import require_principal

# In the order the work is done.
_GROUPS = (Status.COLLECTED, Status.RECEIVED, Status.WIPED, Status.REFURBISHED)


@get("/atelier", name="workshop_page")
async def workshop_page(request: Request[Any, Any, Any]) -> Template:
    """What to receive, wipe, refurbish or recycle next, by status."""
    principal = require_principal(request)
    found = await worklists.list_devices(principal, _GROUPS)
    groups: dict[str, list[dict[str, Any]]] = {status.value: [] for status in _GROUPS}
    for device in found:
        groups.setdefault(device["status"], []).append(device)
    return render(request, "workshop.html", principal=principal, groups=groups)


ROUTES = [workshop_page]
