"""The money rules of work-order lines: prices and rates from the catalogue and the store's
settings, price overrides and extra hours only with a role and a reason, discounts within a
role's limit. Every exception to the catalogue is written to the audit log. No HTTP.

Discounts: an advisor grants up to the store's advisor limit; above it only a manager (or an
admin) may, up to the manager limit; nobody above that.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.auth import policy
from api.auth.actor import Actor, ensure_store, role_of, user_of
from api.errors import Forbidden, InvalidInput
from api.i18n import Text
from api.work_orders import messages as _messages  # noqa: F401  (registers work-order text)
from api.work_orders.constants import (
    DEFAULT_DISCOUNT_LIMITS,
    DEFAULT_LABOUR_RATE,
    LABOUR_COST_RATE,
    MAX_HOURS_FACTOR,
)
from api.work_orders.models import StorePricing, WorkOrder


@dataclass(frozen=True)
class Pricing:
    """A store's labour rate and discount limits (percent) by role."""

    labour_rate: Decimal
    discount_limits: dict[str, Decimal]
    labour_cost_rate: Decimal = LABOUR_COST_RATE


def pricing_of(session: Session, store_id: int) -> Pricing:
    """The store's own settings, or the defaults when it has none."""
    row = session.scalar(select(StorePricing).where(StorePricing.store_id == store_id))
    if row is None:
        return Pricing(DEFAULT_LABOUR_RATE, dict(DEFAULT_DISCOUNT_LIMITS))
    manager = row.manager_discount_max
    limits = {"service_advisor": row.advisor_discount_max, "manager": manager, "admin": manager}
    return Pricing(row.labour_rate, limits, row.labour_cost_rate)


def _roles(roles: frozenset[str]) -> str:
    return ", ".join(sorted(roles))


def check_price_override(
    actor: Actor, *, field: str, price: Decimal | None, reason: str | None
) -> None:
    """A price other than the catalogue's needs an advisor or manager, and a reason."""
    role = role_of(actor)
    if price is None or role is None:
        return
    overriders = policy.field_roles("price_override")
    if role not in overriders:
        why = Text("service.price_override_role", {"roles": _roles(overriders)})
        raise Forbidden(entity="work_order", why=why)
    if not reason:
        raise InvalidInput(
            field="reason", problem=Text("service.override_reason", {"field": field})
        )


def check_hours(
    actor: Actor, *, standard: Decimal, hours: Decimal | None, reason: str | None
) -> None:
    """Hours above the operation's standard need a reason and stay within MAX_HOURS_FACTOR × it."""
    if hours is None or hours <= standard:
        return
    bound = standard * MAX_HOURS_FACTOR
    if hours > bound:
        why = Text(
            "service.hours_bound", {"standard": standard, "max": bound, "factor": MAX_HOURS_FACTOR}
        )
        raise InvalidInput(field="hours", problem=why)
    if role_of(actor) is not None and not reason:
        why = Text("service.hours_reason", {"standard": standard, "max": bound})
        raise InvalidInput(field="reason", problem=why)


def check_discount(session: Session, actor: Actor, *, store_id: int, pct: Decimal) -> None:
    """A discount within the caller's limit; above it a manager's, never above the manager's."""
    role = role_of(actor)
    if not pct or role is None:
        return
    limits = pricing_of(session, store_id).discount_limits
    top = max(limits.values())
    if pct > top:
        raise InvalidInput(field="discount_pct", problem=Text("service.discount_max", {"max": top}))
    own = limits.get(role)
    if own is None:
        why = Text("service.discount_role", {"roles": _roles(frozenset(limits))})
        raise Forbidden(entity="work_order", why=why)
    if pct > own:
        why = Text("service.discount_above_limit", {"pct": pct, "limit": own, "max": top})
        raise Forbidden(entity="work_order", why=why)


def audit_line(
    session: Session,
    *,
    actor: Actor,
    work_order: WorkOrder,
    line: str,
    catalogue: dict[str, Decimal],
    given: dict[str, Decimal],
    reason: str | None,
) -> None:
    """Write each exception to the catalogue (price, hours, discount) to the audit log."""
    for field, value in given.items():
        standard = catalogue[field]
        if value == standard:
            continue
        action = "discount" if field == "discount_pct" else f"{field}_override"
        audit.record(
            session,
            action=action,
            entity_type="work_order",
            entity_id=work_order.id,
            store_id=work_order.store_id,
            actor_user_id=user_of(actor),
            before={"line": line, field: standard},
            after={"line": line, field: value},
            reason=reason,
        )


def store_pricing(session: Session, *, actor: Actor, store_id: int) -> Pricing:
    """A store's labour rate and discount limits, for its staff."""
    ensure_store(actor, store_id)
    return pricing_of(session, store_id)


def set_store_pricing(
    session: Session,
    *,
    actor: Actor,
    store_id: int,
    labour_rate: Decimal,
    advisor_discount_max: Decimal,
    manager_discount_max: Decimal,
    labour_cost_rate: Decimal | None = None,
) -> Pricing:
    """Set a store's labour rate and discount limits (a manager's decision); audited."""
    ensure_store(actor, store_id)
    if advisor_discount_max > manager_discount_max:
        why = Text("service.discount_limits", {"max": manager_discount_max})
        raise InvalidInput(field="advisor_discount_max", problem=why)
    before = pricing_of(session, store_id)
    row = session.scalar(
        select(StorePricing).where(StorePricing.store_id == store_id).with_for_update()
    )
    if row is None:
        row = StorePricing(store_id=store_id)
        session.add(row)
    row.labour_rate = labour_rate
    row.advisor_discount_max = advisor_discount_max
    row.manager_discount_max = manager_discount_max
    if labour_cost_rate is not None:
        row.labour_cost_rate = labour_cost_rate
    session.flush()
    after = pricing_of(session, store_id)
    audit.record(
        session,
        action="pricing_change",
        entity_type="store",
        entity_id=store_id,
        store_id=store_id,
        actor_user_id=user_of(actor),
        before=_settings(before),
        after=_settings(after),
    )
    return after


def _settings(pricing: Pricing) -> dict[str, Decimal]:
    return {
        "labour_rate": pricing.labour_rate,
        "advisor_discount_max": pricing.discount_limits["service_advisor"],
        "manager_discount_max": pricing.discount_limits["manager"],
        "labour_cost_rate": pricing.labour_cost_rate,
    }
