"""A store with a repair job for the money-rule and audit tests: the estimate the customer
approves is BAT-TEST 0.3 h + BAT-REPL 0.5 h at 320/h = 256.00, plus 13 % VAT = 289.28."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.audit.models import AuditEvent
from api.auth.actor import SystemActor
from api.auth.models import User
from api.auth.roles import Role
from api.work_orders import service
from api.work_orders.models import Invoice, LabourLine, PartLine, WorkOrder
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    make_vehicle,
    store_today,
)
from tests.factories.parts import make_part, make_warehouse, stock_in
from tests.factories.workshop import make_operation, make_technician

EN = {"Accept-Language": "en"}
INSPECTION = {"battery": {"result": "attention", "note": "电压 11.9 V"}}


def money_world(session: Session) -> dict[str, Any]:
    """One store with staff of every service role, a customer with a car, and a part in stock."""
    group = make_group(session)
    store = make_store(session, group)
    warehouse = make_warehouse(session, group, store=store)
    battery = make_part(session, group, kind="battery", cost="300")  # list price 600.00
    stock_in(session, warehouse, battery, 50, expires_on=store_today() + timedelta(days=400))
    alice = make_customer(session, store, name="王芳")
    tech = make_technician(session, group, store, skills=("electrical",))
    world = {
        "group": group,
        "store": store,
        "warehouse": warehouse,
        "battery": battery,
        "alice": alice,
        "car": make_vehicle(session, store, owner=alice),
        "test": make_operation(session, group, code="BAT-TEST", hours="0.3", skill="electrical"),
        "replace": make_operation(session, group, code="BAT-REPL", hours="0.5", skill="electrical"),
        "tech": tech,
        "tech_user": session.get(User, tech.user_id),
        "advisor": make_user(session, group, Role.service_advisor, stores=[store]),
        "manager": make_user(session, group, Role.manager, stores=[store]),
        "clerk": make_user(session, group, Role.parts_clerk, stores=[store]),
        "admin": make_user(session, group, Role.admin),
        "alice_user": make_user(session, group, Role.customer, customer=alice),
    }
    other = make_store(session, group, name="另一门店")
    world["other_store"] = other
    world["other_manager"] = make_user(session, group, Role.manager, stores=[other])
    return world


def draft(app, world, operations=("BAT-TEST", "BAT-REPL")) -> int:
    """A booked job with the two battery operations, assigned to the technician."""
    with app.state.session_factory.begin() as session:
        wo = service.draft_work_order(
            session,
            actor=SystemActor(world["store"].id),
            store_id=world["store"].id,
            customer_id=world["alice"].id,
            vehicle_id=world["car"].id,
            operations=list(operations),
            technician_id=world["tech"].id,
            advisor_id=world["advisor"].id,
        )
        return wo.id


def step(client, headers, wo_id, to, reason=None):
    return client.post(
        f"/service/work-orders/{wo_id}/status", json={"to": to, "reason": reason}, headers=headers
    )


def headers_of(client, world) -> dict[str, dict[str, str]]:
    names = ("advisor", "manager", "clerk", "tech_user", "alice_user", "admin", "other_manager")
    return {name: auth_headers(client, world[name], **EN) for name in names}


def approved_job_in_repair(app, client, world, h) -> int:
    """A job whose 289.28 estimate (version 1) the customer approved, now in repair."""
    wo_id = draft(app, world)
    checked = client.post(
        f"/service/work-orders/{wo_id}/check-in",
        json={"odometer_km": 48210, "inspection": INSPECTION},
        headers=h["advisor"],
    )
    assert checked.status_code == 200, checked.text
    assert step(client, h["tech_user"], wo_id, "diagnosis").status_code == 200
    assert step(client, h["advisor"], wo_id, "estimate_sent").status_code == 200
    approved = client.post(
        f"/service/work-orders/{wo_id}/estimates/1/approve", headers=h["alice_user"]
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["grand_total"] == "289.28"
    assert step(client, h["tech_user"], wo_id, "in_repair").status_code == 200
    return wo_id


def job_state(app, wo_id) -> dict[str, Any]:
    """What a refused request must leave unchanged: status, lines and any invoice."""
    with app.state.session_factory() as session:
        wo = session.get(WorkOrder, wo_id)
        labour = session.scalars(
            select(LabourLine).where(LabourLine.work_order_id == wo_id).order_by(LabourLine.id)
        )
        parts = session.scalars(
            select(PartLine).where(PartLine.work_order_id == wo_id).order_by(PartLine.id)
        )
        invoice = session.scalar(select(Invoice).where(Invoice.work_order_id == wo_id))
        return {
            "status": wo.status,
            "labour": [(x.hours, x.rate, x.discount_pct) for x in labour],
            "parts": [(x.quantity, x.unit_price, x.discount_pct) for x in parts],
            "invoice": invoice.grand_total if invoice else None,
        }


def audit_count(app) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))
