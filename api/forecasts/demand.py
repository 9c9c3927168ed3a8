"""The newest parts forecast of a warehouse, as the reorder proposal reads it (no pandas)."""

from __future__ import annotations

import math

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.forecasts.models import ForecastRun

Demand = tuple[list[float], float, float]  # weekly forecast, added by alerts, RMSE a week


def weekly_demand(session: Session, warehouse_id: int) -> dict[int, Demand]:
    """Per part of the warehouse's newest parts run: the weekly forecast (fleet-aware), what the
    open predictions add over it, and the back-test's RMSE a week (for the safety stock)."""
    run = session.scalar(
        select(ForecastRun)
        .where(ForecastRun.kind == "parts", ForecastRun.warehouse_id == warehouse_id)
        .order_by(ForecastRun.made_at.desc(), ForecastRun.id.desc())
    )
    if run is None:
        return {}
    rows = session.execute(
        text(
            "SELECT member, array_agg(mean ORDER BY period), sum(from_alerts)"
            " FROM forecast_points WHERE run_id = :run GROUP BY member"
        ),
        {"run": run.id},
    ).all()
    errors = run.backtest.get("rmse", {})
    return {
        int(member): (list(weeks), float(alerts), float(errors.get(member, math.nan)))
        for member, weeks, alerts in rows
    }
