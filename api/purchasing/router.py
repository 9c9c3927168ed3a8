"""Purchasing routes: suppliers, purchase orders, goods receipts, supplier invoices, the
reorder proposal and the cost report. Thin: services do the work.

Under /parts and the "parts" tag, as before purchasing became a domain of its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from api.audit.schemas import StatusChange, TransitionRead
from api.deps import SessionDep
from api.pagination import PageParamsDep
from api.parts.dependencies import DateFrom, DateTo, PartsWriter
from api.purchasing import invoices, receipts, reports, service
from api.purchasing.constants import INVOICE_MATCHES, PO_STATES, SupplierKind
from api.purchasing.models import PurchaseOrder
from api.purchasing.schemas import (
    CostPage,
    MismatchPage,
    OrderLineRead,
    OrderLines,
    ProposalOrders,
    PurchaseOrderCreate,
    PurchaseOrderDetail,
    PurchaseOrderPage,
    PurchaseOrderRead,
    ReceiptCreate,
    ReceiptPage,
    ReceiptRead,
    SupplierCreate,
    SupplierInvoiceCreate,
    SupplierInvoicePage,
    SupplierInvoiceRead,
    SupplierPage,
    SupplierProposal,
    SupplierRead,
    SupplierUpdate,
)
from api.types import MAX_ID, IdPath, IdQuery, Search, one_of

router = APIRouter(prefix="/parts", tags=["parts"])

OrderStatusQuery = Annotated[str | None, Query(pattern=one_of(PO_STATES))]
InvoiceMatchQuery = Annotated[str | None, Query(pattern=one_of(INVOICE_MATCHES))]
WarehouseQuery = Annotated[int, Query(ge=1, le=MAX_ID, description="The warehouse to restock")]


def _detail(session: Any, order: PurchaseOrder) -> PurchaseOrderDetail:
    lines = [
        OrderLineRead.model_validate(r, from_attributes=True)
        for r in service.order_lines(session, order_id=order.id)
    ]
    return PurchaseOrderDetail.model_validate(
        PurchaseOrderRead.model_validate(order).model_dump() | {"lines": lines}
    )


@router.get("/suppliers", response_model=SupplierPage)
def list_suppliers(
    session: SessionDep,
    user: PartsWriter,
    page: PageParamsDep,
    q: Search = None,
    kind: SupplierKind | None = None,
) -> SupplierPage:
    """The group's suppliers; q searches code and name."""
    paged = service.list_suppliers(session, actor=user.scope, page=page, q=q, kind=kind)
    return SupplierPage.model_validate(paged, from_attributes=True)


@router.post("/suppliers", response_model=SupplierRead, status_code=status.HTTP_201_CREATED)
def create_supplier(session: SessionDep, user: PartsWriter, body: SupplierCreate) -> SupplierRead:
    """Add a supplier."""
    supplier = service.create_supplier(session, actor=user.scope, values=body.model_dump())
    return SupplierRead.model_validate(supplier)


@router.get("/suppliers/{supplier_id}", response_model=SupplierRead)
def get_supplier(session: SessionDep, user: PartsWriter, supplier_id: IdPath) -> SupplierRead:
    """One supplier."""
    supplier = service.get_supplier(session, actor=user.scope, supplier_id=supplier_id)
    return SupplierRead.model_validate(supplier)


