"""Sales services: leads and their flow, quotes, orders, checklists. Plain functions, no HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api.audit.models import StateTransition
from api.audit.service import history
from api.auth import policy
from api.auth.models import Store, User
from api.auth.roles import Role
from api.auth.scope import Scope
from api.crm import service as crm_service
from api.crm.models import Customer
from api.crm.schemas import CustomerCreate
from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.i18n import Text
from api.pagination import Paged, PageParams, paginate, search_clause, where_given
from api.sales import stock
from api.sales.constants import CHECKLISTS, day_after
from api.sales.models import ChecklistItem, Lead, Quote, SalesOrder
from api.sales.schemas import LeadCreate, LeadUpdate, OrderCreate, QuoteCreate
from api.sales.states import LEAD_FLOW
from core.clock import local_today

CENT = Decimal("0.01")
QUOTABLE_STATES = ("lead", "opportunity", "quote")
# CRM knows fewer sources than the sales lead feeds; portals are web leads to CRM.
CRM_SOURCE = {
    "walk_in": "walk_in",
    "phone": "phone",
    "web": "web",
    "autohome": "web",
    "dongchedi": "web",
    "referral": "referral",
    "event": "event",
    "service_lane": "walk_in",
}

# Leads -------------------------------------------------------------------------------------


def get_lead(session: Session, *, actor: Scope, lead_id: int) -> Lead:
    """A lead of the caller's stores (customers never see leads)."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(entity="lead", id=lead_id)
    actor.ensure(entity="lead", store_id=lead.store_id, record_id=lead_id)
    return lead


