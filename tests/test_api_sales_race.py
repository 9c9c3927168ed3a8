"""The same car cannot be sold twice: allocations racing on real PostgreSQL transactions."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from api.audit.models import StateTransition
from api.auth.roles import Role
from api.auth.service import scope_of
from api.errors import Conflict
from api.sales import service
from api.sales.models import Lead, Quote, SalesOrder, StockVehicle
from api.sales.states import LEAD_FLOW
from tests.factories import (
    auth_headers,
    make_customer,
    make_group,
    make_store,
    make_user,
    store_today,
)
from tests.factories.sales import make_sales_model, make_stock

RACERS = 6  # concurrent requests for one car


@pytest.fixture(scope="module")
def world(app):
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        store = make_store(session, group)
        return {
            "store": store,
            "model": make_sales_model(session, group),
            "sales": make_user(session, group, Role.sales_consultant, stores=[store]),
        }


def _ordered_leads(app, world, count: int) -> list[int]:
    """Leads that each hold a signed order for the same model, built straight in the tables."""
    ids = []
    with app.state.session_factory.begin() as session:
        for _ in range(count):
            customer = make_customer(session, world["store"])
            lead = Lead(
                store_id=world["store"].id,
                customer_id=customer.id,
                consultant_id=world["sales"].id,
                source="walk_in",
            )
            LEAD_FLOW.start(session, entity=lead, actor_id=None)
            quote = Quote(
                store_id=lead.store_id,
                lead_id=lead.id,
                model_id=world["model"].id,
                vehicle_price=Decimal("209900"),
                options_price=Decimal(0),
                discount=Decimal(0),
                trade_in_value=Decimal(0),
                total=Decimal("209900"),
                valid_until=store_today(),
            )
            session.add(quote)
            session.flush()
            LEAD_FLOW.apply(session, entity=lead, to="quote", actor_id=None)
            session.add(
                SalesOrder(
                    store_id=lead.store_id,
                    lead_id=lead.id,
                    quote_id=quote.id,
                    customer_id=customer.id,
                    model_id=world["model"].id,
                    price=Decimal("209900"),
                    discount=Decimal(0),
                    trade_in_value=Decimal(0),
                    deposit=Decimal("5000"),
                )
            )
            session.flush()
            LEAD_FLOW.apply(session, entity=lead, to="order", actor_id=None)
            ids.append(lead.id)
    return ids


def _car(app, world) -> StockVehicle:
    with app.state.session_factory.begin() as session:
        return make_stock(session, world["store"], world["model"])


def _holders(app, car_id: int) -> list[int]:
    with app.state.session_factory() as session:
        return list(
            session.scalars(select(SalesOrder.lead_id).where(SalesOrder.stock_vehicle_id == car_id))
        )


def _wait_until_someone_waits_for_a_lock(app, attempts: int = 200) -> None:
    with app.state.engine.connect() as conn:
        for _ in range(attempts):
            if conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                return
            time.sleep(0.05)
    raise AssertionError("the second allocation never waited for the first one's row lock")


def test_second_allocation_waits_for_the_first_and_is_refused_with_the_holder(app, world):
    first_lead, second_lead = _ordered_leads(app, world, 2)
    car = _car(app, world)
    factory = app.state.session_factory
    outcome: dict[str, object] = {}

    first = factory()
    scope = scope_of(first, user=first.get(type(world["sales"]), world["sales"].id))
    order = service.allocate(first, actor=scope, actor_id=None, lead_id=first_lead, vin=car.vin)

    def second() -> None:
        with factory() as session:
            try:
                service.allocate(
                    session, actor=scope, actor_id=None, lead_id=second_lead, vin=car.vin
                )
                session.commit()
                outcome["second"] = "allocated"
            except Conflict as error:
                outcome["second"] = error

    thread = threading.Thread(target=second)
    thread.start()
    _wait_until_someone_waits_for_a_lock(app)  # the second is queued behind the first's lock
    first.commit()
    first.close()
    thread.join(timeout=30)
    refused = outcome["second"]
    assert isinstance(refused, Conflict), refused
    assert refused.status_code == 409
    assert refused.params["status"] == "reserved"
    assert refused.params["order_id"] == order.id
    assert "held by order" in refused.message("en")
    assert _holders(app, car.id) == [first_lead]
    with factory() as session:
        assert session.get(Lead, second_lead).status == "order"  # nothing changed for the loser


def test_racing_http_requests_one_wins_the_others_get_409(app, world):
    leads = _ordered_leads(app, world, RACERS)
    car = _car(app, world)
    with TestClient(app) as client:
        headers = auth_headers(client, world["sales"], **{"Accept-Language": "en"})
    start = threading.Barrier(RACERS)
    answers: dict[int, object] = {}

    def racer(lead_id: int) -> None:
        client = TestClient(app)
        start.wait()
        answers[lead_id] = client.post(
            f"/sales/leads/{lead_id}/allocation", json={"vin": car.vin}, headers=headers
        )

    threads = [threading.Thread(target=racer, args=(lead_id,)) for lead_id in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [200] + [409] * (RACERS - 1)
    (winner,) = [lead for lead, a in answers.items() if a.status_code == 200]
    for lead, answer in answers.items():
        if lead != winner:
            assert f"VIN {car.vin} is not available" in answer.json()["message"]
    assert _holders(app, car.id) == [winner]
    with app.state.session_factory() as session:
        assert session.get(StockVehicle, car.id).status == "reserved"
        reservations = session.scalar(
            select(func.count())
            .select_from(StateTransition)
            .where(
                StateTransition.entity_type == "sales_stock",
                StateTransition.entity_id == car.id,
                StateTransition.to_state == "reserved",
            )
        )
        assert reservations == 1
        statuses = set(session.scalars(select(Lead.status).where(Lead.id.in_(leads))))
        assert statuses == {"allocated", "order"}


def test_the_unique_key_refuses_a_second_holder_that_bypasses_the_service(app, world):
    first_lead, second_lead = _ordered_leads(app, world, 2)
    car = _car(app, world)
    with app.state.session_factory() as session:
        for lead_id in (first_lead, second_lead):
            order = session.scalar(select(SalesOrder).where(SalesOrder.lead_id == lead_id))
            order.stock_vehicle_id = car.id
        with pytest.raises(IntegrityError, match="uq_sales_orders_stock_vehicle_id"):
            session.flush()
        session.rollback()
