"""Make and store the forecasts: each store's car sales by model, each store warehouse's parts
demand (with what the fleet's open predictions add), and each store's customers' churn risk.

A run keeps its back-test beside its points, so every figure shown says how well the method
did on the months or weeks it was not fitted on. Runs are made by a job (`pitstop worker`,
`pitstop forecasts run`), never per request.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.forecasts import inputs
from api.forecasts.constants import PARTS_WEEKS_AHEAD, SALES_MONTHS_AHEAD
from api.forecasts.models import ChurnScore, ForecastPoint, ForecastRun
from api.parts.models import Warehouse
from core.clock import local_today

log = logging.getLogger(__name__)

SALES_BACKTEST_MONTHS = 3  # each back-test origin forecasts this far
SALES_MIN_TRAIN = 18  # months before the first origin: a season and a half
PARTS_BACKTEST_WEEKS = 4
PARTS_WINDOWS = 26
PARTS_MIN_WEEKS_USED = 4  # parts issued in fewer weeks are ordered to need, not forecast
CHURN_MIN_CUSTOMERS = 60


@dataclass
class RunReport:
    """What one round of forecasting made, for the log and the command line."""

    runs: list[ForecastRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def run_all(session: Session, today: date | None = None) -> RunReport:
    """Every store's sales and churn runs and every store warehouse's parts run."""
    report = RunReport()
    for store in session.scalars(select(Store).order_by(Store.id)):
        day = today or local_today(store.timezone)
        for make in (run_sales, run_churn):
            _record(report, make(session, store.id, day), f"{make.__name__} {store.code}")
        warehouses = select(Warehouse).where(Warehouse.store_id == store.id).order_by(Warehouse.id)
        for warehouse in session.scalars(warehouses):
            _record(report, run_parts(session, warehouse, day), f"run_parts {warehouse.code}")
    return report


def _record(report: RunReport, run: ForecastRun | str, what: str) -> None:
    if isinstance(run, str):
        report.skipped.append(f"{what}: {run}")
    else:
        report.runs.append(run)


def run_sales(session: Session, store_id: int, today: date) -> ForecastRun | str:
    """Monthly deliveries per model: back-test, choose, forecast with 80 and 95 % intervals."""
    from analytics import sales_forecast

    history = inputs.sales_history(session, store_id, today)
    months = history["ds"].nunique() if not history.empty else 0
    windows = min(12, months - SALES_BACKTEST_MONTHS - SALES_MIN_TRAIN + 1)
    if windows < 3:
        return f"{months} whole months of sales; a back-test needs {SALES_MIN_TRAIN + 5}"
    with warnings.catch_warnings():  # ETS on a short, sparse model series divides by zero
        warnings.simplefilter("ignore", RuntimeWarning)
        test = sales_forecast.backtest(
            history, h=SALES_BACKTEST_MONTHS, windows=windows, min_months=SALES_MIN_TRAIN
        )
        method = test.best()
        found = sales_forecast.forecast(history, h=SALES_MONTHS_AHEAD, method=method)
    pooled = test.mase.loc["pooled"]
    run = _run(session, store_id, "sales", method, {
        "error": "MASE", "pooled": {m: round(float(v), 4) for m, v in pooled.items()},
        "relative_to_baseline": round(test.relative(), 4), "windows": windows,
        "horizon": SALES_BACKTEST_MONTHS, "months": int(months),
        "series": int(history["unique_id"].nunique()),
    })  # fmt: skip
    _points(session, run, found)
    return run


def run_parts(session: Session, warehouse: Warehouse, today: date) -> ForecastRun | str:
    """Weekly demand per part by the intermittent methods, plus the fleet's open predictions."""
    from analytics import parts_demand

    history = inputs.parts_history(session, warehouse.id, today)
    used = history[history["y"] > 0].groupby("unique_id")["ds"].nunique()
    history = history[history["unique_id"].isin(used[used >= PARTS_MIN_WEEKS_USED].index)]
    if history.empty:
        return "no part was issued often enough to forecast"
    test = parts_demand.backtest(history, h=PARTS_BACKTEST_WEEKS, windows=PARTS_WINDOWS)
    method = test.best()
    base = parts_demand.forecast(history, h=PARTS_WEEKS_AHEAD, method=method)
    alerts = [
        parts_demand.Alert(part, quantity, probability, pd.Timestamp(max(due, today)))
        for part, quantity, probability, due in inputs.alert_parts(session, warehouse.id)
    ]
    covered = inputs.alert_share(session, warehouse.id, today)
    found = parts_demand.fleet_aware(base, alerts, covered_share=covered)
    found["mean"], found["history_mean"] = found["fleet_mean"], found["mean"]
    pooled = test.rmsse.loc["pooled"]
    rmse = test.rmse.drop("pooled")[method]
    run = _run(session, warehouse.store_id, "parts", method, {
        "error": "RMSSE", "pooled": {m: round(float(v), 4) for m, v in pooled.items()},
        "relative_to_baseline": round(float(pooled[method] / pooled[parts_demand.BASELINE]), 4),
        "windows": PARTS_WINDOWS, "horizon": PARTS_BACKTEST_WEEKS,
        "series": int(history["unique_id"].nunique()),
        "rmse": {str(k): round(float(v), 4) for k, v in rmse.items()},
    }, warehouse_id=warehouse.id)  # fmt: skip
    _points(session, run, found)
    return run


