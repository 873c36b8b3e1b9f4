"""The bodies of the transition endpoints, and the guard that lets the rules speak first.

Each body is one of the lifecycle actions' structs (`collecte.domain.actions`), tagged by
`action`, so the OpenAPI document shows every action's fields with their enums and bounds. A
client still learns a 404, 403 or 409 before a 422: the guard decodes the body itself, leniently
(spaces trimmed, blank means absent), and when the data is bad it first asks the rules about
the devices. Litestar's own decoding of `data` only serves the document.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection, Request
from litestar.exceptions import SerializationException
from litestar.handlers.base import BaseRouteHandler

from collecte.domain.actions import STRUCTS, ActionData, AnyAction
from collecte.services import transitions
from collecte.web.auth import principal_of
from collecte.web.schemas import codes

TransitionBody = AnyAction


def _batch_variant(struct: type[ActionData]) -> Any:
    """The batch form of an action's body: the same fields, and `tags`."""
    return msgspec.defstruct(
        f"Batch{struct.__name__}",
        [("tags", codes())],
        bases=(struct,),
        kw_only=True,
        module=__name__,
    )


_BATCH_VARIANTS = tuple(_batch_variant(struct) for struct in STRUCTS.values())
BatchTransitionBody = _BATCH_VARIANTS[0]
for _variant in _BATCH_VARIANTS[1:]:
    BatchTransitionBody = BatchTransitionBody | _variant


async def _payload(request: Request[Any, Any, Any]) -> Any:
    try:
        return await request.json()
    except SerializationException:
        return None  # Litestar's own decoding of the body answers for malformed JSON


async def device_action_rules_first(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Decode a one-device action (the rules first when its data is bad) for the handler."""
    assert isinstance(connection, Request)
    payload = await _payload(connection)
    if payload is None:
        return
    connection.state.action_data = await transitions.decode_for_device(
        principal_of(connection), connection.path_params["tag"], payload
    )


async def batch_action_rules_first(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Decode a batch's action (every failing tag first when its data is bad) for the handler."""
    assert isinstance(connection, Request)
    payload = await _payload(connection)
    if payload is None:
        return
    settings = connection.app.state.settings
    raw_tags = payload.get("tags") if isinstance(payload, dict) else None
    codes = transitions.batch_codes(raw_tags, settings.max_devices_per_request)
    connection.state.action_data = await transitions.decode_for_batch(
        principal_of(connection), codes, payload
    )
    connection.state.codes = codes


def action_data(request: Request[Any, Any, Any]) -> ActionData:
    """The action the guard decoded."""
    data = request.state.action_data
    assert isinstance(data, ActionData)
    return data
