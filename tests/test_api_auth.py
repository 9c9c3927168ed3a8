"""Login, refresh, expiry, logout and role enforcement, through HTTP on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.auth.roles import Role
from api.auth.security import issue_token
from tests.factories import (
    TEST_PASSWORD,
    auth_headers,
    login,
    make_customer,
    make_group,
    make_store,
    make_user,
    settings_for_tests,
)


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        users = {
            role: make_user(session, group, role, stores=[store])
            for role in (Role.admin, Role.manager, Role.technician, Role.sales_consultant)
        }
    return {"group": group, "store": store, "users": users}


def test_login_returns_tokens_that_open_me(client, world):
    user = world["users"][Role.manager]
    tokens = login(client, user)
    assert tokens["token_type"] == "bearer"
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["role"] == "manager"
    assert me.json()["store_ids"] == [world["store"].id]


def test_wrong_password_is_401_and_says_so(client, world):
    user = world["users"][Role.manager]
    response = client.post(
        "/auth/token",
        data={"username": user.username, "password": "nope-nope"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "wrong username or password" in response.json()["message"]
    unknown = client.post("/auth/token", data={"username": "ghost", "password": TEST_PASSWORD})
    assert unknown.status_code == 401
    assert "用户名或密码错误" in unknown.json()["message"]  # zh-CN by default


def test_no_token_and_garbage_token_are_401(client):
    assert client.get("/auth/me").status_code == 401
    response = client.get("/auth/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_expired_access_token_is_refused_and_refresh_gives_a_new_one(app, client, world):
    user = world["users"][Role.technician]
    settings = app.state.settings
    expired, _ = issue_token(
        settings=settings,
        user_id=user.id,
        token_version=0,
        token_type="access",
        now=datetime.now(UTC) - timedelta(minutes=settings.access_token_minutes + 1),
    )
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"

    tokens = login(client, user)
    refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new_access = refreshed.json()["access_token"]
    assert new_access != tokens["access_token"]
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {new_access}"})
    assert me.json()["id"] == user.id


def test_access_token_cannot_be_used_to_refresh(client, world):
    tokens = login(client, world["users"][Role.technician])
    response = client.post("/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert response.status_code == 401


def test_expired_refresh_token_is_refused(app, client, world):
    user = world["users"][Role.technician]
    settings = app.state.settings
    old, _ = issue_token(
        settings=settings,
        user_id=user.id,
        token_version=0,
        token_type="refresh",
        now=datetime.now(UTC) - timedelta(days=settings.refresh_token_days, minutes=1),
    )
    assert client.post("/auth/refresh", json={"refresh_token": old}).status_code == 401


def test_logout_invalidates_earlier_tokens(app, client):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        user = make_user(session, group, Role.sales_consultant, stores=[make_store(session, group)])
    tokens = login(client, user)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/auth/logout", headers=headers).status_code == 204
    assert client.get("/auth/me", headers=headers).status_code == 401
    again = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_a_token_signed_with_another_secret_is_refused(db_url, client, world):
    other = settings_for_tests(db_url, jwt_secret="another-secret-" + "y" * 40)
    forged, _ = issue_token(
        settings=other,
        user_id=world["users"][Role.admin].id,
        token_version=0,
        token_type="access",
    )
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_only_admins_manage_users(client, world):
    body = {
        "username": "new.advisor",
        "full_name": "李娜",
        "role": "service_advisor",
        "password": "long-enough-1",
        "store_ids": [world["store"].id],
    }
    tech = auth_headers(client, world["users"][Role.technician], **{"Accept-Language": "en"})
    refused = client.post("/auth/users", json=body, headers=tech)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert "technician" in refused.json()["message"]
    assert client.get("/auth/users", headers=tech).status_code == 403

    admin = auth_headers(client, world["users"][Role.admin])
    created = client.post("/auth/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["store_ids"] == [world["store"].id]
    duplicate = client.post("/auth/users", json=body, headers=admin)
    assert duplicate.status_code == 409
    new_user_login = client.post(
        "/auth/token", data={"username": "new.advisor", "password": "long-enough-1"}
    )
    assert new_user_login.status_code == 200


def test_admin_cannot_give_a_store_of_another_group(app, client, world):
    with app.state.session_factory.begin() as session:
        foreign = make_store(session, make_group(session))
    body = {
        "username": "sneaky.one",
        "full_name": "赵六",
        "role": "manager",
        "password": "long-enough-1",
        "store_ids": [foreign.id],
    }
    admin = auth_headers(client, world["users"][Role.admin])
    assert client.post("/auth/users", json=body, headers=admin).status_code == 404


def test_stores_lists_only_own_stores(app, client, world):
    with app.state.session_factory.begin() as session:
        make_store(session, world["group"], name="另一家店")
    manager = auth_headers(client, world["users"][Role.manager])
    assert [s["id"] for s in client.get("/auth/stores", headers=manager).json()] == [
        world["store"].id
    ]
    admin = auth_headers(client, world["users"][Role.admin])
    assert len(client.get("/auth/stores", headers=admin).json()) == 2
    with app.state.session_factory.begin() as session:
        buyer = make_customer(session, world["store"])
        account = make_user(session, world["group"], Role.customer, customer=buyer)
    customer = auth_headers(client, account)
    names = [s["name_zh"] for s in client.get("/auth/stores", headers=customer).json()]
    assert len(names) == 2, "a customer sees the group's storefronts"
    with app.state.session_factory.begin() as session:
        make_store(session, make_group(session), name="别家集团的店")
    assert len(client.get("/auth/stores", headers=customer).json()) == 2, "not another group's"
