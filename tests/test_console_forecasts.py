"""Forecasts and business alarms in the browser: a manager sees each model's sales forecast
with its 80 % and 95 % bands, the back-test in words and the customers at risk (and, for a
store without a forecast, why); acknowledges a business alarm from its feed card, and is told
when someone else was faster; a parts clerk sees the demand forecast beside the reorder
proposal and opens one part's forecast."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.factories import STORE_ZONE

pytest_plugins = ("tests.console_support",)

PHONE = {"width": 390, "height": 844}
SALES_BACKTEST = {
    "error": "MASE", "pooled": {"seasonal_naive": 1.0, "ets": 0.95, "theta": 0.97,
                                "ets_festival": 0.87},
    "relative_to_baseline": 0.87, "windows": 4, "horizon": 3, "months": 30, "series": 2,
}  # fmt: skip
CHURN_BACKTEST = {"error": "AUC", "auc": 0.78, "brier": 0.18, "base_rate": 0.31,
                  "calibration_gap": 0.05, "held_out": 120.0}  # fmt: skip
PARTS_BACKTEST = {"error": "RMSSE", "pooled": {"sba": 0.82, "naive": 1.0},
                  "relative_to_baseline": 0.82, "windows": 26, "horizon": 4}  # fmt: skip
WEEKLY = 50.0  # the forecast part's weekly demand: well above its stock, so it is proposed
FROM_ALERTS = 3.0  # what the fleet's predicted faults add in the forecast's first week


def _today():
    return datetime.now(ZoneInfo(STORE_ZONE)).date()


def _band(mean: float, from_alerts: float = 0.0) -> dict[str, float]:
    return {"mean": mean, "lo_80": max(mean - 2, 0), "hi_80": mean + 2,
            "lo_95": max(mean - 4, 0), "hi_95": mean + 4, "from_alerts": from_alerts}  # fmt: skip


def _models(world, store_id: int) -> list[str]:
    """Two sales models, those with deliveries at the store first."""
    with world["app"].state.engine.connect() as conn:
        delivered = conn.execute(text(
            "SELECT DISTINCT member FROM kpi_facts WHERE store_id = :s AND measure ="
            " 'cars_delivered' AND dimension = 'model_id' AND member <> '-' ORDER BY 1"
        ), {"s": store_id}).scalars().all()  # fmt: skip
        others = conn.execute(text("SELECT CAST(id AS text) FROM sales_models ORDER BY id"))
        models = list(dict.fromkeys([*delivered, *others.scalars().all()]))
    assert len(models) >= 2, models
    return models[:2]


@pytest.fixture
def sales_forecast(console_world, api_as, make_forecast) -> dict:
    """A sales forecast and churn scores for the manager's first store (none for the second)."""
    stores = api_as("manager").get("/auth/stores").json()
    store, other = stores[0]["id"], stores[1]["id"]
    models = _models(console_world, store)
    start = _today().replace(day=1)
    make_forecast(store_id=store, kind="sales", method="ets_festival",
                  backtest=SALES_BACKTEST, starts=start,
                  points={m: [_band(4.0 + i + n) for i in range(6)]
                          for n, m in enumerate(models)})  # fmt: skip
    churn = make_forecast(store_id=store, kind="churn", method="logistic",
                          backtest=CHURN_BACKTEST, starts=start, points={})  # fmt: skip
    with console_world["app"].state.session_factory.begin() as session:
        customers = session.execute(
            text("SELECT id FROM customers WHERE store_id = :s ORDER BY id LIMIT 2"), {"s": store}
        ).scalars().all()  # fmt: skip
        for customer, probability in zip(customers, (0.91, 0.64), strict=True):
            reasons = [{"feature": "csi_last", "weight": 0.8, "en": "low satisfaction score",
                        "zh": "满意度低"}]  # fmt: skip
            session.execute(text(
                "INSERT INTO churn_scores (store_id, customer_id, run_id, probability, reasons)"
                " VALUES (:s, :c, :r, :p, CAST(:why AS jsonb))"
            ), {"s": store, "c": customer, "r": churn, "p": probability,
                "why": json.dumps(reasons)})  # fmt: skip
    return {"store": store, "other": other, "models": models, "customers": customers}


