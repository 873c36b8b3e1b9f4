"""The OpenAPI document tells the truth: who needs a token, what OPTIONS allows, and the
constraints the validation applies (so generated clients and fuzzers send what is accepted)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest

PUBLIC = {
    ("/health", "get"),
    ("/api/ping", "get"),
    ("/api/public/totals", "get"),
    ("/api/verify", "post"),
    ("/api/verify/{number}", "get"),
    ("/api/auth/login", "post"),
    ("/api/auth/reset", "post"),
}


@pytest.fixture
async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _schema(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [p for p in operation.get("parameters", []) if p["name"] == name]
    return dict(found["schema"])


def _body(doc: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    content = operation["requestBody"]["content"]["application/json"]["schema"]
    return _schema(doc, content)


def _variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return list(schema.get("oneOf") or schema.get("anyOf") or [schema])


def _enum_of(schema: dict[str, Any]) -> set[str]:
    """The values an enum allows (None, for an optional one, left aside)."""
    values = {value for variant in _variants(schema) for value in variant.get("enum", [])}
    return values - {None}


async def test_public_endpoints_need_no_token_and_the_others_do(openapi: dict[str, Any]) -> None:
    assert "security" not in openapi
    found_public = set()
    for path, method, operation in _operations(openapi):
        if (path, method) in PUBLIC:
            found_public.add((path, method))
            assert not operation.get("security"), (path, method)
            assert "401" not in operation["responses"] or path == "/api/auth/login"
        else:
            assert operation.get("security") == [{"BearerToken": []}], (path, method)
    assert found_public == PUBLIC


async def test_public_endpoints_answer_without_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/ping")).status_code == 200
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/api/public/totals")).status_code == 200
    assert (await client.get("/api/donations")).status_code == 401


async def test_options_allows_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.options("/api/donations")
    assert response.status_code == 204
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST", "OPTIONS"}


async def test_the_labels_pdf_documents_its_409(openapi: dict[str, Any]) -> None:
    operation = openapi["paths"]["/api/donations/{donation_id}/labels.pdf"]["get"]
    assert "409" in operation["responses"]


async def test_enums_are_in_the_schema(openapi: dict[str, Any]) -> None:
    organization = _body(openapi, openapi["paths"]["/api/organizations"]["post"])
    kinds = {"donor", "reconditioner", "association", "coordinator"}
    assert _enum_of(organization["properties"]["kind"]) == kinds
    assert _enum_of(organization["properties"]["language"]) == {"fr", "en"}
    listing = openapi["paths"]["/api/organizations"]["get"]
    assert _enum_of(_parameter(listing, "kind")) == kinds
    transition = openapi["paths"]["/api/devices/{tag}/transitions"]["post"]
    assert _enum_of(_parameter(transition, "lang")) == {"fr", "en"}
    close = openapi["paths"]["/api/pickups/{pickup_id}/close"]["post"]
    assert _enum_of(_parameter(close, "lang")) == {"fr", "en"}


async def test_bounds_and_non_empty_lists_are_in_the_schema(openapi: dict[str, Any]) -> None:
    blank = _body(openapi, openapi["paths"]["/api/tags/blank"]["post"])
    assert blank["properties"]["count"]["minimum"] == 1
    assert blank["properties"]["count"]["maximum"] == 1000
    assert blank["properties"]["skip"]["minimum"] == 0
    labels = _body(openapi, openapi["paths"]["/api/labels.pdf"]["post"])
    assert labels["properties"]["tags"]["minItems"] == 1
    assert labels["properties"]["skip"]["minimum"] == 0
    donation = openapi["paths"]["/api/donations/{donation_id}/labels.pdf"]["get"]
    assert _parameter(donation, "skip")["minimum"] == 0


async def test_the_tag_format_is_in_the_schema(openapi: dict[str, Any]) -> None:
    device = openapi["paths"]["/api/devices/{tag}"]["get"]
    assert "pattern" in _parameter(device, "tag")


# The only operations that never reach the database.
WITHOUT_DATABASE = {("/api/ping", "get"), ("/api/labels/formats", "get")}


async def test_every_operation_on_the_database_documents_its_503_and_retry_after(
    openapi: dict[str, Any],
) -> None:
    for path, method, operation in _operations(openapi):
        responses = operation["responses"]
        if (path, method) in WITHOUT_DATABASE:
            assert "503" not in responses, (path, method)
            continue
        unavailable = responses.get("503")
        assert unavailable is not None, (path, method)
        assert "Retry-After" in unavailable["description"], (path, method)
        header = unavailable["headers"]["Retry-After"]
        assert header["required"] is True
        assert header["schema"] == {"type": "integer", "minimum": 1}
    assert {(p, m) for p, m, _ in _operations(openapi)} >= WITHOUT_DATABASE


async def test_the_503_body_is_an_error_body_and_the_429_has_retry_after(
    openapi: dict[str, Any],
) -> None:
    scan = openapi["paths"]["/api/scan"]["post"]["responses"]["503"]
    body = _schema(openapi, scan["content"]["application/json"]["schema"])
    assert set(body["properties"]) == {"status_code", "detail", "extra"}
    health = openapi["paths"]["/health"]["get"]["responses"]["503"]
    assert "Retry-After" in health["headers"]
    locked = openapi["paths"]["/api/auth/login"]["post"]["responses"]["429"]
    assert "Retry-After" in locked["headers"]


async def test_required_texts_may_not_be_blank(openapi: dict[str, Any]) -> None:
    organization = _body(openapi, openapi["paths"]["/api/organizations"]["post"])
    name = organization["properties"]["name"]
    assert name["minLength"] == 1
    assert name["maxLength"] == 200
    assert re.fullmatch(name["pattern"], " Recyclerie ")
    assert not re.fullmatch(name["pattern"], "   ")
    signature = openapi["components"]["schemas"]["SignatureIn"]["properties"]["name"]
    assert signature["minLength"] == 1
    user = _body(openapi, openapi["paths"]["/api/users"]["post"])
    assert user["properties"]["password"]["minLength"] == 12
    assert user["properties"]["password"]["maxLength"] == 256
    assert re.fullmatch(user["properties"]["email"]["pattern"], "marie@example.nc")
    assert not re.fullmatch(user["properties"]["email"]["pattern"], "marie@example")
    ridet = _variants(organization["properties"]["ridet"])
    assert any(
        re.fullmatch(v.get("pattern", "^$"), "1234567.001")
        for v in [*ridet, organization["properties"]["ridet"]]
    )


async def test_the_values_the_services_accept_are_listed(openapi: dict[str, Any]) -> None:
    device = openapi["components"]["schemas"]["DeviceIn"]["properties"]["category"]
    assert "laptop" in _enum_of(device)
    certificates = openapi["paths"]["/api/certificates"]["get"]
    assert _enum_of(_parameter(certificates, "kind")) == {
        "donation",
        "erasure",
        "recycling",
        "receipt",
    }
    pickups = openapi["paths"]["/api/pickups"]["get"]
    assert _enum_of(_parameter(pickups, "status")) == {"open", "closed"}
    day = _parameter(openapi["paths"]["/api/totals"]["get"], "from")["pattern"]
    assert re.fullmatch(day, "2024-02-29")
    assert not re.fullmatch(day, "2023-02-29")
    assert not re.fullmatch(day, "1999-12-31")


async def test_codes_in_bodies_follow_the_tag_rules(openapi: dict[str, Any]) -> None:
    scan = _body(openapi, openapi["paths"]["/api/scan"]["post"])["properties"]["code"]["pattern"]
    assert re.fullmatch(scan, "HTTP://HOST:8000/D/7K3P9QXM")
    assert re.fullmatch(scan, "7k3p-9qxm")
    assert not re.fullmatch(scan, "")
    batch = openapi["components"]["schemas"]["BatchCollect"]["properties"]["tags"]
    assert batch["minItems"] == 1


async def test_file_bodies_are_described(openapi: dict[str, Any]) -> None:
    verify = openapi["paths"]["/api/verify"]["post"]["requestBody"]
    assert verify["required"] is True
    pdf = verify["content"]["application/pdf"]["schema"]
    assert (pdf["format"], pdf["minLength"]) == ("binary", 1)
    assert pdf["maxLength"] == 5 * 1024 * 1024
    imported = openapi["paths"]["/api/donations/{donation_id}/devices/import"]["post"]
    assert "text/csv" in imported["requestBody"]["content"]


async def test_corrections_list_their_fields_and_refuse_others(openapi: dict[str, Any]) -> None:
    device = _body(openapi, openapi["paths"]["/api/devices/{tag}"]["patch"])
    assert device["additionalProperties"] is False
    assert "serial_number" in device["properties"]
    organization = _body(openapi, openapi["paths"]["/api/organizations/{organization_id}"]["patch"])
    assert organization["additionalProperties"] is False
    assert organization["minProperties"] == 1
    assert "kind" not in organization["properties"]


def _bound(schema: dict[str, Any], key: str) -> Any:
    """A numeric bound, beside the oneOf of an optional field or inside its variant."""
    return next((v[key] for v in [schema, *_variants(schema)] if key in v), None)


async def test_device_numbers_have_the_services_bounds(openapi: dict[str, Any]) -> None:
    device = openapi["components"]["schemas"]["DeviceIn"]["properties"]
    assert (_bound(device["year"], "minimum"), _bound(device["year"], "maximum")) == (
        1970,
        date.today().year + 1,
    )
    assert _bound(device["estimated_value_xpf"], "minimum") == 0  # a zero bound stays
    assert _bound(device["weight_kg"], "exclusiveMinimum") == 0
    assert _bound(device["weight_kg"], "maximum") == 1000
    medium = openapi["components"]["schemas"]["Medium"]["properties"]
    assert _bound(medium["capacity_gb"], "exclusiveMinimum") == 0


async def test_required_action_texts_may_not_be_blank(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    for component, field in [("Withdraw", "reason"), ("Refuse", "reason"), ("Recycle", "channel")]:
        text = schemas[component]["properties"][field]
        assert text["minLength"] == 1, component
        assert not re.fullmatch(text["pattern"], " \t"), component
        assert re.fullmatch(text["pattern"], " Don à une école "), component
