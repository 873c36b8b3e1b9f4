"""Fuzzing: schemathesis generates requests from `/schema/openapi.json` for every operation.

The server is the real one (`collecte serve` in a subprocess, tests/live.py) on a database of its
own, seeded with every role and a few devices at several statuses; path parameters are often
swapped for ones that exist (a tag, a donation, a certificate number) so the requests get past
the 404. Each generated request is sent signed in as each role (coordinator, donor,
reconditioner, association), as valid data and as invalid data (headers invalid on purpose,
a missing token among them, go as generated). The coordinator's and the
donor's answers go through every check schemathesis has (valid data accepted, invalid data
refused, a missing or bad token refused, the Allow header, resources available once created…);
the other roles' through the basic ones (no 5xx, a documented status, content type and body).
Valid data may be refused only where the document says so and JSON Schema cannot: a wrong check
character, a batch whose devices are unknown or at another status, a file's content, a field
the coordinator alone must give, an id naming no record, a label `skip` beyond the stock's
positions (`_documented_refusal`, each told apart by its code and field). Then the stateful
phase chains operations through the links schemathesis infers (a created donation read back,
deleted, then not found), as the coordinator and as the donor.

Bounded for `make test`: COLLECTE_FUZZ_EXAMPLES examples per operation and generation mode
(default 2) and COLLECTE_FUZZ_STEPS stateful scenarios per role (default 4), no shrinking;
`bench/` or a hunt raises them. Every failure is collected and reported at the end with a curl
line to replay it. The examples are the same on every run; COLLECTE_FUZZ_EXPLORE=1 draws new ones.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import (
    CHECKS as REGISTRY,
)
from schemathesis.checks import (
    content_type_conformance,
    load_all_checks,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from collecte.domain import tags
from tests.factory import SECRET, WIPE, act, make_donation, make_world
from tests.live import LiveServer, dedicated_database

POSTGRES_URL = os.environ.get("COLLECTE_TEST_POSTGRES_URL")
EXAMPLES = int(os.environ.get("COLLECTE_FUZZ_EXAMPLES", "2"))
STEPS = int(os.environ.get("COLLECTE_FUZZ_STEPS", "4"))
# The same examples on every run (CI stays deterministic) unless exploring for new ones.
EXPLORE = os.environ.get("COLLECTE_FUZZ_EXPLORE") == "1"
ROLES = ("coordinator", "donor", "reconditioner", "association")
BASIC_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
load_all_checks()
# File bodies (a certificate's PDF, a CSV import) go on the wire as the bytes generated.
schemathesis.serializer.alias(["application/pdf", "text/csv"], "application/octet-stream")
# The roles the stateful phase plays, and whose answers go through every check.
STRICT = ("coordinator", "donor")
# Refusals of schema-valid data that the document states and JSON Schema cannot express,
# each told apart by the error's code and field (so any other 422 still fails):
# - a tag whose check character is wrong (a pattern cannot compute it): 422 `invalid_tag`;
# - a batch refused for what its devices are (unknown, at another status…): 422 listing them;
# - a file whose content the service cannot read (CSV rows, erasure reports): 422 / 415;
# - a field required of the coordinator only, who acts for an organisation it must name;
# - an id in a body that names no record (422 naming the field, as the document says);
# - a label `skip` beyond the positions of the stock chosen;
# - a second factor's code of the right shape that is not the one the app shows now.
COORDINATOR_NAMES = {"POST /api/donations": "donor_id", "POST /api/pickups": "reconditioner_id"}
FILE_CONTENT = {
    "POST /api/donations/{donation_id}/devices/import": (422, "csv"),
    "POST /api/devices/{tag}/erasure-reports": (415, "file"),
}


def _check_character_only(code: str) -> bool:
    """Whether `code` differs from a valid tag only by its check character."""
    try:
        tags.parse(code)
    except tags.TagError as error:
        return "caractère de contrôle" in error.message
    return False


def _wrong_check_character(case: Any) -> bool:
    """Whether a tag of the request differs from a valid one only by its check character."""
    codes = [unquote(str(value)) for value in (case.path_parameters or {}).values()]
    if isinstance(case.body, dict):
        codes += [str(code) for code in case.body.get("tags") or []]
        codes.append(str(case.body.get("code", "")))
    return any(_check_character_only(code) for code in codes)


def _well_formed(code: str) -> bool:
    try:
        tags.parse(code)
    except tags.TagError:
        return False
    return True


def _refused_for_the_devices(errors: list[dict[str, Any]]) -> bool:
    """Whether a refused batch failed only for what its devices are (unknown, not the caller's,
    at another status, nothing to wipe) or for a wrong check character: a batch answers 422
    listing each failing tag with its own status, as the document says."""
    return bool(errors) and all(
        error.get("status_code") in (403, 404, 409)
        or _well_formed(str(error.get("tag")))
        or _check_character_only(str(error.get("tag")))
        for error in errors
    )


def _documented_refusal(role: str, case: Any, response: Any) -> bool:
    """Whether the refusal of a schema-valid request is one the document states."""
    try:
        extra = response.json().get("extra") or {}
    except ValueError:
        return False
    field_ = str(extra.get("field") or "")
    label = case.operation.label
    if response.status_code == 422 and extra.get("code") == "invalid_tag":
        return _wrong_check_character(case)
    if response.status_code == 422 and extra.get("code") == "batch_rejected":
        return _refused_for_the_devices(extra.get("errors") or [])
    if response.status_code == 422 and extra.get("code") == "unknown_treatment_operator":
        # A recycling's channel must be an active operator of the coordinator's list, once
        # there is one: data, not schema.
        return field_ in ("channel", "treatment_operator_id")
    if response.status_code == 422 and extra.get("code") == "bad_totp":
        return field_ == "code"  # six digits, but not the ones the app shows now
    if label in FILE_CONTENT:
        status, name = FILE_CONTENT[label]
        return response.status_code == status and field_.split("[")[0].split(".")[0] == name
    body = case.body if isinstance(case.body, dict) else {}
    if response.status_code == 422 and field_.endswith("_id") and body.get(field_) is not None:
        return True
    if response.status_code == 422 and field_ == "skip" and "label" in label:
        return True
    named = COORDINATOR_NAMES.get(label)
    return (
        role == "coordinator"
        and response.status_code == 422
        and field_ == named
        and isinstance(case.body, dict)
        and case.body.get(named) is None
    )


def _positive_data_acceptance(role: str) -> Any:
    """schemathesis's check that valid data is accepted, the documented refusals aside."""

    def positive_data_acceptance_as_documented(ctx: Any, response: Any, case: Any) -> Any:
        try:
            return positive_data_acceptance(ctx, response, case)
        except RejectedPositiveData:
            if _documented_refusal(role, case, response):
                return None
            raise

    return positive_data_acceptance_as_documented


