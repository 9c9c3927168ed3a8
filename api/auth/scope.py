"""What a signed-in user may see: their stores (staff) or their own records (customer).

Services take a Scope and filter with it, so the same rule holds whatever the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false

from api.auth.roles import Role
from api.errors import Forbidden
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

    def ensure(self, *, entity: str, store_id: int | None, customer_id: int | None = None) -> None:
        """Raise Forbidden unless the record (its store, its owning customer) is visible."""
        if self.is_customer:
            if self.customer_id is None or customer_id != self.customer_id:
                raise Forbidden(entity=entity, why=Text("forbidden.not_yours"))
        elif store_id not in self.store_ids:
            raise Forbidden(entity=entity, why=Text("forbidden.other_store"))

    def ensure_store(self, store_id: int, *, entity: str = "store") -> None:
        """Raise Forbidden unless staff of the store (customers never write to a store)."""
        if self.is_customer or store_id not in self.store_ids:
            raise Forbidden(entity=entity, why=Text("forbidden.other_store"))
