"""Reading telemetry for vehicles the caller may see; the tables are ingest's, read-only here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.crm.models import Vehicle
from api.errors import InvalidInput, NotFound
from api.pagination import Paged, PageParams, paginate
from api.telemetry.models import (
    diagnostics_car_state,
    dtc_events,
    model_registry,
    telemetry,
    vehicle_latest,
)
from core.signals import BY_NAME

MAX_POINTS = 2000  # buckets in one series answer; a chart has no more pixels than that
MIN_BUCKET_SECONDS = 1
BUCKET_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # same origin as telemetry_hourly


def visible_vehicle(session: Session, *, actor: Scope, vin: str) -> Vehicle:
    """The registered vehicle with this VIN, if the caller may see it."""
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    if vehicle is None:
        raise NotFound(entity="vehicle", id=vin)
    actor.ensure(
        entity="vehicle", store_id=vehicle.store_id, customer_id=vehicle.owner_id, record_id=vin
    )
    return vehicle


def history_start(actor: Scope, vehicle: Vehicle) -> datetime | None:
    """Where the caller's view of the car's history begins: a customer's at their transfer."""
    return vehicle.owner_since if actor.is_customer else None


def _own_period(actor: Scope) -> Any:
    """For a customer: only cars whose newest sample is from their ownership."""
    if not actor.is_customer:
        return true()
    return or_(Vehicle.owner_since.is_(None), vehicle_latest.c.sample_ts >= Vehicle.owner_since)


def _latest_select() -> Any:
    return (
        select(
            vehicle_latest.c.vin,
            Vehicle.id.label("vehicle_id"),
            vehicle_latest.c.last_seen,
            vehicle_latest.c.sample_ts,
            vehicle_latest.c["values"],
            vehicle_latest.c.online,
            vehicle_latest.c.stored_dtcs,
            vehicle_latest.c.pending_dtcs,
            func.coalesce(diagnostics_car_state.c.baseline_days, 0).label("baseline_days"),
            exists().where(model_registry.c.active).label("models_active"),
        )
        .join(Vehicle, Vehicle.vin == vehicle_latest.c.vin)
        .outerjoin(diagnostics_car_state, diagnostics_car_state.c.vin == vehicle_latest.c.vin)
    )


def latest(session: Session, *, actor: Scope, vin: str) -> Any:
    """The newest state of one car (NotFound when it never reported)."""
    visible_vehicle(session, actor=actor, vin=vin)
    stmt = _latest_select().where(vehicle_latest.c.vin == vin, _own_period(actor))
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(entity="telemetry", id=vin)
    return row


def fleet_latest(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    online: bool | None = None,
    with_dtcs: bool | None = None,
) -> Paged[Any]:
    """The newest state of every visible car that has reported, most recent first."""
    stmt = _latest_select().where(
        actor.visible(store_column=Vehicle.store_id, customer_column=Vehicle.owner_id),
        _own_period(actor),
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
    actor: Scope,
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
    since = history_start(actor, visible_vehicle(session, actor=actor, vin=vin))
    if since is not None:
        start = max(start, since)
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
    session: Session, *, actor: Scope, vin: str, page: PageParams, code: str | None = None
) -> Paged[Any]:
    """The DTCs one car reported, newest first."""
    since = history_start(actor, visible_vehicle(session, actor=actor, vin=vin))
    stmt = select(dtc_events).where(dtc_events.c.vin == vin)
    if since is not None:
        stmt = stmt.where(dtc_events.c.ts >= since)
    if code:
        stmt = stmt.where(dtc_events.c.code == code.upper())
    return paginate(session, stmt.order_by(dtc_events.c.ts.desc()), page, scalars=False)
