"""Every JSON answer of the API is typed in `/schema/openapi.json`, down to its last field.

An answer documented as an open object (`dict[str, Any]` in a handler) tells clients nothing and
lets schemathesis accept any body; these tests fail when one appears, in the schema or in a route
handler's return annotation.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from litestar import Response

from collecte.web.app import ROUTES

# Places that stay free-form on purpose, each with the reason. A place is `Component.property`
# (or `Component.property[]` for a list's items, `.*` for a map's values).
FREE_FORM = {
    # Its fields depend on the action (a wipe's method and tool, a refurbishment's grade…);
    # one struct per action is planned, which will type it.
    "EventOut.data": "the data an action took: its shape depends on the action",
}

_ANNOTATIONS = ("description", "title", "examples", "default", "deprecated")


def untyped_places(doc: Mapping[str, Any], schema: Mapping[str, Any], where: str) -> list[str]:
    """The places in `schema` (and the components it refers to) that say nothing of their
    content: `{}`, an object without properties, or an array without items."""
    found: list[str] = []
    _walk(doc, schema, where, set(), found)
    return found


def _walk(
    doc: Mapping[str, Any], schema: Any, where: str, seen: set[str], found: list[str]
) -> None:
    if schema is True or not isinstance(schema, Mapping):
        found.append(f"{where}: {schema!r}, any value")
        return
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _walk(doc, doc["components"]["schemas"][name], name, seen, found)
        return
    if where in FREE_FORM:
        return
    if not set(schema) - set(_ANNOTATIONS):
        found.append(f"{where}: {{}}, any value")
        return
    for key in ("oneOf", "anyOf", "allOf"):
        for variant in schema.get(key, ()):
            _walk(doc, variant, where, seen, found)
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if "object" in types:
        properties = schema.get("properties") or {}
        values = schema.get("additionalProperties")
        if not properties and (values is None or values is True or values == {}):
            found.append(f"{where}: an object without properties")
        for name, sub in properties.items():
            _walk(doc, sub, f"{where}.{name}", seen, found)
        if isinstance(values, Mapping) and values:
            _walk(doc, values, f"{where}.*", seen, found)
    if "array" in types:
        if "items" not in schema:
            found.append(f"{where}: an array without items")
        else:
            _walk(doc, schema["items"], f"{where}[]", seen, found)


@pytest.fixture
async def openapi(app: Any) -> dict[str, Any]:
    """The schema as the app serves it."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://collecte.test") as http:
        response = await http.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def _json_answers(doc: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any] | None]]:
    """(`METHOD path status`, schema or None) for every 2xx JSON answer."""
    answers = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content") or {}
                if status.startswith("2") and "application/json" in content:
                    schema = content["application/json"].get("schema")
                    answers.append((f"{method.upper()} {path} {status}", schema))
    return answers


async def test_every_json_success_answer_is_typed_to_its_last_field(
    openapi: dict[str, Any],
) -> None:
    answers = _json_answers(openapi)
    problems = []
    for label, schema in answers:
        if schema is None:
            problems.append(f"{label}: no schema")
            continue
        problems += [f"{label} → {place}" for place in untyped_places(openapi, schema, "body")]

    assert len(answers) >= 20  # every JSON route, not a handful
    assert not problems, "Untyped answers:\n" + "\n".join(problems)


async def test_the_free_form_places_still_exist(openapi: dict[str, Any]) -> None:
    """A place typed since (or renamed) must leave the list, so the list never hides a new one."""
    components = openapi["components"]["schemas"]
    for place in FREE_FORM:
        component, _, field = place.partition(".")
        assert field.rstrip("[]*.") in components[component]["properties"], place


async def test_error_bodies_are_documented_as_they_are_sent(openapi: dict[str, Any]) -> None:
    def body(path: str, method: str, status: str) -> str:
        response = openapi["paths"][path][method]["responses"][status]
        return str(response["content"]["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]

    components = openapi["components"]["schemas"]
    extra = components["ErrorExtra"]

    assert body("/api/devices/{tag}/transitions", "post", "409") == "ErrorBody"
    assert components["ErrorBody"]["properties"]["extra"]["oneOf"][0]["$ref"].endswith("ErrorExtra")
    assert extra["required"] == ["code"]
    assert {"code", "field", "current_status"} <= set(extra["properties"])
    assert "additionalProperties" not in extra  # open: some errors add keys of their own
    assert body("/api/verify/{number}", "get", "404") == "VerifyMissingOut"
    assert components["VerifyMissingOut"]["properties"]["valid"] == {
        "type": "boolean",
        "const": False,
    }
    assert body("/health", "get", "503") == "HealthOut"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({}, ["X: {}, any value"]),
        ({"description": "anything"}, ["X: {}, any value"]),
        ({"type": "object"}, ["X: an object without properties"]),
        ({"type": "object", "additionalProperties": {}}, ["X: an object without properties"]),
        ({"type": "object", "additionalProperties": True}, ["X: an object without properties"]),
        ({"type": "array"}, ["X: an array without items"]),
        ({"type": "array", "items": {}}, ["X[]: {}, any value"]),
        ({"$ref": "#/components/schemas/Open"}, ["Open.data: an object without properties"]),
        ({"oneOf": [{"type": "null"}, {"type": "object"}]}, ["X: an object without properties"]),
        ({"type": "object", "properties": {"a": {"type": "integer"}}}, []),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, []),
        ({"type": "array", "items": {"$ref": "#/components/schemas/Closed"}}, []),
        ({"$ref": "#/components/schemas/Free"}, []),  # on the list: EventOut below
    ],
)
def test_the_check_finds_what_it_should(schema: dict[str, Any], expected: list[str]) -> None:
    doc = {
        "components": {
            "schemas": {
                "Open": {"type": "object", "properties": {"data": {"type": "object"}}},
                "Closed": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "Free": {"$ref": "#/components/schemas/EventOut"},
                "EventOut": {"type": "object", "properties": {"data": {"type": "object"}}},
            }
        }
    }

    assert untyped_places(doc, schema, "X") == expected


def _loose(annotation: Any) -> bool:
    """Whether an annotation is, or contains, `Any` or a dict (an answer of unknown shape)."""
    if annotation is Any or annotation is dict:
        return True
    if typing.get_origin(annotation) in (dict, Mapping):
        return True
    return any(_loose(argument) for argument in typing.get_args(annotation))


def test_no_route_handler_returns_an_untyped_dict() -> None:
    loose = {}
    for handler in ROUTES:
        returned = typing.get_type_hints(handler.fn, include_extras=True)["return"]
        if _loose(returned):
            loose[handler.handler_name] = returned

    assert len(ROUTES) >= 28
    assert not loose, f"Handlers returning an untyped dict: {loose}"


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (dict[str, Any], True),
        (list[dict[str, Any]], True),
        (Any, True),
        (dict[str, str] | None, True),
        (Response[dict[str, Any]], True),
        (Response[bytes], False),
        (list[int], False),
        (bytes, False),
    ],
)
def test_the_annotation_check_finds_what_it_should(annotation: Any, expected: bool) -> None:
    assert _loose(annotation) is expected
