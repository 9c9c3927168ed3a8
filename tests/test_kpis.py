"""KPIs on a seeded demo group, on real PostgreSQL: the rollup agrees with the ledgers counted
another way, an incremental refresh rebuilds only the changed days and ends where a full
rebuild does, and the API gives each role only what it may see."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from api.auth.models import Store
from api.auth.roles import Role
from api.feedback.models import Survey
from api.kpis import docs, rollup, service
from api.kpis.definitions import BY_KPI, KPIS
from api.kpis.measures import MEASURES
from api.sales.models import SalesOrder, StockVehicle
from api.work_orders.models import Invoice, InvoiceLine, LabourLine, WorkOrder
from core.clock import local_today
from demo.people import DEMO_PASSWORD
from demo.world import seed_demo
from tests.factories import auth_headers, make_user, make_vin

EN = {"Accept-Language": "en"}
YEAR = timedelta(days=365)


@pytest.fixture(scope="module", autouse=True)
def demo(app):
    """The demo group, seeded and rolled up once before the module's first test."""
    with app.state.session_factory.begin() as session:
        seed_demo(session, [make_vin()], customers=24)
    with app.state.session_factory.begin() as session:
        rollup.refresh(session)


def _headers(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}", **EN}


def _total(session, measure: str, store_id: int | None = None) -> Decimal:
    query = "SELECT coalesce(sum(value), 0) FROM kpi_facts WHERE measure = :m AND dimension = ''"
    if store_id is not None:
        query += " AND store_id = :s"
    return session.scalar(text(query), {"m": measure, "s": store_id})


def _facts(session) -> list[tuple]:
    return session.execute(
        text(
            "SELECT store_id, measure, dimension, day, member, round(value, 6) FROM kpi_facts"
            " ORDER BY 1, 2, 3, 4, 5"
        )
    ).all()


def test_the_committed_kpi_document_is_generated_from_the_definitions():
    assert docs.DOC.read_text(encoding="utf-8") == docs.render(), "run python -m api.kpis.docs"


def test_every_kpi_reads_only_known_measures_and_dimensions():
    known = {m.code for m in MEASURES}
    for kpi in KPIS:
        assert set(kpi.measures) <= known, kpi.code
        if kpi.kind != "retention":
            assert kpi.denominator, f"{kpi.code} divides by nothing"


def test_the_rollup_agrees_with_the_ledgers_counted_another_way(app):
    with app.state.session_factory() as session:
        labour = session.scalar(
            select(func.sum(InvoiceLine.net)).where(InvoiceLine.kind == "labour")
        )
        parts = session.scalar(select(func.sum(InvoiceLine.net)).where(InvoiceLine.kind == "part"))
        invoices = session.scalar(select(func.count(Invoice.id)))
        revenue, cost = session.execute(
            select(func.sum(SalesOrder.price - SalesOrder.discount), func.sum(StockVehicle.cost))
            .join(StockVehicle, StockVehicle.id == SalesOrder.stock_vehicle_id)
            .where(SalesOrder.delivered_at.is_not(None))
        ).one()
        answered = session.execute(
            select(func.count(), func.sum(Survey.csi)).where(Survey.status == "answered")
        ).one()
        visits = session.scalar(
            select(func.count(WorkOrder.id)).where(WorkOrder.checked_in_at.is_not(None))
        )
        assert invoices > 0 and answered[0] > 0, "the demo seed serves and surveys customers"
        assert _total(session, "labour_revenue") == labour
        assert _total(session, "parts_revenue") == parts
        assert _total(session, "repair_orders") == invoices
        assert _total(session, "sales_revenue") == revenue
        assert _total(session, "sales_cost") == cost
        assert _total(session, "surveys_answered") == answered[0]
        assert _total(session, "csi_points") == answered[1] * 10
        assert _total(session, "service_visits") == visits


