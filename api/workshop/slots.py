"""Slot search: when a skilled technician, a suitable bay and the parts line up. No HTTP.

A job needs the sum of its operations' flat-rate hours (rounded up to the half hour), a
technician with every skill at the highest level any operation asks, and a bay that serves
every bay kind asked. Candidate starts are every half hour inside the store's opening hours
(local time, closed days skipped), no earlier than the parts' ETA when stock is short.
Slots that meet the customer's preferences rank first, earlier ones before later ones.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.actor import SystemActor
from api.auth.models import Store
from api.crm.constants import WEEKDAYS
from api.errors import InvalidInput, NotFound
from api.i18n import Text
from api.parts import service as parts_service
from api.parts.models import Part, Warehouse
from api.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from api.workshop.catalogue import operations_by_code
from api.workshop.constants import (
    BAY_SERVES,
    DEFAULT_PARTS_LEAD_DAYS,
    DEFAULT_SLOTS,
    HOLDING_STATES,
    MAX_SEARCH_DAYS,
    MIN_APPOINTMENT,
    OPEN_ORDER_STATES,
    SLOT_STEP,
    TIME_OF_DAY_HOURS,
)
from api.workshop.models import (
    Appointment,
    Bay,
    ClosedDay,
    LabourOperation,
    OpeningHours,
    Technician,
)
from core import clock

PREFERENCE_WEIGHT = 100.0  # one met preference outweighs any difference in earliness


@dataclass(frozen=True)
class Preferences:
    """What suits the customer (store is chosen by the caller): weekdays, time of day, tech."""

    weekdays: tuple[str, ...] = ()
    time_of_day: str | None = None
    technician_id: int | None = None


@dataclass(frozen=True)
class JobNeeds:
    """What a set of operations needs from the workshop."""

    operations: tuple[LabourOperation, ...]
    duration: timedelta
    skills: frozenset[str]
    min_level: int
    bay_kinds: frozenset[str]

    def fits_technician(self, technician: Technician) -> bool:
        """True when the technician has every skill at a sufficient level."""
        return self.skills <= set(technician.skills) and technician.level >= self.min_level

    def fits_bay(self, bay: Bay) -> bool:
        """True when the bay serves every bay kind the operations ask for."""
        return self.bay_kinds <= BAY_SERVES.get(bay.kind, frozenset())


@dataclass(frozen=True)
class Slot:
    """A bookable slot."""

    starts_at: datetime
    ends_at: datetime
    technician_id: int
    bay_id: int
    score: float
    matches: tuple[str, ...]


@dataclass
class SlotResult:
    """Ranked slots for a job, and when its parts are ready (None: all in stock)."""

    duration_minutes: int
    skills: list[str]
    parts_ready_at: datetime | None
    slots: list[Slot] = field(default_factory=list)
    calendar: Calendar | None = field(default=None, repr=False, compare=False)  # as searched


def job_needs(session: Session, *, group_id: int, operations: Iterable[str]) -> JobNeeds:
    """The duration, skills, level and bay kinds the operations (codes) need together."""
    ops = tuple(operations_by_code(session, group_id=group_id, codes=operations))
    hours = sum((op.flat_rate_hours for op in ops), Decimal(0))
    step = SLOT_STEP.total_seconds() / 60
    minutes = max(MIN_APPOINTMENT.total_seconds() / 60, math.ceil(float(hours) * 60 / step) * step)
    return JobNeeds(
        operations=ops,
        duration=timedelta(minutes=minutes),
        skills=frozenset(op.required_skill for op in ops),
        min_level=max(op.min_level for op in ops),
        bay_kinds=frozenset(op.bay_kind for op in ops if op.bay_kind),
    )


class Calendar:
    """A store's workshop: hours, closed days, fitting resources and their busy periods."""

    def __init__(
        self,
        session: Session,
        *,
        store: Store,
        needs: JobNeeds,
        start: datetime,
        end: datetime,
        ignore_appointment_id: int | None = None,
    ) -> None:
        self.store_id = store.id
        self.zone = clock.zone(store.timezone)
        self.needs = needs
        self.hours = {
            h.weekday: h
            for h in session.scalars(select(OpeningHours).where(OpeningHours.store_id == store.id))
        }
        self.closed = set(
            session.scalars(
                select(ClosedDay.day).where(
                    ClosedDay.store_id == store.id,
                    ClosedDay.day.between(
                        start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
                    ),
                )
            )
        )
        techs = session.scalars(
            select(Technician)
            .where(Technician.store_id == store.id, Technician.active.is_(True))
            .order_by(Technician.level, Technician.id)  # juniors first: keep masters free
        )
        self.technicians = [t for t in techs if needs.fits_technician(t)]
        bays = session.scalars(
            select(Bay).where(Bay.store_id == store.id, Bay.active.is_(True)).order_by(Bay.id)
        )
        # Exact kinds first, so that an oil change does not take the alignment bay.
        self.bays = sorted(
            (b for b in bays if needs.fits_bay(b)), key=lambda b: len(BAY_SERVES[b.kind])
        )
        # Busy by resource, whatever store booked it: the exclusion constraints judge so too.
        self._busy_tech = self._busy(
            session,
            Appointment.technician_id,
            [t.id for t in self.technicians],
            start,
            end,
            ignore_appointment_id,
        )
        self._busy_bay = self._busy(
            session,
            Appointment.bay_id,
            [b.id for b in self.bays],
            start,
            end,
            ignore_appointment_id,
        )

    @staticmethod
    def _busy(
        session: Session,
        column,
        resource_ids: list[int],
        start: datetime,
        end: datetime,
        ignore: int | None,
    ) -> dict[int, tuple[list[datetime], list[datetime]]]:
        stmt = (
            select(column, Appointment.starts_at, Appointment.ends_at)
            .where(
                column.in_(resource_ids),
                Appointment.status.in_(HOLDING_STATES),
                Appointment.starts_at < end,
                Appointment.ends_at > start,
            )
            .order_by(column, Appointment.starts_at)
        )
        if ignore is not None:
            stmt = stmt.where(Appointment.id != ignore)
        busy: dict[int, tuple[list[datetime], list[datetime]]] = {}
        for resource, s, e in session.execute(stmt):
            starts, ends = busy.setdefault(resource, ([], []))
            starts.append(s)
            ends.append(e)
        return busy

    @staticmethod
    def _free(busy: dict, resource: int, s: datetime, e: datetime) -> bool:
        # Held periods of one resource never overlap, so starts and ends are both sorted.
        starts, ends = busy.get(resource, ((), ()))
        i = bisect.bisect_right(ends, s)
        return i >= len(starts) or starts[i] >= e

    def is_open(self, s: datetime, e: datetime) -> bool:
        """True when [s, e) lies inside one day's opening hours."""
        local_s, local_e = s.astimezone(self.zone), e.astimezone(self.zone)
        day = local_s.date()
        hours = self.hours.get(day.weekday())
        if hours is None or day in self.closed:
            return False
        opens = datetime.combine(day, hours.opens, self.zone)
        closes = datetime.combine(day, hours.closes, self.zone)
        return opens <= local_s and local_e <= closes

    def technician_free(self, technician_id: int, s: datetime, e: datetime) -> bool:
        """True when the technician holds nothing during [s, e)."""
        return self._free(self._busy_tech, technician_id, s, e)

    def bay_free(self, bay_id: int, s: datetime, e: datetime) -> bool:
        """True when the bay holds nothing during [s, e)."""
        return self._free(self._busy_bay, bay_id, s, e)

    def free_technicians(self, s: datetime, e: datetime) -> list[Technician]:
        """Fitting technicians free during [s, e), juniors first."""
        return [t for t in self.technicians if self._free(self._busy_tech, t.id, s, e)]

    def free_bays(self, s: datetime, e: datetime) -> list[Bay]:
        """Fitting bays free during [s, e), the most specific first."""
        return [b for b in self.bays if self._free(self._busy_bay, b.id, s, e)]

    def starts(self, start: datetime, end: datetime) -> Iterable[datetime]:
        """Candidate start times (UTC) inside opening hours, where the job ends by `end`."""
        day: date = start.astimezone(self.zone).date()
        last: date = end.astimezone(self.zone).date()
        while day <= last:
            hours = self.hours.get(day.weekday())
            if hours is not None and day not in self.closed:
                t = datetime.combine(day, hours.opens, self.zone)
                closes = datetime.combine(day, hours.closes, self.zone)
                while t + self.needs.duration <= closes:
                    if t >= start and t + self.needs.duration <= end:
                        yield t.astimezone(UTC)
                    t += SLOT_STEP
            day += timedelta(days=1)


