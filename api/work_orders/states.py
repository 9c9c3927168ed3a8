"""The work-order state machine, as data (the 4S flow); its states come from `constants`.
The complaint ticket's machine is in `api.feedback.states`.

The work order follows 接车 → 诊断 → 报价 → 客户确认 → 维修 → 质检 → 结算 → 交车 → 回访.
The quality check is a gate: it only passes the job on to settlement, or sends it back to
repair with a reason. A wait (parts, approval, sublet) remembers the state it left
(`wait_return_to`) and can only return there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.state_machine import StateMachine, Transition, chain
from api.work_orders import messages as _messages  # noqa: F401  (registers the guards' text)
from api.work_orders.constants import WAITS, WORK_ORDER_STATES
from api.work_orders.models import LabourClock, LabourLine, PartLine, WorkOrder


def _no_open_clock(session: Session, wo: WorkOrder) -> str | None:
    open_clock = session.scalar(
        select(
            exists()
            .where(LabourClock.ended_at.is_(None))
            .where(LabourClock.labour_line_id == LabourLine.id)
            .where(LabourLine.work_order_id == wo.id)
        )
    )
    return "service.clock_still_on" if open_clock else None


def _ready_for_qc(session: Session, wo: WorkOrder) -> str | None:
    blocked = _no_open_clock(session, wo)
    if blocked:
        return blocked
    unissued = session.scalar(
        select(
            exists().where(
                PartLine.work_order_id == wo.id, PartLine.status.in_(("short", "reserved"))
            )
        )
    )
    return "service.parts_not_issued" if unissued else None


def _has_labour(session: Session, wo: WorkOrder) -> str | None:
    has = session.scalar(select(exists().where(LabourLine.work_order_id == wo.id)))
    return None if has else "service.no_labour"


def _checked_in(session: Session, wo: WorkOrder) -> str | None:
    return None if wo.odometer_km is not None else "service.check_in_needs_odometer"


def _has_outcome(session: Session, wo: WorkOrder) -> str | None:
    return None if wo.outcome else "service.outcome_required"


def _returns_to(state: str) -> Callable[[Session, WorkOrder], str | None]:
    def guard(session: Session, wo: WorkOrder) -> str | None:
        return None if wo.wait_return_to == state else "service.wait_returns_elsewhere"

    return guard


def _waits() -> Iterable[Transition]:
    for wait, spec in WAITS.items():
        for origin in spec["from"]:
            yield Transition(origin, wait, requires_reason=True)
            yield Transition(wait, origin, guard=_returns_to(origin))


CANCELLABLE = ("booked", "checked_in", "diagnosis", "estimate_sent", "waiting_approval")

WORK_ORDER = StateMachine(
    entity_type="work_order",
    states=WORK_ORDER_STATES,
    initial="booked",
    transitions=(
        Transition("booked", "checked_in", guard=_checked_in),
        Transition("checked_in", "diagnosis"),
        Transition("diagnosis", "estimate_sent", guard=_has_labour),
        *chain("estimate_sent", "customer_approved", "in_repair"),
        Transition("in_repair", "quality_check", guard=_ready_for_qc),
        # The QC gate: pass on to settlement, or back to repair saying what failed.
        Transition("quality_check", "in_repair", requires_reason=True),
        Transition("quality_check", "settled"),
        Transition("settled", "delivered", guard=_has_outcome),
        Transition("delivered", "follow_up"),
        *_waits(),
        *(Transition(s, "cancelled", requires_reason=True) for s in CANCELLABLE),
    ),
)
