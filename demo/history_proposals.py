"""The proactive loop's proposals behind the history's predicted visits, as the loop leaves
them (api/proactive/flows.py, closing.py): the alert's proposal booked minutes after the
alert, completed once its job was delivered, with the comeback watch; flagged as a comeback
when the same fault raised an alert again inside the watch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb

from api.proactive.constants import COMEBACK_DAYS
from api.proactive.states import PROPOSAL
from demo.service_rows import FAILURE_MODES, ServiceRows

SEVERITY = "major"
WITHIN_DAYS = {"battery": 3}  # the default triage's deadline for a major alert, by mode
DEFAULT_WITHIN_DAYS = 5
CLOSED_AFTER = timedelta(minutes=2)  # the worker completes delivered proposals about this fast


def source_ref(vin: str, failure_mode: str, alert_id: int) -> str:
    """The idempotency key the loop gives an alert's visit (api.proactive.flows.source_ref)."""
    return f"alert:{vin}:{failure_mode}:{alert_id}"


def failure_mode(cause: str | None) -> str:
    return FAILURE_MODES.get(cause or "", "anomaly")


def add_proposal(
    rows: ServiceRows,
    *,
    store_id: int,
    car,
    job,
    parts: list,
    alert_id: int,
    raised: datetime,
    booked: datetime,
    starts: datetime,
    appointment_id: int,
    work_order_id: int,
    delivered: datetime,
    odometer: float,
    accepted_by: int | None,
) -> dict[str, Any]:
    """The completed proposal of an alert's visit, with its audit path; returns its row.

    accepted_by: the advisor who accepted it (a store in approval mode), None when the loop
    booked it by itself."""
    mode = failure_mode(job.cause)
    proposal_id = rows.next_id("proactive_proposals")
    row = rows.add(
        "proposals",
        {
            "id": proposal_id,
            "store_id": store_id,
            "kind": "alert",
            "source_ref": source_ref(car.vin, mode, alert_id),
            "status": "completed",
            "vin": car.vin,
            "failure_mode": mode,
            "alert_id": alert_id,
            "severity": SEVERITY,
            "action": "schedule",
            "customer_id": car.customer_id,
            "vehicle_id": car.vehicle_id,
            "operations": Jsonb(list(job.operations)),
            "parts": Jsonb([[part.id, str(quantity)] for part, quantity in parts]),
            "due_by": raised + timedelta(days=WITHIN_DAYS.get(mode, DEFAULT_WITHIN_DAYS)),
            "suggested_starts_at": starts,
            "appointment_id": appointment_id,
            "work_order_id": work_order_id,
            "explanation": {"alert_id": alert_id, "failure_mode": mode, "severity": SEVERITY},
            "alert_cleared_at": delivered,
            "delivered_at": delivered,
            "delivered_km": odometer,
            "watch_until": delivered + timedelta(days=COMEBACK_DAYS),
            "comeback": False,
            "comeback_alert_id": None,
            "created_at": raised,
        },
    )
    steps = [
        ("proposed", raised + timedelta(seconds=20)),
        ("booked", booked),
        ("completed", delivered + CLOSED_AFTER),
    ]
    rows.audit.path(PROPOSAL, proposal_id, store_id, steps, actors={"booked": accepted_by})
    return row


def flag_comeback(proposal: dict[str, Any], alert_id: int, raised: datetime) -> bool:
    """Mark the proposal a comeback when the alert came inside its watch; True if it did."""
    if not proposal["delivered_at"] < raised <= proposal["watch_until"]:
        return False
    proposal["comeback"], proposal["comeback_alert_id"] = True, alert_id
    return True
