"""The sales demo data: a catalogue, stock in both stores, every lead state, delivered cars
with believable margins on the board, and a second run that adds nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.auth.models import DealerGroup, Store, User
from api.crm.models import Vehicle
from api.sales.constants import LEAD_STATES, STOCK_STATES
from api.sales.models import Lead, SalesModel, SalesOrder, StockVehicle
from demo.people import DEMO_PASSWORD
from demo.sales import seed_sales
from demo.sales_data import CATALOGUE
from demo.world import seed_demo
from tests.factories import make_vin


@pytest.fixture(scope="module")
def seeded(app):
    with app.state.session_factory.begin() as session:
        seed_demo(session, [make_vin()], customers=12)


def test_catalogue_stock_and_every_state_are_there(app, seeded):
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(SalesModel)) == len(CATALOGUE)
        per_store = dict(
            session.execute(
                select(Store.code, func.count())
                .join(StockVehicle, StockVehicle.store_id == Store.id)
                .where(StockVehicle.status.in_(("in_warehouse", "in_showroom")))
                .group_by(Store.code)
            ).all()
        )
        assert set(per_store) == {"SH-PD", "SH-MH"} and min(per_store.values()) >= 10
        assert set(session.scalars(select(Lead.status).distinct())) == set(LEAD_STATES)
        assert set(session.scalars(select(StockVehicle.status).distinct())) == set(STOCK_STATES)
        sold = session.scalars(select(StockVehicle.vin).where(StockVehicle.status == "sold")).all()
        registered = session.scalar(
            select(func.count()).select_from(Vehicle).where(Vehicle.vin.in_(sold))
        )
        assert registered == len(sold) > 0  # after-sales knows every car sold
        delivered = session.scalars(
            select(SalesOrder).where(SalesOrder.delivered_at.is_not(None))
        ).all()
        assert all(o.delivered_at.date() <= date.today() for o in delivered)
        assert min(o.delivered_at.date() for o in delivered) < date.today() - timedelta(days=90)


def test_the_manager_board_shows_every_consultant_with_positive_margins(app, seeded):
    with TestClient(app) as client:
        token = client.post(
            "/auth/token", data={"username": "manager", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        board = client.get(
            "/sales/board",
            params={"period": "month", "date_from": str(date.today() - timedelta(days=200))},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    totals = {row["consultant_name"]: row for row in board["totals"]}
    assert {"李强", "陈晨", "刘洋", "黄蕾"} <= set(totals)
    units = sum(row["units"] for row in board["totals"])
    margin = sum(float(row["gross_margin"]) for row in board["totals"])
    revenue = sum(float(row["revenue"]) for row in board["totals"])
    assert units >= 20
    assert 0.02 < margin / revenue < 0.12  # thin front-end margins, as at real 4S stores
    assert len({row["period_start"] for row in board["rows"]}) >= 6


def test_second_run_adds_nothing(app, seeded):
    with app.state.session_factory.begin() as session:
        group_id = session.scalar(select(User.dealer_group_id).where(User.username == "admin"))
        stores = {s.code: s for s in session.scalars(select(Store))}
        again = seed_sales(session, session.get(DealerGroup, group_id), stores)
    assert (again.models, again.stock, again.consultants, again.leads) == (0, 0, 0, 0)
