"""The work order through the 4S flow on real PostgreSQL: check-in, diagnosis, estimate,
approval, parts issued FEFO, QC gate, waits, settlement totals, delivery, survey, complaint;
illegal steps answer 409 with the reason and leave audit rows only for legal ones."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from api.audit.models import StateTransition
from api.auth.actor import SystemActor
from api.auth.roles import Role
from api.feedback.models import Complaint, Survey
from api.parts.ledger import today
from api.parts.models import Lot, Reservation, StockMove
from api.work_orders import service
from api.work_orders.models import Invoice, WorkOrder
from api.work_orders.pricing import PricedLine, totals
from api.workshop import booking
from api.workshop.models import Appointment
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    make_vehicle,
)
from tests.factories.parts import make_part, make_warehouse, stock_in
from tests.factories.workshop import (
    local,
    make_bay,
    make_operation,
    make_technician,
    next_weekday,
    open_every_day,
)

EN = {"Accept-Language": "en"}
INSPECTION = {
    "tyres": {"result": "attention", "note": "前轮胎纹 2.5 mm"},
    "lights": {"result": "ok"},
}


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        open_every_day(session, store)
        warehouse = make_warehouse(session, group, store=store)
        battery = make_part(session, group, kind="battery", cost="300")
        # Two lots: the one expiring first must be issued first (FEFO).
        stock_in(session, warehouse, battery, 1, expires_on=today() + timedelta(days=400))
        stock_in(session, warehouse, battery, 1, expires_on=today() + timedelta(days=90))
        alice = make_customer(session, store, name="王芳")
        world = {
            "group": group,
            "store": store,
            "warehouse": warehouse,
            "battery": battery,
            "alice": alice,
            "car": make_vehicle(session, store, owner=alice),
            "test": make_operation(
                session, group, code="BAT-TEST", hours="0.3", skill="electrical", bay_kind=None
            ),
            "replace": make_operation(
                session, group, code="BAT-REPL", hours="0.5", skill="electrical"
            ),
            "tech": make_technician(session, group, store, skills=("electrical", "maintenance")),
            "bay": make_bay(session, store),
            "advisor": make_user(session, group, Role.service_advisor, stores=[store]),
            "clerk": make_user(session, group, Role.parts_clerk, stores=[store]),
        }
        world["alice_user"] = make_user(session, group, Role.customer, customer=alice)
    return world


def _draft(app, world, **extra) -> int:
    with app.state.session_factory.begin() as session:
        wo = service.draft_work_order(
            session,
            actor=SystemActor(world["store"].id),
            store_id=world["store"].id,
            customer_id=world["alice"].id,
            vehicle_id=world["car"].id,
            operations=["BAT-TEST"],
            technician_id=world["tech"].id,
            advisor_id=world["advisor"].id,
            **extra,
        )
        return wo.id


def _step(client, headers, wo_id, to, reason=None):
    return client.post(
        f"/service/work-orders/{wo_id}/status", json={"to": to, "reason": reason}, headers=headers
    )


def _audit(app, wo_id) -> list[tuple[str | None, str]]:
    with app.state.session_factory() as session:
        rows = session.scalars(
            select(StateTransition)
            .where(StateTransition.entity_type == "work_order", StateTransition.entity_id == wo_id)
            .order_by(StateTransition.id)
        )
        return [(r.from_state, r.to_state) for r in rows]


def _to_repair(client, headers, wo_id, tech):
    """Check in and estimate as the advisor; diagnose and start the repair as the technician."""
    r = client.post(
        f"/service/work-orders/{wo_id}/check-in",
        json={"odometer_km": 48210, "inspection": INSPECTION},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    for to, by in (
        ("diagnosis", tech),
        ("estimate_sent", headers),
        ("customer_approved", headers),
        ("in_repair", tech),
    ):
        assert _step(client, by, wo_id, to).status_code == 200, to


def test_the_whole_flow_from_draft_to_follow_up(app, client, world):
    wo_id = _draft(
        app,
        world,
        parts=[(world["battery"].id, Decimal(1))],
        source="alert",
        source_ref="alert:flow",
        evidence={"mode": "battery_aging"},
    )
    advisor = auth_headers(client, world["advisor"], **EN)
    wo = client.get(f"/service/work-orders/{wo_id}", headers=advisor).json()
    assert wo["status"] == "booked" and wo["parts"][0]["status"] == "reserved"
    added = client.post(
        f"/service/work-orders/{wo_id}/labour", json={"operation": "BAT-REPL"}, headers=advisor
    )
    assert added.status_code == 201, added.text
    tech = auth_headers(client, _tech_user(app, world))
    _to_repair(client, advisor, wo_id, tech)
    line_id = added.json()["id"]
    on = client.post(
        f"/service/work-orders/{wo_id}/labour/{line_id}/clock-on", json={}, headers=tech
    )
    assert on.status_code == 200, on.text
    refused = _step(client, tech, wo_id, "quality_check")
    assert refused.status_code == 409 and refused.json()["details"]["rule"] == "guard"
    assert (
        client.post(
            f"/service/work-orders/{wo_id}/labour/{line_id}/clock-off", json={}, headers=tech
        ).status_code
        == 200
    )
    assert _step(client, tech, wo_id, "quality_check").json()["details"]["rule"] == "guard"

    clerk = auth_headers(client, world["clerk"])
    issued = client.post(f"/service/work-orders/{wo_id}/issue-parts", headers=clerk)
    assert [p["status"] for p in issued.json()] == ["issued"]
    with app.state.session_factory() as session:
        move = session.scalar(select(StockMove).where(StockMove.kind == "issue"))
        reservation = session.scalar(select(Reservation).where(Reservation.status == "issued"))
        # FEFO: the lot expiring in 90 days goes out before the one expiring in 400.
        assert session.get(Lot, move.lot_id).expires_on == today() + timedelta(days=90)
        assert reservation.reference_type == "work_order_part"

    assert _step(client, tech, wo_id, "quality_check").status_code == 200
    assert _step(client, advisor, wo_id, "settled").status_code == 200
    undelivered = _step(client, advisor, wo_id, "delivered")
    assert undelivered.status_code == 409 and "outcome" in undelivered.json()["message"]
    client.post(
        f"/service/work-orders/{wo_id}/outcome",
        json={"outcome": "confirmed_cause", "cause_code": "battery_aging"},
        headers=advisor,
    )
    assert _step(client, advisor, wo_id, "delivered").status_code == 200

    with app.state.session_factory() as session:
        invoice = session.scalar(select(Invoice).where(Invoice.work_order_id == wo_id))
        # 0.3 h + 0.5 h at 320/h = 256.00; battery list price 600.00; VAT 13 %.
        assert (invoice.labour_total, invoice.parts_total) == (Decimal("256.00"), Decimal("600.00"))
        assert invoice.tax_total == Decimal("111.28")
        assert invoice.grand_total == Decimal("967.28")
        survey = session.scalar(select(Survey).where(Survey.work_order_id == wo_id))
        assert survey.status == "pending" and len(survey.token) >= 32
    own = client.get(
        f"/service/invoices/{invoice.id}", headers=auth_headers(client, world["alice_user"])
    )
    assert own.status_code == 200 and own.json()["grand_total"] == "967.28"

    answered = client.post(f"/service/surveys/answer/{survey.token}", json={"csi": 9, "nps": 10})
    assert answered.json() == {"status": "answered", "complaint_id": None}
    again = client.post(f"/service/surveys/answer/{survey.token}", json={"csi": 9, "nps": 10})
    assert again.status_code == 409
    assert _audit(app, wo_id) == [
        (None, "booked"),
        ("booked", "checked_in"),
        ("checked_in", "diagnosis"),
        ("diagnosis", "estimate_sent"),
        ("estimate_sent", "customer_approved"),
        ("customer_approved", "in_repair"),
        ("in_repair", "quality_check"),
        ("quality_check", "settled"),
        ("settled", "delivered"),
        ("delivered", "follow_up"),
    ]


def _tech_user(app, world):
    from api.auth.models import User

    with app.state.session_factory() as session:
        return session.get(User, world["tech"].user_id)


def test_illegal_steps_answer_409_with_the_reason_and_write_no_audit_row(app, client, world):
    wo_id = _draft(app, world)
    advisor = auth_headers(client, world["advisor"], **EN)
    skip = _step(client, advisor, wo_id, "in_repair")
    assert skip.status_code == 409
    body = skip.json()
    assert body["code"] == "illegal_transition"
    assert body["details"]["rule"] == "not_allowed"
    assert "allowed next states are: checked_in, cancelled" in body["message"]
    unknown = _step(client, advisor, wo_id, "teleported")
    assert unknown.json()["details"]["rule"] == "unknown_state"
    no_odometer = _step(client, advisor, wo_id, "checked_in")
    assert no_odometer.json()["details"]["rule"] == "guard"
    unexplained = _step(client, advisor, wo_id, "cancelled")
    assert unexplained.json()["details"]["rule"] == "reason_required"
    assert _audit(app, wo_id) == [(None, "booked")]
    assert _step(client, advisor, wo_id, "cancelled", "客户改期").status_code == 200
    assert _audit(app, wo_id)[-1] == ("booked", "cancelled")
    again = _step(client, advisor, wo_id, "checked_in")
    assert again.status_code == 409 and "(none)" in again.json()["message"]


def test_quality_check_only_passes_on_or_sends_back_with_a_reason(app, client, world):
    wo_id = _draft(app, world)
    advisor = auth_headers(client, world["advisor"], **EN)
    tech = auth_headers(client, _tech_user(app, world), **EN)
    _to_repair(client, advisor, wo_id, tech)
    assert _step(client, tech, wo_id, "quality_check").status_code == 200
    for target in ("delivered", "diagnosis", "customer_approved", "cancelled"):
        refused = _step(client, advisor, wo_id, target, "try")
        assert refused.status_code == 409, target
        assert "in_repair, settled" in refused.json()["message"]
    back = _step(client, tech, wo_id, "in_repair")
    assert back.json()["details"]["rule"] == "reason_required"
    assert _step(client, tech, wo_id, "in_repair", "刹车异响未消除").status_code == 200
    with app.state.session_factory() as session:
        last = session.scalars(
            select(StateTransition)
            .where(StateTransition.entity_type == "work_order", StateTransition.entity_id == wo_id)
            .order_by(StateTransition.id.desc())
        ).first()
        assert (last.from_state, last.to_state, last.reason) == (
            "quality_check",
            "in_repair",
            "刹车异响未消除",
        )
        assert last.actor_user_id == world["tech"].user_id


def test_a_wait_needs_a_reason_code_and_returns_where_it_left(app, client, world):
    wo_id = _draft(app, world)
    advisor = auth_headers(client, world["advisor"], **EN)
    _to_repair(client, advisor, wo_id, auth_headers(client, _tech_user(app, world)))
    direct = _step(client, advisor, wo_id, "waiting_parts")
    assert direct.status_code == 422 and "reason code" in direct.json()["message"]
    bad = client.post(
        f"/service/work-orders/{wo_id}/wait",
        json={"wait": "waiting_parts", "reason_code": "paint_shop"},
        headers=advisor,
    )
    assert bad.status_code == 422 and "part_backordered" in bad.json()["message"]
    parked = client.post(
        f"/service/work-orders/{wo_id}/wait",
        json={"wait": "waiting_parts", "reason_code": "part_backordered", "note": "周三到货"},
        headers=advisor,
    ).json()
    assert (parked["status"], parked["wait_reason"], parked["wait_return_to"]) == (
        "waiting_parts",
        "part_backordered",
        "in_repair",
    )
    elsewhere = _step(client, advisor, wo_id, "diagnosis")
    assert elsewhere.status_code == 409
    assert "returns to the state it left" in elsewhere.json()["message"]
    resumed = client.post(f"/service/work-orders/{wo_id}/resume", headers=advisor).json()
    assert (resumed["status"], resumed["wait_reason"]) == ("in_repair", None)
    assert _audit(app, wo_id)[-2:] == [
        ("in_repair", "waiting_parts"),
        ("waiting_parts", "in_repair"),
    ]
    with app.state.session_factory() as session:
        reason = session.scalar(
            select(StateTransition.reason).where(
                StateTransition.entity_id == wo_id, StateTransition.to_state == "waiting_parts"
            )
        )
        assert reason == "part_backordered: 周三到货"


def test_invoice_totals_on_known_lines():
    lines = [
        PricedLine("labour", "OIL", Decimal("1.0"), Decimal("320.00")),
        PricedLine("labour", "TYRE-ROT", Decimal("0.4"), Decimal("320.00"), Decimal("10")),
        PricedLine("part", "oil 4L", Decimal("1"), Decimal("398.00")),
        PricedLine("part", "filter", Decimal("1"), Decimal("68.50"), Decimal("15")),
    ]
    sums = totals(lines)
    assert sums.labour_total == Decimal("448.00")
    assert sums.parts_total == Decimal("466.50")
    # 10 % of 128.00 = 12.80; 15 % of 68.50 = 10.275 → 10.28 (half up)
    assert sums.discount_total == Decimal("23.08")
    assert sums.net_total == Decimal("891.42")
    assert sums.tax_total == Decimal("115.88")  # 891.42 × 0.13 = 115.8846
    assert sums.grand_total == Decimal("1007.30")


def test_a_low_score_opens_a_complaint_for_the_advisor(app, client, world):
    wo_id = _draft(app, world)
    advisor = auth_headers(client, world["advisor"], **EN)
    tech = auth_headers(client, _tech_user(app, world))
    _to_repair(client, advisor, wo_id, tech)
    assert _step(client, tech, wo_id, "quality_check").status_code == 200
    assert _step(client, advisor, wo_id, "settled").status_code == 200
    client.post(
        f"/service/work-orders/{wo_id}/outcome", json={"outcome": "no_fault_found"}, headers=advisor
    )
    assert _step(client, advisor, wo_id, "delivered").status_code == 200
    surveys = client.get("/service/surveys", params={"status": "pending"}, headers=advisor).json()
    mine = next(s for s in surveys["items"] if s["work_order_id"] == wo_id)
    token = mine["link"].rsplit("/", 1)[1]
    page = client.get(f"/service/surveys/answer/{token}").json()
    assert set(page["questions"]) == {"csi", "nps"}
    answered = client.post(
        f"/service/surveys/answer/{token}", json={"csi": 8, "nps": 5, "comment": "等待时间太长"}
    ).json()
    assert answered["complaint_id"] is not None
    with app.state.session_factory() as session:
        complaint = session.get(Complaint, answered["complaint_id"])
        assert (complaint.work_order_id, complaint.advisor_id) == (wo_id, world["advisor"].id)
        assert complaint.status == "open" and "等待时间太长" in complaint.summary
        assert session.get(WorkOrder, wo_id).status == "follow_up"
    listed = client.get("/service/complaints", params={"status": "open"}, headers=advisor).json()
    assert answered["complaint_id"] in {c["id"] for c in listed["items"]}
    resolved = client.post(
        f"/service/complaints/{answered['complaint_id']}/status",
        json={"to": "resolved"},
        headers=advisor,
    )
    assert resolved.json()["details"]["rule"] == "reason_required"
    assert (
        client.post(
            f"/service/complaints/{answered['complaint_id']}/status",
            json={"to": "resolved", "reason": "赠送保养券并致歉"},
            headers=advisor,
        ).json()["resolution"]
        == "赠送保养券并致歉"
    )


def test_drafting_is_idempotent_and_cancelling_releases_the_parts(app, world):
    first = _draft(
        app,
        world,
        parts=[(world["battery"].id, Decimal(1))],
        source="alert",
        source_ref="alert:idem",
    )
    assert (
        _draft(
            app,
            world,
            parts=[(world["battery"].id, Decimal(1))],
            source="alert",
            source_ref="alert:idem",
        )
        == first
    )
    with app.state.session_factory.begin() as session:
        wo = session.get(WorkOrder, first)
        assert [p.status for p in wo.parts] in (["reserved"], ["short"])
        service.advance(
            session,
            actor=SystemActor(world["store"].id),
            work_order_id=first,
            to="cancelled",
            reason="告警已消除",
        )
    with app.state.session_factory() as session:
        wo = session.get(WorkOrder, first)
        assert [p.status for p in wo.parts] == ["released"]
        held = session.scalars(
            select(Reservation).where(Reservation.reference_id == wo.parts[0].id)
        ).all()
        assert all(r.status == "released" for r in held)


def test_a_part_out_of_stock_makes_a_short_line(app, world):
    with app.state.session_factory.begin() as session:
        scarce = make_part(session, world["group"], kind="standard")
        session.flush()
        scarce_id = scarce.id
    wo_id = _draft(app, world, parts=[(scarce_id, Decimal(2))])
    with app.state.session_factory() as session:
        assert [p.status for p in session.get(WorkOrder, wo_id).parts] == ["short"]


def test_check_in_marks_the_appointment_arrived(app, client, world):
    day = next_weekday(2)
    with app.state.session_factory.begin() as session:
        appointment = booking.book(
            session,
            actor=SystemActor(world["store"].id),
            store_id=world["store"].id,
            customer_id=world["alice"].id,
            vehicle_id=world["car"].id,
            operations=["BAT-TEST"],
            starts_at=local(day, 9),
        )
        wo = service.draft_work_order(
            session,
            actor=SystemActor(world["store"].id),
            store_id=world["store"].id,
            customer_id=world["alice"].id,
            vehicle_id=world["car"].id,
            appointment_id=appointment.id,
        )
        assert wo.source == "appointment" and [line.description[:8] for line in wo.labour] == [
            "BAT-TEST"
        ]
        ids = appointment.id, wo.id
    advisor = auth_headers(client, world["advisor"])
    r = client.post(
        f"/service/work-orders/{ids[1]}/check-in",
        json={"odometer_km": 1000, "inspection": INSPECTION},
        headers=advisor,
    )
    assert r.status_code == 200
    with app.state.session_factory() as session:
        assert session.get(Appointment, ids[0]).status == "arrived"
