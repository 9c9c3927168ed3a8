"""The complaint ticket's state machine, as data; its states come from `constants`."""

from __future__ import annotations

from api.feedback.constants import COMPLAINT_STATES
from api.state_machine import StateMachine, Transition

COMPLAINT = StateMachine(
    entity_type="complaint",
    states=COMPLAINT_STATES,
    initial="open",
    transitions=(
        Transition("open", "in_progress"),
        Transition("open", "resolved", requires_reason=True),
        Transition("in_progress", "resolved", requires_reason=True),
        Transition("resolved", "in_progress", requires_reason=True),  # the customer was not happy
        Transition("resolved", "closed"),
    ),
)
