"""Forecast routes: sales by model, parts demand by warehouse, customers by churn risk.
Thin: api/forecasts/views.py reads what the forecasting job stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import LanguageDep, ManagerUser, ReadSessionDep, StaffUser
from api.forecasts import views
from api.forecasts.schemas import ChurnPage, ForecastRead
from api.pagination import PageParamsDep
from api.types import IdQuery

router = APIRouter(prefix="/forecasts", tags=["forecasts"])

StoreQuery = Annotated[int, Query(ge=1, le=2**63 - 1, description="The store")]
WarehouseQuery = Annotated[int, Query(ge=1, le=2**63 - 1, description="The warehouse")]


@router.get("/sales", response_model=ForecastRead)
def sales(
    session: ReadSessionDep, user: StaffUser, language: LanguageDep, store_id: StoreQuery
) -> ForecastRead:
    """Cars delivered per model and month: two years of history and the next six months."""
    found = views.sales(session, actor=user.scope, store_id=store_id, language=language)
    return ForecastRead.model_validate(found)


@router.get("/parts", response_model=ForecastRead)
def parts(
    session: ReadSessionDep,
    user: StaffUser,
    language: LanguageDep,
    warehouse_id: WarehouseQuery,
    part_id: IdQuery = None,
) -> ForecastRead:
    """Weekly demand per part: half a year of issues and the next eight weeks, fleet-aware."""
    found = views.parts(
        session, actor=user.scope, warehouse_id=warehouse_id, part_id=part_id, language=language
    )
    return ForecastRead.model_validate(found)


@router.get("/churn", response_model=ChurnPage)
def churn(
    session: ReadSessionDep,
    user: ManagerUser,
    page: PageParamsDep,
    store_id: StoreQuery,
    at_least: Annotated[float, Query(ge=0, le=1, description="Lowest probability shown")] = 0.5,
) -> ChurnPage:
    """The store's customers most likely not to come back within 12 months, and why."""
    paged = views.churn(session, actor=user.scope, store_id=store_id, page=page, at_least=at_least)
    result = ChurnPage.model_validate(paged, from_attributes=True)
    result.backtest = views.churn_backtest(session, store_id)
    return result
