"""What a signed-in user may see: their stores (staff) or their own records (customer).

Services take a Scope and filter with it, so the same rule holds whatever the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false

from api.auth.roles import Role
from api.errors import Forbidden, NotFound
from api.i18n import Text


@dataclass(frozen=True)
class Scope:
    """The visibility of one user."""

    user_id: int
    role: Role
    dealer_group_id: int
    store_ids: frozenset[int]
    customer_id: int | None = None

    @property
    def is_customer(self) -> bool:
        """True for a customer account (sees only its own records)."""
        return self.role is Role.customer

    def visible(
        self, *, store_column: Any, customer_column: Any | None = None
    ) -> ColumnElement[bool]:
        """A WHERE clause: rows of the user's stores, or for a customer their own rows.

        customer_column is the column holding the owning customer's id; a table without one
        is invisible to customers.
        """
        if self.is_customer:
            if customer_column is None or self.customer_id is None:
                return false()
            return customer_column == self.customer_id
        return store_column.in_(self.store_ids)

    def ensure(
        self,
        *,
        entity: str,
        store_id: int | None,
        customer_id: int | None = None,
        record_id: int | str | None = None,
    ) -> None:
        """Raise NotFound unless the record (its store, its owning customer) is visible.

        Out of scope answers exactly like a missing record, so ids do not leak existence.
        """
        if self.is_customer:
            if self.customer_id is None or customer_id != self.customer_id:
                raise NotFound(entity=entity, id=record_id)
        elif store_id not in self.store_ids:
            raise NotFound(entity=entity, id=record_id)

    def ensure_store(
        self, store_id: int, *, entity: str = "store", record_id: int | str | None = None
    ) -> None:
        """Refuse unless staff of the store: customers get Forbidden, other staff NotFound.

        NotFound names the record when given, else the store (so a foreign store reads as
        a missing one).
        """
        if self.is_customer:
            raise Forbidden(
                entity=entity, why=Text("forbidden.role", {"role": "customer", "roles": "staff"})
            )
        if store_id not in self.store_ids:
            if record_id is None:
                raise NotFound(entity="store", id=store_id)
            raise NotFound(entity=entity, id=record_id)
