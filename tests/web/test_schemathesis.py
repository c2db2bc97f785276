"""Property-based tests of every operation in the app's OpenAPI schema (schemathesis), against the whole
process ``receptionist serve`` builds, signed in three ways: as tenant A's owner (API token), as A's agent
(the agent user's API token) and anonymously. No answer may be a server error, and each must match the
schema's responses: its status code documented, its content type and body as documented.

Path parameters are often real: ``tenant_id``, ``call_id`` and ``message_id`` are drawn from the stored
tenants' ids as well as from the schema, so requests reach real rows (both A's, which the owner may read,
and B's, which must answer 404) instead of being 404 for made-up ids. WebSocket routes are not in the
schema. Bounded: 25 examples per operation, derandomized, so a run is reproducible.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.seeded_site import A, B, Site, Who, build_site

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("schemathesis"))


@pytest.fixture(scope="module")
def api_schema(site: Site) -> Iterator[schemathesis.BaseSchema]:
    """The app's own schema; loading it starts the app (schemathesis keeps it running for every call)."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", site.server.app)
    real = {
        "tenant_id": [A, B],
        "call_id": [t.call_id for t in site.tenants.values()],
        "message_id": [t.message_id for t in site.tenants.values()],
    }

    @loaded.hook
    def flatmap_path_parameters(
        _context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any] | None]:
        """Each id is the generated one or one of the stored ones."""
        if not path_parameters:
            return st.just(path_parameters)
        return st.fixed_dictionaries(
            {name: st.sampled_from([*real.get(name, []), value]) for name, value in path_parameters.items()}
        )

    assert loaded.app is not None
    try:
        yield loaded
    finally:
        asgi.shutdown_lifespans()  # stop the app schemathesis started (the ACD's loops, the outbox)


def call(case: schemathesis.Case, site: Site, who: Who, checks: list[CheckFunction]) -> int:
    headers = {}
    if who != "anonymous":
        headers["Authorization"] = f"Bearer {site.api_tokens[who]}"
        own = str(site.api_token_ids[who])
        if case.path_parameters and str(case.path_parameters.get("token_id")) == own:
            case.path_parameters["token_id"] = site.spare_token(who)  # revoke another, not the one in use
    return case.call_and_validate(headers=headers, checks=checks).status_code


def fuzz(
    operation: APIOperation, site: Site, who: Who, mode: GenerationMode, checks: list[CheckFunction]
) -> Counter[int]:
    """One operation, :data:`BOUNDED` times: the statuses it answered; raises the (shrunk) failure."""
    statuses: Counter[int] = Counter()

    @given(case=operation.as_strategy(generation_mode=mode))
    @BOUNDED
    def run(case: schemathesis.Case) -> None:
        statuses[call(case, site, who, checks)] += 1

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # otherwise: nothing in the request can break the schema (no parameters, no body)
    return statuses


def fuzz_all(
    schema: schemathesis.BaseSchema,
    site: Site,
    who: Who,
    mode: GenerationMode = GenerationMode.POSITIVE,
    checks: list[CheckFunction] = CHECKS,
) -> dict[str, Counter[int]]:
    """Each operation in turn (schemathesis' lazy pytest loader does not run on this pytest, so the
    operations are driven here); fails with every failing operation, not only the first."""
    statuses: dict[str, Counter[int]] = {}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30, [o.label for o in operations]
    for operation in operations:
        try:
            statuses[operation.label] = fuzz(operation, site, who, mode, checks)
        except (Exception, BaseExceptionGroup) as exc:  # every failing operation is reported below
            failures[operation.label] = f"{type(exc).__name__}: {exc}"
    assert not failures, "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
    return statuses


def test_as_the_owner_of_a(api_schema: schemathesis.BaseSchema, site: Site) -> None:
    statuses = fuzz_all(api_schema, site, "owner_a")
    for label, seen in statuses.items():  # the real ids reach rows: A's answer, B's are 404
        if label.startswith("GET /api/tenants/{tenant_id}"):
            assert seen[200] and seen[404], (label, seen)


def test_as_the_agent_of_a(api_schema: schemathesis.BaseSchema, site: Site) -> None:
    statuses = fuzz_all(api_schema, site, "agent_a")
    assert statuses["GET /api/agent/calls/{call_id}/notes"][200], "A's stored call was never reached"
    assert statuses["GET /api/agent/me"] == Counter({200: sum(statuses["GET /api/agent/me"].values())})


def test_anonymously(api_schema: schemathesis.BaseSchema, site: Site) -> None:
    statuses = fuzz_all(api_schema, site, "anonymous")
    assert set(statuses["GET /api/tenants/{tenant_id}/calls/{call_id}"]) == {401}


@pytest.mark.parametrize("who", ["owner_a", "agent_a"])
def test_invalid_requests_are_refused_without_a_server_error(
    api_schema: schemathesis.BaseSchema, site: Site, who: Who
) -> None:
    """Requests that break the schema (wrong types, missing fields, malformed ids and bodies)."""
    fuzz_all(api_schema, site, who, GenerationMode.NEGATIVE, [not_a_server_error])


def test_every_error_answer_is_documented_in_the_one_error_shape(site: Site) -> None:
    schema = site.server.app.openapi()
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.isdigit() and int(status) >= 400:
                    assert answer["content"]["application/json"]["schema"] == error, (method, path, status)
    calls = schema["paths"]["/api/tenants/{tenant_id}/calls"]["get"]["responses"]
    assert {"401", "404", "422"} <= set(calls)  # signed in, a tenant in the path, query parameters
    assert "403" not in calls  # a GET needs no CSRF token
    accept = schema["paths"]["/api/agent/offers/{offer_id}/accept"]["post"]["responses"]
    assert {"401", "403", "404", "409", "503"} <= set(accept)
    assert set(schema["paths"]["/healthz"]["get"]["responses"]) == {"200"}  # public, no parameters
    token = schema["paths"]["/softphone/token"]["post"]
    assert token["requestBody"]["content"]["application/json"]["schema"]["properties"].keys() == {
        "tenant_id",
        "number",
    }
