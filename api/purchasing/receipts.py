"""Goods receipts (收货): a delivery against a purchase order, booked into stock as one lot and
one receipt move per line, with the freight allocated to the lines by value. No HTTP."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.actor import Actor
from api.errors import Conflict, InvalidInput
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate
from api.parts.access import access_of, warehouses_visible
from api.parts.ledger import LotIn, book, fmt, lock_pairs, receipt_lots
from api.parts.models import Part
from api.purchasing import messages as _messages  # noqa: F401  (registers purchasing text)
from api.purchasing.constants import RECEIVABLE_STATES
from api.purchasing.models import GoodsReceipt, GoodsReceiptLine
from api.purchasing.schemas import ReceiptCreate
from api.purchasing.service import get_order, order_lines
from api.purchasing.states import PURCHASE_ORDER, outstanding

UNIT_COST_STEP = Decimal("0.0001")  # unit costs and freight shares are NUMERIC(14, 4)


def _freight_shares(freight: Decimal, values: list[Decimal]) -> list[Decimal]:
    """Freight split by line value (by count when nothing has a value); shares add up exactly."""
    total = sum(values, Decimal(0))
    weights = values if total > 0 else [Decimal(1)] * len(values)
    total = total if total > 0 else Decimal(len(values))
    shares = [(freight * w / total).quantize(UNIT_COST_STEP, ROUND_HALF_UP) for w in weights]
    shares[-1] += freight - sum(shares, Decimal(0))
    return shares


def receive(
    session: Session,
    *,
    actor: Actor,
    order_id: int,
    data: ReceiptCreate,
    actor_id: int | None,
    received_at: datetime | None = None,
) -> GoodsReceipt:
    """Book a delivery: one lot and one receipt move per line, freight allocated by value."""
    access = access_of(session, actor)
    order = get_order(session, actor=access, order_id=order_id)
    session.refresh(order, with_for_update=True)  # one receipt of an order at a time
    if order.status not in RECEIVABLE_STATES:
        raise Conflict(why=Text("purchasing.po_not_receivable", {"status": order.status}))
    lines = {row.id: row for row in order_lines(session, order_id=order.id)}
    asked: dict[int, Decimal] = defaultdict(Decimal)
    for line in data.lines:
        if line.purchase_order_line_id not in lines:
            problem = Text("purchasing.line_not_on_order", {"line": line.purchase_order_line_id})
            raise InvalidInput(field="lines", problem=problem)
        asked[line.purchase_order_line_id] += line.quantity
    for line_id, quantity in asked.items():
        row = lines[line_id]
        left = row.quantity - row.received_quantity
        if quantity > left:
            why = Text(
                "purchasing.over_receipt",
                {"line": line_id, "quantity": fmt(quantity), "open": fmt(left)},
            )
            raise Conflict(why=why)
    lock_pairs(session, [(order.warehouse_id, lines[li].part_id) for li in asked])
    receipt = GoodsReceipt(
        purchase_order_id=order.id,
        warehouse_id=order.warehouse_id,
        delivery_note=data.delivery_note,
        freight_amount=data.freight_amount,
        actor_user_id=actor_id,
    )
    if received_at is not None:
        receipt.received_at = received_at
    session.add(receipt)
    session.flush()
    prices = [
        ln.unit_price if ln.unit_price is not None else lines[ln.purchase_order_line_id].unit_price
        for ln in data.lines
    ]
    shares = _freight_shares(
        Decimal(data.freight_amount),
        [ln.quantity * p for ln, p in zip(data.lines, prices, strict=True)],
    )
    part_ids = {lines[ln.purchase_order_line_id].part_id for ln in data.lines}
    parts = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(part_ids)))}
    costs = [
        (price + freight / line.quantity).quantize(UNIT_COST_STEP, ROUND_HALF_UP)
        for line, price, freight in zip(data.lines, prices, shares, strict=True)
    ]
    lots = receipt_lots(
        session,
        receipts=[
            LotIn(
                part=parts[lines[line.purchase_order_line_id].part_id],
                lot_number=line.lot_number or f"{order.number}-R{receipt.id}-{index + 1}",
                unit_cost=cost,
                expires_on=line.expires_on,
            )
            for index, (line, cost) in enumerate(zip(data.lines, costs, strict=True))
        ],
        supplier_id=order.supplier_id,
        received_at=received_at,
    )
    receipt_lines = [
        GoodsReceiptLine(
            goods_receipt_id=receipt.id,
            purchase_order_line_id=line.purchase_order_line_id,
            part_id=lot.part_id,
            lot_id=lot.id,
            quantity=line.quantity,
            unit_price=price,
            freight_allocated=freight,
        )
        for line, lot, price, freight in zip(data.lines, lots, prices, shares, strict=True)
    ]
    session.add_all(receipt_lines)
    session.flush()
    for line, lot, cost, receipt_line in zip(data.lines, lots, costs, receipt_lines, strict=True):
        move = book(
            session,
            warehouse_id=order.warehouse_id,
            lot=lot,
            kind="receipt",
            quantity=line.quantity,
            unit_cost=cost,
            receipt_line_id=receipt_line.id,
            reference_type="purchase_order",
            reference_id=order.id,
            actor_user_id=actor_id,
        )
        if received_at is not None:
            move.occurred_at = received_at
    session.flush()
    ordered, received = outstanding(session, order.id)
    target = "received" if received >= ordered else "partly_received"
    if order.status != target:
        PURCHASE_ORDER.apply(session, entity=order, to=target, actor_id=actor_id)
    session.refresh(receipt)
    return receipt


def list_receipts(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    purchase_order_id: int | None = None,
) -> Paged[GoodsReceipt]:
    """Goods receipts in the caller's warehouses, newest first."""
    access = access_of(session, actor)
    stmt = select(GoodsReceipt).where(warehouses_visible(access, GoodsReceipt.warehouse_id))
    if purchase_order_id is not None:
        stmt = stmt.where(GoodsReceipt.purchase_order_id == purchase_order_id)
    return paginate(session, stmt.order_by(GoodsReceipt.id.desc()), page)
