"""Resolve an id from a request within the actor's scope, before anything uses it.

Out of scope answers exactly like missing (NotFound, 404), so an id never reveals that a
record of another store or another customer exists.

Who may reference what (the rule every create and book path follows):
  - staff reference customers, vehicles, appointments and work orders of their own stores,
    the same records they can read; a customer of another store of the group is served
    after their home store is changed (or a new record is made), never by a bare foreign id;
  - the system acting for a store (proactive maintenance) also serves customers who chose
    that store as their preferred store;
  - a customer references only their own records, and may book at any store of their group;
  - a vehicle is referenced with its owner: the owner's car is theirs whatever its store;
  - technicians and bays must belong to the store of the booking and be active.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from api.auth.actor import Actor, SystemActor, ensure_visible, is_customer, store_ids_of
from api.errors import InvalidInput, NotFound
from api.i18n import Text, register

Row = TypeVar("Row")

register(
    {
        "records.inactive": {
            "en": "{entity} {id} is deactivated; choose an active one",
            "zh-CN": "{entity} {id} 已停用,请选择在用的",
        },
    }
)


def in_scope(
    session: Session,
    model: type[Row],
    record_id: int,
    *,
    actor: Actor,
    entity: str,
    customer_attr: str | None = "customer_id",
) -> Row:
    """The record if the actor may see it; NotFound when missing or out of scope.

    customer_attr names the attribute holding the owning customer's id (None: customers
    never see this kind of record).
    """
    row: Any = session.get(model, record_id)
    if row is None:
        raise NotFound(entity=entity, id=record_id)
    ensure_visible(
        actor,
        entity=entity,
        store_id=row.store_id,
        customer_id=getattr(row, customer_attr) if customer_attr else None,
        record_id=record_id,
    )
    return row  # type: ignore[no-any-return]


def of_store(
    session: Session,
    model: type[Row],
    record_id: int,
    *,
    store_id: int,
    entity: str,
    field: str,
    active: bool = True,
) -> Row:
    """A resource (technician, bay) of the given store; NotFound for any other store's.

    active: an inactive one is refused with 422 naming the field.
    """
    row: Any = session.get(model, record_id)
    if row is None or row.store_id != store_id:
        raise NotFound(entity=entity, id=record_id)
    if active and not row.active:
        raise InvalidInput(
            field=field, problem=Text("records.inactive", {"entity": entity, "id": record_id})
        )
    return row  # type: ignore[no-any-return]


def may_serve(actor: Actor, customer: Any, *, store_id: int) -> bool:
    """True when the actor may open a visit for the customer at the store (rule above)."""
    if is_customer(actor):
        return customer.id == actor.customer_id  # type: ignore[union-attr]
    if isinstance(actor, SystemActor) and customer.preferred_store_id == store_id:
        return True
    return customer.store_id in store_ids_of(actor)
