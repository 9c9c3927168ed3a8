"""Forecasts on the demo's two years of history, on real PostgreSQL: each beats its baseline
on the months or weeks it was not fitted on, open predictions add to the parts they will need,
the reorder proposal orders from the forecast, and each role sees only what it may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from api.auth.models import Store
from api.forecasts import service
from api.forecasts.models import ChurnScore, ForecastPoint, ForecastRun
from api.kpis import rollup
from api.main import create_app
from api.parts.models import Warehouse
from core.clock import local_today
from demo.people import DEMO_PASSWORD
from tests.factories import settings_for_tests

EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def app(history_db):
    return create_app(settings_for_tests(history_db))


@pytest.fixture(scope="module")
def made(app):
    """Rollups refreshed and every forecast made once, as the worker does."""
    with app.state.session_factory.begin() as session:
        rollup.refresh(session)
    with app.state.session_factory.begin() as session:
        report = service.run_all(session)
        return {(r.kind, r.warehouse_id or r.store_id): r.id for r in report.runs}, report.skipped


def _run(app, run_id: int) -> ForecastRun:
    with app.state.session_factory() as session:
        return session.get(ForecastRun, run_id)


def _headers(client, username: str) -> dict[str, str]:
    token = client.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}", **EN}


def test_every_store_gets_each_forecast(app, made):
    runs, skipped = made
    with app.state.session_factory() as session:
        stores = session.scalars(select(Store.id)).all()
        warehouses = session.scalars(select(Warehouse.id).where(Warehouse.store_id.is_not(None)))
        warehouses = warehouses.all()
    assert not skipped, skipped
    for store in stores:
        assert ("sales", store) in runs and ("churn", store) in runs
    for warehouse in warehouses:
        assert ("parts", warehouse) in runs


def test_sales_and_parts_forecasts_beat_their_baselines_on_held_out_periods(app, made):
    runs, _ = made
    for (kind, _), run_id in runs.items():
        if kind == "churn":
            continue
        test = _run(app, run_id).backtest
        assert test["relative_to_baseline"] < 1.0, (kind, test)
        assert test["windows"] >= 3 and test["series"] >= 5, test


def test_churn_ranks_held_out_customers_better_than_chance(app, made):
    runs, _ = made
    for (kind, store), run_id in runs.items():
        if kind != "churn":
            continue
        test = _run(app, run_id).backtest
        assert test["auc"] > 0.7 and test["held_out"] >= 30, test
        with app.state.session_factory() as session:
            scored = session.scalars(select(ChurnScore).where(ChurnScore.store_id == store)).all()
        assert len(scored) == test["scored"] > 0
        assert any(s.reasons for s in scored if s.probability > 0.5), "risky customers say why"


def test_intervals_nest_around_the_mean(app, made):
    runs, _ = made
    with app.state.session_factory() as session:
        sales = [r for (k, _), r in runs.items() if k == "sales"]
        points = session.scalars(select(ForecastPoint).where(ForecastPoint.run_id.in_(sales)))
        points = points.all()
    assert points
    for p in points:
        assert p.lo_95 <= p.lo_80 <= p.mean + 1e-9 <= p.hi_80 + 2e-9 <= p.hi_95 + 3e-9, p.__dict__


def test_an_open_prediction_adds_its_parts_to_the_forecast_and_the_proposal(app, made, client):
    today = local_today()
    with app.state.session_factory.begin() as session:
        warehouse = session.scalar(
            select(Warehouse).where(Warehouse.store_id.is_not(None)).order_by(Warehouse.id)
        )
        part_id, before = session.execute(
            text(
                "SELECT CAST(member AS bigint), mean FROM forecast_points p"
                " JOIN forecast_runs r ON r.id = p.run_id WHERE r.warehouse_id = :w"
                " ORDER BY r.id DESC, p.mean DESC, p.member, p.period LIMIT 1"
            ),
            {"w": warehouse.id},
        ).one()
        vehicle = session.execute(
            text("SELECT id, owner_id FROM vehicles WHERE store_id = :s ORDER BY id LIMIT 1"),
            {"s": warehouse.store_id},
        ).one()
        session.execute(
            text(
                "INSERT INTO proactive_proposals (store_id, kind, source_ref, status, vin,"
                " failure_mode, action, customer_id, vehicle_id, parts, due_by)"
                " SELECT :s, 'alert', 'test-forecast', 'proposed', v.vin, 'battery', 'schedule',"
                " :c, v.id, CAST(:parts AS jsonb), now() + interval '2 days'"
                " FROM vehicles v WHERE v.id = :v"
            ),
            {"s": warehouse.store_id, "c": vehicle.owner_id, "v": vehicle.id,
             "parts": f'[[{part_id}, "6"]]'},
        )  # fmt: skip
        run = service.run_parts(session, warehouse, today)
        week = session.scalar(
            select(ForecastPoint)
            .where(ForecastPoint.run_id == run.id, ForecastPoint.member == str(part_id))
            .order_by(ForecastPoint.period)
        )
    assert week.from_alerts == pytest.approx(6 * 0.5)  # no alert behind it: even odds
    assert week.mean > before
    proposal = client.get(
        "/parts/reorder-proposal", params={"warehouse_id": warehouse.id},
        headers=_headers(client, "parts"),
    )  # fmt: skip
    assert proposal.status_code == 200, proposal.text
    lines = {line["part_id"]: line for group in proposal.json() for line in group["lines"]}
    assert lines, "the forecast asks for something"
    assert {line["basis"] for line in lines.values()} <= {"forecast", "min_max"}
    if part_id in lines:
        assert lines[part_id]["basis"] == "forecast" and lines[part_id]["from_alerts"] >= 3


def test_the_api_shows_history_beside_forecast_to_whom_it_may(app, made, client):
    with app.state.session_factory() as session:
        store = session.scalar(select(Store).where(Store.code == "SH-PD"))
        warehouse = session.scalar(select(Warehouse).where(Warehouse.store_id == store.id))
    manager, parts, advisor = (_headers(client, u) for u in ("manager", "parts", "advisor"))
    sales = client.get("/forecasts/sales", params={"store_id": store.id}, headers=manager)
    assert sales.status_code == 200, sales.text
    series = sales.json()["series"]
    assert series and all(s["history"] and len(s["forecast"]) == 6 for s in series)
    last = max(h["period"] for h in series[0]["history"])
    assert series[0]["forecast"][0]["period"] > last
    assert (
        client.get("/forecasts/sales", params={"store_id": store.id}, headers=parts).status_code
        == 403
    )
    stock = client.get("/forecasts/parts", params={"warehouse_id": warehouse.id}, headers=parts)
    assert stock.status_code == 200 and stock.json()["backtest"]["error"] == "RMSSE"
    churn = client.get("/forecasts/churn", params={"store_id": store.id, "at_least": 0},
                       headers=manager)  # fmt: skip
    assert churn.status_code == 200 and churn.json()["backtest"]["auc"] > 0.7
    odds = [c["probability"] for c in churn.json()["items"]]
    assert odds == sorted(odds, reverse=True) and odds
    assert (
        client.get("/forecasts/churn", params={"store_id": store.id}, headers=advisor).status_code
        == 403
    )
    other = client.get("/forecasts/churn", params={"store_id": 10**9}, headers=manager)
    assert other.status_code == 404
    month_before = local_today().replace(day=1) - timedelta(days=1)
    assert last[:7] == str(month_before)[:7], "the history ends with the last whole month"