def test_manager_sees_sales_forecasts_with_bands_and_the_backtest(
    page, sign_in, api_as, sales_forecast, shots
):
    manager = api_as("manager")
    found = manager.get("/forecasts/sales", params={"store_id": sales_forecast["store"]}).json()
    assert [s["member"] for s in found["series"]] == sorted(
        sales_forecast["models"], key=lambda m: next(s["label"] for s in found["series"]
                                                     if s["member"] == m)
    )  # fmt: skip
    sign_in("manager")
    page.click("#nav-forecasts")
    expect(page.locator("#forecast-store")).to_have_value(str(sales_forecast["store"]))
    series = page.locator(".forecast-series")
    expect(series).to_have_count(2)
    for expected in found["series"]:
        card = page.locator(f'.forecast-series[data-member="{expected["member"]}"]')
        expect(card.locator("h3")).to_have_text(expected["label"])
        chart = card.locator(".forecast-chart")
        expect(chart).to_have_attribute("data-forecast", "6")
        expect(chart).to_have_attribute("data-history", str(len(expected["history"])))
        expect(chart.locator("canvas")).to_be_visible()  # uPlot drew it
        # uPlot's legend lists the actuals, the forecast and the bands' four edges.
        expect(chart.locator(".u-legend .u-series")).to_have_count(6)
        expect(chart.locator(".u-legend")).to_contain_text("80 % 上限")
        expect(chart.locator(".u-legend")).to_contain_text("95 % 下限")
        total = sum(p["mean"] for p in expected["forecast"])
        expect(card).to_contain_text(f"未来 6 个月合计 {total:g} 台")
    backtest = page.locator("#sales-backtest .backtest")
    expect(backtest).to_have_class("backtest beats")
    expect(backtest).to_contain_text("含节日效应的 ETS:误差为「去年同月」的 0.87 倍")
    expect(backtest).to_contain_text("4 个回测起点")

    rows = page.locator("tr.churn-row")
    expect(rows).to_have_count(2)
    first = rows.first
    expect(first).to_have_attribute("data-customer", str(sales_forecast["customers"][0]))
    expect(first.locator("td.num")).to_have_text("91%")
    expect(first.locator(".reasons")).to_have_text("满意度低")
    expect(page.locator("#churn-auc")).to_contain_text("120 位留出客户上的 AUC 为 0.78")
    page.screenshot(path=shots / "manager-forecasts.png", full_page=True)

    page.click("#lang-toggle")
    expect(page.locator("#sales-backtest .backtest")).to_contain_text(
        "ETS with the festival effect: 0.87× the error of last year's same month"
        " (MASE, on 4 held-out origins). It beats the baseline."
    )
    expect(page.locator("tr.churn-row").first.locator(".reasons")).to_have_text(
        "low satisfaction score"
    )
    expect(page.locator(".u-legend").first).to_contain_text("80 % high")

    page.select_option("#forecast-store", str(sales_forecast["other"]))
    expect(page.locator("#forecast-none")).to_have_text(
        "No forecast yet: it needs 23 months of sales."
    )
    expect(page.locator("#churn-none")).to_be_visible()
    expect(page.locator(".forecast-chart")).to_have_count(0)
    expect(page.locator("main .error-box")).to_have_count(0)


def test_manager_acknowledges_a_business_alarm_from_the_feed(
    page, console_world, sign_in, api_as, make_alarm, shots
):
    manager, admin = api_as("manager"), api_as("admin")
    store = manager.get("/auth/stores").json()[0]["id"]
    today = _today()
    mine = make_alarm(store_id=store, metric="service_volume",
                      started_on=today - timedelta(days=20))  # fmt: skip
    raced = make_alarm(store_id=store, metric="margin",
                       started_on=today - timedelta(days=16))  # fmt: skip
    sign_in("manager")
    page.click("#nav-feed")
    card = page.locator(f'.feed-card[data-type="business_alarm"]:has(a[href="#/alarms/{mine}"])')
    expect(card).to_have_count(1)
    expect(card.locator(".feed-kind")).to_contain_text("经营预警")
    expect(card.locator(".feed-facts")).to_contain_text("进厂台次")
    card.locator("a.alarm-link").click()
    expect(page).to_have_url(f"{console_world['url']}/console/#/alarms/{mine}")

    row = page.locator(f'tr.alarm-row[data-alarm="{mine}"]')
    expect(row).to_have_class("alarm-row focused")
    expect(row).to_have_attribute("data-state", "open")
    expect(row).to_contain_text("进厂台次")
    expect(row).to_contain_text("↓ 下降")
    expect(row).to_contain_text("24 台次/天")
    expect(row).to_contain_text("15.5 台次/天")
    expect(row.locator(".alarm-reason")).to_have_text(
        "进厂台次自变化点起由每天约 24 台次降至 15.5 台次"
    )
    expect(row.locator(".badge")).to_have_text("待确认")
    row.locator("button.acknowledge").click()
    expect(row).to_have_attribute("data-state", "acknowledged")
    expect(row.locator(".badge")).to_have_text("已确认")
    expect(row.locator("button.acknowledge")).to_have_count(0)
    assert manager.get(f"/alarms/{mine}").json()["state"] == "acknowledged"
    page.screenshot(path=shots / "manager-alarms.png", full_page=True)

    # Someone else acknowledges the other alarm while the page still shows it open.
    other = page.locator(f'tr.alarm-row[data-alarm="{raced}"]')
    expect(other).to_have_attribute("data-state", "open")
    admin.post(f"/alarms/{raced}/acknowledge").raise_for_status()
    other.locator("button.acknowledge").click()
    expect(page.locator(".toast-error")).to_contain_text(f"预警 {raced} 已于")
    expect(page.locator(".toast-error code")).to_have_text("conflict")
    expect(other).to_have_attribute("data-state", "acknowledged")
    page.set_viewport_size(PHONE)  # each alarm becomes a card: its state stays in reach
    state = page.locator(f'tr.alarm-row[data-alarm="{mine}"] .alarm-state .badge')
    expect(state).to_be_in_viewport()
    box = state.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    page.screenshot(path=shots / "phone-manager-alarms-cards.png", full_page=True)
    page.click("#lang-toggle")
    expect(page.locator(f'tr.alarm-row[data-alarm="{mine}"] .alarm-reason')).to_have_text(
        "Service visits fell from about 24 a day to 15.5 since the change point"
    )