def _checks(role: str) -> list[Any]:
    """Every check schemathesis has for the strict roles, the basic ones for the others."""
    if role not in STRICT:
        return BASIC_CHECKS
    every = [check for check in REGISTRY.get_all() if check is not positive_data_acceptance]
    return [*every, _positive_data_acceptance(role)]


MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@dataclass
class Target:
    """The live server, who signs in, and identifiers that exist in its database."""

    server: LiveServer
    headers: dict[str, dict[str, str]]
    known: dict[str, list[Any]] = field(default_factory=dict)


async def _seed(server: LiveServer) -> Target:
    world = await make_world()
    headers = {role: getattr(world, role).headers for role in ROLES}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        donation = await make_donation(http, world.donor, count=4)
        tags = [device["tag"] for device in donation["devices"]]
        # One device at each of a few statuses, so that actions meet devices they apply to.
        for tag, steps in zip(
            tags,
            ([], ["collect"], ["collect", "receive"], ["collect", "receive", "wipe"]),
            strict=True,
        ):
            for action in steps:
                data = WIPE if action == "wipe" else {}
                response = await act(http, world.reconditioner, tag, action, **data)
                assert response.status_code == 200, response.text
        listed = await http.get("/api/certificates", headers=headers["coordinator"])
        numbers = [row["number"] for row in listed.json()]
    known = {
        "tag": tags,
        "donation_id": [donation["id"]],
        "number": numbers,
    }
    return Target(server, headers, known)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Target]:
    """A live server on a fresh, seeded database of the backend."""
    backend = str(request.param)
    if backend == "postgres" and not POSTGRES_URL:
        pytest.skip("COLLECTE_TEST_POSTGRES_URL is not set")
    workdir = tmp_path_factory.mktemp(f"fuzz-{backend}")
    async with dedicated_database(backend, workdir, POSTGRES_URL, pool=True) as url:
        server = LiveServer(url, Path(workdir) / "server.log", SECRET)
        server.start()
        try:
            yield await _seed(server)
        finally:
            server.stop()


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _summary(problem: BaseException) -> str:
    """One line per kind of failure: the check's title and what it saw."""
    title = getattr(problem, "title", type(problem).__name__)
    message = " ".join(str(getattr(problem, "message", problem)).split())
    return f"{title}: {message[:300]}"


