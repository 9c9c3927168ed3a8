"""Parts routes: the catalogue, warehouses and bins, stock, the ledger, reservations and the
ABC classes. Thin: services do the work. Suppliers and orders are in api.purchasing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.audit.schemas import TransitionRead
from api.audit.service import history
from api.deps import SessionDep
from api.pagination import PageParamsDep
from api.parts import catalogue, queries, reports, service
from api.parts.access import access_of
from api.parts.constants import (
    EXPIRY_WARNING_DAYS,
    RESERVATION_STATES,
    AbcClass,
    Category,
    MoveKind,
    PartKind,
    WarehouseLevel,
)
from api.parts.dependencies import DateFrom, DateTo, PartsWriter, Reserver, StockReader
from api.parts.schemas import (
    AbcPage,
    AdjustmentCreate,
    Availability,
    BinCreate,
    BinRead,
    IssueRequest,
    LotStockPage,
    MovePage,
    MoveRead,
    PartCreate,
    PartPage,
    PartRead,
    PartUpdate,
    ReleaseRequest,
    ReservationCreate,
    ReservationPage,
    ReservationRead,
    ReturnRequest,
    ScrapCreate,
    StockItemRead,
    StockLevelPage,
    StockPolicy,
    TransferCreate,
    WarehouseCreate,
    WarehousePage,
    WarehouseRead,
)
from api.parts.states import RESERVATION
from api.types import MAX_ID, IdPath, IdQuery, Search, one_of

router = APIRouter(prefix="/parts", tags=["parts"])

ReservationStatusQuery = Annotated[str | None, Query(pattern=one_of(RESERVATION_STATES))]


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
        actor=user.scope,
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
    part = catalogue.create_part(session, actor=user.scope, data=body)
    return PartRead.model_validate(part)


@router.get("/catalogue/{part_id}", response_model=PartRead)
def get_part(session: SessionDep, user: StockReader, part_id: IdPath) -> PartRead:
    """One catalogue part."""
    return PartRead.model_validate(catalogue.get(session, actor=user.scope, part_id=part_id))


@router.patch("/catalogue/{part_id}", response_model=PartRead)
def update_part(
    session: SessionDep, user: PartsWriter, part_id: IdPath, body: PartUpdate
) -> PartRead:
    """Change a part's names, prices, supplier, supersession or shelf life."""
    part = catalogue.update_part(session, actor=user.scope, part_id=part_id, data=body)
    return PartRead.model_validate(part)


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
        session, actor=user.scope, page=page, level=level, store_id=store_id
    )
    return WarehousePage.model_validate(paged, from_attributes=True)


@router.post("/warehouses", response_model=WarehouseRead, status_code=status.HTTP_201_CREATED)
def create_warehouse(
    session: SessionDep, user: PartsWriter, body: WarehouseCreate
) -> WarehouseRead:
    """Add a warehouse (store level: in one of your stores)."""
    warehouse = catalogue.create_warehouse(session, actor=user.scope, data=body)
    return WarehouseRead.model_validate(warehouse)


@router.get("/warehouses/{warehouse_id}/bins", response_model=list[BinRead])
def list_bins(session: SessionDep, user: StockReader, warehouse_id: IdPath) -> list[BinRead]:
    """The shelf locations of a warehouse."""
    rows = catalogue.list_bins(session, actor=user.scope, warehouse_id=warehouse_id)
    return [BinRead.model_validate(r) for r in rows]


@router.post(
    "/warehouses/{warehouse_id}/bins", response_model=BinRead, status_code=status.HTTP_201_CREATED
)
def create_bin(
    session: SessionDep, user: PartsWriter, warehouse_id: IdPath, body: BinCreate
) -> BinRead:
    """Add a shelf location to a warehouse."""
    row = catalogue.create_bin(session, actor=user.scope, warehouse_id=warehouse_id, data=body)
    return BinRead.model_validate(row)


@router.put("/warehouses/{warehouse_id}/policies/{part_id}", response_model=StockItemRead)
def set_policy(
    session: SessionDep, user: PartsWriter, warehouse_id: IdPath, part_id: IdPath, body: StockPolicy
) -> StockItemRead:
    """Set a part's bin, safety stock, reorder point and max in a warehouse."""
    item = catalogue.set_policy(
        session, actor=user.scope, warehouse_id=warehouse_id, part_id=part_id, data=body
    )
    return StockItemRead.model_validate(item)


