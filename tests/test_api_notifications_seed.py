"""The demo notifications: a delivery log with sent messages and the odd bounce, the demo
customer's inbox, a store's own quiet hours; a second run adds nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.auth.roles import Role
from api.notifications.models import Delivery, Notification
from demo.notifications import seed_notifications
from tests.factories import (
    TEST_PASSWORD,
    make_customer,
    make_group,
    make_store,
    make_user,
    make_vehicle,
)

CUSTOMERS = 15  # per store: more than seed.PER_STORE


@pytest.fixture(scope="module")
def seeded(app):
    """The records seed_demo makes before it calls seed_notifications, in small."""
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        stores = {code: make_store(session, group) for code in ("SH-PD", "SH-MH")}
        manager = make_user(session, group, Role.manager, stores=list(stores.values()))
        for index in range(CUSTOMERS * 2):
            store = list(stores.values())[index % 2]
            customer = make_customer(session, store)
            customer.consents = {"in_app": True, "email": index % 3 == 0, "sms": True}
            customer.email = f"c{index}.{group.code}@example.cn" if index % 6 else None
            make_vehicle(session, store, owner=customer)
            if index == 0:
                user = make_user(session, group, Role.customer, customer=customer)
                user.username = "customer"
        session.flush()
        added = seed_notifications(session, group, stores)
    return {"group": group, "stores": stores, "added": added, "manager": manager.username}


def _token(client, username):
    answer = client.post("/auth/token", data={"username": username, "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_the_demo_has_a_delivery_log_and_an_inbox(app, seeded):
    minhang = seeded["stores"]["SH-MH"].id
    with TestClient(app) as client:
        inbox = client.get("/notifications/inbox", headers=_token(client, "customer")).json()
        assert inbox["total"] >= 2
        assert {m["kind"] for m in inbox["items"]} >= {"service_reminder", "survey"}
        manager = _token(client, seeded["manager"])
        log = client.get("/notifications/deliveries", params={"limit": 200}, headers=manager)
        items = log.json()["items"]
        assert log.json()["total"] >= 20 and "sent" in {d["status"] for d in items}
        assert all(d["next_attempt_at"] is None for d in items)  # history, not work to do
        quiet = client.get(f"/notifications/quiet-hours/{minhang}", headers=manager).json()
        assert quiet["quiet_start"] == "22:00:00" and quiet["is_default"] is False


def test_second_run_adds_nothing(app, seeded):
    with app.state.session_factory.begin() as session:
        before = session.scalar(select(func.count()).select_from(Delivery))
        stores = {code: session.merge(store) for code, store in seeded["stores"].items()}
        assert seeded["added"] == 2 * 12 + 2  # a history message each, two in the demo inbox
        assert seed_notifications(session, session.merge(seeded["group"]), stores) == 0
        assert session.scalar(select(func.count()).select_from(Delivery)) == before
        assert session.scalar(select(func.count()).select_from(Notification)) >= 20
