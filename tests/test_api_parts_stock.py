"""Parts stock on real PostgreSQL: quantities derived from the ledger, FEFO picking,
reservations and issues, transfers, and no negative stock when requests race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from api.audit.models import StateTransition
from api.auth.actor import SystemActor
from api.auth.roles import Role
from api.errors import Conflict, DomainError
from api.parts import service
from api.parts.ledger import quantities, today
from api.parts.models import Lot, Reservation, StockMove
from tests.factories import auth_headers, make_customer, make_group, make_store, make_user
from tests.factories.parts import make_part, make_warehouse, stock_in

EN = {"Accept-Language": "en"}
THREADS = 10


@pytest.fixture(scope="module")
def world(app):
    """A group with two stores, a warehouse each, an HQ warehouse, and staff."""
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        a, b = make_store(session, group, name="浦东"), make_store(session, group, name="闵行")
        customer = make_customer(session, a)
        world = {
            "group": group,
            "a": a,
            "b": b,
            "wa": make_warehouse(session, group, store=a),
            "wb": make_warehouse(session, group, store=b),
            "hq": make_warehouse(session, group),
            "clerk": make_user(session, group, Role.parts_clerk, stores=[a]),
            "advisor": make_user(session, group, Role.service_advisor, stores=[a]),
            "tech": make_user(session, group, Role.technician, stores=[a]),
            "sales": make_user(session, group, Role.sales_consultant, stores=[a]),
            "customer": make_user(session, group, Role.customer, customer=customer),
        }
    return world


def _new(app, world, *, kind="standard", stock=(), where="wa"):
    """A part with lots: stock is a list of (quantity, days_to_expiry or None)."""
    with app.state.session_factory.begin() as session:
        part = make_part(session, world["group"], kind=kind)
        for quantity, days in stock:
            expires = today() + timedelta(days=days) if days is not None else None
            stock_in(session, world[where], part, quantity, expires_on=expires)
    return part


def _qty(app, world, part, where="wa"):
    with app.state.session_factory() as session:
        return quantities(session, warehouse_id=world[where].id, part_id=part.id)


def test_quantities_are_derived_from_the_ledger(app, client, world):
    part = _new(app, world, stock=[(10, None)])
    with app.state.session_factory.begin() as session:
        held = service.reserve(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            quantity=3,
            reference_type="work_order_line",
            reference_id=1,
        )
        service.issue_reservation(
            session, actor=SystemActor(world["a"].id), reservation_id=held.id, quantity=2
        )
        lot_id = session.scalar(select(Lot.id).where(Lot.part_id == part.id))
        service.scrap(
            session,
            actor=SystemActor(world["a"].id),
            warehouse_id=world["wa"].id,
            lot_id=lot_id,
            quantity=1,
            reason="包装破损",
        )
    found = _qty(app, world, part)
    assert (found.on_hand, found.reserved, found.available) == (7, 1, 6)
    with app.state.session_factory() as session:
        kinds = session.execute(
            select(StockMove.kind, StockMove.quantity)
            .where(StockMove.part_id == part.id)
            .order_by(StockMove.id)
        ).all()
    assert kinds == [("receipt", 10), ("issue", -2), ("scrap", -1)]
    response = client.get(
        "/parts/stock",
        params={"part_id": part.id},
        headers=auth_headers(client, world["tech"]),
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["items"]
    assert (row["on_hand"], row["reserved"], row["available"]) == (7, 1, 6)


def test_fefo_picks_first_expiring_lot_and_never_an_expired_one(app, world):
    part = _new(app, world, kind="fluid", stock=[(5, -1), (4, 200), (3, 30)])
    found = _qty(app, world, part)
    assert (found.on_hand, found.expired, found.available) == (12, 5, 7)
    with app.state.session_factory.begin() as session:
        held = service.reserve(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            quantity=5,
            reference_type="work_order_line",
            reference_id=2,
        )
        moves = service.issue_reservation(
            session, actor=SystemActor(world["a"].id), reservation_id=held.id
        )
        picked = [(session.get(Lot, m.lot_id).expires_on, m.quantity) for m in moves]
        assert session.get(Reservation, held.id).status == "issued"
    assert picked == [(today() + timedelta(days=30), -3), (today() + timedelta(days=200), -2)]
    with app.state.session_factory() as session, pytest.raises(Conflict) as refused:
        service.reserve(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            quantity=3,
            reference_type="work_order_line",
            reference_id=3,
        )
    assert refused.value.params["available"] == "2"


def test_issue_refuses_stock_that_expired_after_it_was_reserved(app, world):
    part = _new(app, world, kind="battery", stock=[(2, 10)])
    with app.state.session_factory.begin() as session:
        held = service.reserve(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            quantity=2,
            reference_type="work_order_line",
            reference_id=4,
        )
        session.execute(
            update(Lot).where(Lot.part_id == part.id).values(expires_on=today() - timedelta(days=1))
        )
    with app.state.session_factory() as session, pytest.raises(Conflict) as refused:
        service.issue_reservation(session, actor=SystemActor(world["a"].id), reservation_id=held.id)
    assert refused.value.params["usable"] == "0"
    assert _qty(app, world, part).on_hand == 2  # nothing was booked


def test_partial_issue_release_and_return_are_ledgered_and_audited(app, world):
    part = _new(app, world, stock=[(6, None)])
    store = SystemActor(world["a"].id)
    with app.state.session_factory.begin() as session:
        held = service.reserve(
            session,
            actor=store,
            part_id=part.id,
            quantity=4,
            reference_type="work_order_line",
            reference_id=5,
        )
        service.issue_reservation(session, actor=store, reservation_id=held.id, quantity=1)
        assert held.status == "active" and held.issued_quantity == 1
        service.release(session, actor=store, reservation_id=held.id, reason="客户取消")
        service.return_issued(
            session, actor=store, reservation_id=held.id, quantity=1, reason="未使用"
        )
        with pytest.raises(DomainError):
            service.return_issued(
                session, actor=store, reservation_id=held.id, quantity=1, reason="x"
            )
    found = _qty(app, world, part)
    assert (found.on_hand, found.reserved, found.available) == (6, 0, 6)
    with app.state.session_factory() as session:
        steps = session.execute(
            select(StateTransition.from_state, StateTransition.to_state, StateTransition.reason)
            .where(StateTransition.entity_type == "part_reservation")
            .where(StateTransition.entity_id == held.id)
            .order_by(StateTransition.id)
        ).all()
        with pytest.raises(Conflict):
            service.issue_reservation(session, actor=store, reservation_id=held.id)
    assert steps == [(None, "active", None), ("active", "released", "客户取消")]


def test_transfer_from_hq_keeps_lots_and_expiry(app, world):
    part = _new(app, world, kind="tyre", stock=[(4, 400), (4, 700)], where="hq")
    with app.state.session_factory.begin() as session:
        moves = service.transfer(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            from_warehouse_id=world["hq"].id,
            to_warehouse_id=world["wa"].id,
            quantity=6,
            reason="门店补货",
        )
        assert len({m.transfer_ref for m in moves}) == 1
    assert _qty(app, world, part, "hq").on_hand == 2
    assert _qty(app, world, part, "wa").on_hand == 6
    with app.state.session_factory() as session:
        rows = session.execute(
            select(Lot.expires_on, func.sum(StockMove.quantity))
            .join(StockMove, StockMove.lot_id == Lot.id)
            .where(StockMove.warehouse_id == world["wa"].id, Lot.part_id == part.id)
            .group_by(Lot.expires_on)
            .order_by(Lot.expires_on)
        ).all()
    assert rows == [(today() + timedelta(days=400), 4), (today() + timedelta(days=700), 2)]


def test_stock_below_reservations_or_zero_is_refused(app, client, world):
    part = _new(app, world, stock=[(3, None)])
    with app.state.session_factory.begin() as session:
        service.reserve(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            quantity=2,
            reference_type="work_order_line",
            reference_id=6,
        )
        lot_id = session.scalar(select(Lot.id).where(Lot.part_id == part.id))
    headers = auth_headers(client, world["clerk"], **EN)
    body = {"warehouse_id": world["wa"].id, "lot_id": lot_id, "quantity": -2, "reason": "盘亏"}
    response = client.post("/parts/stock/adjustments", json=body, headers=headers)
    assert response.status_code == 409, response.text
    assert "only 1 available" in response.json()["message"]
    body["quantity"] = -1
    assert client.post("/parts/stock/adjustments", json=body, headers=headers).status_code == 201
    assert _qty(app, world, part).available == 0


def _race(app, jobs):
    """Run each job in its own thread and session, all released at once; returns outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = [""] * len(jobs)

    def run(index, job):
        with app.state.session_factory() as session:
            barrier.wait(timeout=30)
            try:
                job(session)
                session.commit()
                outcomes[index] = "ok"
            except Conflict:
                session.rollback()
                outcomes[index] = "refused"

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_ten_threads_reserving_the_last_three_units_exactly_three_win(app, world):
    part = _new(app, world, stock=[(3, None)])

    def job(session):
        service.reserve(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            quantity=1,
            reference_type="work_order_line",
            reference_id=100,
        )

    outcomes = _race(app, [job] * THREADS)
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == THREADS - 3
    found = _qty(app, world, part)
    assert (found.reserved, found.available) == (3, 0)


