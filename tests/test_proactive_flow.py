"""The loop's other paths: approval mode and one-click accept, withdraw after a clear, the
customer's confirm and reschedule links (and not for someone else's visit), closing the loop
(training label, comeback, first-time-fix rate), and reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from api.auth.actor import SystemActor
from api.notifications.models import Notification
from api.parts import service as parts_service
from api.proactive import closing, feed, reminders
from api.proactive.constants import DEFAULT_RULES
from api.proactive.links import make_token
from api.proactive.models import FeedEvent, Proposal, TriagePolicy
from api.proactive.worker import drain
from api.work_orders.models import WorkOrder
from api.workshop.models import Appointment
from core.db import connect
from core.wire import now_ms
from diagnostics import alerts
from diagnostics.scoring import Raise
from tests.factories import auth_headers, store_today
from tests.factories.workshop import make_operation
from tests.proactive_support import clear_alerts, make_car, make_dealer, raise_alerts

EMAIL = {"email": True, "in_app": True}


def _session(app):
    return app.state.session_factory()


def _drain(app) -> int:
    return drain(app.state.session_factory, app.state.settings)


def _booked_car(app, db_url, dealer=None):
    with _session(app) as session:
        dealer = dealer or make_dealer(session, stock=2)
        customer, vehicle = make_car(session, dealer, email="owner@example.com", consents=EMAIL)
        session.commit()
    raise_alerts(db_url, [vehicle.vin])
    assert _drain(app) == 1
    with _session(app) as session:
        proposal = session.scalar(select(Proposal).where(Proposal.vin == vehicle.vin))
        return dealer, customer, vehicle, proposal


def test_auto_mode_books_and_tells_the_customer_with_links(app, client, db_url):
    dealer, customer, vehicle, proposal = _booked_car(app, db_url)
    assert proposal.status == "booked" and proposal.appointment_id and proposal.work_order_id
    with _session(app) as session:
        wo = session.get(WorkOrder, proposal.work_order_id)
        assert wo.appointment_id == proposal.appointment_id
        assert [line.status for line in wo.parts] == ["reserved"]
        assert wo.evidence["reasons_en"] and "crank" in wo.evidence["reasons_en"][0].lower()
        note = session.scalar(select(Notification).where(Notification.customer_id == customer.id))
        assert note.kind == "booking_created"
        assert set(note.links) == {"confirm", "reschedule"}
        kinds = session.scalars(
            select(FeedEvent.kind).where(FeedEvent.vin == vehicle.vin).order_by(FeedEvent.id)
        ).all()
        assert kinds == ["alert_opened", "appointment_booked"]
    headers = auth_headers(client, dealer.advisor)
    feed = client.get("/feed", headers=headers).json()
    assert feed["items"][0]["event"] == "appointment_booked"
    assert feed["items"][0]["data"]["appointment_id"] == proposal.appointment_id


def test_links_confirm_and_reschedule_only_their_own_appointment(app, client, db_url):
    dealer, customer, _, mine = _booked_car(app, db_url)
    _, other_customer, _, theirs = _booked_car(app, db_url, dealer)
    with _session(app) as session:
        own = session.get(Appointment, mine.appointment_id)
        other = session.get(Appointment, theirs.appointment_id)
        token = make_token(app.state.settings, appointment=own)
        other_token = make_token(app.state.settings, appointment=other)
    answer = client.get("/public/appointments/confirm", params={"token": token})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "confirmed"
    # The token is bound to its appointment: naming another one is refused ...
    refused = client.get(
        "/public/appointments/confirm", params={"token": token, "appointment_id": other.id}
    )
    assert refused.status_code == 403
    # ... and a token whose customer does not own the appointment is refused too.
    with _session(app) as session:
        other.customer_id = customer.id  # what a forged pairing would claim
        forged = make_token(app.state.settings, appointment=other)
    assert client.get("/public/appointments/confirm", params={"token": forged}).status_code == 403
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get("/public/appointments/confirm", params={"token": tampered}).status_code == 401
    with _session(app) as session:
        assert session.get(Appointment, theirs.appointment_id).status == "booked"
        assert session.get(Appointment, theirs.appointment_id).customer_id == other_customer.id
    options = client.get("/public/appointments/reschedule", params={"token": other_token})
    assert options.status_code == 200 and options.json()["slots"]
    new_start = options.json()["slots"][-1]["starts_at"]
    moved = client.post(
        "/public/appointments/reschedule", json={"token": other_token, "starts_at": new_start}
    )
    assert moved.status_code == 200, moved.text
    with _session(app) as session:
        appointment = session.get(Appointment, theirs.appointment_id)
        assert appointment.starts_at == datetime.fromisoformat(new_start)
        assert session.get(Appointment, mine.appointment_id).status == "confirmed"


def test_approval_mode_waits_for_one_click(app, client, db_url):
    with _session(app) as session:
        dealer = make_dealer(session, stock=1, mode="approval")
        _, vehicle = make_car(session, dealer)
        session.commit()
    raise_alerts(db_url, [vehicle.vin])
    assert _drain(app) == 1
    headers = auth_headers(client, dealer.advisor)
    listed = client.get("/proactive/proposals", params={"status": "proposed"}, headers=headers)
    (proposal,) = listed.json()["items"]
    assert proposal["suggested_starts_at"] and proposal["appointment_id"] is None
    accepted = client.post(f"/proactive/proposals/{proposal['id']}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "booked" and accepted.json()["appointment_id"]
    again = client.post(f"/proactive/proposals/{proposal['id']}/accept", headers=headers)
    assert again.status_code == 409


def test_a_cleared_alert_tells_the_advisor_and_withdrawing_releases_everything(app, client, db_url):
    dealer, _, vehicle, proposal = _booked_car(app, db_url)
    clear_alerts(db_url, [vehicle.vin])
    assert _drain(app) == 1
    with _session(app) as session:
        card = session.scalar(
            select(FeedEvent).where(FeedEvent.vin == vehicle.vin, FeedEvent.kind == "alert_cleared")
        )
        assert card.data["appointment_id"] == proposal.appointment_id
    headers = auth_headers(client, dealer.advisor)
    body = {"reason": "battery recovered after a long drive"}
    answer = client.post(f"/proactive/proposals/{proposal.id}/withdraw", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    with _session(app) as session:
        assert session.get(Appointment, proposal.appointment_id).status == "cancelled"
        assert session.get(WorkOrder, proposal.work_order_id).status == "cancelled"
        stock = parts_service.availability(
            session, actor=SystemActor(dealer.store.id), part_id=dealer.part.id
        )
        assert stock.reserved == 0 and stock.available == 2


def test_policy_is_the_managers(app, client):
    with _session(app) as session:
        dealer = make_dealer(session)
        session.commit()
    params = {"store_id": dealer.store.id}
    body = {"mode": "approval", "rules": [{"severity": "major", "action": "immediate"}]}
    advisor = auth_headers(client, dealer.advisor)
    assert (
        client.put("/proactive/policy", params=params, json=body, headers=advisor).status_code
        == 403
    )
    manager = auth_headers(client, dealer.manager)
    saved = client.put("/proactive/policy", params=params, json=body, headers=manager)
    assert saved.status_code == 200 and saved.json()["mode"] == "approval"
    read = client.get("/proactive/policy", params=params, headers=advisor).json()
    (rule,) = read["rules"]
    assert (rule["severity"], rule["action"], rule["failure_mode"]) == ("major", "immediate", None)
    bad = {"rules": [{"severity": "major", "action": "explode"}]}
    assert (
        client.put("/proactive/policy", params=params, json=bad, headers=manager).status_code == 422
    )


def test_delivery_labels_diagnostics_and_a_return_is_a_comeback(app, client, db_url):
    dealer, _, vehicle, proposal = _booked_car(app, db_url)
    with _session(app) as session:
        # The service flow to delivery is tested in the service tests; here only its end state.
        session.execute(
            text("""UPDATE work_orders SET status = 'delivered', delivered_at = now(),
            outcome = 'confirmed_cause', outcome_code = 'battery_aging' WHERE id = :id"""),
            {"id": proposal.work_order_id},
        )
        assert closing.close_delivered(session) == 1
        session.commit()
    with connect(db_url) as conn:
        label = conn.execute(
            "SELECT failure_mode, outcome FROM training_labels WHERE vin = %s", (vehicle.vin,)
        ).fetchone()
    assert label == ("battery", "confirmed")
    clear_alerts(db_url, [vehicle.vin])
    raise_alerts(db_url, [vehicle.vin])
    assert _drain(app) == 2
    with _session(app) as session:
        first = session.get(Proposal, proposal.id)
        assert first.status == "completed" and first.comeback
        assert (
            session.scalar(
                select(Proposal.status).where(
                    Proposal.vin == vehicle.vin, Proposal.id != proposal.id
                )
            )
            == "booked"
        )
    today = store_today()
    kpi = client.get(
        "/proactive/kpi/first-time-fix",
        params={"store_id": dealer.store.id, "date_from": str(today - timedelta(days=1)),
                "date_to": str(today + timedelta(days=1))},
        headers=auth_headers(client, dealer.manager),
    ).json()  # fmt: skip
    assert kpi["delivered"] == 1 and kpi["comebacks"] == 1 and kpi["first_time_fix_rate"] == 0


def test_a_car_due_by_mileage_gets_one_reminder(app, db_url):
    with _session(app) as session:
        dealer = make_dealer(session)
        customer, vehicle = make_car(session, dealer, email="due@example.com", consents=EMAIL)
        vehicle.odometer_km = 7400.0  # within the reminder margin of 7,500 km
        session.commit()
    with _session(app) as session:
        assert reminders.run_reminders(session) >= 1
        session.commit()
    with _session(app) as session:
        assert reminders.run_reminders(session) == 0
        reminder = session.scalar(select(Proposal).where(Proposal.vin == vehicle.vin))
        assert reminder.kind == "reminder" and reminder.status == "proposed"
        note = session.scalar(select(Notification).where(Notification.customer_id == customer.id))
        assert note.kind == "service_reminder"


def test_the_default_policy_is_saved_for_a_store_without_one(app):
    with _session(app) as session:
        dealer = make_dealer(session)
        session.execute(text("DELETE FROM proactive_policies WHERE store_id = :s"),
                        {"s": dealer.store.id})  # fmt: skip
        from api.proactive.policy import policy_of, triage

        policy = policy_of(session, store_id=dealer.store.id)
        assert policy.mode == "auto"
        stale = {"failure_mode": "stale", "severity": "warning", "explanation": {}}
        assert triage(policy.rules, stale).action == "ignore"
        reasons = {"dtc:P0217": {"kind": "dtc", "code": "P0217"}}
        hot = {"failure_mode": "cooling", "severity": "major", "explanation": {"reasons": reasons}}
        assert triage(policy.rules, hot).action == "immediate"
        assert session.scalar(
            select(TriagePolicy.id).where(TriagePolicy.store_id == dealer.store.id)
        )
        session.rollback()
    assert datetime.now(UTC)


def test_a_message_that_could_not_be_delivered_reaches_the_advisor_feed(app, client, db_url):
    dealer, customer, _, proposal = _booked_car(app, db_url)
    with _session(app) as session:
        # Giving up after the retries is the notifications' own test; here only its end state.
        session.execute(
            text("""UPDATE notification_deliveries SET status = 'gave_up',
            last_error = 'mailbox unavailable' WHERE customer_id = :c AND channel = 'email'"""),
            {"c": customer.id},
        )
        assert feed.report_failed_deliveries(session) == 1
        assert feed.report_failed_deliveries(session) == 0
        session.commit()
    items = client.get("/feed", headers=auth_headers(client, dealer.advisor)).json()["items"]
    failed = [i for i in items if i["event"] == "notification_failed"]
    assert failed and failed[0]["data"]["appointment_id"] == proposal.appointment_id
    assert failed[0]["data"]["channel"] == "email"


def test_an_alert_of_unknown_cause_books_a_diagnosis_and_reserves_no_parts(app, db_url):
    with _session(app) as session:
        dealer = make_dealer(session, stock=2)
        scan = make_operation(session, dealer.group, code="DTC-SCAN", hours="0.5",
                              skill="electrical", bay_kind=None)  # fmt: skip
        policy = session.scalar(
            select(TriagePolicy).where(TriagePolicy.store_id == dealer.store.id)
        )
        policy.rules = list(DEFAULT_RULES)
        _, vehicle = make_car(session, dealer)
        session.commit()
    signal = {"feature": "ltft_mean_1d", "value": 14.0, "baseline_mean": 1.0, "z": 6.5}
    reasons = {"model:failure_predictor:anomaly": {
        "kind": "model", "model": "failure_predictor", "version": 1, "fault": None,
        "probability": None, "cause": "unknown", "score": 0.71, "signals": [signal]}}  # fmt: skip
    with connect(db_url) as conn:
        found = Raise(vehicle.vin, "anomaly", "minor", None, "model", reasons, now_ms())
        alerts.apply(conn, [found])
        conn.commit()
    assert _drain(app) == 1
    with _session(app) as session:
        proposal = session.scalar(select(Proposal).where(Proposal.vin == vehicle.vin))
        assert proposal.status == "booked", proposal.status
        wo = session.get(WorkOrder, proposal.work_order_id)
        assert [line.operation_id for line in wo.labour] == [scan.id]
        assert wo.parts == [], "no guessed repair kit"
        assert "cause unknown" in wo.evidence["reasons_en"][0]
