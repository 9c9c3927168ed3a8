"""Who acts: a signed-in user's Scope, or a store acting through the system (automation).

Services take `actor`: a Scope, or a store id for a system caller such as the proactive
maintenance loop. A system caller may act for its own store only, and has no user id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from api.auth.models import Store
from api.auth.roles import Role
from api.auth.scope import Scope
from api.errors import Forbidden, NotFound
from api.i18n import Text

Actor = Scope | int  # a user's scope, or the id of the store a system caller acts for


def role_of(actor: Actor) -> str | None:
    """The actor's role (None for the system)."""
    return actor.role.value if isinstance(actor, Scope) else None


def is_technician(actor: Actor) -> bool:
    """True for a signed-in technician (who sees only their own jobs)."""
    return isinstance(actor, Scope) and actor.role is Role.technician


def visible(actor: Actor, *, store_column: Any, customer_column: Any | None = None) -> Any:
    """A WHERE clause for the actor: the store's rows, or a user's scope."""
    if isinstance(actor, Scope):
        return actor.visible(store_column=store_column, customer_column=customer_column)
    return store_column == actor


def ensure_visible(
    actor: Actor, *, entity: str, store_id: int, customer_id: int | None = None
) -> None:
    """Raise Forbidden unless the record is the actor's to see."""
    if isinstance(actor, Scope):
        actor.ensure(entity=entity, store_id=store_id, customer_id=customer_id)
    elif store_id != actor:
        raise Forbidden(entity=entity, why=Text("forbidden.other_store"))


def ensure_store(actor: Actor, store_id: int, *, entity: str = "store") -> None:
    """Raise Forbidden unless the actor works for the store (customers never do)."""
    if isinstance(actor, Scope):
        actor.ensure_store(store_id, entity=entity)
    elif store_id != actor:
        raise Forbidden(entity=entity, why=Text("forbidden.other_store"))


def group_of(session: Session, actor: Actor, store_id: int | None = None) -> int:
    """The dealer group the actor belongs to."""
    if isinstance(actor, Scope):
        return actor.dealer_group_id
    store = session.get(Store, store_id or actor)
    if store is None:
        raise NotFound(entity="store", id=store_id or actor)
    return store.dealer_group_id


def always() -> ColumnElement[bool]:
    """A WHERE clause that keeps every row."""
    return true()
