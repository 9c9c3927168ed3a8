"""The stored forecast runs, read back: the newest run, its points, and a warehouse's weekly
demand as the reorder proposal reads it. No pandas: the API reads what the job stored."""

from __future__ import annotations

import math

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.forecasts.models import ForecastPoint, ForecastRun

Demand = tuple[list[float], float, float]  # weekly forecast, added by alerts, RMSE a week


def latest_run(
    session: Session, *, kind: str, store_id: int | None = None, warehouse_id: int | None = None
) -> ForecastRun | None:
    """The newest run of a kind for a store, or for a warehouse."""
    stmt = select(ForecastRun).where(ForecastRun.kind == kind)
    if store_id is not None:
        stmt = stmt.where(ForecastRun.store_id == store_id)
    if warehouse_id is not None:
        stmt = stmt.where(ForecastRun.warehouse_id == warehouse_id)
    return session.scalar(stmt.order_by(ForecastRun.made_at.desc(), ForecastRun.id.desc()))


def points_of(session: Session, run: ForecastRun, member: str | None = None) -> list[ForecastPoint]:
    """A run's points, by member and period."""
    stmt = select(ForecastPoint).where(ForecastPoint.run_id == run.id)
    if member is not None:
        stmt = stmt.where(ForecastPoint.member == member)
    return list(session.scalars(stmt.order_by(ForecastPoint.member, ForecastPoint.period)))


def weekly_demand(session: Session, warehouse_id: int) -> dict[int, Demand]:
    """Per part of the warehouse's newest parts run: the weekly forecast (fleet-aware), what the
    open predictions add over it, and the back-test's RMSE a week (for the safety stock)."""
    run = latest_run(session, kind="parts", warehouse_id=warehouse_id)
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