def test_the_last_days_stock_value_is_the_stock_on_hand_at_cost(app):
    with app.state.session_factory() as session:
        for store in session.scalars(select(Store)):
            on_hand = session.scalar(
                text(
                    "SELECT coalesce(sum(m.quantity * m.unit_cost), 0) FROM stock_moves m"
                    " JOIN warehouses w ON w.id = m.warehouse_id WHERE w.store_id = :s"
                ),
                {"s": store.id},
            )
            last = session.scalar(
                text(
                    "SELECT coalesce(sum(value), 0) FROM kpi_facts WHERE store_id = :s"
                    " AND measure = 'stock_value' AND dimension = '' AND day = :d"
                ),
                {"s": store.id, "d": local_today(store.timezone)},
            )
            assert round(last, 4) == round(on_hand, 4), store.code


def test_a_refresh_with_nothing_changed_rebuilds_only_the_last_two_days(app):
    with app.state.session_factory.begin() as session:
        stores = session.scalar(select(func.count(Store.id)))
        report = rollup.refresh(session)
    for measure in MEASURES:
        expected = 2 * stores if measure.per_day else 0
        assert report.store_days[measure.code] == expected, measure.code
    assert report.store_days[rollup.CUSTOMER_MONTHS] == 0


def test_an_incremental_refresh_ends_where_a_full_rebuild_does(app):
    with app.state.session_factory.begin() as session:
        survey = session.scalar(
            select(Survey).where(Survey.status == "answered").order_by(Survey.id).limit(1)
        )
        store = session.get(Store, survey.store_id)
        before = _total(session, "csi_points", store.id)
        old_csi = survey.csi
        survey.csi = 1 if old_csi != 1 else 10
        delta = Decimal((survey.csi - old_csi) * 10)
        session.execute(
            text(
                "INSERT INTO stock_moves (warehouse_id, part_id, lot_id, kind, quantity,"
                " unit_cost, occurred_at) SELECT warehouse_id, part_id, lot_id, 'adjustment', 1,"
                " unit_cost, now() - interval '40 days' FROM stock_moves"
                " JOIN warehouses w ON w.id = warehouse_id WHERE w.store_id = :s"
                " ORDER BY stock_moves.id LIMIT 1"
            ),
            {"s": store.id},
        )
    with app.state.session_factory.begin() as session:
        report = rollup.refresh(session)
        assert report.store_days["csi_points"] == 1
        assert 40 <= report.store_days["stock_value"] <= 42 + 2 * 2
        assert _total(session, "csi_points", store.id) - before == delta
        incremental = _facts(session)
    with app.state.session_factory.begin() as session:
        rollup.refresh(session, full=True)
        assert _facts(session) == incremental


def test_kpi_values_follow_their_formulas(app):
    with app.state.session_factory() as session:
        stores = list(session.scalars(select(Store.id)))
        end = local_today()
        values = service.values(session, KPIS, stores, end - 3 * YEAR, end)
        answered, csi = session.execute(
            select(func.count(), func.sum(Survey.csi)).where(Survey.status == "answered")
        ).one()
        revenue, cost = session.execute(
            select(func.sum(SalesOrder.price - SalesOrder.discount), func.sum(StockVehicle.cost))
            .join(StockVehicle, StockVehicle.id == SalesOrder.stock_vehicle_id)
            .where(SalesOrder.delivered_at.is_not(None))
        ).one()
        labour = session.scalar(
            select(func.sum(InvoiceLine.net)).where(InvoiceLine.kind == "labour")
        )
        hours = session.scalar(
            select(func.sum(LabourLine.hours)).join(
                Invoice, Invoice.work_order_id == LabourLine.work_order_id
            )
        )
    assert values["csi"] == round(float(csi * 10 / answered), 2)
    assert values["gross_margin_sales"] == round(float((revenue - cost) / revenue * 100), 2)
    assert values["effective_labour_rate"] == round(float(labour / hours), 2)
    assert set(values) == {k.code for k in KPIS}


