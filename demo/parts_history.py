"""The parts ledger of the long history, for one store warehouse: purchase orders received
into lots (receipt moves) and work-order lines issued from them (issue moves), first in first
out. Fast parts are reviewed weekly against a reorder point from their smoothed demand; slow
parts are bought only when a job needs one, so those jobs wait for the delivery.

Stock on hand is the sum of the moves written here; no lot ever goes below zero.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from api.parts.constants import EXPIRING_KINDS
from api.parts.models import Lot, Part, StockItem, StockMove, Warehouse
from api.purchasing.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine
from api.purchasing.states import PURCHASE_ORDER
from api.work_orders.constants import PART_LINE_REFERENCE
from demo.bulk import Audit, Ids, insert_rows, take_ids
from demo.history_customers import local_moment

STOCKED_WEEKLY = 0.25  # parts used at least this often per week are kept on the shelf
FREIGHT_SHARE = Decimal("0.015")
PRICE_RISE_PER_YEAR = 0.03
SMOOTHING = 0.15  # weight of the latest week in the demand estimate
COVER_WEEKS = 5  # a weekly order fills up to about five weeks of demand
SAFETY_WEEKS = 2.0  # the reorder point covers the supplier's lead time and this much more
RECEIVED_HOUR = 10


@dataclass
class Order:
    """A purchase order of the history, one lot per line."""

    id: int
    supplier_id: int
    placed: date
    arrives: date
    lines: dict[int, Decimal] = field(default_factory=dict)
    lots: dict[int, int] = field(default_factory=dict)
    free: dict[int, Decimal] = field(default_factory=dict)
    waiting: list[tuple[int, Decimal, int, int, datetime]] = field(default_factory=list)
    received: bool = False
    placed_at: datetime | None = None

    def arrival(self) -> datetime:
        """When the delivery is booked in: mid-morning, and never before the order was sent."""
        return max(local_moment(self.arrives, RECEIVED_HOUR), self.placed_at + timedelta(hours=2))


class Ledger:
    """One store warehouse's stock through the history."""

    def __init__(
        self,
        session: Session,
        rng: random.Random,
        warehouse: Warehouse,
        parts: dict[int, Part],
        weekly: dict[int, float],
        lead_days: dict[int, int],
        last_day: date,
        actor_id: int | None,
    ) -> None:
        self.session, self.rng, self.warehouse, self.parts = session, rng, warehouse, parts
        self.weekly, self.lead_days, self.last_day, self.actor = (
            weekly,
            lead_days,
            last_day,
            actor_id,
        )
        self.lots: dict[int, deque[list]] = {pid: deque() for pid in parts}
        self.orders: list[Order] = []
        self.open: list[Order] = []
        self.used_this_week: dict[int, Decimal] = {}
        self.moves: list[dict[str, Any]] = []
        self.order_ids, self.lot_ids = Ids(session, "purchase_orders"), Ids(session, "stock_lots")

    def stocked(self, part_id: int) -> bool:
        return self.weekly.get(part_id, 0) >= STOCKED_WEEKLY

    def _policy(self, part_id: int) -> tuple[Decimal, Decimal]:
        weekly = self.weekly[part_id]
        lead = self.lead_days[self.parts[part_id].preferred_supplier_id] / 7
        reorder = math.ceil(weekly * (lead + SAFETY_WEEKS))
        return Decimal(reorder), Decimal(reorder + math.ceil(weekly * COVER_WEEKS))

    def policy_of(self, part_id: int) -> dict[str, Decimal]:
        """The part's replenishment policy at the end, as a StockItem's columns."""
        if not self.stocked(part_id):
            return {"min_qty": Decimal(0), "reorder_point": Decimal(0), "max_qty": Decimal(0)}
        reorder, top = self._policy(part_id)
        safety = Decimal(math.ceil(self.weekly[part_id] * 0.5)).min(reorder)
        return {"min_qty": safety, "reorder_point": reorder, "max_qty": top}

    def on_hand(self, part_id: int) -> Decimal:
        return sum((lot[1] for lot in self.lots[part_id]), Decimal(0))

    def review(self, day: date) -> None:
        """The weekly replenishment run: order up to the policy what fell to its reorder point."""
        for part_id in self.parts:  # a week without use counts too
            used = float(self.used_this_week.get(part_id, 0))
            self.weekly[part_id] = (1 - SMOOTHING) * self.weekly[part_id] + SMOOTHING * used
        self.used_this_week = {}
        wanted: dict[int, dict[int, Decimal]] = {}
        for part_id in self.parts:
            if not self.stocked(part_id):
                continue
            reorder, top = self._policy(part_id)
            coming = sum(
                (o.free.get(part_id, 0) for o in self.orders if not o.received), Decimal(0)
            )
            position = self.on_hand(part_id) + coming
            if position <= reorder:
                supplier = self.parts[part_id].preferred_supplier_id
                wanted.setdefault(supplier, {})[part_id] = top - position
        for supplier, lines in wanted.items():
            self._order(supplier, day, lines)

    def _order(
        self, supplier: int, day: date, lines: dict[int, Decimal], at: datetime | None = None
    ) -> Order:
        lead = self.lead_days[supplier] + self.rng.choice((0, 0, 0, 1, 2))
        order = Order(self.order_ids(), supplier, day, day + timedelta(days=lead))
        order.placed_at = at or local_moment(day, 9)
        for part_id, quantity in lines.items():
            order.lines[part_id] = order.free[part_id] = Decimal(quantity)
            order.lots[part_id] = self.lot_ids()
        self.orders.append(order)
        self.open.append(order)
        return order

    def receive_due(self, day: date) -> None:
        """Book the deliveries of the day: lots in, then the jobs that waited for them."""
        due = [o for o in self.open if o.arrives <= day]
        if not due:
            return
        self.open = [o for o in self.open if o.arrives > day]
        for order in due:
            order.received = True
            at = order.arrival()
            for part_id, quantity in order.lines.items():
                cost = self.unit_cost(part_id, order.arrives)
                self.moves.append(
                    self._move(
                        order.lots[part_id],
                        part_id,
                        "receipt",
                        quantity,
                        cost,
                        at,
                        "purchase_order",
                        order.id,
                    )
                )
                self.lots[part_id].append([order.lots[part_id], quantity, cost])
            for part_id, quantity, reservation_id, line_id, issued in order.waiting:
                self._take(part_id, quantity, issued, reservation_id, line_id)

    def request(
        self, part_id: int, quantity: Decimal, at: datetime, reservation_id: int, line_id: int
    ) -> datetime:
        """Issue a job's part: now from the shelf, or when the order bought for it arrives."""
        self.used_this_week[part_id] = self.used_this_week.get(part_id, Decimal(0)) + quantity
        if self.on_hand(part_id) >= quantity:
            self._take(part_id, quantity, at, reservation_id, line_id)
            return at
        day = at.date()
        order = next(
            (
                o
                for o in self.open
                if o.arrives <= self.last_day and o.free.get(part_id, 0) >= quantity
            ),
            None,
        )
        if order is None:
            top = self._policy(part_id)[1] if self.stocked(part_id) else Decimal(0)
            order = self._order(
                self.parts[part_id].preferred_supplier_id, day, {part_id: quantity + top}, at
            )
            order.arrives = min(order.arrives, self.last_day)
        order.free[part_id] -= quantity
        issued = max(order.arrival(), at + timedelta(hours=2))
        order.waiting.append((part_id, quantity, reservation_id, line_id, issued))
        return issued

    def _take(
        self, part_id: int, quantity: Decimal, at: datetime, reservation_id: int, line_id: int
    ) -> None:
        lots, left = self.lots[part_id], quantity
        while left > 0:
            lot = lots[0]
            taken = min(left, lot[1])
            self.moves.append(
                self._move(
                    lot[0],
                    part_id,
                    "issue",
                    -taken,
                    lot[2],
                    at,
                    PART_LINE_REFERENCE,
                    line_id,
                    reservation_id,
                )
            )
            lot[1] -= taken
            left -= taken
            if lot[1] == 0:
                lots.popleft()

    def unit_cost(self, part_id: int, day: date) -> Decimal:
        """Landed cost: the part's standard cost, risen with time, plus the freight share."""
        rise = 1 + PRICE_RISE_PER_YEAR * (day - self.last_day).days / 365
        price = self.parts[part_id].standard_cost * Decimal(str(round(rise, 4)))
        return (price * (1 + FREIGHT_SHARE)).quantize(Decimal("0.0001"))

    def _move(
        self, lot_id, part_id, kind, quantity, cost, at, ref_type, ref_id, reservation_id=None
    ) -> dict[str, Any]:
        return {
            "warehouse_id": self.warehouse.id,
            "part_id": part_id,
            "lot_id": lot_id,
            "kind": kind,
            "quantity": quantity,
            "unit_cost": cost,
            "reservation_id": reservation_id,
            "reference_type": ref_type,
            "reference_id": ref_id,
            "actor_user_id": self.actor,
            "occurred_at": at,
        }

    def write(self, session: Session, audit: Audit, group_id: int, first_seq: int) -> int:
        """Insert the orders, receipts, lots and moves; returns the purchase orders written."""
        orders, lines, receipts, receipt_lines, lots = [], [], [], [], []
        receipt_ids = take_ids(session, "goods_receipts", sum(o.received for o in self.orders))
        line_ids = take_ids(session, "purchase_order_lines", sum(len(o.lines) for o in self.orders))
        receipt_line_ids = take_ids(
            session, "goods_receipt_lines", sum(len(o.lines) for o in self.orders if o.received)
        )
        line_of_lot: dict[int, int] = {}
        for seq, order in enumerate(self.orders, start=first_seq):
            placed = order.placed_at
            orders.append(
                {
                    "id": order.id,
                    "dealer_group_id": group_id,
                    "store_id": self.warehouse.store_id,
                    "warehouse_id": self.warehouse.id,
                    "supplier_id": order.supplier_id,
                    "number": f"PO{order.placed:%Y%m%d}-H{seq:05d}",
                    "expected_on": order.arrives,
                    "created_by": self.actor,
                    "created_at": placed,
                    "status": "closed" if order.received else "confirmed",
                }
            )
            steps = [
                ("draft", placed),
                ("sent", placed + timedelta(minutes=20)),
                ("confirmed", placed + timedelta(hours=3)),
            ]
            if order.received:
                at = order.arrival()
                receipt_id = receipt_ids.pop()
                receipts.append(
                    {
                        "id": receipt_id,
                        "purchase_order_id": order.id,
                        "warehouse_id": self.warehouse.id,
                        "delivery_note": f"DN-H{seq:05d}",
                        "freight_amount": Decimal(0),
                        "received_at": at,
                        "actor_user_id": self.actor,
                    }
                )
                steps += [("received", at), ("closed", at + timedelta(days=1))]
            audit.path(
                PURCHASE_ORDER, order.id, self.warehouse.store_id, steps, actor_id=self.actor
            )
            for part_id, quantity in order.lines.items():
                cost = self.unit_cost(part_id, order.arrives)
                price = (cost / (1 + FREIGHT_SHARE)).quantize(Decimal("0.0001"))
                line_id = line_ids.pop()
                lines.append(
                    {
                        "id": line_id,
                        "purchase_order_id": order.id,
                        "part_id": part_id,
                        "quantity": quantity,
                        "unit_price": price,
                    }
                )
                if not order.received:
                    continue
                part = self.parts[part_id]
                expires = None
                if part.kind in EXPIRING_KINDS and part.shelf_life_days:
                    expires = order.arrives + timedelta(days=int(part.shelf_life_days * 0.8))
                lots.append(
                    {
                        "id": order.lots[part_id],
                        "part_id": part_id,
                        "lot_number": f"H{seq:05d}-{part_id}",
                        "expires_on": expires,
                        "received_at": order.arrival(),
                        "supplier_id": order.supplier_id,
                        "unit_cost": cost,
                    }
                )
                receipt_line_id = receipt_line_ids.pop()
                line_of_lot[order.lots[part_id]] = receipt_line_id
                receipt_lines.append(
                    {
                        "id": receipt_line_id,
                        "goods_receipt_id": receipt_id,
                        "purchase_order_line_id": line_id,
                        "part_id": part_id,
                        "lot_id": order.lots[part_id],
                        "quantity": quantity,
                        "unit_price": price,
                        "freight_allocated": ((cost - price) * quantity).quantize(
                            Decimal("0.0001")
                        ),
                    }
                )
        for move in self.moves:
            if move["kind"] == "receipt":
                move["receipt_line_id"] = line_of_lot[move["lot_id"]]
        insert_rows(session, PurchaseOrder, orders)
        insert_rows(session, PurchaseOrderLine, lines)
        insert_rows(session, Lot, lots)
        insert_rows(session, GoodsReceipt, receipts)
        insert_rows(session, GoodsReceiptLine, receipt_lines)
        moved = sorted({move["part_id"] for move in self.moves})
        items = [
            {"warehouse_id": self.warehouse.id, "part_id": pid, **self.policy_of(pid)}
            for pid in moved
        ]
        session.execute(pg_insert(StockItem).on_conflict_do_nothing(), items)
        return len(orders)

    def write_moves(self, session: Session) -> int:
        """Insert the stock moves (after the reservations they name); returns how many."""
        for move in self.moves:
            move.setdefault("receipt_line_id", None)
        return insert_rows(session, StockMove, self.moves)
