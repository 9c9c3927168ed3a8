"""State machines as data: states, allowed transitions, guards, and an audited transition.

A domain declares its machine once, as a table:

    WORK_ORDER = StateMachine(
        entity_type="work_order",
        states=("booked", "checked_in", "in_repair", "quality_check", "settled", "delivered"),
        initial="booked",
        transitions=(
            Transition("booked", "checked_in"),
            Transition("quality_check", "in_repair", requires_reason=True),
            Transition("settled", "delivered", guard=invoice_paid),
            # one row per allowed step
        ),
    )

and moves a record with `WORK_ORDER.apply(session, entity=wo, to="checked_in", actor_id=...)`.
An illegal step raises IllegalTransition (HTTP 409, saying why) and changes nothing; a legal
one sets the state and writes one StateTransition audit row in the caller's transaction.
Who may take each step is not here but in the policy (`api.auth.policy.STEPS`): a role it does
not name gets StepForbidden (HTTP 403); role=None is the system (automation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.auth.policy import STEPS, SYSTEM, step_roles
from api.errors import Conflict, Forbidden
from api.i18n import Text

# A guard says why a step may not happen now (a message id, see api.i18n), or None if it may.
Guard = Callable[[Session, Any], str | None]

MAX_REASON_LENGTH = 2000


class IllegalTransition(Conflict):
    """A step the machine does not allow; details.rule says which rule refused it."""

    default_code = "illegal_transition"

    def __init__(
        self,
        *,
        machine: StateMachine,
        entity_id: Any,
        source: str | None,
        target: str,
        rule: str,
        why: Text,
    ) -> None:
        self.rule = rule
        super().__init__(
            entity=machine.entity_type,
            id=entity_id,
            source=source,
            target=target,
            rule=rule,
            why=why,
        )


class StepForbidden(Forbidden):
    """A step the caller's role may not take (the policy's STEPS table)."""

    default_code = "forbidden"


@dataclass(frozen=True)
class Transition:
    """One allowed step; who may take it is the policy's (api.auth.policy.STEPS)."""

    source: str
    target: str
    guard: Guard | None = None
    requires_reason: bool = False


