"""Foundation pieces without a domain: settings guard, languages, error shape, OpenAPI."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.i18n import Text, pick_language, register, translate
from api.main import create_app
from core.settings import Settings
from tests.factories import settings_for_tests


def test_weak_or_missing_jwt_secret_is_refused_outside_development():
    with pytest.raises(ValidationError, match="shorter than 32"):
        Settings(environment="test", jwt_secret="short")
    with pytest.raises(ValidationError, match="PITSTOP_JWT_SECRET is not set"):
        Settings(environment="production")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.2, zh;q=0.8", "zh-CN"),
        ("de", "zh-CN"),
        ("en;q=nonsense", "zh-CN"),
    ],
)
def test_language_follows_accept_language(header, language):
    assert pick_language(header) == language


def test_messages_need_both_languages_and_nest():
    with pytest.raises(ValueError, match="lacks languages"):
        register({"test.only_en": {"en": "hello"}})
    register({"test.outer": {"en": "outer: {inner}", "zh-CN": "外层:{inner}"}})
    inner = Text("auth.bad_credentials")
    assert translate("test.outer", "en", inner=inner) == "outer: wrong username or password"
    assert translate("test.outer", "zh-CN", inner=inner) == "外层:用户名或密码错误"


def test_create_app_needs_a_database_url():
    with pytest.raises(ValueError, match="database_url"):
        create_app(Settings(database_url=None))


def test_openapi_documents_every_operation_with_models_and_error_bodies():
    app = create_app(settings_for_tests("postgresql://nobody@127.0.0.1:1/none"))
    schema = app.openapi()
    assert "ErrorBody" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operations = [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]
    assert len(operations) >= 20
    for path, method, op in operations:
        if path == "/health":
            continue
        assert op.get("summary") and op.get("description"), (path, method)
        assert "422" in op["responses"], (path, method)
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert ok, (path, method)
        if ok != ["204"]:
            media = op["responses"][ok[0]]["content"]
            content = media.get("application/json", media.get("text/event-stream", {}))["schema"]
            assert content, (path, method)