@router.get("/stock", response_model=StockLevelPage)
def list_stock(
    session: SessionDep,
    user: StockReader,
    page: PageParamsDep,
    warehouse_id: IdQuery = None,
    part_id: IdQuery = None,
    q: Search = None,
    category: Category | None = None,
    below_reorder: bool | None = None,
    in_stock: bool | None = None,
) -> StockLevelPage:
    """On-hand, expired, reserved and available stock per warehouse and part."""
    paged = queries.list_levels(
        session,
        actor=user.scope,
        page=page,
        warehouse_id=warehouse_id,
        part_id=part_id,
        q=q,
        category=category,
        below_reorder=below_reorder,
        in_stock=in_stock,
    )
    return StockLevelPage.model_validate(paged, from_attributes=True)


@router.get("/stock/availability", response_model=Availability)
def availability(
    session: SessionDep,
    user: StockReader,
    part_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    warehouse_id: IdQuery = None,
) -> Availability:
    """Stock of one part in a warehouse (default: your store's)."""
    found = service.availability(
        session, actor=user.scope, part_id=part_id, warehouse_id=warehouse_id
    )
    return Availability.model_validate(found, from_attributes=True)


@router.get("/stock/lots", response_model=LotStockPage)
def list_lots(
    session: SessionDep,
    user: StockReader,
    page: PageParamsDep,
    warehouse_id: IdQuery = None,
    part_id: IdQuery = None,
    expiring_within_days: Annotated[
        int | None,
        Query(ge=0, le=3650, description=f"Expiry warning horizon, e.g. {EXPIRY_WARNING_DAYS}"),
    ] = None,
) -> LotStockPage:
    """Lots with stock, first expiring first (效期预警 with expiring_within_days)."""
    paged = queries.list_lots(
        session,
        actor=user.scope,
        page=page,
        warehouse_id=warehouse_id,
        part_id=part_id,
        expiring_within_days=expiring_within_days,
    )
    return LotStockPage.model_validate(paged, from_attributes=True)


@router.get("/stock/moves", response_model=MovePage)
def list_moves(
    session: SessionDep,
    user: StockReader,
    page: PageParamsDep,
    warehouse_id: IdQuery = None,
    part_id: IdQuery = None,
    lot_id: IdQuery = None,
    kind: MoveKind | None = None,
    reservation_id: IdQuery = None,
) -> MovePage:
    """The stock ledger, newest first."""
    paged = queries.list_moves(
        session,
        actor=user.scope,
        page=page,
        warehouse_id=warehouse_id,
        part_id=part_id,
        lot_id=lot_id,
        kind=kind,
        reservation_id=reservation_id,
    )
    return MovePage.model_validate(paged, from_attributes=True)


@router.post("/stock/adjustments", response_model=MoveRead, status_code=status.HTTP_201_CREATED)
def adjust(session: SessionDep, user: PartsWriter, body: AdjustmentCreate) -> MoveRead:
    """Correct a lot's stock after a count (盘点); never below zero or reservations."""
    move = service.adjust(session, actor=user.scope, actor_id=user.id, **body.model_dump())
    return MoveRead.model_validate(move)


@router.post("/stock/scrap", response_model=MoveRead, status_code=status.HTTP_201_CREATED)
def scrap(session: SessionDep, user: PartsWriter, body: ScrapCreate) -> MoveRead:
    """Write off damaged or expired stock (报损)."""
    move = service.scrap(session, actor=user.scope, actor_id=user.id, **body.model_dump())
    return MoveRead.model_validate(move)


@router.post("/stock/transfers", response_model=list[MoveRead], status_code=status.HTTP_201_CREATED)
def transfer(session: SessionDep, user: PartsWriter, body: TransferCreate) -> list[MoveRead]:
    """Move available stock between warehouses (调拨); lots go FEFO and keep their expiry."""
    moves = service.transfer(session, actor=user.scope, actor_id=user.id, **body.model_dump())
    return [MoveRead.model_validate(m) for m in moves]


