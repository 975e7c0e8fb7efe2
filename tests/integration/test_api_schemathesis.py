"""Schemathesis (property-based API testing) against the served REST API with a valid admin token, on SQLite:
for every operation in /api/v1/openapi.json it generates requests from the document — valid ones and ones that
break it — and checks that nothing answers 500, and that every status, content type, header and body the API
answers is one the document declares. Bounded: MAX_EXAMPLES per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.integration.api_stack import ServedApi

MAX_EXAMPLES = 40
CHECKS = [st_checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_headers_conformance,
          openapi_checks.response_schema_conformance]

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("store", ["sqlite"], indirect=True)]


def test_no_generated_request_breaks_the_api_or_its_document(served_api: ServedApi) -> None:
    api = served_api
    created = api.client().post(api.at("/tickets"), json={"requester": "ann@customer.test", "subject": "Printer",
                                                         "body": "It smokes."})
    assert created.status_code == 201  # one ticket, so the generated ids sometimes name one that exists
    schema = schemathesis.openapi.from_url(api.at("/openapi.json"))
    auth = {"Authorization": f"Bearer {api.admin_token}"}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=api.url, headers=auth, checks=CHECKS)

        run()
        tested.append(operation.label)
    assert len(tested) == 15, tested
