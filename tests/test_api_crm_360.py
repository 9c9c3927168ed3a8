"""The customer 360 view on a seeded demo group: each section agrees with its domain's own
endpoint, open alerts come from diagnostics, and each role sees only what it may read."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.crm.models import Customer, Vehicle
from api.feedback.models import Complaint, Survey
from api.sales.models import SalesOrder
from api.work_orders.models import WorkOrder
from core.db import connect
from core.wire import now_ms
from demo.people import DEMO_PASSWORD
from demo.world import seed_demo
from diagnostics import alerts
from diagnostics.scoring import Clear, Raise
from tests.factories import make_vin

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module", autouse=True)
def demo(app):
    """The demo group, seeded once before the module's first test."""
    with app.state.session_factory.begin() as session:
        seed_demo(session, [make_vin()], customers=12)


def _headers(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}", **EN}


def _first(app, stmt):
    with app.state.session_factory() as session:
        return session.scalar(stmt.limit(1))


def _view(client: TestClient, customer_id: int, username: str) -> dict:
    response = client.get(f"/crm/customers/{customer_id}/360", headers=_headers(client, username))
    assert response.status_code == 200, response.text
    return response.json()


def test_purchases_are_the_customers_sales_orders(app, client):
    buyer = _first(app, select(SalesOrder.customer_id).order_by(SalesOrder.id))
    assert buyer is not None, "the sales seed made no orders"
    headers = _headers(client, "manager")
    orders = client.get("/sales/orders", params={"customer_id": buyer}, headers=headers).json()
    view = _view(client, buyer, "manager")
    assert orders["total"] >= 1
    assert [o["id"] for o in view["purchases"]] == [o["id"] for o in orders["items"]]
    assert view["purchases"][0]["customer_id"] == buyer


def test_service_history_holds_work_orders_with_their_invoices(app, client):
    customer = _first(app, select(WorkOrder.customer_id).where(WorkOrder.status == "delivered"))
    assert customer is not None, "the service seed delivered no work orders"
    headers = _headers(client, "manager")
    jobs = client.get("/service/work-orders", params={"customer_id": customer}, headers=headers)
    invoices = client.get("/service/invoices", params={"customer_id": customer}, headers=headers)
    view = _view(client, customer, "manager")
    visits = view["service_history"]
    assert [v["work_order"]["id"] for v in visits] == [j["id"] for j in jobs.json()["items"]]
    by_order = {i["work_order_id"]: i for i in invoices.json()["items"]}
    delivered = [v for v in visits if v["work_order"]["status"] == "delivered"]
    assert delivered, "a delivered job is in the history"
    for visit in delivered:
        assert visit["invoice"] == by_order[visit["work_order"]["id"]]
        assert float(visit["invoice"]["grand_total"]) > 0


def test_satisfaction_summarises_surveys_and_complaints(app, client):
    with app.state.session_factory() as session:
        customer = session.scalar(
            select(Complaint.customer_id).order_by(Complaint.id).limit(1)
        ) or session.scalar(select(Survey.customer_id).where(Survey.status == "answered"))
        answered = session.scalars(
            select(Survey)
            .where(Survey.customer_id == customer, Survey.status == "answered")
            .order_by(Survey.id.desc())
        ).all()
        complaints = session.scalars(
            select(Complaint).where(Complaint.customer_id == customer)
        ).all()
    assert answered, "the service seed answered no surveys"
    satisfaction = _view(client, customer, "manager")["satisfaction"]
    assert satisfaction["surveys_answered"] == len(answered)
    assert (satisfaction["latest_csi"], satisfaction["latest_nps"]) == (
        answered[0].csi,
        answered[0].nps,
    )
    average = sum(s.csi for s in answered) / len(answered)
    assert satisfaction["average_csi"] == pytest.approx(average, abs=0.01)
    assert {c["id"] for c in satisfaction["complaints"]} == {c.id for c in complaints}
    assert satisfaction["open_complaints"] == sum(
        c.status in ("open", "in_progress") for c in complaints
    )
    assert all(s["link"].startswith("/service/surveys/answer/") for s in satisfaction["surveys"])


def test_open_alerts_are_the_active_ones_on_the_customers_cars(app, client, db_url):
    with app.state.session_factory() as session:
        car = session.scalar(
            select(Vehicle)
            .join(Customer, Customer.id == Vehicle.owner_id)
            .where(Customer.store_id == Vehicle.store_id)
            .order_by(Vehicle.id)
            .limit(1)
        )
        owner, vin = car.owner_id, car.vin
    dip = {"kind": "rule", "rule": "battery_crank_dip", "value": 9.2, "unit": "V"}
    with connect(db_url) as conn:
        alerts.apply(conn, [
            Raise(vin, "battery", "major", None, "rule", {"rule:battery_crank_dip": dip}, now_ms()),
            Raise(vin, "misfire", "minor", None, "rule", {"rule:x": dip}, now_ms()),
        ])  # fmt: skip
        alerts.apply(conn, [Clear(vin, "misfire", "recovered", now_ms())])
    view = _view(client, owner, "manager")
    assert [(a["vin"], a["failure_mode"]) for a in view["open_alerts"]] == [(vin, "battery")]
    assert view["open_alerts"][0]["state"] == "active"
    assert view["open_alerts"][0]["title"], "rendered in the request language"


def test_each_role_sees_only_the_sections_its_endpoints_allow(client):
    # The demo customer account is linked to the first seeded customer, of the Pudong store.
    me = client.get("/auth/me", headers=_headers(client, "customer")).json()
    customer_id = me["customer_id"]
    mine = _view(client, customer_id, "customer")
    assert mine["customer"]["id"] == customer_id
    assert mine["satisfaction"] is None
    # Customers read their own cars' open alerts (since they owned them), no one else's.
    own = {v["vin"] for v in mine["vehicles"]}
    assert mine["open_alerts"] and {a["vin"] for a in mine["open_alerts"]} <= own
    assert mine["recent_interactions"] == [], "staff notes stay with the staff"
    assert all(v["owner_id"] == customer_id for v in mine["vehicles"])
    other = customer_id + 1
    refused = client.get(f"/crm/customers/{other}/360", headers=_headers(client, "customer"))
    assert refused.status_code == 404
    sales = _view(client, customer_id, "sales")
    assert sales["satisfaction"] is None and sales["recent_interactions"]
    assert all(v["invoice"] is None for v in sales["service_history"])
    advisor = _view(client, customer_id, "advisor")
    assert advisor["satisfaction"] is not None
    minhang = client.get(
        f"/crm/customers/{customer_id}/360", headers=_headers(client, "advisor.mh")
    )
    assert minhang.status_code == 404