def test_racing_scrap_and_reservations_never_go_negative(app, world):
    part = _new(app, world, stock=[(3, None)])
    with app.state.session_factory() as session:
        lot_id = session.scalar(select(Lot.id).where(Lot.part_id == part.id))

    def reserve(session):
        service.reserve(
            session,
            actor=SystemActor(world["a"].id),
            part_id=part.id,
            quantity=1,
            reference_type="work_order_line",
            reference_id=101,
        )

    def scrap(session):
        service.scrap(
            session,
            actor=SystemActor(world["a"].id),
            warehouse_id=world["wa"].id,
            lot_id=lot_id,
            quantity=1,
            reason="破损",
        )

    outcomes = _race(app, [reserve, scrap] * (THREADS // 2))
    assert outcomes.count("ok") == 3
    found = _qty(app, world, part)
    assert found.on_hand >= 0 and found.available == 0
    assert found.on_hand - found.reserved == 0


def test_roles_read_reserve_and_write_as_allowed(app, client, world):
    part = _new(app, world, stock=[(5, None)])
    reserve = {
        "part_id": part.id,
        "quantity": 1,
        "reference_type": "work_order_line",
        "reference_id": 7,
    }
    tech, advisor = auth_headers(client, world["tech"]), auth_headers(client, world["advisor"])
    assert client.get("/parts/stock", headers=tech).status_code == 200
    assert client.post("/parts/reservations", json=reserve, headers=tech).status_code == 403
    made = client.post("/parts/reservations", json=reserve, headers=advisor)
    assert made.status_code == 201, made.text
    issue = f"/parts/reservations/{made.json()['id']}/issue"
    assert client.post(issue, json={}, headers=advisor).status_code == 403
    assert (
        client.post(issue, json={}, headers=auth_headers(client, world["clerk"])).status_code == 200
    )
    for outsider in ("customer", "sales"):
        headers = auth_headers(client, world[outsider], **EN)
        assert client.get("/parts/stock", headers=headers).status_code == 403
        assert client.get("/parts/catalogue", headers=headers).status_code == 403


def test_store_staff_cannot_touch_another_stores_warehouse(app, client, world):
    part = _new(app, world, stock=[(2, None)], where="wb")
    headers = auth_headers(client, world["clerk"], **EN)
    body = {
        "part_id": part.id,
        "quantity": 1,
        "reference_type": "work_order_line",
        "reference_id": 8,
        "warehouse_id": world["wb"].id,
    }
    assert client.post("/parts/reservations", json=body, headers=headers).status_code == 404
    listed = client.get("/parts/stock", params={"part_id": part.id}, headers=headers).json()
    assert listed["total"] == 0
    assert _qty(app, world, part, "wb").reserved == 0


def test_bad_quantities_are_422s(client, world):
    headers = auth_headers(client, world["clerk"], **EN)
    for quantity in (0, -1, "abc", 1.0001):
        body = {"part_id": 1, "quantity": quantity, "reference_type": "x", "reference_id": 1}
        response = client.post("/parts/reservations", json=body, headers=headers)
        assert response.status_code == 422, (quantity, response.text)
