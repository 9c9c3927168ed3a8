"""The customer lifecycle as a state machine (the churn the dealer wants to see and act on)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.crm.models import Customer, Vehicle
from api.state_machine import StateMachine, Transition


def _has_vehicle(session: Session, customer: Customer) -> str | None:
    owns = session.scalar(select(exists().where(Vehicle.owner_id == customer.id)))
    return None if owns else "crm.needs_vehicle"


CUSTOMER_LIFECYCLE = StateMachine(
    entity_type="customer",
    states=("prospect", "active", "dormant", "lost"),
    initial="prospect",
    transitions=(
        Transition("prospect", "active", guard=_has_vehicle),
        Transition("prospect", "lost", requires_reason=True),
        Transition("active", "dormant"),
        Transition("dormant", "active"),
        Transition("active", "lost", requires_reason=True),
        Transition("dormant", "lost", requires_reason=True),
        Transition("lost", "active", requires_reason=True),  # won back
    ),
)
