"""The stored forecasts as the API shows them: each series' recent history beside its forecast,
and customers by churn risk. Reads only; the runs are made by api/forecasts/service.py."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.crm.models import Customer
from api.errors import NotFound
from api.forecasts import inputs
from api.forecasts.models import ChurnScore, ForecastRun
from api.forecasts.runs import latest_run, points_of
from api.kpis.labels import names
from api.pagination import Paged, PageParams, paginate
from api.parts.access import access_of, get_warehouse
from core.clock import local_today

SALES_MONTHS_SHOWN = 24
PARTS_WEEKS_SHOWN = 26


def sales(session: Session, *, actor: Scope, store_id: int, language: str) -> dict[str, Any]:
    """The store's newest sales forecast, each model with two years of deliveries."""
    actor.ensure_store(store_id)
    run = latest_run(session, store_id=store_id, kind="sales")
    if run is None:
        raise NotFound(entity="forecast", id=f"sales/{store_id}")
    history = inputs.sales_history(session, store_id, local_today())
    labels = names(session, "model_id", sorted(history["unique_id"].unique()), language)
    return _view(session, run, history.groupby("unique_id").tail(SALES_MONTHS_SHOWN), labels)


def parts(
    session: Session, *, actor: Scope, warehouse_id: int, part_id: int | None, language: str
) -> dict[str, Any]:
    """The warehouse's newest parts forecast (one part, or all), with half a year of issues."""
    get_warehouse(session, access_of(session, actor), warehouse_id)  # 404 unless in reach
    run = latest_run(session, kind="parts", warehouse_id=warehouse_id)
    if run is None:
        raise NotFound(entity="forecast", id=f"parts/{warehouse_id}")
    history = inputs.parts_history(session, warehouse_id, local_today())
    if part_id is not None:
        history = history[history["unique_id"] == str(part_id)]
    rows = session.execute(
        text("SELECT CAST(id AS text), part_number, name_zh, name_en FROM parts"
             " WHERE CAST(id AS text) = ANY(:ids)"),
        {"ids": sorted(history["unique_id"].unique())},
    ).all()  # fmt: skip
    chinese = language.startswith("zh")
    labels = {i: f"{number} {zh if chinese else en}" for i, number, zh, en in rows}
    member = str(part_id) if part_id is not None else None
    return _view(session, run, history.groupby("unique_id").tail(PARTS_WEEKS_SHOWN), labels,
                 member)  # fmt: skip


def _view(
    session: Session,
    run: ForecastRun,
    history: Any,
    labels: dict[str, str],
    member: str | None = None,
) -> dict[str, Any]:
    forecast = defaultdict(list)
    for point in points_of(session, run, member):
        forecast[point.member].append(point)
    actual = defaultdict(list)
    for row in history.itertuples():
        actual[row.unique_id].append({"period": row.ds.date(), "value": float(row.y)})
    return {
        "kind": run.kind,
        "method": run.method,
        "made_at": run.made_at,
        "backtest": {k: v for k, v in run.backtest.items() if k != "rmse"},
        "series": [
            {
                "member": m,
                "label": labels.get(m, m),
                "history": actual.get(m, []),
                "forecast": forecast[m],
            }
            for m in sorted(forecast, key=lambda m: labels.get(m, m))
        ],  # fmt: skip
    }


def churn(
    session: Session, *, actor: Scope, store_id: int, page: PageParams, at_least: float
) -> Paged[Any]:
    """The store's customers by churn risk, highest first, at or above a probability."""
    actor.ensure_store(store_id)
    stmt = (
        select(ChurnScore.customer_id, Customer.name, Customer.phone, ChurnScore.probability,
               ChurnScore.reasons)
        .join(Customer, Customer.id == ChurnScore.customer_id)
        .where(ChurnScore.store_id == store_id, ChurnScore.probability >= at_least)
        .order_by(ChurnScore.probability.desc(), ChurnScore.customer_id)
    )  # fmt: skip
    return paginate(session, stmt, page, scalars=False)


def churn_backtest(session: Session, store_id: int) -> dict[str, Any] | None:
    """The newest churn run's held-out figures."""
    run = latest_run(session, store_id=store_id, kind="churn")
    return run.backtest if run else None
