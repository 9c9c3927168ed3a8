"""End to end: a simulated car with a failing battery streams through the real pipeline
(edge agents → broker → ingest → diagnostics scoring → the proactive worker), and then all of
this happens: an alert; an appointment with a skilled technician and a bay; a draft work order
with a reserved battery; an email at a real SMTP server; a Web Push request that decrypts with
the browser's key; and a card on the advisor's SSE feed."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from sqlalchemy import select

from api.auth.roles import Role
from api.main import create_app
from api.notifications.models import QuietHours
from api.notifications.vapid import new_private_key
from api.proactive.models import Proposal
from api.proactive.worker import Worker, WorkerConfig
from api.work_orders.models import WorkOrder
from api.workshop.models import Appointment, Bay, Technician
from simulators.fleet import Fleet
from tests.diag_support import scorer
from tests.factories import make_user, settings_for_tests
from tests.ingest_support import config, running, wait_for
from tests.notifications_support import (
    Browser,
    Mailbox,
    free_port,
    push_endpoint,
    smtp_server,
)
from tests.proactive_support import make_car, make_dealer

DAYS = 3.0  # simulated history: the battery fault develops inside it
RUN_S = 20.0  # real seconds the fleet drives (the alert came after about 12 s when measured)
WAIT_S = 90.0  # for each outcome after the drive (a slow machine scores more slowly)
SCORE_PAUSE_S = 0.2


class Server(uvicorn.Server):
    """uvicorn in a thread, for the SSE stream (a real HTTP connection)."""

    def install_signal_handlers(self) -> None:
        pass


def _serve(app, port: int) -> tuple[Server, threading.Thread]:
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=15, what="the API to start")
    return server, thread


def _read_feed(url: str, token: str, seen: list[dict], stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": "0"}
    client = httpx.Client(timeout=httpx.Timeout(5, read=None))
    with client, client.stream("GET", f"{url}/feed/stream", headers=headers) as response:
        event: dict = {}
        for line in response.iter_lines():
            if line.startswith("event: "):
                event["event"] = line[7:]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif not line and event:
                seen.append(event)
                event = {}
            if stop.is_set():
                return


def _quiet_elsewhere(now: datetime) -> tuple:
    # Quiet hours that do not cover the test, whenever it runs (the store is in Shanghai).
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    start = (local + timedelta(hours=3)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=4)).time().replace(second=0, microsecond=0)
    return start, end


def test_a_failing_battery_becomes_a_visit_a_message_and_a_feed_card(db_url, own_broker, tmp_path):
    fleet = Fleet(
        cars=2, mqtt_url=own_broker.url, workdir=tmp_path / "fleet", speed=DAYS * 86_400 / RUN_S,
        start_days_ago=DAYS, faults="battery:1", seed=5,
    )  # fmt: skip
    sick = next(m.car.vin for m in fleet.members if m.fault is not None)
    healthy = next(m.car.vin for m in fleet.members if m.fault is None)
    mailbox = Mailbox()
    with smtp_server(mailbox) as smtp_url, push_endpoint() as push:
        settings = settings_for_tests(
            db_url, smtp_url=smtp_url, vapid_private_key=new_private_key(),
            vapid_subject="mailto:service@example.com", push_allowed_hosts=["127.0.0.1"],
        )  # fmt: skip
        app = create_app(settings)
        browser = Browser(endpoint=f"{push.url}/push/abc")
        with app.state.session_factory() as session:
            dealer = make_dealer(session, stock=2)
            customer, vehicle = make_car(
                session, dealer, email="li.na@example.com",
                consents={"email": True, "web_push": True, "in_app": True},
            )  # fmt: skip
            vehicle.vin = sick
            _, other = make_car(session, dealer)
            other.vin = healthy
            start, end = _quiet_elsewhere(datetime.now(UTC))
            session.add(QuietHours(store_id=dealer.store.id, quiet_start=start, quiet_end=end))
            customer_user = make_user(session, dealer.group, Role.customer, customer=customer)
            session.commit()
        port = free_port()
        server, server_thread = _serve(app, port)
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(
            f"{base}/auth/token", data={"username": customer_user.username,
                                        "password": "test-password-1"}
        ).json()  # fmt: skip
        subscribed = httpx.post(
            f"{base}/notifications/push/subscriptions",
            json=browser.subscription(),
            headers={"Authorization": f"Bearer {login['access_token']}"},
        )
        assert subscribed.status_code == 201, subscribed.text
        advisor = httpx.post(
            f"{base}/auth/token", data={"username": dealer.advisor.username,
                                        "password": "test-password-1"}
        ).json()  # fmt: skip
        cards: list[dict] = []
        stop = threading.Event()
        reader = threading.Thread(
            target=_read_feed, args=(base, advisor["access_token"], cards, stop), daemon=True
        )
        reader.start()
        score = scorer(db_url)
        worker = Worker(settings, WorkerConfig(threads=2, dispatch_s=0.3, poll_s=0.5))
        worker_thread = threading.Thread(target=worker.run, daemon=True)
        worker_thread.start()

        def scoring() -> None:
            while not stop.is_set():
                score.step()
                stop.wait(SCORE_PAUSE_S)

        scoring_thread = threading.Thread(target=scoring, daemon=True)
        scoring_thread.start()
        try:
            with running(config(db_url, own_broker.url)):
                fleet.run(RUN_S)
                proposal = wait_for(
                    lambda: _booked(app, sick), timeout=WAIT_S, what="a booked visit for the car"
                )
            with app.state.session_factory() as session:
                appointment = session.get(Appointment, proposal.appointment_id)
                technician = session.get(Technician, appointment.technician_id)
                bay = session.get(Bay, appointment.bay_id)
                assert "electrical" in technician.skills and technician.store_id == dealer.store.id
                assert bay.kind == "quick" and appointment.status == "booked"
                assert appointment.starts_at <= proposal.due_by
                wo = session.get(WorkOrder, proposal.work_order_id)
                assert wo.status == "booked" and wo.appointment_id == appointment.id
                assert [(p.part_id, p.status) for p in wo.parts] == [(dealer.part.id, "reserved")]
                assert wo.evidence["alert_id"] == proposal.alert_id and wo.evidence["reasons_zh"]
            mail = wait_for(lambda: mailbox.messages, timeout=WAIT_S, what="the email")[0]
            assert mail["To"] == "li.na@example.com"
            text = mail.get_body(preferencelist=("plain",)).get_content()
            assert "/public/appointments/confirm?token=" in text
            request = wait_for(lambda: push.requests, timeout=WAIT_S, what="the push request")[0]
            payload = browser.decrypt(request["body"])
            assert "confirm" in json.dumps(payload, ensure_ascii=False)
            card = wait_for(
                lambda: [c for c in cards if c.get("event") == "appointment_booked"],
                timeout=WAIT_S, what="the feed card",
            )[0]  # fmt: skip
            assert card["data"]["vin"] == sick
            assert card["data"]["appointment_id"] == proposal.appointment_id
        finally:
            stop.set()
            worker.stop.set()
            worker_thread.join(30)
            scoring_thread.join(30)
            score.close()
            server.should_exit = True
            server_thread.join(15)


def _booked(app, vin: str) -> Proposal | None:
    with app.state.session_factory() as session:
        return session.scalar(
            select(Proposal).where(Proposal.vin == vin, Proposal.status == "booked")
        )
