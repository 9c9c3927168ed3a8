"""KPI routes: definitions, the period's figures with targets, one KPI in detail, the records
behind it, and targets. Thin: api/kpis/service.py does the work."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import LanguageDep, ManagerUser, ReadSessionDep, SessionDep, StaffUser
from api.kpis import records as ledger_rows
from api.kpis import service
from api.kpis.definitions import DIMENSIONS, KPIS
from api.kpis.schemas import (
    KpiDefinition,
    KpiDetail,
    KpiRecordPage,
    KpiTile,
    TargetIn,
    TargetRead,
)
from api.pagination import PageParamsDep
from api.types import Day, IdPath, IdQuery
from core.clock import local_today

router = APIRouter(prefix="/kpis", tags=["kpis"])

DEFAULT_DAYS = 30
Code = Annotated[str, Path(pattern="^[a-z_]{1,40}$", description="A KPI's code, from GET /kpis")]
Dimension = Literal[tuple(DIMENSIONS)]  # type: ignore[valid-type]


def _period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    end = date_to or local_today()
    return date_from or end - timedelta(days=DEFAULT_DAYS - 1), end


@router.get("", response_model=list[KpiDefinition])
def definitions(user: StaffUser) -> list[KpiDefinition]:
    """Every KPI's definition: formula, unit, direction and dimensions."""
    return [KpiDefinition.model_validate(service.describe(k)) for k in KPIS]


@router.get("/summary", response_model=list[KpiTile])
def summary(
    session: ReadSessionDep,
    user: ManagerUser,
    store_id: IdQuery = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
) -> list[KpiTile]:
    """Every KPI over the period (default: the last 30 days) for a store, or all of yours."""
    start, end = _period(date_from, date_to)
    tiles = service.summary(
        session, actor=user.scope, store_id=store_id, date_from=start, date_to=end
    )
    return [KpiTile.model_validate(t) for t in tiles]


@router.get("/{kpi}", response_model=KpiDetail)
def detail(
    session: ReadSessionDep,
    user: ManagerUser,
    language: LanguageDep,
    kpi: Code,
    store_id: IdQuery = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    grain: Literal["day", "week", "month"] = "month",
    dimension: Dimension | None = None,
) -> KpiDetail:
    """One KPI: its value and target, its trend by grain, and a breakdown by a dimension."""
    start, end = _period(date_from, date_to)
    found = service.detail(
        session, actor=user.scope, code=kpi, store_id=store_id, date_from=start,
        date_to=end, grain=grain, dimension=dimension, language=language,
    )  # fmt: skip
    return KpiDetail.model_validate(found)


@router.get("/{kpi}/records", response_model=KpiRecordPage)
def records(
    session: ReadSessionDep,
    user: ManagerUser,
    page: PageParamsDep,
    kpi: Code,
    store_id: IdQuery = None,
    date_from: Day | None = None,
    date_to: Day | None = None,
    dimension: Dimension | None = None,
    member: Annotated[str | None, Query(max_length=40)] = None,
) -> KpiRecordPage:
    """The records behind a KPI in the period (optionally one member's), newest first."""
    start, end = _period(date_from, date_to)
    paged = ledger_rows.records(
        session, actor=user.scope, code=kpi, store_id=store_id, date_from=start,
        date_to=end, dimension=dimension, member=member, page=page,
    )  # fmt: skip
    return KpiRecordPage.model_validate(paged, from_attributes=True)


@router.put("/{kpi}/targets/{store_id}", response_model=TargetRead)
def set_target(
    session: SessionDep, user: ManagerUser, kpi: Code, store_id: IdPath, body: TargetIn
) -> TargetRead:
    """Set a store's target for a KPI, in its unit (managers)."""
    row = service.set_target(
        session, actor=user.scope, code=kpi, store_id=store_id, target=body.target
    )
    return TargetRead(kpi=row.kpi, store_id=row.store_id, target=row.target)
