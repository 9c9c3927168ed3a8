"""The appointment state machine, as data; its states come from `constants`."""

from __future__ import annotations

from api.state_machine import StateMachine, Transition
from api.workshop.constants import APPOINTMENT_STATES

APPOINTMENT = StateMachine(
    entity_type="appointment",
    states=APPOINTMENT_STATES,
    initial="booked",
    transitions=(
        Transition("booked", "confirmed"),
        # Rescheduling keeps a booked visit booked, and asks a confirmed one to confirm again.
        Transition("booked", "booked", requires_reason=True),
        Transition("confirmed", "booked", requires_reason=True),
        Transition("booked", "arrived"),
        Transition("confirmed", "arrived"),
        Transition("booked", "cancelled", requires_reason=True),
        Transition("confirmed", "cancelled", requires_reason=True),
        Transition("booked", "no_show"),
        Transition("confirmed", "no_show"),
    ),
)