def _align(moment: datetime) -> datetime:
    step = SLOT_STEP.total_seconds()
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / step) * step, UTC)


def parts_ready_at(
    session: Session, *, store: Store, parts: Sequence[tuple[int, Decimal]], now: datetime
) -> datetime | None:
    """When every part is available in the store's warehouse (None: it is now).

    A short part is ready on the earliest expected date of an open purchase order to one of
    the store's warehouses, else after its preferred supplier's lead time.
    """
    ready: datetime | None = None
    zone = clock.zone(store.timezone)
    for part_id, quantity in parts:
        try:
            available = parts_service.availability(
                session, actor=SystemActor(store.id), part_id=part_id
            ).available
        except InvalidInput:  # the store has no warehouse of its own: everything is ordered
            available = Decimal(0)
        if available >= Decimal(str(quantity)):
            continue
        expected = session.scalar(
            select(func.min(PurchaseOrder.expected_on))
            .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
            .where(
                PurchaseOrderLine.part_id == part_id,
                PurchaseOrder.status.in_(OPEN_ORDER_STATES),
                PurchaseOrder.expected_on.is_not(None),
                Warehouse.store_id == store.id,
            )
        )
        if expected is None:
            lead = session.scalar(
                select(Supplier.lead_time_days)
                .join(Part, Part.preferred_supplier_id == Supplier.id)
                .where(Part.id == part_id)
            )
            days = DEFAULT_PARTS_LEAD_DAYS if lead is None else lead
            expected = (now.astimezone(zone) + timedelta(days=days)).date()
        arrives = datetime.combine(expected, time(0), zone).astimezone(UTC)
        ready = arrives if ready is None else max(ready, arrives)
    return ready


