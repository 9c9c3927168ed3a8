"""schemathesis over the whole OpenAPI schema, on a seeded demo group, as every role: no
input, however odd, makes the server answer 5xx, and every answer matches its documented
schema. Dates reach year 1 and 9999, strings and numbers their extremes.

schemathesis' own requests transport does not run against the installed urllib3, so each
generated case is sent through the ASGI test client instead.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import response_schema_conformance

from api.auth.roles import Role
from api.notifications.vapid import new_private_key
from demo.group import DEMO_STAFF
from demo.people import DEMO_CUSTOMER_USER, DEMO_PASSWORD
from demo.world import seed_demo
from tests.factories import make_vin

EXAMPLES = 6  # per operation and role; reaches the validators and keeps the run to minutes
REPORT_BODY = 300  # characters of a failing response kept in the report

# One demo login per role, so a role added without a demo user fails here.
LOGINS = {role: username for username, _, role, _ in reversed(DEMO_STAFF)}
LOGINS[Role.customer] = DEMO_CUSTOMER_USER

# The edges of what the wire can carry: each replaces every value of its kind in a case.
FIRST_DAY, LAST_DAY = dt.date(1, 1, 1), dt.date(9999, 12, 31)
HUGE_STRING = "界" * 70_000  # in a JSON body
LONG_URL_STRING = "界" * 1_000  # in the query: 9 KB encoded, above what proxies pass on
EXTREMES = {
    "year 1": {"date": "0001-01-01", "date-time": "0001-01-01T00:00:00Z"},
    "year 9999": {"date": "9999-12-31", "date-time": "9999-12-31T23:59:59Z"},
    "huge": {"string": HUGE_STRING, "int": 10**30, "float": 1e308},
    "huge negative": {"int": -(10**30), "float": -1e308},
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def _edges_first(strategy: st.SearchStrategy, *edges: Any) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(edges), strategy)


schemathesis.openapi.format(
    "date", _edges_first(st.dates(), FIRST_DAY, LAST_DAY).map(dt.date.isoformat)
)
schemathesis.openapi.format(
    "date-time",
    _edges_first(
        st.datetimes(timezones=st.just(dt.UTC)),
        dt.datetime.min.replace(tzinfo=dt.UTC),
        dt.datetime.max.replace(tzinfo=dt.UTC),
    ).map(lambda moment: moment.isoformat().replace("+00:00", "Z")),
)


@pytest.fixture(scope="module")
def settings_overrides():
    """Configured as in production: Web Push has its key, so its endpoints can answer. Every
    fuzzed login fails from one client address: that address must not get locked out."""
    return {"vapid_private_key": new_private_key(), "login_max_failures_per_address": 10**9}


@pytest.fixture(scope="module", autouse=True)
def demo(app):
    """The demo group, seeded once before the module's first test."""
    with app.state.session_factory.begin() as session:
        seed_demo(session, [make_vin()], customers=8)


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


def _at_extreme(value: Any, kinds: dict[str, Any]) -> Any:
    """The value with every date, string or number in it replaced by that kind's extreme."""
    if isinstance(value, dict):
        return {key: _at_extreme(item, kinds) for key, item in value.items()}
    if isinstance(value, list):
        return [_at_extreme(item, kinds) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        kind = "date-time" if DATE_TIME.match(value) else "date" if DATE.match(value) else "string"
        return kinds.get(kind, value)
    if isinstance(value, int):
        return kinds.get("int", value)
    if isinstance(value, float):
        return kinds.get("float", value)
    return value


def _variants(case) -> list[tuple[str, dict[str, Any]]]:
    """The case at each extreme; the URL path takes no long string, the query a shorter one."""
    variants = []
    for name, kinds in EXTREMES.items():
        path_kinds = {kind: v for kind, v in kinds.items() if kind != "string"}
        query_kinds = {**kinds, **({"string": LONG_URL_STRING} if "string" in kinds else {})}
        variant = {
            "query": _at_extreme(case.query, query_kinds),
            "body": _at_extreme(case.body, kinds),
            "path_parameters": _at_extreme(case.path_parameters, path_kinds),
        }
        if any(variant[part] != getattr(case, part) for part in variant):
            variants.append((name, variant))
    return variants


class Findings:
    """5xx answers and answers that break their documented schema, as one report."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def check(self, case, response, label: str) -> None:
        if response is None:
            return
        sent = {"path": case.path_parameters, "query": case.query, "body": case.body}
        where = f"{label}{case.method} {case.path} {sent!r:.{REPORT_BODY}}"
        if response.status_code >= 500:
            self.lines.append(f"{response.status_code} {where} -> {response.text[:REPORT_BODY]}")
            return
        try:
            case.validate_response(response, checks=[response_schema_conformance])
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups its failures
            self.lines.append(f"schema broken {where}: {str(exc)[:REPORT_BODY]}")


@pytest.mark.parametrize("role", list(Role))
def test_no_generated_request_gets_a_server_error_or_breaks_its_schema(app, role):
    assert role in LOGINS, f"demo/group.py has no demo user with the role {role}"
    client = TestClient(app, raise_server_exceptions=False)
    caller = Caller(client, LOGINS[role])
    findings = Findings()
    operations = _operations(app)
    assert len(operations) >= 120, "every domain's operations are in the schema"
    at_extremes: set[str] = set()  # operations already sent at every extreme
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
            findings.check(case, caller.send(case), "")
            if case.operation.label in at_extremes:
                return
            at_extremes.add(case.operation.label)
            original = {part: getattr(case, part) for part in ("query", "body", "path_parameters")}
            for name, variant in _variants(case):
                for part, value in variant.items():
                    setattr(case, part, value)
                findings.check(case, caller.send(case), f"[{name}] ")
                for part, value in original.items():
                    setattr(case, part, value)

        call()
    assert not findings.lines, "\n".join(findings.lines)
