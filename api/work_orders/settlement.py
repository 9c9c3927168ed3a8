"""Settlement (结算): the estimate of a job and the invoice it becomes. Amounts come from
`pricing`, the one place that computes them. No HTTP."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth.actor import Actor, ensure_visible, visible
from api.errors import NotFound
from api.pagination import Paged, PageParams, paginate
from api.parts.models import Part
from api.work_orders.models import Invoice, InvoiceLine, WorkOrder
from api.work_orders.pricing import PricedLine, Totals, totals


def priced_lines(session: Session, *, work_order: WorkOrder) -> list[PricedLine]:
    """The job's billable lines: labour at flat-rate hours, parts not released."""
    lines = [
        PricedLine("labour", line.description, line.hours, line.rate, line.discount_pct)
        for line in work_order.labour
    ]
    names = dict(
        session.execute(
            select(Part.id, Part.part_number + " " + Part.name_zh).where(
                Part.id.in_([p.part_id for p in work_order.parts])
            )
        ).all()
    )
    lines += [
        PricedLine(
            "part",
            names.get(p.part_id, str(p.part_id))[:200],
            p.quantity,
            p.unit_price,
            p.discount_pct,
        )
        for p in work_order.parts
        if p.status != "released"
    ]
    return lines


def estimate(session: Session, *, work_order: WorkOrder) -> tuple[list[PricedLine], Totals]:
    """The lines and totals the customer approves (报价)."""
    lines = priced_lines(session, work_order=work_order)
    return lines, totals(lines)


def issue_invoice(
    session: Session, *, work_order: WorkOrder, actor_id: int | None = None
) -> Invoice:
    """Freeze the job's lines and totals into its invoice (once per work order); audited."""
    existing = session.scalar(select(Invoice).where(Invoice.work_order_id == work_order.id))
    if existing is not None:
        return existing
    lines, sums = estimate(session, work_order=work_order)
    invoice = Invoice(
        store_id=work_order.store_id,
        work_order_id=work_order.id,
        customer_id=work_order.customer_id,
        number=f"TMP-{work_order.id}",
        labour_total=sums.labour_total,
        parts_total=sums.parts_total,
        discount_total=sums.discount_total,
        net_total=sums.net_total,
        tax_rate=sums.tax_rate,
        tax_total=sums.tax_total,
        grand_total=sums.grand_total,
    )
    session.add(invoice)
    session.flush()
    invoice.number = f"INV{invoice.issued_at:%y%m%d}-{invoice.id:06d}"
    session.add_all(
        InvoiceLine(
            invoice_id=invoice.id,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            gross=line.gross,
            discount=line.discount,
            net=line.net,
        )
        for line in lines
    )
    session.flush()
    session.refresh(invoice, attribute_names=["lines"])
    audit.record(
        session,
        action="settlement",
        entity_type="work_order",
        entity_id=work_order.id,
        store_id=work_order.store_id,
        actor_user_id=actor_id,
        before={"status": "quality_check"},
        after={
            "invoice": invoice.number,
            "net_total": invoice.net_total,
            "discount_total": invoice.discount_total,
            "grand_total": invoice.grand_total,
        },
    )
    return invoice


def get_invoice(session: Session, *, actor: Actor, invoice_id: int) -> Invoice:
    """An invoice the actor may see (a customer: their own)."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(entity="invoice", id=invoice_id)
    ensure_visible(
        actor,
        entity="invoice",
        store_id=invoice.store_id,
        customer_id=invoice.customer_id,
        record_id=invoice_id,
    )
    return invoice


def list_invoices(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    store_id: int | None = None,
    customer_id: int | None = None,
) -> Paged[Invoice]:
    """Invoices the actor may see, newest first."""
    stmt = select(Invoice).where(
        visible(actor, store_column=Invoice.store_id, customer_column=Invoice.customer_id)
    )
    if store_id is not None:
        stmt = stmt.where(Invoice.store_id == store_id)
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    return paginate(session, stmt.order_by(Invoice.id.desc()), page)


def invoices_of(session: Session, *, actor: Actor, work_order_ids: list[int]) -> dict[int, Invoice]:
    """The visible invoices of the work orders, by work order id (unsettled ones are absent)."""
    stmt = select(Invoice).where(
        Invoice.work_order_id.in_(work_order_ids),
        visible(actor, store_column=Invoice.store_id, customer_column=Invoice.customer_id),
    )
    return {invoice.work_order_id: invoice for invoice in session.scalars(stmt)}