def find_slots(
    session: Session,
    *,
    store_id: int,
    operations: Iterable[str],
    earliest: datetime,
    latest: datetime,
    parts: Sequence[tuple[int, Decimal]] = (),
    preferences: Preferences | None = None,
    limit: int = DEFAULT_SLOTS,
    ignore_appointment_id: int | None = None,
    now: datetime | None = None,
) -> SlotResult:
    """Ranked free slots for the operations (codes) at the store between earliest and latest.

    parts: (part_id, quantity) the job needs; when short, slots start after their ETA.
    preferences: weekdays ('mon'..'sun'), time of day, a technician; matches rank first.
    """
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(entity="store", id=store_id)
    if earliest.tzinfo is None or latest.tzinfo is None:
        raise InvalidInput(field="earliest", problem="give times with a time zone offset")
    if not earliest < latest <= earliest + timedelta(days=MAX_SEARCH_DAYS):
        raise InvalidInput(
            field="latest", problem=Text("service.window", {"days": MAX_SEARCH_DAYS})
        )
    prefs = preferences or Preferences()
    now = now or datetime.now(UTC)
    needs = job_needs(session, group_id=store.dealer_group_id, operations=operations)
    ready = parts_ready_at(session, store=store, parts=parts, now=now)
    start = _align(max(earliest, now, ready or earliest))
    result = SlotResult(
        duration_minutes=int(needs.duration.total_seconds() // 60),
        skills=sorted(needs.skills),
        parts_ready_at=ready,
    )
    if start >= latest:
        return result
    calendar = Calendar(
        session,
        store=store,
        needs=needs,
        start=start,
        end=latest,
        ignore_appointment_id=ignore_appointment_id,
    )
    candidates: list[Slot] = []
    # Slots come earliest first, so once `limit` of them meet every preference none after
    # them can rank higher: the search stops there.
    most = sum(map(bool, (prefs.weekdays, prefs.time_of_day, prefs.technician_id is not None)))
    best = 0
    for s in calendar.starts(start, latest):
        e = s + needs.duration
        technicians = calendar.free_technicians(s, e)
        bays = calendar.free_bays(s, e) if technicians else []
        if not bays:
            continue
        matches = _matches(s.astimezone(calendar.zone), prefs, technicians)
        technician = next((t for t in technicians if t.id == prefs.technician_id), technicians[0])
        days_out = (s - start).total_seconds() / 86_400
        candidates.append(
            Slot(
                starts_at=s,
                ends_at=e,
                technician_id=technician.id,
                bay_id=bays[0].id,
                score=round(PREFERENCE_WEIGHT * len(matches) - days_out, 3),
                matches=matches,
            )
        )
        best += len(matches) == most
        if best == limit:
            break
    candidates.sort(key=lambda slot: (-slot.score, slot.starts_at))
    result.slots, result.calendar = candidates[:limit], calendar
    return result


def _matches(local: datetime, prefs: Preferences, free: list[Technician]) -> tuple[str, ...]:
    met = []
    if prefs.weekdays and WEEKDAYS[local.weekday()] in prefs.weekdays:
        met.append("weekday")
    if prefs.time_of_day:
        first, last = TIME_OF_DAY_HOURS[prefs.time_of_day]
        if first <= local.hour < last:
            met.append("time_of_day")
    if prefs.technician_id is not None and any(t.id == prefs.technician_id for t in free):
        met.append("technician")
    return tuple(met)
