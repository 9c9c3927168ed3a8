"""The demo seed: a believable group, the given VINs first, every role can log in, and a
second run adds nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.auth.models import Store, User
from api.crm.models import Customer, Interaction, Vehicle
from demo.group import DEMO_STAFF
from demo.people import DEMO_PASSWORD
from demo.world import seed_demo
from tests.factories import make_vin

CUSTOMERS = 24  # the real demo seeds 200; a small run exercises the same code


@pytest.fixture(scope="module")
def fleet():
    return [make_vin() for _ in range(3)]


@pytest.fixture(scope="module")
def seeded(app, fleet):
    with app.state.session_factory.begin() as session:
        return seed_demo(session, fleet, customers=CUSTOMERS)


def _counts(app) -> dict[str, int]:
    with app.state.session_factory() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Store, User, Customer, Vehicle, Interaction)
        }


def test_seed_builds_the_group(app, seeded):
    assert (seeded.stores, seeded.customers) == (2, CUSTOMERS)
    assert seeded.users == len(DEMO_STAFF) + 1
    assert seeded.vehicles >= CUSTOMERS
    assert seeded.interactions >= CUSTOMERS
    with app.state.session_factory() as session:
        names = session.scalars(select(Store.name_zh).order_by(Store.code)).all()
        assert names == ["上海闵行店", "上海浦东店"]
        statuses = set(session.scalars(select(Customer.status)))
        assert "active" in statuses


def test_given_vins_come_first_and_belong_to_the_demo_customer(app, seeded, fleet):
    with TestClient(app) as client:
        tokens = client.post(
            "/auth/token", data={"username": "customer", "password": DEMO_PASSWORD}
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        own = client.get("/crm/vehicles", headers=headers).json()
    assert fleet[0] in {v["vin"] for v in own["items"]}
    with app.state.session_factory() as session:
        registered = set(session.scalars(select(Vehicle.vin).where(Vehicle.vin.in_(fleet))))
    assert registered == set(fleet)


def test_every_demo_user_logs_in_with_the_documented_password(app, seeded):
    with TestClient(app) as client:
        for username, _, role in seeded.logins:
            response = client.post(
                "/auth/token", data={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, username
            me = client.get(
                "/auth/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
            ).json()
            assert me["role"] == role


def test_second_run_adds_nothing(app, seeded, fleet):
    before = _counts(app)
    with app.state.session_factory.begin() as session:
        again = seed_demo(session, fleet, customers=CUSTOMERS)
    assert (again.stores, again.users, again.customers, again.vehicles, again.interactions) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert _counts(app) == before
