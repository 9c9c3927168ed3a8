"""A live working day in the demo workshop: today's jobs in every column of the board (checked
in, in diagnosis, estimate sent, waiting for approval or parts, approved, in repair with the
clock running, in quality check, settled), today's and tomorrow's appointments, and the
purchase orders whose deliveries the waiting jobs need. The simulated fleet's cars come first.

Idempotent: nothing is added once a live job ("live:" ref) exists.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store
from api.crm.models import Vehicle
from api.parts.ledger import lot_balances
from api.parts.models import Part, Reservation, StockMove
from api.parts.states import RESERVATION
from api.purchasing.models import PurchaseOrder, PurchaseOrderLine
from api.work_orders.constants import PART_LINE_REFERENCE
from api.work_orders.models import Invoice, LabourClock, LabourLine, PartLine, WorkOrder
from api.work_orders.money_rules import pricing_of
from api.work_orders.states import WORK_ORDER
from api.workshop.models import Appointment, Technician
from api.workshop.states import APPOINTMENT
from demo.bulk import Audit, insert_rows, take_ids
from demo.live_bookings import appointment_row, half_hour_floor, open_orders, upcoming_visits
from demo.parts import STORE_WAREHOUSES, take_fefo
from demo.service_jobs import JOBS, PartPicker
from demo.work_orders import PATH
from demo.workshop import desk_of

SEED = 99
# The board of a store this morning: the state of each job, in order.
BOARD = (
    "in_repair",
    "in_repair",
    "checked_in",
    "diagnosis",
    "diagnosis",
    "estimate_sent",
    "waiting_approval",
    "waiting_parts",
    "waiting_parts",
    "customer_approved",
    "quality_check",
    "settled",
)
WAITS = {  # wait -> (the state it left, reason)
    "waiting_approval": ("estimate_sent", "customer_unreachable"),
    "waiting_parts": ("customer_approved", "part_backordered"),
}


def seed_live_day(
    session: Session,
    group: DealerGroup,
    stores: dict[str, Store],
    *,
    fleet_vins: list[str],
    now: datetime | None = None,
) -> dict[str, int]:
    """Fill the workshop of every store as it is `now` (idempotent); returns rows added by
    table."""
    if session.scalar(select(WorkOrder.id).where(WorkOrder.source_ref.like("live:%")).limit(1)):
        return {}
    rng = random.Random(SEED)
    audit = Audit()
    rows: dict[str, list[dict[str, Any]]] = {}
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    parts = session.scalars(select(Part).where(Part.dealer_group_id == group.id)).all()
    picker = PartPicker(list(parts), {})
    for code, store in stores.items():
        if code in STORE_WAREHOUSES:
            _store(session, rng, audit, rows, group, code, store, now, picker, fleet_vins)
    tables = (
        ("purchase_orders", PurchaseOrder),
        ("purchase_order_lines", PurchaseOrderLine),
        ("appointments", Appointment),
        ("work_orders", WorkOrder),
        ("labour", LabourLine),
        ("clocks", LabourClock),
        ("reservations", Reservation),
        ("part_lines", PartLine),
        ("moves", StockMove),
        ("invoices", Invoice),
    )
    added = {name: insert_rows(session, model, rows.get(name, [])) for name, model in tables}
    added["audit"] = audit.write(session)
    return added


def _store(session, rng, audit, rows, group, code, store, now, picker, fleet_vins) -> None:
    add = rows.setdefault
    advisor, techs, bays, ops, warehouse = desk_of(session, group, code, store)
    cars = session.scalars(
        select(Vehicle)
        .where(Vehicle.store_id == store.id, Vehicle.owner_id.is_not(None))
        .order_by(Vehicle.id)
    ).all()
    fleet = [v for vin in fleet_vins for v in cars if v.vin == vin]
    others = [v for v in cars if v not in fleet]
    queue = fleet + rng.sample(others, k=min(len(others), 30))
    rate = pricing_of(session, store.id).labour_rate
    stock = {}
    for balance in lot_balances(session, warehouse_id=warehouse.id, part_id=None):
        stock.setdefault(balance.lot.part_id, []).append([balance.lot, balance.quantity])
    ids = {
        t: iter(take_ids(session, t, 60))
        for t in (
            "work_orders",
            "work_order_labour",
            "work_order_parts",
            "part_reservations",
            "service_appointments",
            "purchase_orders",
            "purchase_order_lines",
            "service_invoices",
        )
    }
    first = _board_start(now, len(techs))
    short: list[tuple[Part, Decimal, int]] = []
    for index, state in enumerate(BOARD):
        car, tech = queue[index], techs[index % len(techs)]
        bay = bays[index % len(techs)]
        job = rng.choice([j for j in JOBS if j.parts and all(o in ops for o in j.operations)])
        start = first + timedelta(hours=index // len(techs))
        wo_id, appointment_id = next(ids["work_orders"]), next(ids["service_appointments"])
        add("appointments", []).append(
            appointment_row(
                appointment_id,
                store,
                car,
                tech,
                bay,
                advisor,
                start,
                60,
                "arrived",
                job,
                start - timedelta(days=2),
            )
        )
        audit.path(
            APPOINTMENT,
            appointment_id,
            store.id,
            [("booked", start - timedelta(days=2)), ("arrived", start)],
        )
        steps = _steps(state, start, now)
        wait = WAITS.get(state)
        add("work_orders", []).append(
            {
                "id": wo_id,
                "store_id": store.id,
                "number": f"WO{now:%y%m%d}-L{wo_id:06d}",
                "customer_id": car.owner_id,
                "vehicle_id": car.id,
                "appointment_id": appointment_id,
                "advisor_id": advisor,
                "technician_id": tech.id,
                "status": state,
                "source": "alert" if car in fleet and index % 3 == 0 else "appointment",
                "source_ref": f"live:{wo_id}",
                "complaint": job.complaint,
                "odometer_km": float(car.odometer_km or 30_000),
                "inspection": {},
                "wait_reason": wait[1] if wait else None,
                "wait_return_to": wait[0] if wait else None,
                "checked_in_at": start,
                "created_at": steps[0][1],
            }
        )
        audit.path(
            WORK_ORDER,
            wo_id,
            store.id,
            steps,
            actor_id=advisor,
            reasons={w: r for w, (_, r) in WAITS.items()},
        )
        reached = {s for s, _ in steps}
        if "estimate_sent" not in reached:
            continue
        labour = []
        for n, op in enumerate(ops[c] for c in job.operations):
            line_id = next(ids["work_order_labour"])
            labour.append((line_id, op))
            add("labour", []).append(
                {
                    "id": line_id,
                    "work_order_id": wo_id,
                    "operation_id": op.id,
                    "description": op.name_zh,
                    "hours": op.flat_rate_hours,
                    "rate": rate,
                    "discount_pct": Decimal(0),
                    "technician_id": tech.id,
                }
            )
            if "in_repair" in reached:
                began = dict(steps)["in_repair"] + timedelta(minutes=40 * n)
                running = state == "in_repair" and n == len(job.operations) - 1
                add("clocks", []).append(
                    {
                        "labour_line_id": line_id,
                        "technician_id": tech.id,
                        "started_at": min(began, now - timedelta(minutes=10)),
                        "ended_at": None
                        if running
                        else min(began + timedelta(minutes=35), now - timedelta(minutes=5)),
                    }
                )
        if "customer_approved" not in reached:
            continue
        approved = dict(steps)["customer_approved"]
        for part, quantity in picker.pick(rng, job, car.make, car.model):
            line_id = next(ids["work_order_parts"])
            taken = None if state == "waiting_parts" else _take(stock.get(part.id, []), quantity)
            if taken is None and state not in ("waiting_parts", "customer_approved"):
                continue  # nothing on the shelf: the job goes on without it
            line = {
                "id": line_id,
                "work_order_id": wo_id,
                "part_id": part.id,
                "quantity": quantity,
                "unit_price": part.list_price,
                "status": "short",
                "reservation_id": None,
                "short_at_request": taken is None,
                "created_at": approved,
            }
            add("part_lines", []).append(line)
            if taken is None:
                short.append((part, quantity, line_id))
                continue
            reservation_id = next(ids["part_reservations"])
            issued = "in_repair" in reached
            line.update(status="issued" if issued else "reserved", reservation_id=reservation_id)
            add("reservations", []).append(
                {
                    "id": reservation_id,
                    "warehouse_id": warehouse.id,
                    "store_id": store.id,
                    "part_id": part.id,
                    "quantity": quantity,
                    "issued_quantity": quantity if issued else Decimal(0),
                    "status": "issued" if issued else "active",
                    "reference_type": PART_LINE_REFERENCE,
                    "reference_id": line_id,
                    "created_at": approved,
                }
            )
            path = [("active", approved)] + (
                [("issued", dict(steps)["in_repair"])] if issued else []
            )
            audit.path(RESERVATION, reservation_id, store.id, path)
            for lot, qty in taken if issued else ():
                add("moves", []).append(
                    {
                        "warehouse_id": warehouse.id,
                        "part_id": part.id,
                        "lot_id": lot.id,
                        "kind": "issue",
                        "quantity": -qty,
                        "unit_cost": lot.unit_cost,
                        "reservation_id": reservation_id,
                        "reference_type": PART_LINE_REFERENCE,
                        "reference_id": line_id,
                        "occurred_at": dict(steps)["in_repair"],
                    }
                )
        if state == "settled":
            _invoice(rows, next(ids["service_invoices"]), wo_id, store, car, labour, rate, now)
    open_orders(rows, audit, ids, group, store, warehouse, short, now, advisor)
    upcoming_visits(
        rows, audit, ids, store, techs, bays, queue[len(BOARD) :], advisor, now, rng, ops
    )


def board_begins(session: Session, stores: dict[str, Store], now: datetime) -> datetime:
    """When the first job on the stores' boards checked in, seeded `now`."""
    staffed = select(func.count()).select_from(Technician)
    return min(
        _board_start(now, session.scalar(staffed.where(Technician.store_id == store.id)) or 1)
        for code, store in stores.items()
        if code in STORE_WAREHOUSES
    )


