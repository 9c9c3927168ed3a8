"""Demo purchasing: the suppliers, and months of purchase orders received into lots (with
expiry for fluids, batteries and tyres) and invoiced, a few invoices not matching.

Everything goes through the purchasing services, so the seed is also an end-to-end exercise.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup
from api.parts.access import Access
from api.parts.constants import EXPIRING_KINDS, STOCK_TIMEZONE
from api.parts.ledger import today
from api.parts.models import Part, Warehouse
from api.purchasing import invoices, receipts, service
from api.purchasing.models import Supplier
from api.purchasing.schemas import (
    InvoiceLineIn,
    OrderLineIn,
    PurchaseOrderCreate,
    ReceiptCreate,
    ReceiptLineIn,
    SupplierInvoiceCreate,
)
from demo.parts_catalogue import SUPPLIERS, SeedPart

ORDER_DAYS_AGO = (110, 40)  # two replenishment rounds per warehouse and supplier
WEEKS_COVERED = 8  # one round orders about eight weeks of demand
FREIGHT_SHARE = 0.015  # freight is about 1.5% of the goods value


def seed_suppliers(session: Session, group: DealerGroup) -> tuple[dict[str, Supplier], int]:
    """The group's demo suppliers, found or added, and how many were added."""
    added = 0
    found = {
        s.code: s
        for s in session.scalars(select(Supplier).where(Supplier.dealer_group_id == group.id))
    }
    for index, (code, name, kind, lead) in enumerate(SUPPLIERS):
        if code not in found:
            found[code] = Supplier(
                dealer_group_id=group.id,
                code=code,
                name=name,
                kind=kind,
                lead_time_days=lead,
                contact_name="业务经理",
                phone=f"021-{58810000 + index * 137}",
            )
            session.add(found[code])
            added += 1
    session.flush()
    return found, added


def at(days_ago: int, hour: int = 10) -> datetime:
    """A moment of the seeded past, in stock time."""
    return datetime.combine(today() - timedelta(days=days_ago), time(hour), STOCK_TIMEZONE)


def purchase_history(
    session: Session,
    access: Access,
    rng: random.Random,
    warehouse: Warehouse,
    parts: list[Part],
    spec: dict[str, SeedPart],
    factor: int,
) -> int:
    """Replenishment rounds for the warehouse: per supplier, an order sent, confirmed,
    received into lots and invoiced; every round but the last is closed. Returns the orders."""
    orders = 0
    by_supplier: dict[int, list[Part]] = {}
    for part in parts:
        by_supplier.setdefault(part.preferred_supplier_id, []).append(part)
    for round_index, days_ago in enumerate(ORDER_DAYS_AGO):
        for supplier_id, lines in by_supplier.items():
            quantities_ = [
                max(2, math.ceil(spec[p.part_number].weekly * WEEKS_COVERED * factor * 1.2))
                for p in lines
            ]
            order = service.create_order(
                session,
                actor=access,
                data=PurchaseOrderCreate(
                    supplier_id=supplier_id,
                    warehouse_id=warehouse.id,
                    lines=[
                        OrderLineIn(part_id=p.id, quantity=q)
                        for p, q in zip(lines, quantities_, strict=True)
                    ],
                ),
                actor_id=access.user_id,
            )
            orders += 1
            for to in ("sent", "confirmed"):
                service.change_status(
                    session,
                    actor=access,
                    order_id=order.id,
                    to=to,
                    reason=None,
                    actor_id=access.user_id,
                )
            _receive(session, access, rng, order, days_ago, round_index)
            if round_index < len(ORDER_DAYS_AGO) - 1:
                service.change_status(
                    session,
                    actor=access,
                    order_id=order.id,
                    to="closed",
                    reason=None,
                    actor_id=access.user_id,
                )
    return orders


def _receive(
    session: Session, access: Access, rng: random.Random, order, days_ago: int, round_index: int
) -> None:
    lines = service.order_lines(session, order_id=order.id)
    received_at = at(days_ago - 2)
    receipt_lines = []
    for line in lines:
        part = session.get(Part, line.part_id)
        expires_on = None
        if part.kind in EXPIRING_KINDS and part.shelf_life_days:
            # Supplier stock is already some months old when it arrives.
            age = rng.randint(30, part.shelf_life_days // 2)
            expires_on = received_at.date() + timedelta(days=part.shelf_life_days - age)
            if part.kind == "battery" and round_index == 0:
                expires_on = today() + timedelta(days=rng.randint(10, 50))  # expiry warnings
        receipt_lines.append(
            ReceiptLineIn(
                purchase_order_line_id=line.id, quantity=line.quantity, expires_on=expires_on
            )
        )
    value = sum(float(line.quantity * line.unit_price) for line in lines)
    receipts.receive(
        session,
        actor=access,
        order_id=order.id,
        data=ReceiptCreate(
            delivery_note=f"DN-{order.id:06d}",
            freight_amount=Decimal(str(round(value * FREIGHT_SHARE, 2))),
            lines=receipt_lines,
        ),
        actor_id=access.user_id,
        received_at=received_at,
    )
    invoice_lines = []
    for line in lines:
        price = line.unit_price
        if rng.random() < 0.02:
            price = (price * Decimal("1.06")).quantize(Decimal("0.01"))  # a price rise not agreed
        invoice_lines.append(
            InvoiceLineIn(purchase_order_line_id=line.id, quantity=line.quantity, unit_price=price)
        )
    invoices.register_invoice(
        session,
        actor=access,
        data=SupplierInvoiceCreate(
            supplier_id=order.supplier_id,
            purchase_order_id=order.id,
            number=f"FP{order.id:08d}",
            invoice_date=received_at.date(),
            lines=invoice_lines,
        ),
        actor_id=access.user_id,
    )
