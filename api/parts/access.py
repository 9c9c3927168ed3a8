"""Who may touch which warehouse: the Actor, seen as the stores and group it acts for.

Store warehouses belong to a store and follow its staff; group warehouses (HQ, regional)
are shared by every store of the dealer group, so that a store can see and draw on HQ stock
(read, reserve, transfer to itself). Changing a group warehouse's stock by hand (adjust,
scrap) is for those who act for the whole group: staff of every store of it (the group admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from api.auth.actor import Actor
from api.auth.models import Store
from api.auth.scope import Scope
from api.errors import Forbidden, InvalidInput, NotFound
from api.i18n import Text, register
from api.parts.models import Part, Warehouse

register(
    {
        "parts.group_warehouse_hands_off": {
            "en": "warehouse {code} is shared by the whole dealer group; only staff of every "
            "store of the group (the group admin) may adjust or scrap its stock; ask them",
            "zh-CN": "仓库 {code} 为集团共用仓库,只有覆盖集团全部门店的人员(集团管理员)"
            "可以盘点调整或报损,请联系集团管理员",
        },
    }
)


@dataclass(frozen=True)
class Access:
    """The stores and group a caller acts for; system callers have no user."""

    dealer_group_id: int
    store_ids: frozenset[int]
    user_id: int | None = None
    is_customer: bool = False


def access_of(session: Session, actor: Actor | Access) -> Access:
    """The Access of a signed-in user, or of the system acting for one store."""
    if isinstance(actor, Access):
        return actor
    if isinstance(actor, Scope):
        return Access(
            dealer_group_id=actor.dealer_group_id,
            store_ids=actor.store_ids,
            user_id=actor.user_id,
            is_customer=actor.is_customer,
        )
    store = session.get(Store, actor.store_id)
    if store is None:
        raise NotFound(entity="store", id=actor.store_id)
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
    """A warehouse the caller may use; out of scope answers NotFound like a missing one."""
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(entity="warehouse", id=warehouse_id)
    if access.is_customer or warehouse.dealer_group_id != access.dealer_group_id:
        raise NotFound(entity="warehouse", id=warehouse_id)
    if warehouse.store_id is not None and warehouse.store_id not in access.store_ids:
        raise NotFound(entity="warehouse", id=warehouse_id)
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


def acts_for_group(session: Session, access: Access) -> bool:
    """True when the caller works for every store of its dealer group."""
    group_stores = set(
        session.scalars(select(Store.id).where(Store.dealer_group_id == access.dealer_group_id))
    )
    return bool(group_stores) and group_stores <= access.store_ids


def warehouse_to_change(session: Session, access: Access, warehouse_id: int) -> Warehouse:
    """A warehouse whose stock the caller may change by hand (see the module's rule)."""
    warehouse = get_warehouse(session, access, warehouse_id)
    if warehouse.store_id is None and not acts_for_group(session, access):
        why = Text("parts.group_warehouse_hands_off", {"code": warehouse.code})
        raise Forbidden(entity="warehouse", why=why)
    return warehouse
