"""The permission matrix against the running app: every route, as every role of the seeded demo
group and as nobody, answers exactly what api/auth/policy.py says.

A role the route's rule does not name gets 403 and a caller without a token 401, both before
the body is read. A role the rule names gets past authorization into the route, with the ids of
records in its own reach (store SH-PD, the demo customer's own records, the demo technician's
job): a read answers 200, a write answers 422 to a body that is deliberately invalid, so that
nothing changes. The few other answers are listed below, each with its reason: EXCEPTIONS (a
record the role legitimately does not reach), NO_BODY (writes without a body to get wrong) and
PUBLIC (routes without sign-in, which check a link token of their own).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.alarms.models import BusinessAlarm
from api.auth.actor import SystemActor
from api.auth.models import Store, User
from api.auth.policy import ROUTES
from api.auth.roles import STAFF, Role
from api.crm.models import Customer, Vehicle
from api.feedback.models import Complaint, Survey
from api.forecasts.models import ForecastRun
from api.notifications.models import Notification, PushSubscription
from api.notifications.vapid import new_private_key
from api.parts.models import Part, Reservation, Warehouse
from api.proactive import links
from api.proactive.models import Proposal
from api.purchasing.models import PurchaseOrder, Supplier
from api.sales.models import ChecklistItem, SalesOrder, StockVehicle
from api.work_orders import estimates
from api.work_orders.models import Invoice, LabourLine, PartLine, WorkOrder
from api.workshop import booking
from api.workshop.models import Technician
from api.workshop.slots import find_slots
from demo.group import DEMO_STAFF
from demo.people import DEMO_CUSTOMER_USER, DEMO_PASSWORD
from demo.world import seed_demo
from tests.factories import make_vin
from tests.proactive_support import raise_alerts

Route = tuple[str, str]
ANONYMOUS = "anonymous"
CALLERS: tuple[str, ...] = (*(role.value for role in Role), ANONYMOUS)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
STORE = "SH-PD"  # where every demo staff user but the admin (all stores) and manager (both) works

# One demo login per role: the first demo user of each (advisor, not advisor.mh).
LOGINS = {role: username for username, _, role, _ in reversed(DEMO_STAFF)}
LOGINS[Role.customer] = DEMO_CUSTOMER_USER

# A JSON string where every route takes an object (or a list): invalid for every body of the
# API, also for PATCH bodies whose fields are all optional (an object with an unknown key would
# be a valid, empty update).
INVALID_BODY = json.dumps("__matrix__")

# What a role the rule names gets, where it is not 200 (read) or 422 (write): a record of that
# kind the role legitimately does not reach. Each is checked against the data by `Records`.
# The route's `records` in the policy must name the role's narrower reach ("technician: ...").
ANOTHER_TECHNICIANS_VISIT = (
    "another technician's visit: technicians reach only visits assigned to them"
)
EXCEPTIONS: dict[tuple[str, str, str], tuple[int, str]] = {
    ("GET", "/sales/orders/{order_id}", Role.customer.value): (
        404,
        "the demo customer bought no car: the store's sales order is someone else's",
    ),
    ("GET", "/service/appointments/{appointment_id}", Role.technician.value): (
        404,
        ANOTHER_TECHNICIANS_VISIT,
    ),
    ("GET", "/service/appointments/{appointment_id}/history", Role.technician.value): (
        404,
        ANOTHER_TECHNICIANS_VISIT,
    ),
}

# Writes without a body (so nothing to get wrong): what every role the rule names gets, and why
# sending it changes nothing another case reads.
NO_BODY: dict[Route, tuple[int, str]] = {
    ("POST", "/auth/logout"): (
        204,
        "ends every session of the caller: sent with a token of its own, then the caller signs in"
        " again",
    ),
    ("POST", "/feed/stream/ticket"): (200, "issues a single-use stream ticket, nothing else"),
    ("POST", "/alerts/{alert_id}/acknowledge"): (
        409,
        "the alert is acknowledged already (by the fixture)",
    ),
    ("POST", "/alarms/{alarm_id}/acknowledge"): (
        409,
        "the business alarm is acknowledged already (by the fixture)",
    ),
    ("POST", "/proactive/proposals/{proposal_id}/accept"): (409, "the proposal was withdrawn"),
    ("POST", "/service/work-orders/{work_order_id}/resume"): (409, "the job is not waiting"),
    ("POST", "/service/work-orders/{work_order_id}/issue-parts"): (
        409,
        "the job was delivered: no part is issued after that",
    ),
    ("POST", "/service/work-orders/{work_order_id}/estimates"): (
        409,
        "the job was delivered: estimates are made between diagnosis and the quality check",
    ),
    ("POST", "/service/work-orders/{work_order_id}/estimates/{version}/approve"): (
        200,
        "the version is approved already (by the fixture): approving again changes nothing",
    ),
    ("POST", "/notifications/inbox/{notification_id}/read"): (
        200,
        "marking a message read again changes nothing",
    ),
    ("POST", "/notifications/inbox/read-all"): (
        200,
        "the customer's messages read: reads still 200",
    ),
    ("DELETE", "/notifications/push/subscriptions/{subscription_id}"): (
        204,
        "only the customer may: the fixture's own subscription is deleted, once",
    ),
    ("POST", "/parts/reorder-proposal/orders"): (422, "its required warehouse_id is left out"),
}

# Routes without sign-in (authorize does not look at the token): what each caller gets, with real
# link tokens and, for writes, the invalid body. A caller not named gets the anonymous answer.
SIGNED_IN_ALIKE = "every caller alike"
PUBLIC: dict[Route, tuple[dict[str, int], str]] = {
    ("GET", "/health"): ({ANONYMOUS: 200}, SIGNED_IN_ALIKE),
    ("POST", "/auth/token"): ({ANONYMOUS: 422}, "the form is missing"),
    ("POST", "/auth/refresh"): ({ANONYMOUS: 422}, "the body is invalid"),
    ("GET", "/service/surveys/answer/{token}"): ({ANONYMOUS: 200}, "a real survey token"),
    ("POST", "/service/surveys/answer/{token}"): ({ANONYMOUS: 422}, "the body is invalid"),
    ("GET", "/public/appointments/confirm"): (
        {ANONYMOUS: 200},
        "a real link token; a second confirmation changes nothing",
    ),
    ("GET", "/public/appointments/reschedule"): ({ANONYMOUS: 200}, "a real link token"),
    ("POST", "/public/appointments/reschedule"): ({ANONYMOUS: 422}, "the body is invalid"),
    ("GET", "/notifications/push/public-key"): ({ANONYMOUS: 200}, "Web Push is configured"),
    # The event stream is public to authorize (EventSource cannot send a header, so it takes a
    # single-use ticket) but reads a bearer token itself: staff get their stream, a customer's
    # token is refused, and without a token or ticket it answers 401.
    ("GET", "/feed/stream"): (
        {ANONYMOUS: 401, Role.customer.value: 401} | {role.value: 200 for role in STAFF},
        "the route reads the bearer token itself",
    ),
}


def _public_status(route: Route, caller: str) -> int:
    statuses, _ = PUBLIC[route]
    return statuses.get(caller, statuses[ANONYMOUS])


def expected(route: Route, caller: str) -> tuple[int, str]:
    """The exact status the policy (and the tables above) give the caller on the route."""
    rule = ROUTES[route]
    if rule.public:
        return _public_status(route, caller), f"public route: {PUBLIC[route][1]}"
    if caller == ANONYMOUS:
        return 401, "no token"
    if caller not in rule.roles:
        return 403, f"role not in {sorted(rule.roles)}"
    if (*route, caller) in EXCEPTIONS:
        return EXCEPTIONS[(*route, caller)]
    if route in NO_BODY:
        return NO_BODY[route]
    if route[0] == "GET":
        return 200, "a read of a record in reach"
    return 422, "a deliberately invalid body"


def app_routes(app: FastAPI) -> dict[Route, APIRoute]:
    """Every (method, path) the app serves through an APIRoute, with its route."""
    found: dict[Route, APIRoute] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in route.methods:
                found[(method, route.path)] = route
    return found


# The web console's static files: served outside the API (no `authorize`, not in the OpenAPI
# document), so outside the policy. Any other route the policy does not name fails the test.
CONSOLE: frozenset[Route] = frozenset(
    {
        ("GET", "/console"),
        ("GET", "/console/"),
        ("GET", "/console/reference.json"),
        ("GET", "/console/{path:path}"),
    }
)


# -- the world -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings_overrides():
    """Web Push configured, so that its public key answers."""
    return {"vapid_private_key": new_private_key()}


def _one(session: Session, stmt, what: str) -> Any:
    """The first record (lowest id) the statement finds; the demo world must have one."""
    entity = stmt.column_descriptions[0]["entity"]
    found = session.scalars(stmt.order_by(entity.id).limit(1)).first()
    assert found is not None, f"the demo world has no {what}"
    return found


@dataclass
class Records:
    """Path and query values for every route: records in every role's reach."""

    paths: dict[str, Any] = field(default_factory=dict)  # by path parameter name
    by_route: dict[Route, dict[str, Any]] = field(default_factory=dict)  # where a name is ambiguous
    queries: dict[Route, dict[str, Any]] = field(default_factory=dict)

    def path_for(self, route: Route, names: list[str]) -> str:
        values = self.paths | self.by_route.get(route, {})
        missing = [name for name in names if name not in values]
        assert not missing, f"{route}: no value for path parameter(s) {missing}: add to Records"
        return route[1].format(**{name: values[name] for name in names})


