"""The proposal's state machine, as data: proposed → booked → completed, or withdrawn."""

from __future__ import annotations

from api.proactive.constants import PROPOSAL_STATES
from api.state_machine import StateMachine, Transition

PROPOSAL = StateMachine(
    entity_type="proactive_proposal",
    states=PROPOSAL_STATES,
    initial="proposed",
    transitions=(
        Transition("proposed", "booked"),
        Transition("proposed", "withdrawn", requires_reason=True),
        Transition("booked", "withdrawn", requires_reason=True),
        Transition("booked", "completed"),
    ),
)
