"""Request bodies the services read themselves, described in the OpenAPI document as they are
read: a file (its content type, not empty, its largest size), or a JSON object whose fields the
service checks one by one, naming each unknown or fixed one (so Litestar decodes a plain dict)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)


def file_body(media_type: str, description: str, max_bytes: int) -> type[Operation]:
    """An operation whose body is a file of `media_type`, 1 to `max_bytes` bytes."""

    @dataclass
    class WithFileBody(Operation):
        def __post_init__(self) -> None:
            schema = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            schema.min_length, schema.max_length = 1, max_bytes
            self.request_body = RequestBody(
                content={media_type: OpenAPIMediaType(schema=schema)},
                description=description,
                required=True,
            )

    return WithFileBody


def _litestar_extras(schema: Any) -> Any:
    """msgspec's schema with the `extra` keys meant for Litestar (an enum…) merged in place."""
    if isinstance(schema, dict):
        merged = {key: _litestar_extras(value) for key, value in schema.items() if key != "extra"}
        extra = schema.get("extra")
        if isinstance(extra, dict) and "type" in schema:
            merged.update(extra)
        return merged
    if isinstance(schema, list):
        return [_litestar_extras(value) for value in schema]
    return schema


def json_body(struct: type[msgspec.Struct], **keywords: Any) -> type[Operation]:
    """An operation whose JSON body is described by `struct` (closed to other fields), plus
    JSON Schema `keywords` (minProperties…), while the handler reads it as a dict."""
    generated = msgspec.json.schema(struct)
    schema = _litestar_extras(generated["$defs"][struct.__name__])
    schema.update(keywords)

    @dataclass
    class WithJsonBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/json": OpenAPIMediaType(schema=schema)},  # type: ignore[arg-type]
                required=True,
            )

    return WithJsonBody
