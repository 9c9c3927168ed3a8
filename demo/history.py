"""Seeded history in bulk: records are inserted straight into their final state, and their
audit rows are written for the whole path at once.

The path is checked against the state machine's table, so seeded history can only take steps
the application itself would allow. Guards run too when a session is given; without one they
are the seed's to satisfy (it builds the data that passes them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.state_machine import StateMachine


def walk(
    machine: StateMachine,
    entity: Any,
    path: Sequence[str],
    *,
    actor_id: int | None,
    at: datetime | None = None,
    reasons: Mapping[str, str] | None = None,
    session: Session | None = None,
    started: bool = False,
) -> list[StateTransition]:
    """Audit rows for a flushed record that went through `path` (from the initial state).

    With started=True the record's creation is already logged (StateMachine.start), and only
    the steps are returned. Raises ValueError when the path is not a legal walk of the
    machine, when a guard refuses a step, or when the record is not in the path's last state.
    """
    reasons = reasons or {}
    if not path or path[0] != machine.initial:
        raise ValueError(f"{machine.entity_type}: a path starts at {machine.initial!r}")
    if getattr(entity, machine.state_attr) != path[-1]:
        raise ValueError(f"{machine.entity_type} {entity.id} is not in {path[-1]!r}")
    steps = {(t.source, t.target): t for t in machine.transitions}
    rows = [] if started else [_row(machine, entity, None, path[0], actor_id, at, None)]
    for source, target in zip(path, path[1:], strict=False):
        step = steps.get((source, target))
        if step is None:
            raise ValueError(f"{machine.entity_type}: no step {source} -> {target}")
        if step.requires_reason and not reasons.get(target):
            raise ValueError(f"{machine.entity_type}: {source} -> {target} needs a reason")
        blocked = step.guard(session, entity) if session and step.guard else None
        if blocked is not None:
            raise ValueError(f"{machine.entity_type} {entity.id}: {source} -> {target}: {blocked}")
        rows.append(_row(machine, entity, source, target, actor_id, at, reasons.get(target)))
    return rows


def _row(
    machine: StateMachine,
    entity: Any,
    source: str | None,
    target: str,
    actor_id: int | None,
    at: datetime | None,
    reason: str | None,
) -> StateTransition:
    row = StateTransition(
        entity_type=machine.entity_type,
        entity_id=entity.id,
        store_id=getattr(entity, "store_id", None),
        from_state=source,
        to_state=target,
        reason=reason,
        actor_user_id=actor_id,
    )
    if at is not None:
        row.at = at
    return row
