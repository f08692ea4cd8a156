"""Property-based calls to every operation of the OpenAPI schema, as every role: no 5xx, and every response
matches the schema's content type and, where the schema describes the body, its shape."""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from schemathesis.checks import content_type_conformance, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

ROLES = ["anonymous", "creator", "reviewer", "auditor", "admin"]


from config.wsgi import application  # noqa: E402  (pytest-django has configured Django by now)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db):
    """Calls go straight to the WSGI app inside the test's transaction: keep its connection open, as the test
    client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(make_user):
    tokens = {"anonymous": {}}
    for role in ROLES[1:]:
        _, token = AuthToken.objects.create(user=make_user(role))
        tokens[role] = {"Authorization": f"Token {token}"}
    return tokens


@schema.parametrize()
@hypothesis_settings(max_examples=10, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case, tokens):
    for role in ROLES:
        case.call_and_validate(headers=tokens[role],
                               checks=[not_a_server_error, content_type_conformance, response_schema_conformance])
