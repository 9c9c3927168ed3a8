"""The business alarm's state machine, as data: open → acknowledged → closed."""

from __future__ import annotations

from api.alarms.constants import ALARM_STATES
from api.state_machine import StateMachine, Transition

ALARM = StateMachine(
    entity_type="business_alarm",
    states=ALARM_STATES,
    initial="open",
    transitions=(
        Transition("open", "acknowledged"),
        Transition("open", "closed", requires_reason=True),
        Transition("acknowledged", "closed", requires_reason=True),
    ),
    state_attr="state",
)
