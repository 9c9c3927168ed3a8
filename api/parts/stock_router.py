"""Stock routes: levels, lots, the ledger, adjustments, transfers and reservations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.audit.schemas import TransitionRead
from api.audit.service import history
from api.deps import SessionDep
from api.pagination import PageParamsDep
from api.parts import queries, service
from api.parts.access import access_of
from api.parts.constants import EXPIRY_WARNING_DAYS, Category, MoveKind
from api.parts.dependencies import PartsWriter, Reserver, StockReader
from api.parts.schemas import (
    AdjustmentCreate,
    Availability,
    IssueRequest,
    LotStockPage,
    MovePage,
    MoveRead,
    ReleaseRequest,
    ReservationCreate,
    ReservationPage,
    ReservationRead,
    ReturnRequest,
    ScrapCreate,
    StockLevelPage,
    TransferCreate,
)
from api.parts.states import RESERVATION
from api.types import MAX_ID, IdPath, IdQuery, Search

router = APIRouter()

ReservationStatus = Annotated[str | None, Query(pattern="^(active|issued|released)$")]


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
        scope_or_store=user.scope,
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
        session, scope_or_store=user.scope, part_id=part_id, warehouse_id=warehouse_id
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
        scope_or_store=user.scope,
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
        scope_or_store=user.scope,
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
    move = service.adjust(session, scope_or_store=user.scope, actor_id=user.id, **body.model_dump())
    return MoveRead.model_validate(move)


@router.post("/stock/scrap", response_model=MoveRead, status_code=status.HTTP_201_CREATED)
def scrap(session: SessionDep, user: PartsWriter, body: ScrapCreate) -> MoveRead:
    """Write off damaged or expired stock (报损)."""
    move = service.scrap(session, scope_or_store=user.scope, actor_id=user.id, **body.model_dump())
    return MoveRead.model_validate(move)


@router.post("/stock/transfers", response_model=list[MoveRead], status_code=status.HTTP_201_CREATED)
def transfer(session: SessionDep, user: PartsWriter, body: TransferCreate) -> list[MoveRead]:
    """Move available stock between warehouses (调拨); lots go FEFO and keep their expiry."""
    moves = service.transfer(
        session, scope_or_store=user.scope, actor_id=user.id, **body.model_dump()
    )
    return [MoveRead.model_validate(m) for m in moves]


@router.get("/reservations", response_model=ReservationPage)
def list_reservations(
    session: SessionDep,
    user: StockReader,
    page: PageParamsDep,
    warehouse_id: IdQuery = None,
    part_id: IdQuery = None,
    status: ReservationStatus = None,
    reference_type: Annotated[str | None, Query(max_length=30)] = None,
    reference_id: IdQuery = None,
) -> ReservationPage:
    """Reservations in your warehouses, newest first."""
    paged = queries.list_reservations(
        session,
        scope_or_store=user.scope,
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
    reservation = service.reserve(
        session, scope_or_store=user.scope, actor_id=user.id, **body.model_dump()
    )
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
        scope_or_store=user.scope,
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
        scope_or_store=user.scope,
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
        scope_or_store=user.scope,
        reservation_id=reservation_id,
        quantity=body.quantity,
        reason=body.reason,
        actor_id=user.id,
    )
    return [MoveRead.model_validate(m) for m in moves]
