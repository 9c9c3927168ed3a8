"""Small factories for tests of every domain: a group, stores, users, a signed-in client, and
the two-store world that several modules share.

Tests run against a real, migrated database (the `db_url` fixture); these helpers only save
typing. Each returns the ORM objects it made.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.auth.security import hash_password
from api.crm.models import Customer, Vehicle
from api.crm.states import CUSTOMER_LIFECYCLE
from core.clock import DEFAULT_ZONE
from core.settings import Settings
from core.vin import with_check_digit

STORE_ZONE = DEFAULT_ZONE  # every factory-made store's time zone
TEST_PASSWORD = "test-password-1"
TEST_JWT_SECRET = "test-secret-" + "x" * 40


def settings_for_tests(database_url: str, **overrides: Any) -> Settings:
    """Settings for an app on the test database."""
    values: dict[str, Any] = {"environment": "test", "jwt_secret": TEST_JWT_SECRET}
    return Settings(database_url=database_url, **(values | overrides))


def store_today(zone: str = STORE_ZONE) -> date:
    """Today in the store's time zone: the day its staff and its reports mean."""
    return datetime.now(ZoneInfo(zone)).date()


def _token() -> str:
    return uuid.uuid4().hex[:8]


def make_group(session: Session) -> DealerGroup:
    """A dealer group with a unique code."""
    group = DealerGroup(code=f"G{_token()}", name="测试集团")
    session.add(group)
    session.flush()
    return group


def make_store(session: Session, group: DealerGroup, *, name: str = "测试门店") -> Store:
    """A store of the group."""
    store = Store(
        dealer_group_id=group.id,
        code=f"S{_token()}",
        name_zh=name,
        name_en="Test store",
        city="上海",
        timezone=STORE_ZONE,
    )
    session.add(store)
    session.flush()
    return store


def make_user(
    session: Session,
    group: DealerGroup,
    role: Role,
    *,
    stores: list[Store] | None = None,
    customer: Customer | None = None,
    password: str = TEST_PASSWORD,
) -> User:
    """A user with the role; staff get the stores, a customer account links to customer."""
    user = User(
        dealer_group_id=group.id,
        username=f"{role.value}.{_token()}",
        full_name="测试用户",
        role=role.value,
        hashed_password=hash_password(password),
        is_active=True,
        token_version=0,
        customer_id=customer.id if customer else None,
        stores=stores or [],
    )
    session.add(user)
    session.flush()
    return user


def make_customer(session: Session, store: Store, *, name: str = "张伟") -> Customer:
    """A prospect of the store."""
    customer = Customer(
        store_id=store.id,
        name=name,
        phone=f"139{uuid.uuid4().int % 10**8:08d}",
        source="walk_in",
        consents={},
        tags=[],
    )
    CUSTOMER_LIFECYCLE.start(session, entity=customer, actor_id=None)
    return customer


def make_vin() -> str:
    """A valid Chinese VIN (check digit set) with a random serial."""
    return with_check_digit(f"LSVAU2180NT{uuid.uuid4().int % 10**6:06d}")


def make_vehicle(session: Session, store: Store, *, owner: Customer | None = None) -> Vehicle:
    """A vehicle of the store, optionally owned by the customer."""
    vehicle = Vehicle(
        store_id=store.id,
        vin=make_vin(),
        make="Volkswagen",
        model="Passat",
        year=2021,
        owner_id=owner.id if owner else None,
    )
    session.add(vehicle)
    session.flush()
    return vehicle


def two_store_world(session: Session) -> dict[str, Any]:
    """Stores A and B of one group. Alice and Bob are customers of A, Carol of B, each with a
    car; Alice and Bob sign in. Staff of A: a sales consultant, a technician and a service
    advisor; and a group admin."""
    group = make_group(session)
    a, b = make_store(session, group, name="浦东"), make_store(session, group)
    alice, bob = make_customer(session, a, name="王芳"), make_customer(session, a)
    carol = make_customer(session, b, name="刘洋")
    return {
        "group": group,
        "a": a,
        "b": b,
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "alice_car": make_vehicle(session, a, owner=alice),
        "bob_car": make_vehicle(session, a, owner=bob),
        "carol_car": make_vehicle(session, b, owner=carol),
        "sales_a": make_user(session, group, Role.sales_consultant, stores=[a]),
        "tech_a": make_user(session, group, Role.technician, stores=[a]),
        "admin": make_user(session, group, Role.admin),
        "alice_user": make_user(session, group, Role.customer, customer=alice),
        "bob_user": make_user(session, group, Role.customer, customer=bob),
        "advisor_a": make_user(session, group, Role.service_advisor, stores=[a]),
    }


def login(client: TestClient, user: User, password: str = TEST_PASSWORD) -> dict[str, Any]:
    """Log the user in through the API; returns the token pair."""
    response = client.post("/auth/token", data={"username": user.username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def auth_headers(client: TestClient, user: User, **headers: str) -> dict[str, str]:
    """Authorization headers for the user (plus any extra headers)."""
    return {"Authorization": f"Bearer {login(client, user)['access_token']}", **headers}