def test_the_summary_shows_every_kpi_with_its_target_gap(client):
    headers = _headers(client, "manager")
    stores = client.get("/auth/stores", headers=headers).json()
    store_id = stores[0]["id"]
    put = client.put(f"/kpis/csi/targets/{store_id}", json={"target": "92"}, headers=headers)
    assert put.status_code == 200, put.text
    params = {
        "store_id": store_id,
        "date_from": str(local_today() - YEAR),
        "date_to": str(local_today()),
    }
    tiles = client.get("/kpis/summary", params=params, headers=headers)
    assert tiles.status_code == 200, tiles.text
    by_code = {t["code"]: t for t in tiles.json()}
    assert set(by_code) == {k.code for k in KPIS}
    csi = by_code["csi"]
    assert csi["target"] == 92 and csi["value"] is not None
    assert csi["gap"] == pytest.approx(csi["value"] - 92, abs=0.01)
    assert csi["on_target"] is (csi["value"] >= 92)


def test_a_breakdown_splits_the_whole_and_the_records_add_up(client):
    headers = _headers(client, "manager")
    period = {"date_from": str(local_today() - YEAR), "date_to": str(local_today())}
    whole = client.get("/kpis/csi", params=period | {"dimension": "advisor_id"}, headers=headers)
    assert whole.status_code == 200, whole.text
    body = whole.json()
    weights = sum(row["weight"] for row in body["breakdown"])
    records = client.get("/kpis/csi/records", params=period | {"limit": 200}, headers=headers)
    assert records.status_code == 200, records.text
    rows = records.json()["items"]
    assert records.json()["total"] == len(rows), "one page holds the seeded answers"
    answers = [r for r in rows if r["measure"] == "surveys_answered"]
    assert weights == len(answers) > 0
    points = sum(r["value"] for r in rows if r["measure"] == "csi_points")
    assert body["value"] == pytest.approx(points / len(answers), abs=0.01)
    assert [p["start"] for p in body["trend"]] == sorted(p["start"] for p in body["trend"])


@pytest.mark.parametrize("username", ["advisor", "technician", "sales", "parts"])
def test_only_managers_read_the_figures(client, username):
    headers = _headers(client, username)
    assert client.get("/kpis", headers=headers).status_code == 200
    for path in ("/kpis/summary", "/kpis/csi", "/kpis/csi/records"):
        assert client.get(path, headers=headers).status_code == 403, path
    assert client.put("/kpis/csi/targets/1", json={"target": 1}, headers=headers).status_code == 403


def test_a_manager_of_another_store_sees_none_of_this_ones_figures(app, client):
    with app.state.session_factory.begin() as session:
        stores = list(session.scalars(select(Store).order_by(Store.id)))
        other = make_user(session, stores[0].dealer_group, Role.manager, stores=[stores[1]])
    headers = auth_headers(client, other, **EN)
    foreign = stores[0].id
    assert (
        client.get("/kpis/summary", params={"store_id": foreign}, headers=headers).status_code
        == 404
    )
    put = client.put(f"/kpis/csi/targets/{foreign}", json={"target": 1}, headers=headers)
    assert put.status_code == 404
    mine = client.get("/kpis/summary", headers=headers)
    assert mine.status_code == 200


def test_bad_requests_say_what_to_change(client):
    headers = _headers(client, "manager")
    backwards = client.get(
        "/kpis/summary",
        params={"date_from": "2026-02-01", "date_to": "2026-01-01"},
        headers=headers,
    )
    assert backwards.status_code == 422 and "date_from" in backwards.text
    assert client.get("/kpis/no_such_kpi", headers=headers).status_code == 404
    wrong = client.get("/kpis/fill_rate", params={"dimension": "advisor_id"}, headers=headers)
    assert wrong.status_code == 422 and "broken down by" in wrong.text
    negative = client.put("/kpis/csi/targets/1", json={"target": -5}, headers=headers)
    assert negative.status_code == 422


@pytest.mark.parametrize("code", ["csi", "labour_utilisation", "days_of_supply"])
def test_each_trend_point_is_the_kpi_over_its_own_span(app, code):
    kpi = BY_KPI[code]
    end = local_today()
    with app.state.session_factory() as session:
        stores = list(session.scalars(select(Store.id)))
        spans = service.buckets(end - YEAR, end, "month")
        trend = service.trend(session, kpi, stores, spans)
        assert len(trend) == len(spans) >= 12
        for point in trend:
            alone = service.values(session, (kpi,), stores, point["start"], point["end"])
            assert point["value"] == alone[code], point
        assert any(point["value"] is not None for point in trend), f"{code} has no data"
