"""The JSON API fuzzed from its own OpenAPI schema (schemathesis): as a visitor and signed in, every
operation gets at least 200 generated requests, valid and invalid; none may answer 5xx, and every
answer must be a documented status, of the documented content type, with a body matching the
documented schema.

Hypothesis runs derandomized (its seed comes from the test itself), so CI sees the same requests on
every run. The shield's per-address budgets are raised for this run: 200 requests a minute from one
address is exactly what the shield is there to refuse.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from atelier.accounts.models import AccountType
from config.api import api

# End to end: every operation fuzzed, once, on the production configuration, where PostgreSQL refuses
# what SQLite lets through (NUL bytes, out-of-range integers) (tests/conftest.py).
pytestmark = pytest.mark.end_to_end

REQUESTS_PER_OPERATION = 200
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = [
    (path, method.upper())
    for path, methods in api.get_openapi_schema(path_prefix="")["paths"].items()
    for method in methods
]
FUZZ_SETTINGS = settings(
    max_examples=REQUESTS_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure reports the request as found
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def seeded(make_user, make_published_post):
    """Real rows for the generated ids and handles to meet now and then."""
    artist = make_user("fuzz_artist")
    make_published_post(artist, title="<script>alert(1)</script> at dusk")
    make_user("fuzz_studio", account_type=AccountType.STUDIO)
    return artist


@pytest.fixture
def signed_in_session(seeded) -> tuple[dict, dict]:
    """The cookies and CSRF header a signed-in browser sends (the API uses session auth). Made before
    `api_schema`, because Django's test client reconnects the connection-closing signals it used."""
    client = Client()
    client.force_login(seeded)
    client.get("/settings/account/")  # a page with a form: sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}, {"X-CSRFToken": token}


@pytest.fixture
def api_schema(settings, signed_in_session):
    """The schema as the server publishes it, called through the real WSGI handler. Like Django's test
    client, the handler must not close the test's database connection at the end of each request."""
    settings.SHIELD_PAGES_PER_MINUTE = settings.SHIELD_ACCOUNT_PAGES_PER_MINUTE = 10**9
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_operation(api_schema, signed_in_session, path, method, signed_in):
    operation = api_schema["/api/v1" + path][method]
    cookies, headers = signed_in_session if signed_in else ({}, {})
    sent = []
    generated = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @FUZZ_SETTINGS
    @given(case=generated)
    def fuzz(case):
        sent.append(case)
        case.call_and_validate(checks=CHECKS, cookies=cookies, headers=headers)

    fuzz()
    assert len(sent) >= REQUESTS_PER_OPERATION, f"only {len(sent)} requests were generated for {method} {path}"
