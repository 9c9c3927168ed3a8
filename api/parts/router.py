"""Parts routes: catalogue, suppliers and warehouses here; stock and purchasing included.
Thin: services do the work."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import SessionDep
from api.pagination import PageParamsDep
from api.parts import catalogue
from api.parts.constants import Category, PartKind, SupplierKind, WarehouseLevel
from api.parts.dependencies import PartsWriter, StockReader
from api.parts.purchasing_router import router as purchasing_router
from api.parts.purchasing_schemas import (
    SupplierCreate,
    SupplierPage,
    SupplierRead,
    SupplierUpdate,
)
from api.parts.schemas import (
    BinCreate,
    BinRead,
    PartCreate,
    PartPage,
    PartRead,
    PartUpdate,
    StockItemRead,
    StockPolicy,
    WarehouseCreate,
    WarehousePage,
    WarehouseRead,
)
from api.parts.stock_router import router as stock_router
from api.types import IdPath, IdQuery, Search

router = APIRouter(prefix="/parts", tags=["parts"])


@router.get("/catalogue", response_model=PartPage)
def list_parts(
    session: SessionDep,
    user: StockReader,
    page: PageParamsDep,
    q: Search = None,
    category: Category | None = None,
    kind: PartKind | None = None,
    supplier_id: IdQuery = None,
    active: bool | None = None,
) -> PartPage:
    """The group's parts catalogue; q searches part number and names (zh, en)."""
    paged = catalogue.list_parts(
        session,
        scope_or_store=user.scope,
        page=page,
        q=q,
        category=category,
        kind=kind,
        supplier_id=supplier_id,
        active=active,
    )
    return PartPage.model_validate(paged, from_attributes=True)


@router.post("/catalogue", response_model=PartRead, status_code=status.HTTP_201_CREATED)
def create_part(session: SessionDep, user: PartsWriter, body: PartCreate) -> PartRead:
    """Add a part to the catalogue."""
    part = catalogue.create_part(session, scope_or_store=user.scope, data=body)
    return PartRead.model_validate(part)


@router.get("/catalogue/{part_id}", response_model=PartRead)
def get_part(session: SessionDep, user: StockReader, part_id: IdPath) -> PartRead:
    """One catalogue part."""
    return PartRead.model_validate(
        catalogue.get(session, scope_or_store=user.scope, part_id=part_id)
    )


@router.patch("/catalogue/{part_id}", response_model=PartRead)
def update_part(
    session: SessionDep, user: PartsWriter, part_id: IdPath, body: PartUpdate
) -> PartRead:
    """Change a part's names, prices, supplier, supersession or shelf life."""
    part = catalogue.update_part(session, scope_or_store=user.scope, part_id=part_id, data=body)
    return PartRead.model_validate(part)


@router.get("/suppliers", response_model=SupplierPage)
def list_suppliers(
    session: SessionDep,
    user: PartsWriter,
    page: PageParamsDep,
    q: Search = None,
    kind: SupplierKind | None = None,
) -> SupplierPage:
    """The group's suppliers; q searches code and name."""
    paged = catalogue.list_suppliers(session, scope_or_store=user.scope, page=page, q=q, kind=kind)
    return SupplierPage.model_validate(paged, from_attributes=True)


@router.post("/suppliers", response_model=SupplierRead, status_code=status.HTTP_201_CREATED)
def create_supplier(session: SessionDep, user: PartsWriter, body: SupplierCreate) -> SupplierRead:
    """Add a supplier."""
    supplier = catalogue.create_supplier(
        session, scope_or_store=user.scope, values=body.model_dump()
    )
    return SupplierRead.model_validate(supplier)


@router.get("/suppliers/{supplier_id}", response_model=SupplierRead)
def get_supplier(session: SessionDep, user: PartsWriter, supplier_id: IdPath) -> SupplierRead:
    """One supplier."""
    supplier = catalogue.get_supplier(session, scope_or_store=user.scope, supplier_id=supplier_id)
    return SupplierRead.model_validate(supplier)


@router.patch("/suppliers/{supplier_id}", response_model=SupplierRead)
def update_supplier(
    session: SessionDep, user: PartsWriter, supplier_id: IdPath, body: SupplierUpdate
) -> SupplierRead:
    """Change a supplier's contact, lead time or status."""
    supplier = catalogue.update_supplier(
        session,
        scope_or_store=user.scope,
        supplier_id=supplier_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return SupplierRead.model_validate(supplier)


@router.get("/warehouses", response_model=WarehousePage)
def list_warehouses(
    session: SessionDep,
    user: StockReader,
    page: PageParamsDep,
    level: WarehouseLevel | None = None,
    store_id: IdQuery = None,
) -> WarehousePage:
    """Your stores' warehouses and the group's HQ and regional ones."""
    paged = catalogue.list_warehouses(
        session, scope_or_store=user.scope, page=page, level=level, store_id=store_id
    )
    return WarehousePage.model_validate(paged, from_attributes=True)


@router.post("/warehouses", response_model=WarehouseRead, status_code=status.HTTP_201_CREATED)
def create_warehouse(
    session: SessionDep, user: PartsWriter, body: WarehouseCreate
) -> WarehouseRead:
    """Add a warehouse (store level: in one of your stores)."""
    warehouse = catalogue.create_warehouse(session, scope_or_store=user.scope, data=body)
    return WarehouseRead.model_validate(warehouse)


@router.get("/warehouses/{warehouse_id}/bins", response_model=list[BinRead])
def list_bins(session: SessionDep, user: StockReader, warehouse_id: IdPath) -> list[BinRead]:
    """The shelf locations of a warehouse."""
    rows = catalogue.list_bins(session, scope_or_store=user.scope, warehouse_id=warehouse_id)
    return [BinRead.model_validate(r) for r in rows]


@router.post(
    "/warehouses/{warehouse_id}/bins", response_model=BinRead, status_code=status.HTTP_201_CREATED
)
def create_bin(
    session: SessionDep, user: PartsWriter, warehouse_id: IdPath, body: BinCreate
) -> BinRead:
    """Add a shelf location to a warehouse."""
    row = catalogue.create_bin(
        session, scope_or_store=user.scope, warehouse_id=warehouse_id, data=body
    )
    return BinRead.model_validate(row)


@router.put("/warehouses/{warehouse_id}/policies/{part_id}", response_model=StockItemRead)
def set_policy(
    session: SessionDep, user: PartsWriter, warehouse_id: IdPath, part_id: IdPath, body: StockPolicy
) -> StockItemRead:
    """Set a part's bin, safety stock, reorder point and max in a warehouse."""
    item = catalogue.set_policy(
        session, scope_or_store=user.scope, warehouse_id=warehouse_id, part_id=part_id, data=body
    )
    return StockItemRead.model_validate(item)


router.include_router(stock_router)
router.include_router(purchasing_router)
