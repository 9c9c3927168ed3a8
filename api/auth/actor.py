"""Who acts: a signed-in user's Scope, or the system acting for one store.

Every service takes `actor`. The system case is automation (the proactive maintenance loop,
demo seeding): it acts for its own store only, and has no user id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.auth.roles import Role
from api.auth.scope import Scope
from api.errors import NotFound


@dataclass(frozen=True)
class SystemActor:
    """The system acting for one store."""

    store_id: int


Actor = Scope | SystemActor


def role_of(actor: Actor) -> str | None:
    """The actor's role (None for the system)."""
    return actor.role.value if isinstance(actor, Scope) else None


def user_of(actor: Actor) -> int | None:
    """The acting user's id (None for the system)."""
    return actor.user_id if isinstance(actor, Scope) else None


def is_customer(actor: Actor) -> bool:
    """True for a signed-in customer (who sees only their own records)."""
    return isinstance(actor, Scope) and actor.is_customer


def is_technician(actor: Actor) -> bool:
    """True for a signed-in technician (who sees only their own jobs)."""
    return isinstance(actor, Scope) and actor.role is Role.technician


def store_ids_of(actor: Actor) -> frozenset[int]:
    """The stores the actor works for (none for a customer)."""
    if isinstance(actor, Scope):
        return frozenset() if actor.is_customer else actor.store_ids
    return frozenset({actor.store_id})


def visible(
    actor: Actor, *, store_column: Any, customer_column: Any | None = None
) -> ColumnElement[bool]:
    """A WHERE clause for the actor: a user's scope, or the system's one store."""
    if isinstance(actor, Scope):
        return actor.visible(store_column=store_column, customer_column=customer_column)
    return store_column == actor.store_id  # type: ignore[no-any-return]


def ensure_visible(
    actor: Actor,
    *,
    entity: str,
    store_id: int,
    customer_id: int | None = None,
    record_id: int | str | None = None,
) -> None:
    """Raise NotFound (as for a missing record) unless the record is the actor's to see."""
    if isinstance(actor, Scope):
        actor.ensure(entity=entity, store_id=store_id, customer_id=customer_id, record_id=record_id)
    elif store_id != actor.store_id:
        raise NotFound(entity=entity, id=record_id)


def ensure_store(
    actor: Actor, store_id: int, *, entity: str = "store", record_id: int | str | None = None
) -> None:
    """Refuse unless the actor works for the store (customers never do); see Scope.ensure_store."""
    if isinstance(actor, Scope):
        actor.ensure_store(store_id, entity=entity, record_id=record_id)
    elif store_id != actor.store_id:
        if record_id is None:
            raise NotFound(entity="store", id=store_id)
        raise NotFound(entity=entity, id=record_id)


def group_of(session: Session, actor: Actor, store_id: int | None = None) -> int:
    """The dealer group the actor belongs to."""
    if isinstance(actor, Scope):
        return actor.dealer_group_id
    store = session.get(Store, store_id or actor.store_id)
    if store is None:
        raise NotFound(entity="store", id=store_id or actor.store_id)
    return store.dealer_group_id