def _live_records(
    session: Session, app: FastAPI, store: Store, customer: Customer, technician: Technician
) -> dict:
    """What the demo seeding leaves out: an appointment, an estimate, a proposal, a push
    subscription and telemetry of the demo customer's car."""
    vehicle = _one(
        session, select(Vehicle).where(Vehicle.owner_id == customer.id), "car of the customer"
    )
    now = datetime.now(UTC)
    found = find_slots(
        session,
        store_id=store.id,
        operations=["OIL-SVC"],
        earliest=now + timedelta(days=1),
        latest=now + timedelta(days=20),
    )
    # Another technician's visit: the demo technician does not reach it (EXCEPTIONS).
    slot = next((s for s in found.slots if s.technician_id != technician.id), None)
    assert slot is not None, "no free slot of another technician at the demo store"
    appointment = booking.book(
        session,
        actor=SystemActor(store.id),
        store_id=store.id,
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        operations=["OIL-SVC"],
        starts_at=slot.starts_at,
        technician_id=slot.technician_id,
        bay_id=slot.bay_id,
    )
    proposal = Proposal(
        store_id=store.id,
        kind="alert",
        source_ref="matrix:withdrawn",
        status="withdrawn",
        vin=vehicle.vin,
        failure_mode="battery",
        action="schedule",
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        due_by=now + timedelta(days=10),
    )
    subscription = PushSubscription(
        store_id=store.id,
        customer_id=customer.id,
        endpoint="https://push.example.test/matrix",
        p256dh="BPmatrix",
        auth="matrix",
    )
    # A business alarm of the store, acknowledged already, so acknowledging it changes nothing.
    alarm = BusinessAlarm(
        store_id=store.id,
        metric="service_volume",
        direction="drop",
        started_on=date(2026, 1, 5),
        detected_on=date(2026, 1, 11),
        expected=60.0,
        observed=42.0,
        size=-0.3,
        reason_en="service volume 30% below expected since 2026-01-05",
        reason_zh="进厂台次自2026-01-05起低于预期30%",
        state="acknowledged",
    )
    session.add_all([proposal, subscription, alarm])
    session.execute(
        text(
            'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, "values", online, '
            "stored_dtcs) VALUES (:vin, :ts, :ts, CAST(:v AS jsonb), true, '{}')"
        ),
        {"vin": vehicle.vin, "ts": now, "v": json.dumps({"COOLANT_TEMP": 90})},
    )
    session.flush()
    return {
        "vehicle": vehicle,
        "appointment": appointment,
        "proposal": proposal,
        "subscription": subscription,
        "alarm": alarm,
        "link": links.make_token(app.state.settings, appointment=appointment),
    }