def run_churn(session: Session, store_id: int, today: date) -> ForecastRun | str:
    """Train on the customers of a year ago (who came back is known), report the AUC on held-out
    ones, and score today's customers with their main reasons."""
    from analytics import churn

    past = inputs.customers_as_of(session, store_id, today - timedelta(days=365))
    if len(past) < CHURN_MIN_CUSTOMERS or past["churned"].nunique() < 2:
        return (
            f"{len(past)} customers a year ago; churn needs {CHURN_MIN_CUSTOMERS} and both outcomes"
        )
    metrics = churn.evaluate(past)
    model = churn.train(past)
    now = inputs.customers_as_of(session, store_id, today)
    probability = churn.predict(model, now)
    reasons = churn.reasons(model, now)
    run = _run(session, store_id, "churn", "logistic", {
        "error": "AUC", **{k: round(float(v), 4) for k, v in metrics.items()},
        "trained_on": int(len(past)), "scored": int(len(now)),
    })  # fmt: skip
    session.execute(delete(ChurnScore).where(ChurnScore.store_id == store_id))
    rows = [
        {"store_id": store_id, "customer_id": int(customer), "run_id": run.id,
         "probability": round(float(p), 4),
         "reasons": [{"feature": r.feature, "weight": round(r.contribution, 3), "en": r.en,
                      "zh": r.zh} for r in why]}
        for customer, p, why in zip(now.index, probability, reasons, strict=True)
    ]  # fmt: skip
    if rows:
        session.execute(insert(ChurnScore), rows)
    return run


def _run(
    session: Session,
    store_id: int,
    kind: str,
    method: str,
    backtest: dict,
    warehouse_id: int | None = None,
) -> ForecastRun:
    run = ForecastRun(store_id=store_id, kind=kind, method=method, backtest=backtest,
                      warehouse_id=warehouse_id)  # fmt: skip
    session.add(run)
    session.flush()
    return run


def _points(session: Session, run: ForecastRun, frame: pd.DataFrame) -> None:
    def number(row: pd.Series, column: str) -> float | None:
        value = row.get(column)
        return None if value is None or pd.isna(value) else round(float(value), 4)

    rows = [
        {"run_id": run.id, "member": str(row["unique_id"]), "period": row["ds"].date(),
         "mean": number(row, "mean"), "lo_80": number(row, "lo_80"),
         "hi_80": number(row, "hi_80"), "lo_95": number(row, "lo_95"),
         "hi_95": number(row, "hi_95"), "from_alerts": number(row, "from_alerts") or 0.0}
        for _, row in frame.iterrows()
    ]  # fmt: skip
    session.execute(insert(ForecastPoint), rows)
