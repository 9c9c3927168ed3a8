"""Parts state machine as data: the stock reservation."""

from __future__ import annotations

from api.parts.constants import RESERVATION_STATES
from api.state_machine import StateMachine, Transition

RESERVATION = StateMachine(
    entity_type="part_reservation",
    states=RESERVATION_STATES,
    initial="active",
    transitions=(
        Transition("active", "issued"),
        Transition("active", "released"),
    ),
)