def _records(session: Session, app: FastAPI) -> Records:
    store = _one(session, select(Store).where(Store.code == STORE), f"store {STORE}")
    user = _one(session, select(User).where(User.username == DEMO_CUSTOMER_USER), "customer login")
    customer = session.get(Customer, user.customer_id)
    technician = _one(
        session,
        select(Technician)
        .join(User, User.id == Technician.user_id)
        .where(User.username == LOGINS[Role.technician]),
        "technician record of the demo technician",
    )
    live = _live_records(session, app, store, customer, technician)
    # The demo customer's delivered job, done by the demo technician: every role reaches it.
    job = _one(
        session,
        select(WorkOrder).where(
            WorkOrder.store_id == store.id,
            WorkOrder.customer_id == customer.id,
            WorkOrder.technician_id == technician.id,
        ),
        "job of the demo customer done by the demo technician",
    )
    # An estimate approved already, so that approving it again changes nothing (NO_BODY).
    version = estimates.make_current(session, work_order=job, actor_id=None)
    estimates.approve(session, actor=SystemActor(store.id), work_order=job, version=version.version)
    labour = _one(session, select(LabourLine).where(LabourLine.work_order_id == job.id), "labour")
    # Parts lines are the parts desk's (no technician, no customer): any job of the store.
    part_line = _one(
        session,
        select(PartLine).join(WorkOrder).where(WorkOrder.store_id == store.id),
        "part line",
    )
    invoice = _one(session, select(Invoice).where(Invoice.work_order_id == job.id), "invoice")
    survey = _one(session, select(Survey).where(Survey.work_order_id == job.id), "survey")
    complaint = _one(session, select(Complaint).where(Complaint.store_id == store.id), "complaint")
    notification = _one(
        session, select(Notification).where(Notification.customer_id == customer.id), "message"
    )
    warehouse = _one(session, select(Warehouse).where(Warehouse.store_id == store.id), "warehouse")
    part = _one(session, select(Part), "part")
    # A sales order with its checklist: not the demo customer's (EXCEPTIONS).
    item = _one(session, select(ChecklistItem).where(ChecklistItem.store_id == store.id), "PDI")
    sales_order = session.get(SalesOrder, item.order_id)
    assert sales_order.customer_id != customer.id, "the demo customer has this order: EXCEPTIONS"
    stock = _one(session, select(StockVehicle).where(StockVehicle.store_id == store.id), "car")
    reservation = _one(
        session, select(Reservation).where(Reservation.warehouse_id == warehouse.id), "reservation"
    )
    purchase_order = _one(
        session, select(PurchaseOrder).where(PurchaseOrder.warehouse_id == warehouse.id), "PO"
    )
    supplier = _one(session, select(Supplier), "supplier")
    vin = live["vehicle"].vin
    today = date.today()
    period = {"date_from": (today - timedelta(days=90)).isoformat(), "date_to": today.isoformat()}
    records = Records(
        paths={
            "customer_id": customer.id,
            "vehicle_id": live["vehicle"].id,
            "vin": vin,
            "lead_id": sales_order.lead_id,
            "kind": item.kind,
            "code": item.code,
            "order_id": sales_order.id,
            "stock_id": stock.id,
            "part_id": part.id,
            "warehouse_id": warehouse.id,
            "reservation_id": reservation.id,
            "supplier_id": supplier.id,
            "technician_id": technician.id,
            "user_id": technician.user_id,
            "store_id": store.id,
            "appointment_id": live["appointment"].id,
            "work_order_id": job.id,
            "version": version.version,
            "invoice_id": invoice.id,
            "complaint_id": complaint.id,
            "proposal_id": live["proposal"].id,
            "notification_id": notification.id,
            "subscription_id": live["subscription"].id,
            "alarm_id": live["alarm"].id,
            "token": survey.token,
            "kpi": "csi",
        },
        queries={
            ("GET", "/telemetry/vehicles/{vin}/series"): {"signal": "COOLANT_TEMP"},
            ("GET", "/parts/stock/availability"): {
                "part_id": part.id,
                "warehouse_id": warehouse.id,
            },
            ("GET", "/parts/abc"): period,
            ("GET", "/parts/cost-report"): period,
            ("GET", "/parts/reorder-proposal"): {"warehouse_id": warehouse.id},
            ("GET", "/proactive/policy"): {"store_id": store.id},
            ("PUT", "/proactive/policy"): {"store_id": store.id},
            ("GET", "/proactive/kpi/first-time-fix"): {"store_id": store.id} | period,
            ("GET", "/alerts"): {"vin": vin},
            ("GET", "/forecasts/sales"): {"store_id": store.id},
            ("GET", "/forecasts/parts"): {"warehouse_id": warehouse.id},
            ("GET", "/forecasts/churn"): {"store_id": store.id},
            ("GET", "/public/appointments/confirm"): {"token": live["link"]},
            ("GET", "/public/appointments/reschedule"): {"token": live["link"]},
        },
    )
    for kind, warehouse_id in (("sales", None), ("parts", warehouse.id), ("churn", None)):
        session.add(ForecastRun(store_id=store.id, kind=kind, method="bare", backtest={},
                                warehouse_id=warehouse_id))  # fmt: skip
    for method, path in ROUTES:
        if path.startswith("/parts/purchase-orders/{order_id}"):
            records.by_route[(method, path)] = {"order_id": purchase_order.id}
        if "/labour/{line_id}" in path:
            records.by_route[(method, path)] = {"line_id": labour.id}
        if "/parts/{line_id}" in path:
            records.by_route[(method, path)] = {
                "work_order_id": part_line.work_order_id,
                "line_id": part_line.id,
            }
    return records


