"""Issue 10, class 6: request bodies are capped before they are read, and login is throttled per
account and per client address, with a lockout that the right password does not lift."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from api.auth.models import LoginThrottle, User
from api.auth.roles import Role
from api.crm.models import Customer
from tests.factories import TEST_PASSWORD, auth_headers, make_group, make_store, make_user

LIMIT = 64 * 1024
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def settings_overrides():
    return {
        "max_body_bytes": LIMIT,
        "login_max_failures": 5,
        "login_max_failures_per_address": 20,
        "login_lockout_minutes": 15,
    }


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        users = [make_user(session, group, Role.service_advisor, stores=[store]) for _ in range(4)]
    return {"store": store, "users": users}


def _customers(app) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(Customer))


def test_a_body_over_the_limit_is_refused_before_authentication(app, client):
    before = _customers(app)
    huge = b'{"name": "' + b"x" * (LIMIT + 1) + b'"}'
    response = client.post(
        "/crm/customers", content=huge, headers={"Content-Type": "application/json", **EN}
    )
    assert response.status_code == 413  # not 401: refused on its size alone
    assert response.json()["code"] == "request_too_large"
    assert str(LIMIT) in response.json()["message"]
    assert _customers(app) == before


def test_a_chunked_body_is_counted_as_it_streams(app, client):
    def chunks():
        for _ in range(LIMIT // 1024 + 8):
            yield b"x" * 1024

    response = client.post(
        "/auth/token",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_a_body_under_the_limit_passes(client, world):
    response = client.post(
        "/auth/token", data={"username": world["users"][0].username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200


def _try(client, username: str, password: str) -> httpx.Response:
    return client.post("/auth/token", data={"username": username, "password": password}, headers=EN)


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(app, client, world):
    user = world["users"][1]
    for _ in range(5):
        assert _try(client, user.username, "wrong-password").status_code == 401
    locked = _try(client, user.username, TEST_PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "locked" in locked.json()["message"] and "account" in locked.json()["message"]
    assert "access_token" not in locked.json()
    with app.state.session_factory() as session:
        row = session.scalar(
            select(LoginThrottle).where(LoginThrottle.subject == f"account:{user.username}")
        )
        assert row is not None and row.locked_until is not None


def test_a_right_password_resets_the_count(client, world):
    user = world["users"][2]
    for _ in range(4):
        assert _try(client, user.username, "wrong-password").status_code == 401
    assert _try(client, user.username, TEST_PASSWORD).status_code == 200
    for _ in range(4):
        assert _try(client, user.username, "wrong-password").status_code == 401
    assert _try(client, user.username, TEST_PASSWORD).status_code == 200


def test_guessing_across_accounts_locks_the_client_address(client, world, app):
    # 20 failures from one address (this module's earlier tests counted some already).
    for n in range(20):
        response = _try(client, f"nobody-{n}", "wrong-password")
        if response.status_code == 429:
            break
    refused = _try(client, world["users"][3].username, TEST_PASSWORD)
    assert refused.status_code == 429
    assert "client address" in refused.json()["message"]
    with app.state.session_factory() as session:
        user = session.get(User, world["users"][3].id)
        assert user.is_active  # the account itself is untouched


def test_parallel_guessing_does_not_starve_signed_in_users(db_url, world):
    """Twenty threads guess passwords of ever new names (no lockout applies, so every guess
    costs a hash); a signed-in user's reads stay fast because hashing is bounded."""
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.factories import settings_for_tests

    app = create_app(settings_for_tests(db_url, login_max_failures_per_address=10_000))
    with TestClient(app, client=("192.0.2.7", 50000)) as client:
        headers = auth_headers(client, world["users"][0])

        def timed_reads() -> float:
            start = time.perf_counter()
            for _ in range(10):
                assert client.get("/auth/me", headers=headers).status_code == 200
            return time.perf_counter() - start

        quiet = timed_reads()
        stop = threading.Event()

        def guess() -> None:
            while not stop.is_set():
                _try(client, f"ghost-{uuid.uuid4().hex}", "wrong-password")

        threads = [threading.Thread(target=guess) for _ in range(20)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        try:
            busy = timed_reads()
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    print(f"10 reads: quiet {quiet:.3f} s, under 20 guessing threads {busy:.3f} s")
    assert busy < max(quiet * 5, 1.0)
