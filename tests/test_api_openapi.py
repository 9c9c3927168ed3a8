"""The OpenAPI document is complete: every operation is typed, described and documented with
its errors and examples, and every list is paginated and filterable."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from api.main import create_app
from tests.factories import settings_for_tests

PAGE_FIELDS = {"items", "total", "limit", "offset"}
PAGE_PARAMS = {"limit", "offset"}
# Bare arrays are fine where the list is bounded by one record: /x/{id}/history, /x/{id}/bins.
RECORD_LIST = re.compile(r"/\{[a-z_]+\}/[a-z-]+$")
BARE_LISTS = {  # path: why it is not paged
    "/auth/stores": "the caller's own stores, a handful",
    "/notifications/push/subscriptions": "the caller's own browsers",
    "/parts/reorder-proposal": "a computed proposal, one line per part below its reorder point",
    "/kpis": "the KPI catalogue, one entry per definition",
    "/kpis/summary": "one tile per KPI",
}
FORM_BODIES = {"/auth/token"}  # the OAuth2 password form, defined by the standard


@pytest.fixture(scope="module")
def spec(db_url) -> dict[str, Any]:
    return create_app(settings_for_tests(db_url)).openapi()


def _operations(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _json_schema(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the document's components, so that jsonschema resolves its $refs."""
    return {**schema, "components": spec["components"]}


def _body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    return next(iter(content.values()), {}).get("schema") if content else None


def _success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    code = min(c for c in operation["responses"] if c.startswith("2"))
    return code, operation["responses"][code]


def _streams(operation: dict[str, Any]) -> bool:
    return "text/event-stream" in _success(operation)[1].get("content", {})


def _example(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The schema's own example, or one built from the examples of its required fields."""
    schema = _resolve(spec, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "anyOf" in schema:
        return _example(spec, next(s for s in schema["anyOf"] if s.get("type") != "null"))
    if schema.get("type") == "object" and "properties" in schema:
        return {
            name: _example(spec, schema["properties"][name]) for name in schema.get("required", [])
        }
    if schema.get("type") == "array":
        return [_example(spec, schema["items"])] if schema.get("minItems") else []
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if schema.get("type") == "boolean":
        return False
    raise LookupError(f"no example for {schema.get('title', schema)}")


def test_every_body_is_a_model_with_a_valid_example(spec):
    problems = []
    for path, method, operation in _operations(spec):
        schema = _body_schema(operation)
        if schema is None or path in FORM_BODIES:
            continue
        model = next((s for s in schema.get("anyOf", [schema]) if "$ref" in s), None)
        if model is None:
            problems.append(f"{method} {path}: the body is not a model")
            continue
        try:
            example = _example(spec, model)
            jsonschema.validate(example, _json_schema(spec, model))
        except LookupError as missing:
            problems.append(f"{method} {path}: {missing}")
        except jsonschema.ValidationError as invalid:
            problems.append(f"{method} {path}: its example is invalid: {invalid.message}")
    assert not problems, "\n".join(problems)


def test_every_success_response_has_a_model(spec):
    problems = []
    for path, method, operation in _operations(spec):
        code, response = _success(operation)
        if code == "204" or _streams(operation):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if "text/html" in response.get("content", {}):
            continue
        typed = (
            "$ref" in schema
            or (schema.get("type") == "array" and "$ref" in schema["items"])
            or "type" in schema.get("additionalProperties", {})
        )
        if not typed:
            problems.append(f"{method} {path}: {code} answers an untyped {schema or '{}'}")
    assert not problems, "\n".join(problems)


def test_every_operation_has_a_summary_and_a_description(spec):
    missing = [
        f"{method} {path}: no summary or description"
        for path, method, operation in _operations(spec)
        if not operation.get("summary") or not operation.get("description")
    ]
    assert not missing, "\n".join(missing)


def test_errors_are_documented_where_they_can_happen(spec):
    problems = []
    for path, method, operation in _operations(spec):
        if path.startswith("/console") or path == "/health":
            continue
        codes = set(operation["responses"])
        expected = set()
        if operation.get("security"):
            expected |= {"401", "403"}
        if "{" in path:
            expected |= {"404"}
        if operation.get("parameters") or operation.get("requestBody"):
            expected |= {"422"}
        if method in ("post", "put", "patch", "delete"):
            expected |= {"409"}
        if expected - codes:
            problems.append(f"{method} {path}: missing {sorted(expected - codes)}")
        for code in expected & codes:
            schema = operation["responses"][code].get("content", {}).get("application/json", {})
            if schema.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1] != "ErrorBody":
                problems.append(f"{method} {path}: {code} is not an ErrorBody")
    assert not problems, "\n".join(problems)


def test_every_list_is_paginated_and_filterable(spec):
    problems = []
    for path, method, operation in _operations(spec):
        if method != "get" or _streams(operation):
            continue
        schema = _success(operation)[1].get("content", {}).get("application/json", {})
        schema = schema.get("schema", {})
        if schema.get("type") == "array":
            if not (RECORD_LIST.search(path) or path in BARE_LISTS):
                problems.append(f"GET {path}: a list that is not paginated")
            continue
        resolved = _resolve(spec, schema)
        if set(resolved.get("properties", {})) != PAGE_FIELDS:
            continue
        params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if not params >= PAGE_PARAMS:
            problems.append(f"GET {path}: a page without limit and offset")
        if not params - PAGE_PARAMS:
            problems.append(f"GET {path}: a list without filters")
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for(spec):
    """The checks above can fail: a list, an untyped answer and a bare body are caught."""
    broken = {
        "paths": {
            "/things": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": {
                    "type": "array", "items": {"type": "object"}}}}}}},
            }
        },
        "components": spec["components"],
    }  # fmt: skip
    with pytest.raises(AssertionError, match="not paginated"):
        test_every_list_is_paginated_and_filterable(broken)
    with pytest.raises(AssertionError, match="untyped"):
        test_every_success_response_has_a_model(broken)
    with pytest.raises(AssertionError, match="no summary"):
        test_every_operation_has_a_summary_and_a_description(broken)
