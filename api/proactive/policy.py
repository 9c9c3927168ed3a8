"""Triage: the store's policy (rules as data, editable by a manager) decides what an alert gets.

A rule matches on any of failure_mode, dtc (a code or a prefix such as "P02") and severity;
absent keys match anything; the first matching rule wins. With no match, the action is the one
diagnostics recommends for the alert (explain.render).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.proactive.constants import (
    DEFAULT_RULES,
    DEFAULT_WITHIN_DAYS,
    IMMEDIATE_WITHIN_DAYS,
)
from api.proactive.models import TriagePolicy
from api.proactive.schemas import PolicyUpdate
from diagnostics import explain


@dataclass(frozen=True)
class Decision:
    """What the loop does with an alert, and by when a visit must happen."""

    action: str
    within_days: int
    rule: int | None  # index of the matching rule (None: diagnostics' recommendation)


def policy_of(session: Session, *, store_id: int) -> TriagePolicy:
    """The store's policy; a store without one gets the defaults (saved on first use)."""
    policy = session.scalar(select(TriagePolicy).where(TriagePolicy.store_id == store_id))
    if policy is None:
        policy = TriagePolicy(
            store_id=store_id, mode="auto", rules=[dict(r) for r in DEFAULT_RULES]
        )
        try:
            with session.begin_nested():
                session.add(policy)
                session.flush()
        except IntegrityError:  # another worker saved it first
            policy = session.scalar(select(TriagePolicy).where(TriagePolicy.store_id == store_id))
    return policy  # type: ignore[return-value]


def get_policy(session: Session, *, actor: Scope, store_id: int) -> TriagePolicy:
    """A store's policy, for its staff."""
    actor.ensure(entity="proactive_policy", store_id=store_id)
    return policy_of(session, store_id=store_id)


def update_policy(
    session: Session, *, actor: Scope, store_id: int, data: PolicyUpdate, actor_id: int | None
) -> TriagePolicy:
    """Replace the store's mode and rules (a manager of the store)."""
    actor.ensure_store(store_id, entity="proactive_policy")
    policy = policy_of(session, store_id=store_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "rules" in changes:
        changes["rules"] = [r.model_dump(exclude_none=True) for r in data.rules or []]
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.updated_by = actor_id
    session.flush()
    return policy


def _dtcs(alert: dict[str, Any]) -> list[str]:
    reasons = (alert.get("explanation") or {}).get("reasons", {})
    return [key[4:] for key in reasons if key.startswith("dtc:")]


def _matches(rule: dict[str, Any], alert: dict[str, Any]) -> bool:
    if rule.get("failure_mode") not in (None, alert["failure_mode"]):
        return False
    if rule.get("severity") not in (None, alert["severity"]):
        return False
    if (dtc := rule.get("dtc")) is not None:
        return any(code.startswith(dtc) for code in _dtcs(alert))
    return True


def triage(rules: list[dict[str, Any]], alert: dict[str, Any]) -> Decision:
    """The action for an alert (failure_mode, severity, explanation) under the rules."""
    for index, rule in enumerate(rules):
        if _matches(rule, alert):
            return _decision(rule["action"], rule.get("within_days"), index)
    return _decision(explain.render(alert, "en")["action"], None, None)


def _decision(action: str, within_days: int | None, rule: int | None) -> Decision:
    if action == "immediate":
        days = within_days or IMMEDIATE_WITHIN_DAYS
    else:
        days = within_days or DEFAULT_WITHIN_DAYS
    return Decision(action=action, within_days=days, rule=rule)
