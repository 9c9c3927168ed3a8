"""The long service history of the demo stores: day by day, the cars that are due come in
(as many as the season, the weekday and the trend bring), by appointment, as walk-ins, after a
reminder, or proactively after a telematics alert (a share that grows over the history); each
job goes 接车 → 诊断 → 报价 → 维修 → 质检 → 结算 → 交车, waits when a part must be ordered, is
clocked by its technician, invoiced and surveyed. Some customers book and do not come; some
jobs come back within 30 days for the same fault.

A predicted visit carries the proposal the proactive loop made for its alert
(demo.history_proposals); when its fault comes back, the alert is raised again inside the
watch and the loop books the car once more.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from core.clock import zone
from demo.draws import poisson
from demo.history_customers import Car, Pool, interval, local_moment
from demo.history_proposals import add_proposal, failure_mode, flag_comeback, source_ref
from demo.parts_history import Ledger
from demo.responses import alert_moment
from demo.seasons import workshop_factor
from demo.service_bookings import book, missed
from demo.service_jobs import PartPicker, pick_job
from demo.service_rows import ServiceRows

OPENS, LAST_START, LAST_BOOKING = 8.5, 16.5, 17.5
COMEBACK_RATE = 0.06  # confirmed repairs that come back for the same fault
QC_FAIL_RATE = 0.03
COMEBACK_DAYS = 30
# Technician level -> clocked hours per flat-rate hour (seniors beat the book).
PACE = {1: 1.2, 2: 1.05, 3: 0.95, 4: 0.85}


@dataclass
class Workshop:
    """What one store's history needs: its people, bays, catalogue, stock and pace."""

    store_id: int
    code: str
    advisor_id: int | None
    technicians: list  # Technician rows
    bays: list  # Bay rows
    operations: dict  # code -> LabourOperation
    rate: Decimal
    ledger: Ledger
    picker: PartPicker
    daily: float
    direct_booking: bool  # books predicted faults at once (SH-PD), else after a proposal