@pytest.fixture
def parts_forecast(console_world, api_as, make_forecast) -> dict:
    """A forecast for one stocked part of the clerk's store warehouse, removed afterwards so that
    the reorder proposal of the other tests stays by min/max."""
    clerk = api_as("parts")
    warehouse = next(
        w for w in clerk.get("/parts/warehouses").json()["items"] if w["store_id"] is not None
    )
    stock = clerk.get("/parts/stock", params={"warehouse_id": warehouse["id"], "limit": 200})
    rows = [r for r in stock.json()["items"] if r["max_qty"] > 0]
    part = rows[-1]["part_id"]  # test_console_parts raises the policy of the first ones
    monday = _today() - timedelta(days=_today().weekday())
    weeks = [_band(WEEKLY, FROM_ALERTS if i == 0 else 0.0) for i in range(8)]
    make_forecast(store_id=warehouse["store_id"], kind="parts",
                        method="sba", backtest=PARTS_BACKTEST | {"rmse": {str(part): 2.0}},
                        starts=monday, warehouse_id=warehouse["id"],
                        points={str(part): weeks})  # fmt: skip
    return {"warehouse": warehouse["id"], "part": part}


def test_parts_clerk_sees_the_forecast_beside_the_proposal(
    page, console_world, sign_in, api_as, parts_forecast, shots
):
    clerk = api_as("parts")
    warehouse, part = parts_forecast["warehouse"], parts_forecast["part"]
    proposal = clerk.get("/parts/reorder-proposal", params={"warehouse_id": warehouse}).json()
    lines = {line["part_id"]: line for group in proposal for line in group["lines"]}
    assert lines[part]["basis"] == "forecast", lines[part]
    assert lines[part]["forecast_weekly"] == WEEKLY
    assert lines[part]["from_alerts"] == FROM_ALERTS

    sign_in("parts")
    page.click("#tab-reorder")
    expect(page.locator("#reorder-warehouse")).to_have_value(str(warehouse))
    expect(page.locator("tr.reorder-line")).to_have_count(len(lines))
    for line in lines.values():
        cell = page.locator(f'tr.reorder-line[data-part="{line["part_id"]}"] td.forecast')
        expect(cell.locator(".badge[data-basis]")).to_have_attribute("data-basis", line["basis"])
    row = page.locator(f'tr.reorder-line[data-part="{part}"]')
    expect(row.locator("td.forecast .open-forecast")).to_have_text("50 / 每周")
    expect(row.locator(".from-alerts")).to_have_text("+3 来自预测故障")
    expect(row.locator("[data-basis]")).to_have_text("按预测")
    others = [p for p, line in lines.items() if p != part]
    for other in others:  # no forecast: no "from predicted faults"
        expect(page.locator(f'tr.reorder-line[data-part="{other}"] .from-alerts')).to_have_count(0)

    page.set_viewport_size(PHONE)
    row.locator(".open-forecast").click()
    dialog = page.locator("#part-forecast")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_contain_text(lines[part]["part_number"])
    chart = dialog.locator("#part-forecast-chart")
    expect(chart).to_have_attribute("data-forecast", "8")
    expect(chart.locator("canvas")).to_be_visible()
    expect(chart.locator(".u-legend .u-series")).to_have_count(6)
    expect(dialog).to_contain_text("未来 8 周预测合计 400,其中 3 来自车队的故障预测。")
    expect(dialog.locator(".backtest")).to_contain_text(
        "SBA(修正 Croston):误差为「上周需求」的 0.82 倍"
    )
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    page.screenshot(path=shots / "phone-parts-forecast.png", full_page=True)
    page.click("#part-forecast-close")
    expect(dialog).to_have_count(0)