@pytest.fixture(scope="module")
def records(app, db_url) -> Records:
    """The demo group, seeded once, with what the matrix needs that seeding leaves out."""
    with app.state.session_factory.begin() as session:
        seed_demo(session, [make_vin()], customers=8)
    with app.state.session_factory.begin() as session:
        found = _records(session, app)
        vin = found.paths["vin"]
    raise_alerts(db_url, [vin])
    with app.state.engine.begin() as conn:
        found.paths["alert_id"] = conn.execute(
            text("UPDATE alerts SET acknowledged = true WHERE vin = :vin RETURNING id"),
            {"vin": vin},
        ).scalar_one()
    return found


class Callers:
    """One signed-in demo user per role (signed in again after it logged itself out)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.headers = {role.value: self.sign_in(role.value) for role in Role}
        self.headers[ANONYMOUS] = {}

    def sign_in(self, role: str) -> dict[str, str]:
        response = self.client.post(
            "/auth/token", data={"username": LOGINS[Role(role)], "password": DEMO_PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def callers(client, records) -> Callers:
    return Callers(client)


@pytest.fixture(scope="module")
def routes(app) -> dict[Route, APIRoute]:
    return app_routes(app)


# -- the tests -----------------------------------------------------------------------------------


def test_the_policy_names_every_route_of_the_app_and_no_other(routes):
    served = set(routes) - CONSOLE
    assert set(routes) >= CONSOLE, "the console's routes moved: update CONSOLE"
    hidden = {r for r in served if not routes[r].include_in_schema}
    assert not hidden, f"routes outside the OpenAPI document, unknown to this test: {hidden}"
    missing = sorted(served - set(ROUTES))
    stale = sorted(set(ROUTES) - served)
    assert (missing, stale) == ([], []), (
        f"routes of the app missing from api/auth/policy.py ROUTES: {missing}; "
        f"ROUTES naming no route of the app: {stale}"
    )


def test_the_tables_of_this_test_name_real_routes(routes):
    for route in [*NO_BODY, *PUBLIC, *((m, p) for m, p, _ in EXCEPTIONS)]:
        assert route in ROUTES, f"{route} is in a table of this test but not in ROUTES"
    for method, path, role in EXCEPTIONS:
        rule = ROUTES[(method, path)]
        assert role in rule.roles, f"{method} {path}: EXCEPTIONS lists {role}, not let in at all"
        why = EXCEPTIONS[(method, path, role)][1]
        assert f"{role}:" in rule.records, (
            f"{method} {path}: {role} reaches fewer records than the other roles ({why}), but"
            f" the policy's records say only {rule.records!r}"
        )
    assert set(PUBLIC) == {route for route, rule in ROUTES.items() if rule.public}
    no_body = {r for r, api in routes.items() if r[0] in WRITES and api.body_field is None}
    assert set(NO_BODY) == no_body - CONSOLE, "NO_BODY must list exactly the writes without body"


CASES = [
    pytest.param(route, caller, id=f"{route[0]} {route[1]}[{caller}]")
    for route in ROUTES
    for caller in CALLERS
]


def _send(client: TestClient, api: APIRoute, route: Route, records: Records, headers: dict):
    method, _ = route
    names = [name for name in api.param_convertors]
    url = records.path_for(route, names)
    kwargs: dict[str, Any] = {"headers": dict(headers), "params": records.queries.get(route, {})}
    if method in WRITES and api.body_field is not None:
        kwargs["content"] = INVALID_BODY
        kwargs["headers"]["Content-Type"] = "application/json"
    with client.stream(method, url, **kwargs) as response:
        streaming = response.headers.get("content-type", "").startswith("text/event-stream")
        body = "(an event stream)" if streaming else response.read().decode(errors="replace")
        return response.status_code, body


@pytest.mark.parametrize(("route", "caller"), CASES)
def test_the_route_answers_the_caller_as_the_policy_says(
    client, routes, records, callers, route, caller
):
    want, why = expected(route, caller)
    headers = callers.headers[caller]
    if route == ("POST", "/auth/logout") and caller != ANONYMOUS:
        headers = callers.sign_in(caller)  # a session of its own to end
    status, body = _send(client, routes[route], route, records, headers)
    if route == ("POST", "/auth/logout") and caller != ANONYMOUS:
        callers.headers[caller] = callers.sign_in(caller)  # every token was revoked
    rule = ROUTES[route]
    if not rule.public and caller in rule.roles:
        assert status not in (401, 403), f"{caller} is let in by the policy, got {status}: {body}"
    assert status == want, f"expected {want} ({why}), got {status}: {body[:400]}"
