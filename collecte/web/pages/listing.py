"""Device lists on the pages: the search box, the status and category filters, the exact counts
and the pages, on the API's own service (`collecte.services.device_search`).

A list page reads `?q=&status=&category=&cursor=` (the API's names: a link copied from one works
in the other) from a plain GET form, so it works without JavaScript. The counts per status come
from COUNT queries with the list's own filters; a list showing part of its devices says how many
of how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Request

from collecte.domain.access import Principal
from collecte.domain.device_filters import DeviceFilters, parse_filters
from collecte.domain.errors import Invalid
from collecte.domain.vocabulary import Category, Status
from collecte.i18n import Message, msg
from collecte.services import device_search
from collecte.web.pages.errors import message_of
from collecte.web.pages.i18n import shown_of

PAGE_SIZE = 50
_PARAMETERS = ("q", "status", "category")


@dataclass
class DeviceList:
    """What a list page shows of its devices, with the links it offers."""

    path: str
    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    offered: tuple[Status, ...] = ()
    default_status: str | None = None  # shown when none is chosen (None: every offered one)
    values: dict[str, str] = field(default_factory=dict)
    next_url: str | None = None
    previous_url: str | None = None
    error: str | None = None
    categories: tuple[str, ...] = tuple(category.value for category in Category)

    @property
    def filtered(self) -> bool:
        """Whether the user searched or filtered (the page then says so, and offers to clear)."""
        return any(self.values.values())

    @property
    def shown(self) -> Message:
        """« 50 sur 236 », or « 3 » when the page shows every match."""
        if self.previous_url is not None:  # a last page shows part of the list too
            return msg("{shown} sur {total} appareil(s)", shown=len(self.items), total=self.total)
        return shown_of(len(self.items), self.total)

    def url(self, **changes: str | None) -> str:
        """This list's address with `changes` to its parameters (None removes one); a new
        search or filter starts again from the first page."""
        values = {**self.values, **changes}
        query = urlencode({key: value for key, value in values.items() if value})
        return f"{self.path}?{query}" if query else self.path

    def status_url(self, status: str) -> str:
        """The list narrowed to one status."""
        return self.url(status=status)


def _query_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {name: (request.query_params.get(name) or "").strip() for name in _PARAMETERS}


async def device_list(
    request: Request[Any, Any, Any],
    principal: Principal,
    offered: Sequence[Status],
    *,
    default: Status | None = None,
    page_size: int = PAGE_SIZE,
) -> DeviceList:
    """The page's devices as its URL asks: searched, filtered to one of the `offered` statuses
    (`default`, or all of them, when none is chosen) and a category, one page of `page_size`,
    newest first.

    A bad parameter leaves the list unfiltered, with the refusal to show (`error`)."""
    values = _query_values(request)
    listing = DeviceList(
        path=request.url.path,
        offered=tuple(offered),
        default_status=default.value if default else None,
        values=values,
    )
    chosen = values["status"] or listing.default_status
    if chosen and chosen not in {status.value for status in offered}:
        chosen = "?"  # a status this list does not show: refused as any unknown one
    try:
        filters = parse_filters(
            q=values["q"],
            status=[chosen] if chosen else [status.value for status in offered],
            category=[values["category"]] if values["category"] else None,
            cursor=request.query_params.get("cursor"),
            limit=page_size,
        )
    except Invalid as error:
        listing.error = message_of(request, error)
        listing.values = {name: "" for name in _PARAMETERS}
        fallback = [listing.default_status] if listing.default_status else offered
        filters = parse_filters(status=[str(status) for status in fallback], limit=page_size)
    await _fill(listing, principal, filters)
    return listing


async def _fill(listing: DeviceList, principal: Principal, filters: DeviceFilters) -> None:
    found = await device_search.search_devices(principal, filters)
    listing.items = found["items"]
    listing.total = found["total"]
    if found["next_cursor"]:
        listing.next_url = listing.url(cursor=found["next_cursor"])
    if found["previous_cursor"]:
        listing.previous_url = listing.url(cursor=found["previous_cursor"])
    counts = await device_search.count_by_status(principal, filters)
    listing.counts = {status.value: counts[status.value] for status in listing.offered}