@router.get("/reservations", response_model=ReservationPage)
def list_reservations(
    session: SessionDep,
    user: StockReader,
    page: PageParamsDep,
    warehouse_id: IdQuery = None,
    part_id: IdQuery = None,
    status: ReservationStatusQuery = None,
    reference_type: Annotated[str | None, Query(max_length=30)] = None,
    reference_id: IdQuery = None,
) -> ReservationPage:
    """Reservations in your warehouses, newest first."""
    paged = queries.list_reservations(
        session,
        actor=user.scope,
        page=page,
        warehouse_id=warehouse_id,
        part_id=part_id,
        status=status,
        reference_type=reference_type,
        reference_id=reference_id,
    )
    return ReservationPage.model_validate(paged, from_attributes=True)


@router.post("/reservations", response_model=ReservationRead, status_code=status.HTTP_201_CREATED)
def reserve(session: SessionDep, user: Reserver, body: ReservationCreate) -> ReservationRead:
    """Hold stock for a work-order line; 409 when less is available."""
    reservation = service.reserve(session, actor=user.scope, actor_id=user.id, **body.model_dump())
    return ReservationRead.model_validate(reservation)


@router.get("/reservations/{reservation_id}", response_model=ReservationRead)
def get_reservation(
    session: SessionDep, user: StockReader, reservation_id: IdPath
) -> ReservationRead:
    """One reservation."""
    access = access_of(session, user.scope)
    return ReservationRead.model_validate(service.get_reservation(session, access, reservation_id))


@router.get("/reservations/{reservation_id}/history", response_model=list[TransitionRead])
def reservation_history(
    session: SessionDep, user: StockReader, reservation_id: IdPath
) -> list[TransitionRead]:
    """The reservation's status changes: who, when, from, to, why."""
    service.get_reservation(session, access_of(session, user.scope), reservation_id)
    rows = history(session, entity_type=RESERVATION.entity_type, entity_id=reservation_id)
    return [TransitionRead.model_validate(r) for r in rows]


@router.post("/reservations/{reservation_id}/release", response_model=ReservationRead)
def release(
    session: SessionDep, user: Reserver, reservation_id: IdPath, body: ReleaseRequest
) -> ReservationRead:
    """Give the unissued rest of a reservation back to available stock."""
    reservation = service.release(
        session,
        actor=user.scope,
        reservation_id=reservation_id,
        reason=body.reason,
        actor_id=user.id,
    )
    return ReservationRead.model_validate(reservation)


@router.post("/reservations/{reservation_id}/issue", response_model=list[MoveRead])
def issue(
    session: SessionDep, user: PartsWriter, reservation_id: IdPath, body: IssueRequest
) -> list[MoveRead]:
    """Issue reserved parts to the workshop (出库), picking lots first-expiring first."""
    moves = service.issue_reservation(
        session,
        actor=user.scope,
        reservation_id=reservation_id,
        quantity=body.quantity,
        actor_id=user.id,
    )
    return [MoveRead.model_validate(m) for m in moves]


@router.post("/reservations/{reservation_id}/return", response_model=list[MoveRead])
def return_issued(
    session: SessionDep, user: PartsWriter, reservation_id: IdPath, body: ReturnRequest
) -> list[MoveRead]:
    """Book unused issued parts back into the lots they came from (退库)."""
    moves = service.return_issued(
        session,
        actor=user.scope,
        reservation_id=reservation_id,
        quantity=body.quantity,
        reason=body.reason,
        actor_id=user.id,
    )
    return [MoveRead.model_validate(m) for m in moves]


@router.get("/abc", response_model=AbcPage)
def abc_classes(
    session: SessionDep,
    user: PartsWriter,
    page: PageParamsDep,
    date_from: DateFrom,
    date_to: DateTo,
    warehouse_id: IdQuery = None,
    abc_class: AbcClass | None = None,
) -> AbcPage:
    """ABC classes by consumption value in the period (A: first 80%, B: next 15%)."""
    paged = reports.abc_classes(
        session,
        actor=user.scope,
        page=page,
        date_from=date_from,
        date_to=date_to,
        warehouse_id=warehouse_id,
        abc_class=abc_class,
    )
    return AbcPage.model_validate(paged, from_attributes=True)
