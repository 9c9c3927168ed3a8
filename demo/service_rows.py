"""Rows of the long service history: one visit becomes its appointment, work order, labour
lines and clocks, part lines with their reservations, invoice, survey and complaint, each
with the audit path of its state machine."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from api.feedback.constants import LOW_SCORE, SURVEY_VALID_DAYS
from api.feedback.states import COMPLAINT
from api.parts.states import RESERVATION
from api.work_orders.constants import MONEY, PART_LINE_REFERENCE, VAT_RATE
from api.work_orders.states import WORK_ORDER
from api.workshop.states import APPOINTMENT
from demo.bulk import Audit, Ids

ANSWER_RATE = 0.78
FAILURE_MODES = {
    "battery_aging": "battery",
    "thermostat_stuck_open": "cooling",
    "P0301": "misfire",
    "P0420": "catalyst",
}
COMPLAINT_RESOLUTION = "致电道歉并赠送一次免费保养 / apologised, free service voucher"


@dataclass
class ServiceRows:
    """Every row of the service history, by table, and the audit rows."""

    session: Session
    audit: Audit
    now: datetime
    ids: dict[str, Ids] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seq: int = 0

    def next_id(self, table: str) -> int:
        """A fresh id of the table, from its sequence."""
        if table not in self.ids:
            self.ids[table] = Ids(self.session, table)
        return self.ids[table]()

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.tables.setdefault(table, []).append(row)
        return row

    def appointment(
        self,
        *,
        id,
        store_id,
        car,
        technician_id,
        bay_id,
        advisor_id,
        starts,
        minutes,
        source,
        booked,
        status,
        operations,
        source_ref=None,
        confirmed=None,
    ) -> None:
        """A visit booked at `booked` for `starts`; arrived, no-show or cancelled.

        A customer's own booking is confirmed by the store at `confirmed`; others are
        confirmed with the customer the day before."""
        self.add(
            "appointments",
            {
                "id": id,
                "store_id": store_id,
                "customer_id": car.customer_id,
                "vehicle_id": car.vehicle_id,
                "technician_id": technician_id,
                "bay_id": bay_id,
                "advisor_id": advisor_id,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=minutes),
                "status": status,
                "operation_codes": list(operations),
                "source": source,
                "source_ref": source_ref,
                "created_at": booked,
            },
        )
        steps = [("booked", booked)]
        if confirmed is not None:
            steps.append(("confirmed", confirmed))
        elif status != "cancelled" and (starts - booked) > timedelta(hours=20):
            steps.append(("confirmed", starts - timedelta(hours=18)))
        final = {
            "arrived": starts,
            "no_show": starts + timedelta(hours=2),
            "cancelled": starts - timedelta(hours=4),
        }[status]
        steps.append((status, max(final, steps[-1][1] + timedelta(minutes=1))))
        self.audit.path(
            APPOINTMENT,
            id,
            store_id,
            steps,
            actor_id=advisor_id,
            reasons={"cancelled": "客户行程有变 / the customer's plans changed"},
            actors={"booked": None} if source == "customer" else None,
        )

    def alert(self, *, id, car, cause, at, cleared) -> None:
        """The telematics alert that predicted the visit, cleared once the job was done."""
        self.add(
            "alerts",
            {
                "id": id,
                "vin": car.vin,
                "failure_mode": FAILURE_MODES.get(cause, "anomaly"),
                "severity": "major",
                "state": "cleared",
                "acknowledged": True,
                "source": "model",
                "first_seen": at,
                "last_seen": at,
                "created_at": at,
                "updated_at": cleared,
                "cleared_at": cleared,
                "clear_reason": "repaired",
                "last_change": "cleared",
            },
        )

    def work_order(
        self,
        *,
        id,
        store_id,
        car,
        source,
        source_ref,
        appointment_id,
        advisor_id,
        technician_id,
        job,
        steps,
        odometer,
    ) -> dict[str, Any]:
        """The work order in the last state of `steps` (log_order logs its path)."""
        self.seq += 1
        created = steps[0][1]
        row = self.add(
            "work_orders",
            {
                "id": id,
                "store_id": store_id,
                "number": f"WO{created:%y%m%d}-H{self.seq:06d}",
                "customer_id": car.customer_id,
                "vehicle_id": car.vehicle_id,
                "appointment_id": appointment_id,
                "advisor_id": advisor_id,
                "technician_id": technician_id,
                "status": steps[-1][0],
                "source": source,
                "source_ref": source_ref,
                "complaint": job.complaint,
                "odometer_km": odometer,
                "inspection": {"tyres": {"result": "ok", "note": None}},
                "outcome": job.outcome if steps[-1][0] == "delivered" else None,
                "outcome_code": job.cause if steps[-1][0] == "delivered" else None,
                "wait_reason": None,
                "wait_return_to": None,
                "checked_in_at": steps[1][1] if len(steps) > 1 else None,
                "delivered_at": next((at for s, at in steps if s == "delivered"), None),
                "created_at": created,
            },
        )
        return row

    def log_order(self, row: dict[str, Any], steps: list, reasons: dict[str, str]) -> None:
        """The order's final state and audit path, once its survey decided follow-up."""
        row["status"] = steps[-1][0]
        self.audit.path(
            WORK_ORDER,
            row["id"],
            row["store_id"],
            steps,
            actor_id=row["advisor_id"],
            reasons=reasons,
        )

    def labour(self, *, id, work_order_id, operation, rate, discount_pct, technician_id) -> None:
        self.add(
            "labour",
            {
                "id": id,
                "work_order_id": work_order_id,
                "operation_id": operation.id,
                "description": operation.name_zh,
                "hours": operation.flat_rate_hours,
                "rate": rate,
                "discount_pct": discount_pct,
                "technician_id": technician_id,
            },
        )

    def clock(self, *, line_id, technician_id, start, hours) -> datetime:
        end = start + timedelta(hours=hours)
        self.add(
            "clocks",
            {
                "labour_line_id": line_id,
                "technician_id": technician_id,
                "started_at": start,
                "ended_at": end,
            },
        )
        return end

    def part_line(
        self,
        *,
        id,
        reservation_id,
        work_order_id,
        store_id,
        warehouse_id,
        part,
        quantity,
        requested,
        issued,
    ) -> None:
        """A part line issued from stock, with the reservation that held it."""
        self.add(
            "part_lines",
            {
                "id": id,
                "work_order_id": work_order_id,
                "part_id": part.id,
                "quantity": quantity,
                "unit_price": part.list_price,
                "status": "issued",
                "reservation_id": reservation_id,
                "short_at_request": issued > requested,
                "created_at": requested,
            },
        )
        self.add(
            "reservations",
            {
                "id": reservation_id,
                "warehouse_id": warehouse_id,
                "store_id": store_id,
                "part_id": part.id,
                "quantity": quantity,
                "issued_quantity": quantity,
                "status": "issued",
                "reference_type": PART_LINE_REFERENCE,
                "reference_id": id,
                "needed_by": requested,
                "created_at": requested,
                "updated_at": issued,
            },
        )
        self.audit.path(
            RESERVATION, reservation_id, store_id, [("active", requested), ("issued", issued)]
        )

    def invoice(self, *, id, work_order, labour, parts, at) -> None:
        """The settlement of the job: its lines frozen, VAT on the net."""
        lines, gross_labour, gross_parts, discounts = [], Decimal(0), Decimal(0), Decimal(0)
        for kind, description, quantity, price, pct in [
            ("labour", op.name_zh, op.flat_rate_hours, rate, pct) for op, rate, pct in labour
        ] + [("part", p.name_zh, q, p.list_price, Decimal(0)) for p, q in parts]:
            gross = (quantity * price).quantize(MONEY)
            discount = (gross * pct / 100).quantize(MONEY)
            if kind == "labour":
                gross_labour += gross
            else:
                gross_parts += gross
            discounts += discount
            lines.append(
                {
                    "invoice_id": id,
                    "kind": kind,
                    "description": description,
                    "quantity": quantity,
                    "unit_price": price,
                    "gross": gross,
                    "discount": discount,
                    "net": gross - discount,
                }
            )
        net = gross_labour + gross_parts - discounts
        tax = (net * VAT_RATE).quantize(MONEY)
        self.add(
            "invoices",
            {
                "id": id,
                "store_id": work_order["store_id"],
                "work_order_id": work_order["id"],
                "customer_id": work_order["customer_id"],
                "number": f"INV{at:%y%m%d}-H{self.seq:06d}",
                "labour_total": gross_labour,
                "parts_total": gross_parts,
                "discount_total": discounts,
                "net_total": net,
                "tax_rate": VAT_RATE,
                "tax_total": tax,
                "grand_total": net + tax,
                "issued_at": at,
                "created_at": at,
            },
        )
        self.tables.setdefault("invoice_lines", []).extend(lines)

    def survey(self, rng: random.Random, *, id, work_order, delivered, unhappy: float) -> bool:
        """The survey after delivery; True when the customer answered it."""
        answered_at = delivered + timedelta(hours=rng.uniform(6, 72))
        answered = rng.random() < ANSWER_RATE and answered_at < self.now
        expired = not answered and delivered + timedelta(days=SURVEY_VALID_DAYS) < self.now
        csi = nps = None
        if answered:
            if rng.random() < unhappy:
                csi, nps = rng.randint(3, 6), rng.randint(1, 6)
            else:
                csi, nps = rng.choices(range(7, 11), (5, 20, 40, 35))[0], rng.randint(7, 10)
        self.add(
            "surveys",
            {
                "id": id,
                "store_id": work_order["store_id"],
                "work_order_id": work_order["id"],
                "customer_id": work_order["customer_id"],
                "advisor_id": work_order["advisor_id"],
                "token": f"h{rng.getrandbits(160):040x}",
                "status": "answered" if answered else "expired" if expired else "pending",
                "csi": csi,
                "nps": nps,
                "comment": "等待时间太长,未主动告知进度" if csi and csi <= 6 else None,
                "expires_at": delivered + timedelta(days=SURVEY_VALID_DAYS),
                "answered_at": answered_at if answered else None,
                "created_at": delivered,
            },
        )
        if answered and (csi <= LOW_SCORE or nps <= LOW_SCORE):
            self._complaint(rng, work_order, id, answered_at, csi, nps)
        return answered

    def _complaint(self, rng, work_order, survey_id, at, csi, nps) -> None:
        complaint_id = self.next_id("service_complaints")
        steps = [("open", at)]
        if at + timedelta(days=2) < self.now:
            steps.append(("in_progress", at + timedelta(hours=rng.uniform(2, 24))))
        if at + timedelta(days=6) < self.now:
            steps.append(("resolved", at + timedelta(days=rng.uniform(2, 5))))
            steps.append(("closed", at + timedelta(days=6)))
        self.add(
            "complaints",
            {
                "id": complaint_id,
                "store_id": work_order["store_id"],
                "work_order_id": work_order["id"],
                "survey_id": survey_id,
                "customer_id": work_order["customer_id"],
                "advisor_id": work_order["advisor_id"],
                "status": steps[-1][0],
                "summary": f"{work_order['number']} 回访低分 CSI {csi} NPS {nps}",
                "resolution": COMPLAINT_RESOLUTION if len(steps) > 2 else None,
                "created_at": at,
            },
        )
        self.audit.path(
            COMPLAINT,
            complaint_id,
            work_order["store_id"],
            steps,
            actor_id=work_order["advisor_id"],
            reasons={"resolved": COMPLAINT_RESOLUTION},
        )