def _board_start(now: datetime, technicians: int) -> datetime:
    """The first check-in of a board shared by that many technicians, an hour per job."""
    rounds = max(1, -(-len(BOARD) // max(1, technicians)))
    return half_hour_floor(now.replace(second=0, microsecond=0)) - timedelta(hours=rounds + 1)


def _steps(state: str, start: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """The job's way to `state` today, from its booking, spread between check-in and now."""
    origin = WAITS[state][0] if state in WAITS else state
    path = list(PATH[: PATH.index(origin) + 1]) + ([state] if state in WAITS else [])
    span = max(timedelta(minutes=len(path) * 2), now - timedelta(minutes=5) - start)
    times = [start - timedelta(days=1)] + [
        start + span * n / max(1, len(path) - 2) for n in range(len(path) - 1)
    ]
    return list(zip(path, times, strict=True))


def _take(lots: list[list], wanted: Decimal) -> list[tuple[Any, Decimal]] | None:
    """Take `wanted` from the lots (first expiring first), or None when they hold too little."""
    if sum((q for _, q in lots), Decimal(0)) < wanted:
        return None
    return take_fefo(lots, wanted)


def _invoice(rows, invoice_id, wo_id, store, car, labour, rate, now) -> None:
    from api.work_orders.constants import MONEY, VAT_RATE

    gross_labour = sum((op.flat_rate_hours * rate for _, op in labour), Decimal(0))
    gross_parts = sum(
        (
            p["quantity"] * p["unit_price"]
            for p in rows.get("part_lines", [])
            if p["work_order_id"] == wo_id and p["status"] == "issued"
        ),
        Decimal(0),
    )
    net = (gross_labour + gross_parts).quantize(MONEY)
    tax = (net * VAT_RATE).quantize(MONEY)
    rows.setdefault("invoices", []).append(
        {
            "id": invoice_id,
            "store_id": store.id,
            "work_order_id": wo_id,
            "customer_id": car.owner_id,
            "number": f"INV{now:%y%m%d}-L{invoice_id:06d}",
            "labour_total": gross_labour.quantize(MONEY),
            "parts_total": gross_parts.quantize(MONEY),
            "discount_total": Decimal(0),
            "net_total": net,
            "tax_rate": VAT_RATE,
            "tax_total": tax,
            "grand_total": net + tax,
            "issued_at": now - timedelta(minutes=5),
        }
    )