@router.patch("/suppliers/{supplier_id}", response_model=SupplierRead)
def update_supplier(
    session: SessionDep, user: PartsWriter, supplier_id: IdPath, body: SupplierUpdate
) -> SupplierRead:
    """Change a supplier's contact, lead time or status."""
    supplier = service.update_supplier(
        session,
        actor=user.scope,
        supplier_id=supplier_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return SupplierRead.model_validate(supplier)


@router.get("/purchase-orders", response_model=PurchaseOrderPage)
def list_orders(
    session: SessionDep,
    user: PartsWriter,
    page: PageParamsDep,
    status: OrderStatusQuery = None,
    supplier_id: IdQuery = None,
    warehouse_id: IdQuery = None,
) -> PurchaseOrderPage:
    """Purchase orders of your warehouses, newest first."""
    paged = service.list_orders(
        session,
        actor=user.scope,
        page=page,
        status=status,
        supplier_id=supplier_id,
        warehouse_id=warehouse_id,
    )
    return PurchaseOrderPage.model_validate(paged, from_attributes=True)


@router.post(
    "/purchase-orders", response_model=PurchaseOrderDetail, status_code=status.HTTP_201_CREATED
)
def create_order(
    session: SessionDep, user: PartsWriter, body: PurchaseOrderCreate
) -> PurchaseOrderDetail:
    """A draft purchase order; prices default to the parts' standard cost."""
    order = service.create_order(session, actor=user.scope, data=body, actor_id=user.id)
    return _detail(session, order)


@router.get("/purchase-orders/{order_id}", response_model=PurchaseOrderDetail)
def get_order(session: SessionDep, user: PartsWriter, order_id: IdPath) -> PurchaseOrderDetail:
    """A purchase order with received and invoiced quantities per line."""
    order = service.get_order(session, actor=user.scope, order_id=order_id)
    return _detail(session, order)


@router.put("/purchase-orders/{order_id}/lines", response_model=PurchaseOrderDetail)
def replace_lines(
    session: SessionDep, user: PartsWriter, order_id: IdPath, body: OrderLines
) -> PurchaseOrderDetail:
    """Replace the lines of a draft order (409 once it is sent)."""
    order = service.replace_lines(session, actor=user.scope, order_id=order_id, lines=body.lines)
    return _detail(session, order)


@router.post("/purchase-orders/{order_id}/status", response_model=PurchaseOrderDetail)
def change_status(
    session: SessionDep, user: PartsWriter, order_id: IdPath, body: StatusChange
) -> PurchaseOrderDetail:
    """Move the order: draft → sent → confirmed → (partly_)received → closed, or cancelled."""
    order = service.change_status(
        session,
        actor=user.scope,
        order_id=order_id,
        to=body.to,
        reason=body.reason,
        actor_id=user.id,
        role=user.role,
    )
    return _detail(session, order)


@router.get("/purchase-orders/{order_id}/history", response_model=list[TransitionRead])
def order_history(session: SessionDep, user: PartsWriter, order_id: IdPath) -> list[TransitionRead]:
    """The order's status changes: who, when, from, to, why."""
    rows = service.order_history(session, actor=user.scope, order_id=order_id)
    return [TransitionRead.model_validate(r) for r in rows]


@router.post(
    "/purchase-orders/{order_id}/receipts",
    response_model=ReceiptRead,
    status_code=status.HTTP_201_CREATED,
)
def receive(
    session: SessionDep, user: PartsWriter, order_id: IdPath, body: ReceiptCreate
) -> ReceiptRead:
    """Book a delivery into stock (收货): a lot per line, freight allocated by value."""
    receipt = receipts.receive(
        session, actor=user.scope, order_id=order_id, data=body, actor_id=user.id
    )
    return ReceiptRead.model_validate(receipt)


@router.get("/receipts", response_model=ReceiptPage)
def list_receipts(
    session: SessionDep, user: PartsWriter, page: PageParamsDep, purchase_order_id: IdQuery = None
) -> ReceiptPage:
    """Goods receipts of your warehouses, newest first."""
    paged = receipts.list_receipts(
        session, actor=user.scope, page=page, purchase_order_id=purchase_order_id
    )
    return ReceiptPage.model_validate(paged, from_attributes=True)


@router.post("/invoices", response_model=SupplierInvoiceRead, status_code=status.HTTP_201_CREATED)
def register_invoice(
    session: SessionDep, user: PartsWriter, body: SupplierInvoiceCreate
) -> SupplierInvoiceRead:
    """Record a supplier invoice and match it three ways (order, receipts, invoice)."""
    invoice = invoices.register_invoice(session, actor=user.scope, data=body, actor_id=user.id)
    return SupplierInvoiceRead.model_validate(invoice)


@router.get("/invoices", response_model=SupplierInvoicePage)
def list_invoices(
    session: SessionDep,
    user: PartsWriter,
    page: PageParamsDep,
    supplier_id: IdQuery = None,
    purchase_order_id: IdQuery = None,
    match_status: InvoiceMatchQuery = None,
) -> SupplierInvoicePage:
    """Supplier invoices, newest first."""
    paged = invoices.list_invoices(
        session,
        actor=user.scope,
        page=page,
        supplier_id=supplier_id,
        purchase_order_id=purchase_order_id,
        match_status=match_status,
    )
    return SupplierInvoicePage.model_validate(paged, from_attributes=True)


@router.get("/invoice-mismatches", response_model=MismatchPage)
def list_mismatches(
    session: SessionDep, user: PartsWriter, page: PageParamsDep, supplier_id: IdQuery = None
) -> MismatchPage:
    """Invoice lines that failed the three-way match, with what was ordered and received."""
    paged = invoices.list_mismatches(session, actor=user.scope, page=page, supplier_id=supplier_id)
    return MismatchPage.model_validate(paged, from_attributes=True)


@router.get("/reorder-proposal", response_model=list[SupplierProposal])
def reorder_proposal(
    session: SessionDep, user: PartsWriter, warehouse_id: WarehouseQuery
) -> list[SupplierProposal]:
    """Parts at or below their reorder point, topped up to max, by preferred supplier."""
    groups = reports.reorder_proposal(session, actor=user.scope, warehouse_id=warehouse_id)
    return [SupplierProposal.model_validate(g, from_attributes=True) for g in groups]


@router.post(
    "/reorder-proposal/orders", response_model=ProposalOrders, status_code=status.HTTP_201_CREATED
)
def order_proposal(
    session: SessionDep, user: PartsWriter, warehouse_id: WarehouseQuery
) -> ProposalOrders:
    """Draft one purchase order per supplier from the current reorder proposal."""
    orders = reports.order_proposal(
        session, actor=user.scope, warehouse_id=warehouse_id, actor_id=user.id
    )
    return ProposalOrders(orders=[PurchaseOrderRead.model_validate(o) for o in orders])


@router.get("/cost-report", response_model=CostPage)
def cost_report(
    session: SessionDep,
    user: PartsWriter,
    page: PageParamsDep,
    date_from: DateFrom,
    date_to: DateTo,
    part_id: IdQuery = None,
    supplier_id: IdQuery = None,
) -> CostPage:
    """Per part and supplier: purchase price, freight and shrinkage in the period."""
    paged = reports.cost_report(
        session,
        actor=user.scope,
        page=page,
        date_from=date_from,
        date_to=date_to,
        part_id=part_id,
        supplier_id=supplier_id,
    )
    return CostPage.model_validate(paged, from_attributes=True)
