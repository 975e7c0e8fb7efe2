"""Schemathesis (property-based API testing) against the served REST API with a valid admin token, on both stores:
for every operation in /api/v1/openapi.json it generates requests from the document — valid ones (positive) and
ones that break it (negative) — and checks that nothing answers 500, and that every status, content type, header
and body the API answers is one the document declares. Bounded per store: EXAMPLES per operation and mode, fewer
on the Firestore emulator, where a request costs several times what it does on SQLite (the suite's time)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as st_checks
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from tests.integration.api_stack import ServedApi

EXAMPLES = {"sqlite": {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 20},
            "firestore": {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 10}}
CHECKS = [st_checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_headers_conformance,
          openapi_checks.response_schema_conformance]

pytestmark = [pytest.mark.slow, pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("firestore", marks=pytest.mark.firestore)], indirect=True)]


def test_no_generated_request_breaks_the_api_or_its_document(served_api: ServedApi,
                                                              request: pytest.FixtureRequest) -> None:
    api = served_api
    http = api.client()
    for subject, status in (("Printer", "pending"), ("Refund", "solved")):
        # tickets in more than one view, so the generated ids and filters sometimes name ones that exist
        created = http.post(api.at("/tickets"), json={"requester": "ann@customer.test", "subject": subject,
                                                      "body": "It smokes."})
        assert created.status_code == 201, created.text
        changed = http.patch(api.at(f"/tickets/{created.json()['id']}"), json={"status": status, "tags": ["vip"]})
        assert changed.status_code == 200, changed.text
    schema = schemathesis.openapi.from_url(api.at("/openapi.json"))
    auth = {"Authorization": f"Bearer {api.admin_token}"}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES[request.node.callspec.params["store"]].items():

            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(mode))
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=api.url, headers=auth, checks=CHECKS)

            run()
        tested.append(operation.label)
    assert len(tested) == 15, tested