def list_leads(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    q: str | None = None,
    status: str | None = None,
    source: str | None = None,
    consultant_id: int | None = None,
    customer_id: int | None = None,
    model_id: int | None = None,
    store_id: int | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
) -> Paged[Lead]:
    """Leads of the caller's stores, newest first; q searches the customer's name and phone."""
    stmt = select(Lead).where(actor.visible(store_column=Lead.store_id))
    if q:
        stmt = stmt.join(Customer, Customer.id == Lead.customer_id).where(
            search_clause(q, Customer.name, Customer.phone)
        )
    stmt = where_given(
        stmt,
        (Lead.status, status),
        (Lead.source, source),
        (Lead.consultant_id, consultant_id),
        (Lead.customer_id, customer_id),
        (Lead.interested_model_id, model_id),
        (Lead.store_id, store_id),
    )
    if created_from is not None:
        stmt = stmt.where(Lead.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(Lead.created_at < day_after(created_to))
    return paginate(session, stmt.order_by(Lead.created_at.desc(), Lead.id.desc()), page)


def _check_consultant(session: Session, *, user_id: int, store_id: int) -> None:
    user = session.get(User, user_id)
    if (
        user is None
        or user.role != Role.sales_consultant
        or store_id not in set(user.store_ids)
        or not user.is_active
    ):
        raise InvalidInput(
            field="consultant_id", problem=Text("sales.consultant_invalid", {"id": user_id})
        )


def create_lead(session: Session, *, actor: Scope, actor_id: int | None, data: LeadCreate) -> Lead:
    """A new lead; a name and phone without customer_id become a CRM prospect first."""
    actor.ensure_store(data.store_id, entity="lead")
    if data.customer_id is not None:
        customer = crm_service.get_customer(session, actor=actor, customer_id=data.customer_id)
    elif data.name and data.phone:
        customer = crm_service.create_customer(
            session,
            actor=actor,
            actor_id=actor_id,
            data=CustomerCreate(
                name=data.name,
                phone=data.phone,
                source=CRM_SOURCE[data.source],
                store_id=data.store_id,
            ),
        )
    else:
        raise InvalidInput(field="customer_id", problem=Text("sales.customer_needed"))
    consultant_id = data.consultant_id
    if consultant_id is None and actor.role is Role.sales_consultant:
        consultant_id = actor.user_id
    if consultant_id is not None:
        _check_consultant(session, user_id=consultant_id, store_id=data.store_id)
    if data.interested_model_id is not None:
        stock.get_model(session, actor=actor, model_id=data.interested_model_id)
    lead = Lead(
        store_id=data.store_id,
        customer_id=customer.id,
        consultant_id=consultant_id,
        source=data.source,
        interested_model_id=data.interested_model_id,
        notes=data.notes,
    )
    LEAD_FLOW.start(session, entity=lead, actor_id=actor_id)
    return lead


def update_lead(session: Session, *, actor: Scope, lead_id: int, data: LeadUpdate) -> Lead:
    """Change a lead's interest or notes; managers may also reassign its consultant."""
    lead = get_lead(session, actor=actor, lead_id=lead_id)
    changes = data.model_dump(exclude_unset=True)
    if "consultant_id" in changes and changes["consultant_id"] != lead.consultant_id:
        if actor.role not in policy.field_roles("lead_consultant"):
            raise Forbidden(entity="lead", why=Text("sales.reassign_managers"))
        if changes["consultant_id"] is not None:
            _check_consultant(session, user_id=changes["consultant_id"], store_id=lead.store_id)
    if changes.get("interested_model_id") is not None:
        stock.get_model(session, actor=actor, model_id=changes["interested_model_id"])
    for name, value in changes.items():
        setattr(lead, name, value)
    session.flush()
    return lead


def _order_of(session: Session, lead: Lead) -> SalesOrder | None:
    return session.scalar(select(SalesOrder).where(SalesOrder.lead_id == lead.id))


def _lock(session: Session, lead: Lead, to: str, role: str) -> None:
    """Lock the lead, and refuse now a step the table does not have (before any data is made)."""
    session.refresh(lead, with_for_update=True)
    if not LEAD_FLOW.can(lead.status, to):
        LEAD_FLOW.check(session, entity=lead, to=to, role=role)


def change_lead_status(
    session: Session,
    *,
    actor: Scope,
    actor_id: int | None,
    lead_id: int,
    to: str,
    reason: str | None = None,
) -> Lead:
    """Move a lead one step (audited), with what each step does to the order and the car."""
    lead = get_lead(session, actor=actor, lead_id=lead_id)
    LEAD_FLOW.apply(session, entity=lead, to=to, reason=reason, actor_id=actor_id, role=actor.role)
    order = _order_of(session, lead)
    if to == "pdi":
        _open_checklists(session, order)
    elif to == "delivered":
        order.delivered_at = datetime.now(UTC)
        session.flush()
        stock.sell(session, order=order, actor_id=actor_id, delivered_on=order.delivered_at.date())
    elif to == "cancelled" and order is not None:
        stock.release(session, order=order, actor_id=actor_id, reason=f"order {order.id}: {reason}")
    session.flush()
    return lead


def lead_history(session: Session, *, actor: Scope, lead_id: int) -> list[StateTransition]:
    """The lead's steps, oldest first."""
    get_lead(session, actor=actor, lead_id=lead_id)
    return history(session, entity_type=LEAD_FLOW.entity_type, entity_id=lead_id)


# Quotes ------------------------------------------------------------------------------------


def monthly_payment(principal: Decimal, apr_percent: Decimal, months: int) -> Decimal:
    """The annuity payment of a loan (equal monthly instalments)."""
    if principal <= 0:
        return Decimal(0)
    rate = apr_percent / Decimal(1200)
    if rate == 0:
        return (principal / months).quantize(CENT, ROUND_HALF_UP)
    payment = principal * rate / (1 - (1 + rate) ** -months)
    return payment.quantize(CENT, ROUND_HALF_UP)


def create_quote(
    session: Session, *, actor: Scope, actor_id: int | None, lead_id: int, data: QuoteCreate
) -> Quote:
    """A quote for the lead; the first one moves the lead to 'quote'."""
    lead = get_lead(session, actor=actor, lead_id=lead_id)
    session.refresh(lead, with_for_update=True)
    if lead.status not in QUOTABLE_STATES:
        raise Conflict(why=Text("sales.quote_state", {"status": lead.status}))
    model = stock.get_model(session, actor=actor, model_id=data.model_id)
    price = data.vehicle_price if data.vehicle_price is not None else model.msrp
    options_price = sum((o.price for o in data.options), Decimal(0))
    trade_in_value = data.trade_in.value if data.trade_in else Decimal(0)
    deductions = data.discount + trade_in_value
    if deductions >= price + options_price:
        raise InvalidInput(
            field="discount",
            problem=Text(
                "sales.amount_total", {"deductions": deductions, "price": price + options_price}
            ),
        )
    total = price + options_price - deductions
    financing: dict[str, Any] | None = None
    if data.financing is not None:
        if data.financing.down_payment >= total:
            raise InvalidInput(
                field="financing.down_payment",
                problem=Text(
                    "sales.finance_too_high", {"down": data.financing.down_payment, "total": total}
                ),
            )
        payment = monthly_payment(
            total - data.financing.down_payment,
            data.financing.apr_percent,
            data.financing.term_months,
        )
        financing = data.financing.model_dump(mode="json") | {"monthly_payment": str(payment)}
    quote = Quote(
        store_id=lead.store_id,
        lead_id=lead.id,
        model_id=model.id,
        colour=data.colour,
        vehicle_price=price,
        options=[o.model_dump(mode="json") for o in data.options],
        options_price=options_price,
        discount=data.discount,
        trade_in=data.trade_in.model_dump(mode="json") if data.trade_in else None,
        trade_in_value=trade_in_value,
        financing=financing,
        total=total,
        valid_until=local_today(_zone_of(session, lead.store_id)) + timedelta(days=data.valid_days),
        created_by_id=actor_id,
    )
    session.add(quote)
    session.flush()
    if lead.status != "quote":
        LEAD_FLOW.apply(session, entity=lead, to="quote", actor_id=actor_id, role=actor.role)
    return quote


def list_quotes(session: Session, *, actor: Scope, lead_id: int) -> list[Quote]:
    """The lead's quotes, newest first."""
    get_lead(session, actor=actor, lead_id=lead_id)
    stmt = select(Quote).where(Quote.lead_id == lead_id).order_by(Quote.id.desc())
    return list(session.scalars(stmt))


# Orders ------------------------------------------------------------------------------------


def place_order(
    session: Session, *, actor: Scope, actor_id: int | None, lead_id: int, data: OrderCreate
) -> SalesOrder:
    """Sign an order from one of the lead's quotes; the lead moves to 'order'."""
    lead = get_lead(session, actor=actor, lead_id=lead_id)
    _lock(session, lead, "order", actor.role)
    quote = session.get(Quote, data.quote_id)
    if quote is None or quote.lead_id != lead.id:
        raise InvalidInput(
            field="quote_id", problem=Text("sales.quote_other_lead", {"quote_id": data.quote_id})
        )
    if quote.valid_until < local_today(_zone_of(session, lead.store_id)):
        raise Conflict(
            why=Text(
                "sales.quote_expired",
                {"quote_id": quote.id, "valid_until": quote.valid_until.isoformat()},
            )
        )
    price = quote.vehicle_price + quote.options_price
    if data.deposit > price - quote.discount:
        raise InvalidInput(
            field="deposit",
            problem=Text(
                "sales.deposit_too_high", {"deposit": data.deposit, "net": price - quote.discount}
            ),
        )
    with session.begin_nested():
        order = SalesOrder(
            store_id=lead.store_id,
            lead_id=lead.id,
            quote_id=quote.id,
            customer_id=lead.customer_id,
            model_id=quote.model_id,
            colour=quote.colour,
            price=price,
            discount=quote.discount,
            trade_in_value=quote.trade_in_value,
            deposit=data.deposit,
        )
        session.add(order)
        session.flush()
        LEAD_FLOW.apply(session, entity=lead, to="order", actor_id=actor_id, role=actor.role)
    return order


def allocate(
    session: Session, *, actor: Scope, actor_id: int | None, lead_id: int, vin: str
) -> SalesOrder:
    """Reserve a stock car (by VIN) for the lead's order; the lead moves to 'allocated'."""
    lead = get_lead(session, actor=actor, lead_id=lead_id)
    _lock(session, lead, "allocated", actor.role)
    order = _order_of(session, lead)
    if order is None:
        LEAD_FLOW.check(session, entity=lead, to="allocated", role=actor.role)
    with session.begin_nested():
        stock.reserve_for_order(session, order=order, vin=vin, actor_id=actor_id)
        LEAD_FLOW.apply(session, entity=lead, to="allocated", actor_id=actor_id, role=actor.role)
    return order


def get_order(session: Session, *, actor: Scope, order_id: int) -> SalesOrder:
    """An order of the caller's stores, or a customer's own order."""
    order = session.get(SalesOrder, order_id)
    if order is None:
        raise NotFound(entity="order", id=order_id)
    actor.ensure(
        entity="order", store_id=order.store_id, customer_id=order.customer_id, record_id=order_id
    )
    return order


def order_of_lead(session: Session, *, actor: Scope, lead_id: int) -> SalesOrder:
    """The lead's order (NotFound before one is signed)."""
    lead = get_lead(session, actor=actor, lead_id=lead_id)
    order = _order_of(session, lead)
    if order is None:
        raise NotFound(entity="order of lead", id=lead_id)
    return order


def list_orders(
    session: Session,
    *,
    actor: Scope,
    page: PageParams,
    status: str | None = None,
    customer_id: int | None = None,
    consultant_id: int | None = None,
    store_id: int | None = None,
    delivered_from: date | None = None,
    delivered_to: date | None = None,
) -> Paged[SalesOrder]:
    """Orders of the caller's stores (a customer: their own), newest first."""
    stmt = (
        select(SalesOrder)
        .join(Lead, Lead.id == SalesOrder.lead_id)
        .where(
            actor.visible(store_column=SalesOrder.store_id, customer_column=SalesOrder.customer_id)
        )
        .options(joinedload(SalesOrder.lead), joinedload(SalesOrder.stock_vehicle))
    )
    stmt = where_given(
        stmt,
        (Lead.status, status),
        (SalesOrder.customer_id, customer_id),
        (Lead.consultant_id, consultant_id),
        (SalesOrder.store_id, store_id),
    )
    if delivered_from is not None:
        stmt = stmt.where(SalesOrder.delivered_at >= delivered_from)
    if delivered_to is not None:
        stmt = stmt.where(SalesOrder.delivered_at < day_after(delivered_to))
    order_by = (SalesOrder.ordered_at.desc(), SalesOrder.id.desc())
    return paginate(session, stmt.order_by(*order_by), page)


def _zone_of(session: Session, store_id: int) -> str | None:
    return session.scalar(select(Store.timezone).where(Store.id == store_id))


def _open_checklists(session: Session, order: SalesOrder) -> None:
    """Add the order's missing PDI and delivery lines, all pending."""
    stmt = select(ChecklistItem.kind, ChecklistItem.code).where(ChecklistItem.order_id == order.id)
    existing = {(kind, code) for kind, code in session.execute(stmt)}
    for kind, items in CHECKLISTS.items():
        for code, _, _ in items:
            if (kind, code) not in existing:
                session.add(
                    ChecklistItem(store_id=order.store_id, order_id=order.id, kind=kind, code=code)
                )
    session.flush()