@dataclass(frozen=True)
class StateMachine:
    """The states of one entity type and the steps between them."""

    entity_type: str
    states: tuple[str, ...]
    initial: str
    transitions: tuple[Transition, ...]
    state_attr: str = "status"
    _by_edge: dict[tuple[str, str], Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        known = set(self.states)
        if self.initial not in known:
            raise ValueError(f"{self.entity_type}: initial state {self.initial!r} not in states")
        edges: dict[tuple[str, str], Transition] = {}
        for t in self.transitions:
            for state in (t.source, t.target):
                if state not in known:
                    raise ValueError(f"{self.entity_type}: transition uses unknown state {state!r}")
            if (t.source, t.target) in edges:
                raise ValueError(f"{self.entity_type}: {t.source} -> {t.target} declared twice")
            edges[(t.source, t.target)] = t
        object.__setattr__(self, "_by_edge", edges)

    def targets(self, source: str) -> tuple[str, ...]:
        """The states reachable in one step from source, in declaration order."""
        return tuple(t.target for t in self.transitions if t.source == source)

    def terminal_states(self) -> tuple[str, ...]:
        """States with no way out."""
        return tuple(s for s in self.states if not self.targets(s))

    def can(self, source: str, target: str) -> bool:
        """True when the table has the step (guards, reasons and roles not considered)."""
        return (source, target) in self._by_edge

    def roles_for(self, source: str, target: str) -> frozenset[str]:
        """The roles (and `system`) the policy lets take the step; none for an unknown machine."""
        if self.entity_type not in STEPS:
            return frozenset()
        return step_roles(self.entity_type, source, target)

    def check_role(self, *, entity: Any, to: str, role: str | None) -> None:
        """Refuse (403) a step the policy does not give the role; role None is the system."""
        source = getattr(entity, self.state_attr)
        allowed = self.roles_for(source, to)
        if (role or SYSTEM) not in allowed:
            raise StepForbidden(
                entity=self.entity_type,
                id=getattr(entity, "id", None),
                source=source,
                target=to,
                rule="role",
                why=Text(
                    "transition.role",
                    {"role": role or SYSTEM, "roles": ", ".join(sorted(allowed)) or Text("none")},
                ),
            )

    def check(
        self,
        session: Session,
        *,
        entity: Any,
        to: str,
        reason: str | None = None,
        role: str | None = None,
    ) -> Transition:
        """The transition for this step, or IllegalTransition saying which rule refuses it."""
        source = getattr(entity, self.state_attr)

        def refuse(rule: str, key: str, **params: Any) -> IllegalTransition:
            return IllegalTransition(
                machine=self,
                entity_id=getattr(entity, "id", None),
                source=source,
                target=to,
                rule=rule,
                why=Text(key, params),
            )

        if to not in self.states:
            raise refuse(
                "unknown_state",
                "transition.unknown_state",
                target=to,
                states=", ".join(self.states),
            )
        step = self._by_edge.get((source, to))
        if step is None:
            allowed = ", ".join(self.targets(source)) or Text("none")
            raise refuse("not_allowed", "transition.not_allowed", source=source, allowed=allowed)
        self.check_role(entity=entity, to=to, role=role)
        if step.requires_reason and not (reason and reason.strip()):
            raise refuse("reason_required", "transition.reason_required")
        if step.guard is not None:
            blocked = step.guard(session, entity)
            if blocked is not None:
                raise refuse("guard", blocked)
        return step

    def start(
        self, session: Session, *, entity: Any, actor_id: int | None, reason: str | None = None
    ) -> StateTransition:
        """Put a new record in the initial state and log its creation (from_state NULL)."""
        setattr(entity, self.state_attr, self.initial)
        session.add(entity)
        session.flush()
        return self._audit(session, entity, None, self.initial, actor_id, reason)

    def apply(
        self,
        session: Session,
        *,
        entity: Any,
        to: str,
        actor_id: int | None,
        reason: str | None = None,
        role: str | None = None,
    ) -> StateTransition:
        """Move the record to state `to` and log it, or raise IllegalTransition.

        The row is locked and re-read first, so that two concurrent steps of the same record
        are serialised and the second is judged against the state the first left.
        """
        session.refresh(entity, with_for_update=True)
        self.check(session, entity=entity, to=to, reason=reason, role=role)
        source = getattr(entity, self.state_attr)
        setattr(entity, self.state_attr, to)
        session.flush()
        return self._audit(session, entity, source, to, actor_id, reason)

    def _audit(
        self,
        session: Session,
        entity: Any,
        source: str | None,
        target: str,
        actor_id: int | None,
        reason: str | None,
    ) -> StateTransition:
        row = StateTransition(
            entity_type=self.entity_type,
            entity_id=entity.id,
            store_id=getattr(entity, "store_id", None),
            from_state=source,
            to_state=target,
            reason=reason.strip()[:MAX_REASON_LENGTH] if reason else None,
            actor_user_id=actor_id,
        )
        session.add(row)  # written with the next flush: a reaction's audit rows go together
        return row

    def describe(self) -> dict[str, Any]:
        """The machine as plain data, for documentation and the API."""
        return {
            "entity_type": self.entity_type,
            "states": list(self.states),
            "initial": self.initial,
            "transitions": [
                {
                    "source": t.source,
                    "target": t.target,
                    "requires_reason": t.requires_reason,
                    "guarded": t.guard is not None,
                    "roles": sorted(str(r) for r in self.roles_for(t.source, t.target)),
                }
                for t in self.transitions
            ],
        }


def chain(*states: str) -> Iterable[Transition]:
    """Plain transitions along a linear path: chain('a', 'b', 'c') gives a→b and b→c."""
    return (Transition(a, b) for a, b in zip(states, states[1:], strict=False))
