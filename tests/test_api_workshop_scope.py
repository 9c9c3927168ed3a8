"""Who sees what in the workshop and work orders: customers their own appointments, work orders and
invoices; staff their stores; technicians their assigned jobs."""

from __future__ import annotations

import pytest

from api.auth.actor import SystemActor
from api.auth.roles import Role
from api.work_orders import service
from api.workshop import booking
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    make_vehicle,
)
from tests.factories.workshop import (
    local,
    make_bay,
    make_operation,
    make_technician,
    next_weekday,
    open_every_day,
)

EN = {"Accept-Language": "en"}


def _job(session, store, customer, vehicle, technician, starts_at):
    appointment = booking.book(
        session,
        actor=SystemActor(store.id),
        store_id=store.id,
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        operations=["OIL"],
        starts_at=starts_at,
        technician_id=technician.id,
    )
    wo = service.draft_work_order(
        session,
        actor=SystemActor(store.id),
        store_id=store.id,
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        appointment_id=appointment.id,
    )
    return appointment, wo


def _settle(session, store, wo):
    service.check_in(
        session, actor=SystemActor(store.id), work_order_id=wo.id, odometer_km=1000, inspection={}
    )
    for to in (
        "diagnosis",
        "estimate_sent",
        "customer_approved",
        "in_repair",
        "quality_check",
        "settled",
    ):
        service.advance(session, actor=SystemActor(store.id), work_order_id=wo.id, to=to)


@pytest.fixture(scope="module")
def world(app):
    day = next_weekday(1)
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        a, b = make_store(session, group, name="浦东"), make_store(session, group, name="闵行")
        for store in (a, b):
            open_every_day(session, store)
            make_bay(session, store)
        make_operation(session, group, code="OIL")
        alice, bob = make_customer(session, a, name="王芳"), make_customer(session, a, name="李强")
        carol = make_customer(session, b, name="刘洋")
        tech1, tech2 = make_technician(session, group, a), make_technician(session, group, a)
        tech_b = make_technician(session, group, b)
        cars = {
            c: make_vehicle(session, c_store, owner=c)
            for c, c_store in ((alice, a), (bob, a), (carol, b))
        }
        appt_alice, wo_alice = _job(session, a, alice, cars[alice], tech1, local(day, 9))
        appt_bob, wo_bob = _job(session, a, bob, cars[bob], tech2, local(day, 11))
        appt_carol, wo_carol = _job(session, b, carol, cars[carol], tech_b, local(day, 9))
        for store, wo in ((a, wo_alice), (a, wo_bob), (b, wo_carol)):
            _settle(session, store, wo)
        from api.auth.models import User

        return {
            "a": a,
            "b": b,
            "alice_car": cars[alice],
            "appt": {"alice": appt_alice.id, "bob": appt_bob.id, "carol": appt_carol.id},
            "wo": {"alice": wo_alice.id, "bob": wo_bob.id, "carol": wo_carol.id},
            "alice_user": make_user(session, group, Role.customer, customer=alice),
            "advisor_a": make_user(session, group, Role.service_advisor, stores=[a]),
            "tech1_user": session.get(User, tech1.user_id),
            "sales_a": make_user(session, group, Role.sales_consultant, stores=[a]),
            "alice": alice,
        }


def _invoice(app, world, who):
    from sqlalchemy import select

    from api.work_orders.models import Invoice

    with app.state.session_factory() as session:
        return session.scalar(select(Invoice.id).where(Invoice.work_order_id == world["wo"][who]))


def test_a_customer_sees_only_their_own_service_records(app, client, world):
    headers = auth_headers(client, world["alice_user"], **EN)
    for kind, path in (("appt", "appointments"), ("wo", "work-orders")):
        own = client.get(f"/service/{path}/{world[kind]['alice']}", headers=headers)
        assert own.status_code == 200, path
        for other in ("bob", "carol"):
            refused = client.get(f"/service/{path}/{world[kind][other]}", headers=headers)
            assert refused.status_code == 404, (path, other)
            assert "does not exist" in refused.json()["message"]
        listed = client.get(f"/service/{path}", headers=headers).json()
        assert [r["id"] for r in listed["items"]] == [world[kind]["alice"]]
    own_invoice = client.get(f"/service/invoices/{_invoice(app, world, 'alice')}", headers=headers)
    assert own_invoice.status_code == 200
    other_invoice = client.get(f"/service/invoices/{_invoice(app, world, 'bob')}", headers=headers)
    assert other_invoice.status_code == 404
    assert [
        i["work_order_id"] for i in client.get("/service/invoices", headers=headers).json()["items"]
    ] == [world["wo"]["alice"]]


