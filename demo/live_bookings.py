"""The live day's bookings: the visits still to come today and tomorrow, and the open
purchase orders (due today and tomorrow) for the parts the waiting jobs need."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from api.parts.models import Part
from api.purchasing.states import PURCHASE_ORDER
from api.workshop.states import APPOINTMENT
from core.clock import local_date
from demo.history_customers import local_moment
from demo.responses import confirmation, request_moment
from demo.service_jobs import JOBS

UPCOMING = {"today": 3, "tomorrow": 5}  # booked visits per store still to come


def appointment_row(id, store, car, tech, bay, advisor, starts, minutes, status, job, booked):
    """An appointment of the live day, as a row."""
    return {
        "id": id,
        "store_id": store.id,
        "customer_id": car.owner_id,
        "vehicle_id": car.id,
        "technician_id": tech.id,
        "bay_id": bay.id,
        "advisor_id": advisor,
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=minutes),
        "status": status,
        "operation_codes": list(job.operations),
        "source": "customer",
        "created_at": booked,
    }


def open_orders(rows, audit, ids, group, store, warehouse, short, now, actor) -> None:
    """Open purchase orders for the parts the waiting jobs need: one due today, one tomorrow."""
    by_supplier: dict[int, list[tuple[Part, Decimal]]] = {}
    for part, quantity, _ in short:
        by_supplier.setdefault(part.preferred_supplier_id, []).append((part, quantity))
    today = local_date(now)
    for n, (supplier, lines) in enumerate(sorted(by_supplier.items())):
        order_id = next(ids["purchase_orders"])
        placed = now - timedelta(days=2 - n % 2, hours=3)
        rows.setdefault("purchase_orders", []).append(
            {
                "id": order_id,
                "dealer_group_id": group.id,
                "store_id": store.id,
                "warehouse_id": warehouse.id,
                "supplier_id": supplier,
                "status": "confirmed",
                "number": f"PO{today:%Y%m%d}-L{order_id:05d}",
                "created_by": actor,
                "expected_on": today + timedelta(days=n % 2),
                "created_at": placed,
                "notes": "缺件工单急件 / parts for waiting jobs",
            }
        )
        audit.path(
            PURCHASE_ORDER,
            order_id,
            store.id,
            [
                ("draft", placed),
                ("sent", placed + timedelta(minutes=10)),
                ("confirmed", placed + timedelta(hours=2)),
            ],
            actor_id=actor,
        )
        merged: dict[int, tuple[Part, Decimal]] = {}
        for part, quantity in lines:
            merged[part.id] = (part, merged.get(part.id, (part, Decimal(0)))[1] + quantity)
        for part, quantity in merged.values():
            rows.setdefault("purchase_order_lines", []).append(
                {
                    "id": next(ids["purchase_order_lines"]),
                    "purchase_order_id": order_id,
                    "part_id": part.id,
                    "quantity": quantity + 2,
                    "unit_price": part.standard_cost,
                }
            )


def upcoming_visits(rows, audit, ids, store, techs, bays, cars, advisor, now, rng, ops) -> None:
    """Visits still to come today and tomorrow, booked or confirmed."""
    today = local_date(now)
    tomorrow = today + timedelta(days=1)
    jobs = [j for j in JOBS if all(o in ops for o in j.operations)]
    starts = {
        "today": half_hour_floor(now) + timedelta(hours=1),
        "tomorrow": local_moment(tomorrow, 8.5),
    }
    queue = iter(cars)
    for when, count in UPCOMING.items():
        for n in range(count):
            car, tech = next(queue), techs[n % len(techs)]
            starts_at = starts[when] + timedelta(hours=n // len(techs))
            appointment_id = next(ids["service_appointments"])
            booked = request_moment(rng, today - timedelta(days=rng.randint(1, 5)))
            status = "confirmed" if n % 2 else "booked"
            rows.setdefault("appointments", []).append(
                appointment_row(
                    appointment_id,
                    store,
                    car,
                    tech,
                    bays[n % len(techs)],
                    advisor,
                    starts_at,
                    60,
                    status,
                    rng.choice(jobs),
                    booked,
                )
            )
            steps = [("booked", booked)]
            if status == "confirmed":
                confirmed = confirmation(rng, store.code, booked)
                steps.append(("confirmed", min(confirmed, now - timedelta(minutes=1))))
            online = {"booked": None}  # the customer booked online
            audit.path(
                APPOINTMENT, appointment_id, store.id, steps, actor_id=advisor, actors=online
            )


def half_hour_floor(at: datetime) -> datetime:
    """The half hour `at` falls in."""
    return at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)
