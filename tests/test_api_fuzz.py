"""schemathesis over the whole OpenAPI schema, on a seeded demo group, as several roles: no
input, however odd, makes the server answer 5xx.

schemathesis' own requests transport does not run against the installed urllib3, so each
generated case is sent through the ASGI test client instead.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from api.main import create_app
from api.notifications.vapid import new_private_key
from api.seed import DEMO_PASSWORD, seed_demo
from tests.factories import make_vin, settings_for_tests

EXAMPLES = 8  # per operation and role; reaches the validators and keeps the run to minutes
ROLES = ("admin", "manager", "sales", "advisor", "technician", "customer")  # demo usernames
REPORT_BODY = 300  # characters of a failing response kept in the report


@pytest.fixture(scope="module")
def app(db_url):
    # Configured as in production: Web Push has its key, so its endpoints can answer.
    app = create_app(settings_for_tests(db_url, vapid_private_key=new_private_key()))
    with app.state.session_factory.begin() as session:
        seed_demo(session, [make_vin()], customers=8)
    return app


def _streams(operation) -> bool:
    """An endless Server-Sent Events stream cannot be fuzzed request by request."""
    responses = operation.definition.raw.get("responses", {})
    return any("text/event-stream" in r.get("content", {}) for r in responses.values())


def _operations(app) -> list:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if not _streams(op)]


class Caller:
    """Sends cases as one demo user; signs in again when a case logged the user out."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client, self.username = client, username
        self.headers = self._login()

    def _login(self) -> dict[str, str]:
        response = self.client.post(
            "/auth/token", data={"username": self.username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def send(self, case) -> Any:
        """The case's response; None for a case no HTTP client can send (non-ASCII headers)."""
        kwargs = case.as_transport_kwargs(headers=self.headers)
        if not all(str(v).isascii() for v in (kwargs.get("headers") or {}).values()):
            return None
        body: dict[str, Any] = {}
        if "json" in kwargs:
            body["json"] = kwargs["json"]
        elif isinstance(kwargs.get("data"), (bytes, str)):
            body["content"] = kwargs["data"]
        elif kwargs.get("data") is not None:
            body["data"] = kwargs["data"]
        response = self.client.request(
            kwargs["method"],
            kwargs["url"].removeprefix("http://testserver"),
            headers=kwargs.get("headers"),
            params=kwargs.get("params"),
            **body,
        )
        if case.path == "/auth/logout" and response.status_code < 300:
            self.headers = self._login()
        return response


@pytest.mark.parametrize("username", ROLES)
def test_no_generated_request_gets_a_server_error(app, username):
    client = TestClient(app, raise_server_exceptions=False)
    caller = Caller(client, username)
    errors: list[str] = []
    operations = _operations(app)
    assert len(operations) >= 120, "every domain's operations are in the schema"
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same cases on every run: CI judges the code, not the draw
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case) -> None:
            response = caller.send(case)
            if response is not None and response.status_code >= 500:
                sent = {"path": case.path_parameters, "query": case.query, "body": case.body}
                errors.append(
                    f"{response.status_code} {case.method} {case.path} {sent!r:.{REPORT_BODY}} "
                    f"-> {response.text[:REPORT_BODY]}"
                )

        call()
    assert not errors, "\n".join(errors)
