"""Property-based fuzzing of the whole API with schemathesis (issue 11; docs/api.md).

Schemathesis reads /api/v1/openapi.json and generates requests for every operation, valid ones
and deliberately malformed ones (wrong types, values outside the declared enums and ranges,
odd text). Each is sent through Django's test client as the admin, on the test database (SQLite,
or PostgreSQL with KEFU_DATABASE_URL), and must be answered without a 5xx. The run is
derandomized (the same examples every time, so it cannot flake) and bounded by
``KEFU_FUZZ_EXAMPLES`` (default 300, about half a minute).
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from kefu.complaints.tests.workflow_factory import complaint
from kefu.core.auth import issue_token

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "300"))
# Multipart uploads are fuzzed by their own tests (test_attachments.py): the generated parts are
# not what a browser or client library sends.
SKIPPED = {("POST", "/api/v1/complaints/{number}/attachments")}


def _request(client, token: str, case):
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    path = urlsplit(kwargs["url"]).path
    query = urlencode(kwargs.get("params") or {}, doseq=True)
    headers = {"Authorization": f"Bearer {token}"}
    if "json" in kwargs:
        body, content_type = json.dumps(kwargs["json"]), "application/json"
    elif "data" in kwargs:
        body, content_type = kwargs["data"] or b"", kwargs["headers"].get("Content-Type", "application/json")
    else:
        body, content_type = b"", "application/octet-stream"
    return client.generic(
        kwargs["method"], path, body, content_type=content_type, headers=headers, QUERY_STRING=query
    )


def test_no_generated_request_is_answered_with_a_5xx(client, org):
    record = complaint(org)
    token = issue_token(org["admin"], name="fuzz")
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json())
    known = {"number": record.number, "code": record.customer.code}
    strategies = [
        schema.as_strategy(generation_mode=mode, path_parameters=fixed)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for fixed in (None, known)  # random keys (404s) and the keys of real records
    ]
    answered: dict[int, int] = {}

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if (case.method.upper(), case.operation.path) in SKIPPED:
            return
        if isinstance(case.body, dict) and "customer" in case.body:
            case.body["customer"] = record.customer.code  # reach past "unknown customer"
        response = _request(client, token, case)
        answered[response.status_code] = answered.get(response.status_code, 0) + 1
        assert response.status_code < 500, (case.method, case.formatted_path, response.content[:500])

    run()
    # The run reached the operations: some requests were accepted, some refused as malformed.
    assert answered.get(200, 0) > 0 and answered.get(400, 0) > 0, answered