class ServiceHistory:
    """Plans every store's visits day by day, into ServiceRows."""

    def __init__(
        self,
        rng: random.Random,
        rows: ServiceRows,
        pool: Pool,
        first_day: date,
        last_day: date,
        until: datetime | None = None,
    ) -> None:
        self.rng, self.rows, self.pool = rng, rows, pool
        self.first_day, self.last_day, self.until = first_day, last_day, until
        # (store, day) -> cars coming back for the same fault, with the first job's proposal
        self.comebacks: dict[tuple[int, date], list[tuple[Car, object, dict | None]]] = {}
        self.interactions: list[dict] = []

    def proactive_share(self, day: date) -> float:
        """Predicted visits grow from 3% to about 30% of the jobs over the history."""
        span = max(1, (self.last_day - self.first_day).days)
        return 0.03 + 0.27 * (day - self.first_day).days / span

    def run(self, shops: list[Workshop]) -> None:
        heaps = {
            s.store_id: [(c.next_due, i) for i, c in enumerate(self.pool.cars[s.store_id])]
            for s in shops
        }
        for heap in heaps.values():
            heapq.heapify(heap)
        day = self.first_day
        while day <= self.last_day:
            for shop in shops:
                shop.ledger.receive_due(day)
                if day.weekday() == 0:
                    shop.ledger.review(day)
                self._day(shop, heaps[shop.store_id], day)
            day += timedelta(days=1)
        for shop in shops:  # parts the last day's jobs ordered arrive that day, after its jobs
            shop.ledger.receive_due(self.last_day)

    def _day(self, shop: Workshop, heap: list, day: date) -> None:
        factor = workshop_factor(day)
        comebacks = self.comebacks.pop((shop.store_id, day), [])
        if factor == 0:
            return
        wanted = poisson(self.rng, shop.daily * factor * math.exp(self.rng.gauss(0, 0.12)))
        cars = self.pool.cars[shop.store_id]
        visits = list(comebacks)
        deferred = []
        while len(visits) < wanted + len(comebacks) and heap:
            due, index = heap[0]
            if due > day + timedelta(days=90):
                break
            heapq.heappop(heap)
            car = cars[index]
            if car.churn_on and day >= car.churn_on:
                continue  # a churner does not come back
            if car.last_visit and (day - car.last_visit).days <= COMEBACK_DAYS:
                deferred.append((car.last_visit + timedelta(days=COMEBACK_DAYS + 1), index))
                continue
            visits.append((car, None, None))
            car.next_due = day + timedelta(days=interval(self.rng, car))
            heapq.heappush(heap, (car.next_due, index))
        for entry in deferred:
            heapq.heappush(heap, entry)
        free = {t.id: local_moment(day, OPENS) for t in shop.technicians}
        self.rng.shuffle(visits)
        for car, job, origin in visits:
            self._visit(shop, day, car, job, free, origin)

    def _visit(self, shop: Workshop, day: date, car: Car, job, free: dict, origin=None) -> None:
        """One car's visit; `origin` is the proposal of the predicted job it comes back to."""
        rng, rows = self.rng, self.rows
        comeback = job is not None
        predicted = not comeback and rng.random() < self.proactive_share(day)
        job = job or pick_job(rng, predicted)
        source = (
            "alert"
            if predicted or origin is not None
            else "walk_in"
            if comeback
            else rng.choices(("appointment", "reminder", "walk_in"), (45, 10, 45))[0]
        )
        operations = [shop.operations[c] for c in job.operations if c in shop.operations]
        level = max((op.min_level for op in operations), default=1)
        fitting = [t for t in shop.technicians if t.level >= level] or shop.technicians
        tech = min(fitting, key=lambda t: free[t.id])
        index = shop.technicians.index(tech)
        bay = shop.bays[index % len(shop.bays)]
        hours = float(sum(op.flat_rate_hours for op in operations))
        slot = max(free[tech.id], local_moment(day, rng.uniform(OPENS, LAST_START)))
        if slot > local_moment(day, LAST_BOOKING):
            source = "walk_in"  # no slot left today: the car is fitted in as a walk-in
        start = _half_hour(slot) if source != "walk_in" else slot
        minutes = max(30, math.ceil(hours * 2) * 30)
        if self.until is not None and start + timedelta(minutes=minutes) > self.until:
            return  # the live day's board holds the workshop from here on
        appointment_id, created, alert_id = None, start - timedelta(minutes=5), None
        if source != "walk_in":
            appointment_id = rows.next_id("service_appointments")
            booking = book(self, shop, car, job, source, start, 1 if origin else 0)
            if source == "alert":
                alert_id = rows.next_id("alerts")
            rows.appointment(
                id=appointment_id,
                store_id=shop.store_id,
                car=car,
                technician_id=tech.id,
                bay_id=bay.id,
                advisor_id=shop.advisor_id,
                starts=start,
                minutes=minutes,
                source=_booked_by(source),
                booked=booking.booked,
                status="arrived",
                operations=job.operations,
                confirmed=booking.confirmed,
                source_ref=alert_id and source_ref(car.vin, failure_mode(job.cause), alert_id),
            )
            created = booking.booked
            missed(self, shop, day, source, _booked_by(source), _half_hour)
        wo_id = rows.next_id("work_orders")
        steps = [("booked", created), ("checked_in", start), ("diagnosis", start + _m(10))]
        reasons: dict[str, str] = {}
        if source != "alert" and rng.random() < 0.015:  # the customer decides not to go ahead
            steps.append(("cancelled", start + _m(40)))
            reasons["cancelled"] = "客户决定暂不维修 / the customer declined the repair"
            order = self._write_order(shop, car, job, source, appointment_id, tech, wo_id, steps)
            rows.log_order(order, steps, reasons)
            free[tech.id] = max(free[tech.id], start + _m(minutes))
            return
        approved = start + _m(rng.randint(30, 60))
        steps += [("estimate_sent", start + _m(25)), ("customer_approved", approved)]
        parts = shop.picker.pick(rng, job, car.make, car.model)
        ready = approved
        for part, quantity in parts:
            line_id = rows.next_id("work_order_parts")
            reservation_id = rows.next_id("part_reservations")
            issued = shop.ledger.request(part.id, quantity, approved, reservation_id, line_id)
            rows.part_line(
                id=line_id,
                reservation_id=reservation_id,
                work_order_id=wo_id,
                store_id=shop.store_id,
                warehouse_id=shop.ledger.warehouse.id,
                part=part,
                quantity=quantity,
                requested=approved,
                issued=issued,
            )
            ready = max(ready, issued)
        waited = ready > approved + timedelta(hours=1)
        if waited:
            steps += [("waiting_parts", approved + _m(5)), ("customer_approved", ready)]
            reasons["waiting_parts"] = "part_backordered"
        clock = max(ready, approved) + _m(5)
        steps.append(("in_repair", clock))
        labour = []
        for op in operations:
            pct = Decimal(rng.choice((0, 0, 0, 0, 5, 10)))
            line_id = rows.next_id("work_order_labour")
            rows.labour(
                id=line_id,
                work_order_id=wo_id,
                operation=op,
                rate=shop.rate,
                discount_pct=pct,
                technician_id=tech.id,
            )
            pace = PACE.get(tech.level, 1.0) * math.exp(rng.gauss(0, 0.18))
            clock = rows.clock(
                line_id=line_id,
                technician_id=tech.id,
                start=clock,
                hours=float(op.flat_rate_hours) * pace,
            ) + _m(2)
            labour.append((op, shop.rate, pct))
        steps.append(("quality_check", clock + _m(5)))
        if rng.random() < QC_FAIL_RATE and labour:
            steps.append(("in_repair", clock + _m(15)))
            reasons["in_repair"] = "质检未通过:复紧螺栓 / QC failed: re-torque"
            clock = rows.clock(
                line_id=line_id, technician_id=tech.id, start=clock + _m(16), hours=0.3
            )
            steps.append(("quality_check", clock + _m(5)))
        settled = clock + _m(rng.randint(15, 40))
        delivered = settled + _m(rng.randint(10, 120))
        steps += [("settled", settled), ("delivered", delivered)]
        free[tech.id] = max(free[tech.id], start + _m(minutes))
        if not waited:
            free[tech.id] = max(free[tech.id], clock)
        survey_id = rows.next_id("service_surveys")
        unhappy = 0.06 + (0.15 if waited else 0) + (0.25 if comeback else 0)
        order = self._write_order(shop, car, job, source, appointment_id, tech, wo_id, steps)
        proposal = None
        if source == "alert":
            rows.alert(id=alert_id, car=car, cause=job.cause, at=booking.asked, cleared=delivered)
            proposal = add_proposal(
                rows,
                store_id=shop.store_id,
                car=car,
                job=job,
                parts=parts,
                alert_id=alert_id,
                raised=booking.asked,
                booked=booking.booked,
                starts=start,
                appointment_id=appointment_id,
                work_order_id=wo_id,
                delivered=delivered,
                odometer=order["odometer_km"],
                accepted_by=None if shop.direct_booking else shop.advisor_id,
            )
        if origin is not None:  # the fault's alert came back (the car may not wait for a slot)
            if alert_id is None:
                alert_id, raised = (
                    rows.next_id("alerts"),
                    alert_moment(rng, day - timedelta(days=1)),
                )
                rows.alert(id=alert_id, car=car, cause=job.cause, at=raised, cleared=delivered)
            flag_comeback(origin, alert_id, booking.asked if source == "alert" else raised)
        rows.invoice(
            id=rows.next_id("service_invoices"),
            work_order=order,
            labour=labour,
            parts=parts,
            at=settled,
        )
        if rows.survey(rng, id=survey_id, work_order=order, delivered=delivered, unhappy=unhappy):
            steps.append(("follow_up", _answered(rows)))
        rows.log_order(order, steps, reasons)
        car.last_visit, car.visits = day, car.visits + 1
        car.odometer += rng.uniform(3000, 7000)
        if job.outcome == "confirmed_cause" and not comeback and rng.random() < COMEBACK_RATE:
            after = max(day, delivered.astimezone(zone()).date())
            back = after + timedelta(days=rng.randint(3, COMEBACK_DAYS - 2))
            self.comebacks.setdefault((shop.store_id, back), []).append((car, job, proposal))

    def _write_order(
        self,
        shop: Workshop,
        car: Car,
        job,
        source: str,
        appointment_id,
        tech,
        wo_id: int,
        steps: list,
    ) -> dict:
        return self.rows.work_order(
            id=wo_id,
            store_id=shop.store_id,
            car=car,
            source=source,
            source_ref=f"hist:{wo_id}",
            appointment_id=appointment_id,
            advisor_id=shop.advisor_id,
            technician_id=tech.id,
            job=job,
            steps=steps,
            odometer=round(car.odometer, 1),
        )


def _answered(rows: ServiceRows) -> datetime:
    return rows.tables["surveys"][-1]["answered_at"]


def _booked_by(source: str) -> str:
    return {"appointment": "customer", "alert": "alert", "reminder": "reminder"}.get(
        source, "advisor"
    )


def _half_hour(at: datetime) -> datetime:
    extra = (30 - at.minute % 30) % 30
    return (at + timedelta(minutes=extra)).replace(second=0, microsecond=0)


def _m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)
