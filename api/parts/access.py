"""Who may touch which warehouse: a user's Scope, or a store acting through the system.

Store warehouses belong to a store and follow its staff; group warehouses (HQ, regional)
are shared by every store of the dealer group, so that a store can see and draw on HQ stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.auth.scope import Scope
from api.errors import Forbidden, InvalidInput, NotFound
from api.i18n import Text
from api.parts.models import Part, Warehouse


@dataclass(frozen=True)
class Access:
    """The stores and group a caller acts for; system callers have no user."""

    dealer_group_id: int
    store_ids: frozenset[int]
    user_id: int | None = None
    is_customer: bool = False


ScopeOrStore = Scope | int  # a signed-in user's scope, or a store id for system callers


def access_of(session: Session, scope_or_store: ScopeOrStore | Access) -> Access:
    """The Access of a Scope, or of a store acting for itself (by its id)."""
    if isinstance(scope_or_store, Access):
        return scope_or_store
    if isinstance(scope_or_store, Scope):
        return Access(
            dealer_group_id=scope_or_store.dealer_group_id,
            store_ids=scope_or_store.store_ids,
            user_id=scope_or_store.user_id,
            is_customer=scope_or_store.is_customer,
        )
    store = session.get(Store, scope_or_store)
    if store is None:
        raise NotFound(entity="store", id=scope_or_store)
    return Access(dealer_group_id=store.dealer_group_id, store_ids=frozenset({store.id}))


def warehouses_visible(access: Access, column: Any = None) -> ColumnElement[bool]:
    """A WHERE clause on Warehouse: the caller's store warehouses and the group's shared ones."""
    if access.is_customer:
        return false()
    clause = or_(
        Warehouse.store_id.in_(access.store_ids),
        and_(Warehouse.store_id.is_(None), Warehouse.dealer_group_id == access.dealer_group_id),
    )
    if column is None:
        return clause
    return column.in_(select(Warehouse.id).where(clause))


def get_warehouse(session: Session, access: Access, warehouse_id: int) -> Warehouse:
    """A warehouse the caller may use (NotFound / Forbidden otherwise)."""
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(entity="warehouse", id=warehouse_id)
    if access.is_customer or warehouse.dealer_group_id != access.dealer_group_id:
        raise Forbidden(entity="warehouse", why=Text("forbidden.other_store"))
    if warehouse.store_id is not None and warehouse.store_id not in access.store_ids:
        raise Forbidden(entity="warehouse", why=Text("forbidden.other_store"))
    return warehouse


def default_warehouse(session: Session, access: Access, warehouse_id: int | None) -> Warehouse:
    """The given warehouse, or the caller's one store warehouse when none is given."""
    if warehouse_id is not None:
        return get_warehouse(session, access, warehouse_id)
    candidates = session.scalars(
        select(Warehouse)
        .where(Warehouse.store_id.in_(access.store_ids), Warehouse.level == "store")
        .order_by(Warehouse.id)
    ).all()
    stores = {w.store_id for w in candidates}
    if len(stores) != 1:
        raise InvalidInput(field="warehouse_id", problem=Text("parts.warehouse_ambiguous"))
    return candidates[0]


def get_part(session: Session, access: Access, part_id: int) -> Part:
    """A catalogue part of the caller's dealer group."""
    part = session.get(Part, part_id)
    if part is None or part.dealer_group_id != access.dealer_group_id:
        raise NotFound(entity="part", id=part_id)
    return part
