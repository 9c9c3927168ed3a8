"""The sales state machines, as data: a lead's way to delivery, and a stock vehicle's status."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from api.sales.constants import CHECKLISTS, LEAD_STATES, STOCK_STATES
from api.sales.models import ChecklistItem, Lead, Quote, SalesOrder, StockVehicle
from api.state_machine import StateMachine, Transition


def _order_of(session: Session, lead: Lead) -> SalesOrder | None:
    return session.scalar(select(SalesOrder).where(SalesOrder.lead_id == lead.id))


def _has_quote(session: Session, lead: Lead) -> str | None:
    quoted = session.scalar(select(exists().where(Quote.lead_id == lead.id)))
    return None if quoted else "sales.needs_quote"


def _has_order(session: Session, lead: Lead) -> str | None:
    return None if _order_of(session, lead) is not None else "sales.needs_order"


def _has_vehicle(session: Session, lead: Lead) -> str | None:
    order = _order_of(session, lead)
    if order is None:
        return "sales.needs_order"
    return None if order.stock_vehicle_id is not None else "sales.needs_allocation"


def _vehicle_on_site(session: Session, lead: Lead) -> str | None:
    order = _order_of(session, lead)
    if order is None or order.stock_vehicle_id is None:
        return "sales.needs_allocation"
    vehicle = session.get(StockVehicle, order.stock_vehicle_id)
    return None if vehicle and vehicle.arrived_at is not None else "sales.vehicle_in_transit"


def checklist_gaps(session: Session, order_id: int, kind: str) -> list[str]:
    """The checklist's item codes that are not ok yet (missing rows count as not ok)."""
    done = set(
        session.scalars(
            select(ChecklistItem.code).where(
                ChecklistItem.order_id == order_id,
                ChecklistItem.kind == kind,
                ChecklistItem.result == "ok",
            )
        )
    )
    return [code for code, _, _ in CHECKLISTS[kind] if code not in done]


def _ready_to_deliver(session: Session, lead: Lead) -> str | None:
    order = _order_of(session, lead)
    if order is None:
        return "sales.needs_order"
    if checklist_gaps(session, order.id, "pdi"):
        return "sales.pdi_not_passed"
    if checklist_gaps(session, order.id, "delivery"):
        return "sales.delivery_checklist_incomplete"
    return None


LEAD_FLOW = StateMachine(
    entity_type="sales_lead",
    states=LEAD_STATES,
    initial="lead",
    transitions=(
        Transition("lead", "opportunity"),
        Transition("lead", "quote", guard=_has_quote),
        Transition("opportunity", "quote", guard=_has_quote),
        Transition("quote", "order", guard=_has_order),
        Transition("order", "allocated", guard=_has_vehicle),
        Transition("allocated", "pdi", guard=_vehicle_on_site),
        Transition("pdi", "delivered", guard=_ready_to_deliver),
        Transition("lead", "lost", requires_reason=True),
        Transition("opportunity", "lost", requires_reason=True),
        Transition("quote", "lost", requires_reason=True),
        Transition("order", "cancelled", requires_reason=True),
        Transition("allocated", "cancelled", requires_reason=True),
        Transition("pdi", "cancelled", requires_reason=True),
    ),
)


def _held_by_an_order(session: Session, vehicle: StockVehicle) -> str | None:
    held = session.scalar(select(exists().where(SalesOrder.stock_vehicle_id == vehicle.id)))
    return None if held else "sales.reserve_through_allocation"


def _free(session: Session, vehicle: StockVehicle) -> str | None:
    held = session.scalar(select(exists().where(SalesOrder.stock_vehicle_id == vehicle.id)))
    return "sales.release_through_cancel" if held else None


def _order_delivered(session: Session, vehicle: StockVehicle) -> str | None:
    delivered = session.scalar(
        select(func.count())
        .select_from(SalesOrder)
        .join(Lead, Lead.id == SalesOrder.lead_id)
        .where(SalesOrder.stock_vehicle_id == vehicle.id, Lead.status == "delivered")
    )
    return None if delivered else "sales.sell_through_delivery"


STOCK_FLOW = StateMachine(
    entity_type="sales_stock",
    states=STOCK_STATES,
    initial="in_transit",
    transitions=(
        Transition("in_transit", "in_warehouse"),
        Transition("in_transit", "in_showroom"),
        Transition("in_warehouse", "in_showroom"),
        Transition("in_showroom", "in_warehouse"),
        Transition("in_transit", "reserved", guard=_held_by_an_order),
        Transition("in_warehouse", "reserved", guard=_held_by_an_order),
        Transition("in_showroom", "reserved", guard=_held_by_an_order),
        Transition("reserved", "in_warehouse", requires_reason=True, guard=_free),
        Transition("reserved", "in_showroom", requires_reason=True, guard=_free),
        Transition("reserved", "in_transit", requires_reason=True, guard=_free),
        Transition("reserved", "sold", guard=_order_delivered),
    ),
)
