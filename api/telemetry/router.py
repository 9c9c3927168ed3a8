"""Read-only telemetry routes: latest state and time series of the caller's vehicles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.crm.schemas import Vin
from api.deps import CurrentUser, ReadSessionDep
from api.errors import InvalidInput
from api.pagination import PageParamsDep
from api.telemetry import service
from api.telemetry.schemas import (
    DtcEventPage,
    LatestPage,
    LatestRead,
    Series,
    SeriesPoint,
)
from api.types import LocalMoment
from core.signals import BY_NAME

router = APIRouter(prefix="/telemetry", tags=["telemetry"])

VinPath = Annotated[Vin, Path(description="17-character VIN", examples=["LSVAU2180N2183294"])]
DEFAULT_WINDOW = timedelta(hours=24)


@router.get("/latest", response_model=LatestPage)
def fleet_latest(
    session: ReadSessionDep,
    user: CurrentUser,
    page: PageParamsDep,
    online: bool | None = None,
    with_dtcs: Annotated[bool | None, Query(description="Only cars with stored DTCs")] = None,
) -> LatestPage:
    """The newest state of every car you may see that has reported."""
    paged = service.fleet_latest(
        session, actor=user.scope, page=page, online=online, with_dtcs=with_dtcs
    )
    return LatestPage.model_validate(paged, from_attributes=True)


@router.get("/vehicles/{vin}/latest", response_model=LatestRead)
def latest(session: ReadSessionDep, user: CurrentUser, vin: VinPath) -> LatestRead:
    """The newest state of one car."""
    return LatestRead.model_validate(service.latest(session, actor=user.scope, vin=vin))


@router.get("/vehicles/{vin}/series", response_model=Series)
def series(
    session: ReadSessionDep,
    user: CurrentUser,
    vin: VinPath,
    signal: Annotated[str, Query(max_length=40, examples=["COOLANT_TEMP"])],
    start: Annotated[LocalMoment | None, Query(description="Default: 24 h before end")] = None,
    end: Annotated[LocalMoment | None, Query(description="Default: now")] = None,
    bucket_seconds: Annotated[int, Query(ge=service.MIN_BUCKET_SECONDS, le=86400 * 31)] = 300,
) -> Series:
    """One signal over time, averaged per bucket."""
    end = _aware(end) if end else datetime.now(UTC)
    try:
        start = _aware(start) if start else end - DEFAULT_WINDOW
    except OverflowError:
        raise InvalidInput(field="end", problem="too early; give a later end") from None
    rows = service.series(
        session,
        actor=user.scope,
        vin=vin,
        signal=signal,
        start=start,
        end=end,
        bucket_seconds=bucket_seconds,
    )
    return Series(
        vin=vin,
        signal=signal,
        unit=BY_NAME[signal].unit,
        bucket_seconds=bucket_seconds,
        points=[SeriesPoint.model_validate(r, from_attributes=True) for r in rows],
    )


def _aware(moment: datetime) -> datetime:
    """A time without a zone is read as UTC (the wire contract's clock)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/vehicles/{vin}/dtcs", response_model=DtcEventPage)
def dtcs(
    session: ReadSessionDep,
    user: CurrentUser,
    vin: VinPath,
    page: PageParamsDep,
    code: Annotated[str | None, Query(max_length=5, examples=["P0301"])] = None,
) -> DtcEventPage:
    """Trouble codes the car reported, newest first."""
    paged = service.dtc_history(session, actor=user.scope, vin=vin, page=page, code=code)
    return DtcEventPage.model_validate(paged, from_attributes=True)
