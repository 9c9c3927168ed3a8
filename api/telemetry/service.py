"""Reading telemetry for vehicles the caller may see; the tables are ingest's, read-only here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.crm.models import Vehicle
from api.errors import InvalidInput, NotFound
from api.pagination import Paged, PageParams, paginate
from api.telemetry.models import dtc_events, telemetry, vehicle_latest
from core.signals import BY_NAME

MAX_POINTS = 2000  # buckets in one series answer; a chart has no more pixels than that
MIN_BUCKET_SECONDS = 1
BUCKET_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # same origin as telemetry_hourly


def visible_vehicle(session: Session, *, scope: Scope, vin: str) -> Vehicle:
    """The registered vehicle with this VIN, if the caller may see it."""
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    if vehicle is None:
        raise NotFound(entity="vehicle", id=vin)
    scope.ensure(entity="vehicle", store_id=vehicle.store_id, customer_id=vehicle.owner_id)
    return vehicle


def _latest_select() -> Any:
    return select(
        vehicle_latest.c.vin,
        Vehicle.id.label("vehicle_id"),
        vehicle_latest.c.last_seen,
        vehicle_latest.c.sample_ts,
        vehicle_latest.c["values"],
        vehicle_latest.c.online,
        vehicle_latest.c.stored_dtcs,
        vehicle_latest.c.pending_dtcs,
    ).join(Vehicle, Vehicle.vin == vehicle_latest.c.vin)


def latest(session: Session, *, scope: Scope, vin: str) -> Any:
    """The newest state of one car (NotFound when it never reported)."""
    visible_vehicle(session, scope=scope, vin=vin)
    row = session.execute(_latest_select().where(vehicle_latest.c.vin == vin)).first()
    if row is None:
        raise NotFound(entity="telemetry", id=vin)
    return row


def fleet_latest(
    session: Session,
    *,
    scope: Scope,
    page: PageParams,
    online: bool | None = None,
    with_dtcs: bool | None = None,
) -> Paged[Any]:
    """The newest state of every visible car that has reported, most recent first."""
    stmt = _latest_select().where(
        scope.visible(store_column=Vehicle.store_id, customer_column=Vehicle.owner_id)
    )
    if online is not None:
        stmt = stmt.where(vehicle_latest.c.online.is_(online))
    if with_dtcs is not None:
        has = func.cardinality(vehicle_latest.c.stored_dtcs) > 0
        stmt = stmt.where(has if with_dtcs else ~has)
    stmt = stmt.order_by(vehicle_latest.c.last_seen.desc(), vehicle_latest.c.vin)
    return paginate(session, stmt, page, scalars=False)


def series(
    session: Session,
    *,
    scope: Scope,
    vin: str,
    signal: str,
    start: datetime,
    end: datetime,
    bucket_seconds: int,
) -> list[Any]:
    """avg/min/max of one signal per time bucket between start and end (date_bin in SQL)."""
    if signal not in BY_NAME:
        raise InvalidInput(
            field="signal", problem=f"unknown signal {signal!r}; known: {', '.join(BY_NAME)}"
        )
    if end <= start:
        raise InvalidInput(field="end", problem="end must be after start")
    if (end - start) / timedelta(seconds=bucket_seconds) > MAX_POINTS:
        raise InvalidInput(
            field="bucket_seconds",
            problem=f"more than {MAX_POINTS} buckets; choose a larger bucket or a shorter range",
        )
    visible_vehicle(session, scope=scope, vin=vin)
    column = telemetry.c[BY_NAME[signal].column]
    bucket = func.date_bin(
        literal_column(f"interval '{int(bucket_seconds)} seconds'"), telemetry.c.ts, BUCKET_ORIGIN
    ).label("bucket")
    stmt = (
        select(
            bucket,
            func.count(column).label("samples"),
            func.avg(column).label("avg"),
            func.min(column).label("min"),
            func.max(column).label("max"),
        )
        .where(telemetry.c.vin == vin, telemetry.c.ts >= start, telemetry.c.ts < end)
        .group_by(bucket)
        .order_by(bucket)
    )
    return list(session.execute(stmt))


def dtc_history(
    session: Session, *, scope: Scope, vin: str, page: PageParams, code: str | None = None
) -> Paged[Any]:
    """The DTCs one car reported, newest first."""
    visible_vehicle(session, scope=scope, vin=vin)
    stmt = select(dtc_events).where(dtc_events.c.vin == vin)
    if code:
        stmt = stmt.where(dtc_events.c.code == code.upper())
    return paginate(session, stmt.order_by(dtc_events.c.ts.desc()), page, scalars=False)