def test_a_customer_cannot_book_for_someone_else_or_run_the_workshop(app, client, world):
    headers = auth_headers(client, world["alice_user"], **EN)
    body = {
        "store_id": world["a"].id,
        "customer_id": world["alice"].id + 1,
        "vehicle_id": world["alice_car"].id,
        "operations": ["OIL"],
        "starts_at": local(next_weekday(2), 10).isoformat(),
    }
    assert client.post("/service/appointments", json=body, headers=headers).status_code == 404
    wo = world["wo"]["alice"]
    assert (
        client.post(
            f"/service/work-orders/{wo}/status", json={"to": "delivered"}, headers=headers
        ).status_code
        == 403
    )
    assert client.get("/service/complaints", headers=headers).status_code == 403
    assert client.get("/service/surveys", headers=headers).status_code == 403


def test_staff_see_only_their_stores(app, client, world):
    headers = auth_headers(client, world["advisor_a"], **EN)
    refused = client.get(f"/service/work-orders/{world['wo']['carol']}", headers=headers)
    assert refused.status_code == 404
    assert "does not exist" in refused.json()["message"]
    assert (
        client.get(f"/service/appointments/{world['appt']['carol']}", headers=headers).status_code
        == 404
    )
    assert (
        client.get(
            f"/service/invoices/{_invoice(app, world, 'carol')}", headers=headers
        ).status_code
        == 404
    )
    ids = {w["id"] for w in client.get("/service/work-orders", headers=headers).json()["items"]}
    assert ids == {world["wo"]["alice"], world["wo"]["bob"]}
    moved = client.post(
        f"/service/work-orders/{world['wo']['carol']}/status",
        json={"to": "delivered"},
        headers=headers,
    )
    assert moved.status_code == 404
    hours = client.get(f"/service/stores/{world['b'].id}/hours", headers=headers)
    assert hours.status_code == 404


def test_a_technician_sees_only_assigned_jobs(app, client, world):
    headers = auth_headers(client, world["tech1_user"], **EN)
    listed = client.get("/service/work-orders", headers=headers).json()
    assert [w["id"] for w in listed["items"]] == [world["wo"]["alice"]]
    assert (
        client.get(f"/service/work-orders/{world['wo']['bob']}", headers=headers).status_code == 404
    )
    appointments = client.get("/service/appointments", headers=headers).json()
    assert [a["id"] for a in appointments["items"]] == [world["appt"]["alice"]]
    assert client.get("/service/invoices", headers=headers).status_code == 403
    # a technician may not settle or deliver
    delivered = client.post(
        f"/service/work-orders/{world['wo']['alice']}/status",
        json={"to": "delivered"},
        headers=headers,
    )
    assert delivered.status_code == 403


def test_roles_are_enforced_on_the_catalogue(app, client, world):
    sales = auth_headers(client, world["sales_a"])
    body = {
        "code": "NEW-OP",
        "name_zh": "新项目",
        "name_en": "New",
        "flat_rate_hours": "1.0",
        "required_skill": "engine",
    }
    assert client.post("/service/operations", json=body, headers=sales).status_code == 403
    assert client.get("/service/operations", headers=sales).json()["total"] >= 1
    order = {
        "store_id": world["a"].id,
        "customer_id": world["alice"].id,
        "vehicle_id": world["alice_car"].id,
    }
    assert client.post("/service/work-orders", json=order, headers=sales).status_code == 403
    advisor = auth_headers(client, world["advisor_a"])
    assert client.post("/service/work-orders", json=order, headers=advisor).status_code == 201