def _swap_in_known(case: Any, pick: int, known: dict[str, list[Any]]) -> None:
    """Often use identifiers that exist, so the request reaches the code behind the 404 (never
    in place of a path parameter made invalid on purpose)."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    for name, values in known.items():
        if values and case.path_parameters and name in case.path_parameters and pick % 3:
            case.path_parameters[name] = values[pick % len(values)]


def _fuzz(
    operation: Any,
    mode: schemathesis.GenerationMode,
    target: Target,
    failures: dict[str, str],
) -> None:
    """EXAMPLES generated requests for one operation, each sent as every role."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not EXPLORE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(0, 1000))
    def run(case: Any, pick: int) -> None:
        _swap_in_known(case, pick, target.known)
        for role in ROLES:
            try:
                headers = _signed_in(case, target.headers[role])
                response = None
                response = case.call(headers=headers, timeout=30)
                case.validate_response(response, checks=_checks(role), headers=headers)
            except (Exception, BaseExceptionGroup) as error:  # reported at the end
                where = f"[{mode.value}, {role}]{_answer(response)}"
                _collect(failures, operation.label, error, where, case, headers)

    try:
        run()
    except Unsatisfiable:  # no invalid request exists for this operation (e.g. no input at all)
        assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label


def _signed_in(case: Any, token: dict[str, str]) -> dict[str, str]:
    """The role's token, unless the request's headers are invalid on purpose (a missing or
    malformed Authorization among them): then they are sent as generated, to be refused."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return {}
    return token


def _answer(response: Any) -> str:
    """The status and the start of the body, so the report says why the server answered so."""
    if response is None:
        return ""
    return f" {response.status_code} {' '.join(response.text.split())[:200]}"


def _collect(
    failures: dict[str, str],
    label: str,
    error: BaseException,
    where: str,
    case: Any,
    headers: dict[str, str],
) -> None:
    """Keep one example of each kind of failure, with a curl line to replay it."""
    for problem in getattr(error, "exceptions", None) or [error]:
        key = f"{label}: {_summary(problem)}"
        if key not in failures:
            failures[key] = f"{where} {case.as_curl_command(headers=headers)[:500]}"


def _stateful(schema: Any, role: str, target: Target, failures: dict[str, str]) -> None:
    """STEPS scenarios chaining operations by their links, every answer checked."""
    headers = target.headers[role]

    class Scenario(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers, "timeout": 30}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            try:
                case.validate_response(
                    response,
                    checks=_checks(role),
                    headers=headers,
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except (Exception, BaseExceptionGroup) as error:  # reported at the end
                where = f"[stateful, {role}]{_answer(response)}"
                _collect(failures, case.operation.label, error, where, case, headers)

    run_state_machine_as_test(
        Scenario,
        settings=settings(
            max_examples=STEPS,
            stateful_step_count=5,
            deadline=None,
            database=None,
            derandomize=not EXPLORE,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_fuzzing_finds_no_server_error_and_no_schema_mismatch(target: Target) -> None:
    schema = schemathesis.openapi.from_url(f"{target.server.url}/schema/openapi.json")
    failures: dict[str, str] = {}
    for operation in _operations(schema):
        for mode in MODES:
            _fuzz(operation, mode, target, failures)
    for role in STRICT:
        _stateful(schema, role, target, failures)
    report = "\n".join(f"- {key}\n    {example}" for key, example in failures.items())
    assert not failures, f"{len(failures)} kinds of failure:\n{report}\n{target.server.log()}"
