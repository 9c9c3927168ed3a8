"""Issue 10, class 9: refresh tokens are single-use and reuse revokes the family; logout revokes
them; the published placeholder secret never signs a token that is accepted."""

from __future__ import annotations

import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from api.auth.models import RefreshToken
from api.auth.roles import Role
from api.auth.security import ALGORITHM, ISSUER, issue_token
from core.settings import PLACEHOLDER_JWT_SECRET, Settings
from tests.factories import login, make_group, make_store, make_user, settings_for_tests


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        users = [make_user(session, group, Role.service_advisor, stores=[store]) for _ in range(3)]
    return {"users": users}


def _refresh(client, token: str):
    return client.post("/auth/refresh", json={"refresh_token": token})


def _me(client, access: str) -> int:
    return client.get("/auth/me", headers={"Authorization": f"Bearer {access}"}).status_code


def test_a_refresh_token_works_once(client, world):
    first = login(client, world["users"][0])
    second = _refresh(client, first["refresh_token"])
    assert second.status_code == 200
    again = _refresh(client, first["refresh_token"])
    assert again.status_code == 401
    assert again.json()["code"] == "not_authenticated"


def test_reuse_revokes_the_whole_family(app, client, world):
    stolen = login(client, world["users"][1])
    rotated = _refresh(client, stolen["refresh_token"]).json()
    assert _refresh(client, stolen["refresh_token"]).status_code == 401  # the thief's replay
    # The honest holder's newer refresh token is dead too: the family is revoked.
    assert _refresh(client, rotated["refresh_token"]).status_code == 401
    with app.state.session_factory() as session:
        rows = session.scalars(
            select(RefreshToken).where(RefreshToken.user_id == world["users"][1].id)
        ).all()
    assert rows and all(row.revoked_at is not None for row in rows)
    # Another login is a new family and works.
    fresh = login(client, world["users"][1])
    assert _refresh(client, fresh["refresh_token"]).status_code == 200


def test_logout_revokes_refresh_tokens(client, world):
    pair = login(client, world["users"][2])
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.post("/auth/logout", headers=headers).status_code == 204
    assert _refresh(client, pair["refresh_token"]).status_code == 401
    assert _me(client, pair["access_token"]) == 401


def test_a_refresh_token_signed_outside_the_server_is_refused(app, client, world):
    # Correctly signed (the server's key) but never issued: no row, so no refresh.
    user = world["users"][0]
    forged, _ = issue_token(
        settings=app.state.settings,
        user_id=user.id,
        token_version=user.token_version,
        token_type="refresh",
    )
    assert _refresh(client, forged).status_code == 401


def test_the_placeholder_secret_is_refused_in_every_environment():
    for environment in ("development", "test", "production"):
        with pytest.raises(ValidationError, match="placeholder"):
            Settings(environment=environment, jwt_secret=PLACEHOLDER_JWT_SECRET)


def test_development_without_a_secret_signs_with_a_random_key_under_home(tmp_path):
    dev = Settings(environment="development", home=tmp_path)
    key = dev.signing_key()
    assert key != PLACEHOLDER_JWT_SECRET and len(key) >= 48
    assert Settings(environment="development", home=tmp_path).signing_key() == key  # shared
    assert Settings(environment="development", home=tmp_path / "other").signing_key() != key


def test_a_token_signed_with_the_placeholder_is_refused_when_the_secret_is_unset(
    db_url, world, tmp_path, monkeypatch
):
    from fastapi.testclient import TestClient

    from api.main import create_app

    monkeypatch.delenv("PITSTOP_JWT_SECRET", raising=False)
    monkeypatch.setenv("PITSTOP_CONFIG", str(tmp_path / "none.toml"))
    settings = settings_for_tests(db_url, environment="development", jwt_secret=None, home=tmp_path)
    user = world["users"][0]
    claims = {"sub": str(user.id), "typ": "access", "ver": user.token_version, "iss": ISSUER,
              "iat": 1_700_000_000, "exp": 4_000_000_000}  # fmt: skip
    forged = jwt.encode(claims, PLACEHOLDER_JWT_SECRET, algorithm=ALGORITHM)
    with TestClient(create_app(settings)) as client:
        assert _me(client, forged) == 401
        assert _me(client, login(client, user)["access_token"]) == 200
