"""The service domain's public functions, for routes and for automation. No HTTP.

Every function takes the session (the caller commits) and `actor`: a signed-in user's Scope,
or a store id for a system caller (for example the proactive-maintenance loop, with
actor_id=None). Automated calls pass `source_ref`, an idempotency key: a repeat returns the
record the first call made instead of creating another.

    find_slots(session, *, store_id, operations, earliest, latest, parts=(), preferences=None,
               limit=10) -> SlotResult
        Ranked slots where a skilled technician, a fitting bay and the parts line up;
        `parts` are (part_id, quantity); short parts push slots after their ETA.
    book(session, *, actor, store_id, customer_id, vehicle_id, operations, starts_at,
         technician_id=None, bay_id=None, source, source_ref=None, ...) -> Appointment
        Conflict (409) when the technician or bay is taken, even by a racing booking.
    book_best_slot(session, *, actor, store_id, customer_id, vehicle_id, operations,
                   earliest, latest, parts=(), preferences=None, source="alert",
                   source_ref=None, ...) -> Appointment
        find_slots + book, moving on to the next slot when a race took the best one.
    draft_work_order(session, *, actor, store_id, customer_id, vehicle_id, operations=(),
                     parts=(), appointment_id=None, complaint=None, evidence=None,
                     source=None, source_ref=None, ...) -> WorkOrder
        A booked work order with labour lines and parts lines reserved FEFO through the
        parts domain; a line is 'short' (no reservation) when stock is.
    reserve_short(session, *, actor, work_order) -> list[PartLine]
        Retry the short lines after stock arrives.
    advance / check_in / enter_wait / resume / record_outcome / issue_parts / clock_on / ...
        The rest of the flow; see work_orders.py and lines.py.
"""

from __future__ import annotations

from api.service.appointments import (
    book,
    book_best_slot,
    change_status,
    get_appointment,
    list_appointments,
    preferences_of,
    reschedule,
)
from api.service.feedback import answer_survey, create_survey, open_complaint, survey_link
from api.service.lines import (
    add_labour_line,
    add_part_line,
    clock_off,
    clock_on,
    issue_parts,
    release_parts,
    reserve_short,
)
from api.service.settlement import estimate, issue_invoice
from api.service.slots import Preferences, Slot, SlotResult, find_slots
from api.service.work_orders import (
    advance,
    check_in,
    draft_work_order,
    enter_wait,
    get_work_order,
    list_work_orders,
    record_outcome,
    resume,
)

__all__ = [
    "Preferences",
    "Slot",
    "SlotResult",
    "add_labour_line",
    "add_part_line",
    "advance",
    "answer_survey",
    "book",
    "book_best_slot",
    "change_status",
    "check_in",
    "clock_off",
    "clock_on",
    "create_survey",
    "draft_work_order",
    "enter_wait",
    "estimate",
    "find_slots",
    "get_appointment",
    "get_work_order",
    "issue_invoice",
    "issue_parts",
    "list_appointments",
    "list_work_orders",
    "open_complaint",
    "preferences_of",
    "record_outcome",
    "release_parts",
    "reschedule",
    "reserve_short",
    "resume",
    "survey_link",
]
