"""schemathesis against the sales part of the OpenAPI schema, on seeded data: no input,
however odd, makes the server answer 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.main import create_app
from api.seed import DEMO_PASSWORD, seed_demo
from api.testing import make_vin, settings_for_tests

EXAMPLES = 12  # per operation and role; reaches every validator, keeps the run short


@pytest.fixture(scope="module")
def app(db_url):
    app = create_app(settings_for_tests(db_url))
    with app.state.session_factory.begin() as session:
        seed_demo(session, [make_vin()], customers=6)
    return app


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/sales")
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("username", ["manager", "sales", "customer"])
def test_no_generated_request_gets_a_server_error(app, username):
    client = TestClient(app, raise_server_exceptions=False)
    token = client.post(
        "/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    errors: list[tuple] = []
    operations = _operations(app)
    assert len(operations) >= 20
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case) -> None:
            # schemathesis' own requests transport does not run against this urllib3, so the
            # generated case is sent through the ASGI test client instead.
            kwargs = case.as_transport_kwargs(headers=headers)
            response = client.request(
                kwargs["method"],
                kwargs["url"].removeprefix("http://testserver"),
                headers=kwargs.get("headers"),
                params=kwargs.get("params"),
                json=kwargs.get("json"),
            )
            if response.status_code >= 500:
                errors.append((case.method, case.path, case.path_parameters, case.query, case.body))

        call()
    assert errors == []
