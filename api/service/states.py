"""Service state machines, as data: appointments, work orders (the 4S flow) and complaints.

The work order follows 接车 → 诊断 → 报价 → 客户确认 → 维修 → 质检 → 结算 → 交车 → 回访.
The quality check is a gate: it only passes the job on to settlement, or sends it back to
repair with a reason. A wait (parts, approval, sublet) remembers the state it left
(`wait_return_to`) and can only return there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.service.constants import WAITS
from api.service.work_models import LabourClock, LabourLine, PartLine, WorkOrder
from api.state_machine import StateMachine, Transition, chain


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
    states=(
        "booked",
        "checked_in",
        "diagnosis",
        "estimate_sent",
        "customer_approved",
        "in_repair",
        "quality_check",
        "settled",
        "delivered",
        "follow_up",
        "waiting_parts",
        "waiting_approval",
        "waiting_sublet",
        "cancelled",
    ),
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

APPOINTMENT = StateMachine(
    entity_type="appointment",
    states=("booked", "confirmed", "arrived", "cancelled", "no_show"),
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

COMPLAINT = StateMachine(
    entity_type="complaint",
    states=("open", "in_progress", "resolved", "closed"),
    initial="open",
    transitions=(
        Transition("open", "in_progress"),
        Transition("open", "resolved", requires_reason=True),
        Transition("in_progress", "resolved", requires_reason=True),
        Transition("resolved", "in_progress", requires_reason=True),  # the customer was not happy
        Transition("resolved", "closed"),
    ),
)
