"""The performance board on known data: per consultant and period, leads, conversion, units,
revenue and gross margin, bucketed in the store's time zone; and who may see which rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from api.auth.roles import Role
from api.sales.models import Lead, Quote, SalesOrder
from tests.factories import auth_headers, make_customer, make_group, make_store, make_user
from tests.factories.sales import make_sales_model, make_stock

EN = {"Accept-Language": "en"}
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


def _lead(session, store, model, consultant, created, status, *, sale=None):
    """A lead in a status, created at a UTC time; sale=(price, discount, cost, delivered_at)."""
    customer = make_customer(session, store)
    lead = Lead(
        store_id=store.id,
        customer_id=customer.id,
        consultant_id=consultant.id if consultant else None,
        source="walk_in",
        status=status,
        created_at=created,
    )
    session.add(lead)
    session.flush()
    if sale is None:
        return lead
    price, discount, cost = (Decimal(v) for v in sale[:3])
    delivered_at = sale[3]
    quote = Quote(
        store_id=store.id,
        lead_id=lead.id,
        model_id=model.id,
        vehicle_price=price,
        options_price=Decimal(0),
        discount=discount,
        trade_in_value=Decimal(0),
        total=price - discount,
        valid_until=date(2026, 12, 31),
    )
    session.add(quote)
    session.flush()
    car = make_stock(session, store, model, cost=cost, status="in_warehouse")
    car.status = "sold" if delivered_at else "reserved"
    session.add(
        SalesOrder(
            store_id=store.id,
            lead_id=lead.id,
            quote_id=quote.id,
            customer_id=customer.id,
            model_id=model.id,
            price=price,
            discount=discount,
            trade_in_value=Decimal(0),
            deposit=Decimal(5000),
            stock_vehicle_id=car.id,
            delivered_at=delivered_at,
        )
    )
    session.flush()
    return lead


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(app):
    """Two consultants of store A, one of store B, with January and February 2026 history."""
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        a, b = make_store(session, group, name="浦东"), make_store(session, group, name="闵行")
        model = make_sales_model(session, group)
        li = make_user(session, group, Role.sales_consultant, stores=[a])
        wang = make_user(session, group, Role.sales_consultant, stores=[a])
        zhao = make_user(session, group, Role.sales_consultant, stores=[b])
        # Li, January: four leads; two delivered (one in January, one in February), one lost.
        _lead(
            session,
            a,
            model,
            li,
            utc(2026, 1, 5, 2),
            "delivered",
            sale=(200000, 8000, 180000, utc(2026, 1, 20, 6)),
        )  # margin 12,000
        _lead(
            session,
            a,
            model,
            li,
            utc(2026, 1, 9, 2),
            "delivered",
            sale=(150000, 5000, 138000, utc(2026, 2, 3, 6)),
        )  # margin 7,000
        _lead(session, a, model, li, utc(2026, 1, 12, 2), "lost")
        _lead(session, a, model, li, utc(2026, 1, 15, 2), "opportunity")
        # 31 January 17:00 UTC is 1 February 01:00 in Shanghai: a February lead.
        _lead(session, a, model, li, utc(2026, 1, 31, 17), "order", sale=(180000, 0, 170000, None))
        _lead(session, a, model, li, utc(2026, 2, 10, 2), "lead")
        # Wang, January: one cancelled order (not converted) and one delivered in February.
        _lead(session, a, model, wang, utc(2026, 1, 20, 2), "cancelled")
        _lead(
            session,
            a,
            model,
            wang,
            utc(2026, 1, 22, 2),
            "delivered",
            sale=(100000, 12000, 95000, utc(2026, 2, 10, 6)),
        )  # margin -7,000
        # A lead nobody was assigned, and store B's consultant.
        _lead(session, a, model, None, utc(2026, 2, 11, 2), "lead")
        _lead(
            session,
            b,
            model,
            zhao,
            utc(2026, 1, 7, 2),
            "delivered",
            sale=(300000, 10000, 270000, utc(2026, 1, 25, 6)),
        )
        return {
            "a": a,
            "b": b,
            "li": li,
            "wang": wang,
            "zhao": zhao,
            "manager_a": make_user(session, group, Role.manager, stores=[a]),
            "advisor_a": make_user(session, group, Role.service_advisor, stores=[a]),
        }


def _board(client, user, **params):
    params = {"period": "month", "date_from": "2026-01-01", "date_to": "2026-02-28", **params}
    return client.get("/sales/board", params=params, headers=auth_headers(client, user, **EN))


def _figures(row) -> tuple:
    return (
        row["leads"],
        row["converted"],
        row["conversion_rate"],
        row["units"],
        Decimal(row["revenue"]),
        Decimal(row["gross_margin"]),
    )


def test_monthly_figures_per_consultant_match_the_known_history(client, world):
    response = _board(client, world["manager_a"], store_id=world["a"].id)
    assert response.status_code == 200, response.text
    board = response.json()
    rows = {(r["consultant_id"], r["period_start"]): _figures(r) for r in board["rows"]}
    li, wang = world["li"].id, world["wang"].id
    assert rows == {
        (li, "2026-01-01"): (4, 2, 0.5, 1, Decimal(192000), Decimal(12000)),
        (li, "2026-02-01"): (2, 1, 0.5, 1, Decimal(145000), Decimal(7000)),
        (wang, "2026-01-01"): (2, 1, 0.5, 0, Decimal(0), Decimal(0)),
        (wang, "2026-02-01"): (0, 0, None, 1, Decimal(88000), Decimal(-7000)),
        (None, "2026-02-01"): (1, 0, 0.0, 0, Decimal(0), Decimal(0)),
    }
    totals = {r["consultant_id"]: _figures(r) for r in board["totals"]}
    assert totals[li] == (6, 3, 0.5, 2, Decimal(337000), Decimal(19000))
    assert totals[wang] == (2, 1, 0.5, 1, Decimal(88000), Decimal(-7000))
    assert world["zhao"].id not in totals  # store B is not in the manager's stores
    assert {r["consultant_name"] for r in board["totals"] if r["consultant_id"]} == {"测试用户"}


def test_weekly_buckets_start_on_monday_in_the_store_time_zone(client, world):
    board = _board(
        client, world["manager_a"], period="week", date_from="2026-01-26", date_to="2026-02-08"
    ).json()
    li = world["li"].id
    rows = {(r["consultant_id"], r["period_start"]): r for r in board["rows"]}
    # The lead of 1 February 01:00 Shanghai time falls in the week of Monday 26 January;
    # the car delivered on 3 February in the week of Monday 2 February.
    assert rows[(li, "2026-01-26")]["leads"] == 1
    assert rows[(li, "2026-02-02")]["units"] == 1
    assert {p for _, p in rows} == {"2026-01-26", "2026-02-02"}


def test_a_consultant_sees_only_their_own_figures(client, world):
    own = _board(client, world["li"]).json()
    assert {r["consultant_id"] for r in own["rows"] + own["totals"]} == {world["li"].id}
    other = _board(client, world["li"], consultant_id=world["wang"].id)
    assert other.status_code == 403
    assert "only their own figures" in other.json()["message"]


def test_other_stores_and_other_roles_are_refused(client, world):
    other_store = _board(client, world["manager_a"], store_id=world["b"].id)
    assert other_store.status_code == 404
    assert _board(client, world["advisor_a"]).status_code == 403
    zhao = _board(client, world["zhao"]).json()
    assert [_figures(r) for r in zhao["totals"]] == [
        (1, 1, 1.0, 1, Decimal(290000), Decimal(20000))
    ]


def test_a_range_backwards_is_refused(client, world):
    response = _board(client, world["manager_a"], date_from="2026-03-01", date_to="2026-02-01")
    assert response.status_code == 422
    assert "date_to must be on or after date_from" in response.json()["message"]
