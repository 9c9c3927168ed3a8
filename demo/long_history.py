"""The demo's long business history (two years for `pitstop demo`): service, parts and sales
day by day with the seasons of demo.seasons, written in bulk straight into final states with
their audit paths.

Idempotent: nothing is added when a store already has history work orders ("hist:" refs).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.crm.models import Interaction
from api.feedback.models import Complaint, Survey
from api.parts.models import Part, Reservation
from api.proactive.models import Proposal
from api.purchasing.models import Supplier
from api.work_orders.models import (
    Invoice,
    InvoiceLine,
    LabourClock,
    LabourLine,
    PartLine,
    WorkOrder,
)
from api.work_orders.money_rules import pricing_of
from api.workshop.models import Appointment, ClosedDay
from core.clock import local_date
from demo.bulk import Audit, insert_rows
from demo.history_customers import plan_pool, write_customers
from demo.parts_catalogue import catalogue
from demo.parts_history import Ledger
from demo.seasons import workshop_closed
from demo.service_history import ServiceHistory, Workshop
from demo.service_jobs import PartPicker
from demo.service_rows import ServiceRows
from demo.workshop import desk_of

SEED = 2024
SALES_SEED = 8
DAILY_JOBS = {"SH-PD": 9.0, "SH-MH": 6.5}  # an ordinary weekday's jobs at the trend origin
DIRECT_BOOKING = {"SH-PD"}


@dataclass
class HistoryReport:
    """What the long history added, by table (empty on a second run), and how long it took."""

    days: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def has_history(session: Session) -> bool:
    """True once the long history is seeded."""
    ref = select(WorkOrder.id).where(WorkOrder.source_ref.like("hist:%")).limit(1)
    return session.scalar(ref) is not None


def seed_history(
    session: Session,
    group: DealerGroup,
    stores: dict[str, Store],
    *,
    days: int,
    fleet_vins: list[str],
    now: datetime,
    until: datetime | None = None,
) -> HistoryReport:
    """Add `days` days of history up to yesterday (idempotent); the caller commits. No visit
    holds the workshop after `until` (where the live day's board begins)."""
    started = time.perf_counter()
    report = HistoryReport()
    if days <= 0 or has_history(session):
        return report
    from demo.sales_history import seed_sales_history

    rng = random.Random(SEED)
    today = local_date(now)
    first_day, last_day = today - timedelta(days=days), today - timedelta(days=1)
    actor = session.scalar(select(User.id).where(User.username == "parts"))
    audit = Audit()
    rows = ServiceRows(session, audit, now)
    pool = plan_pool(session, rng, stores, DAILY_JOBS, first_day, last_day, fleet_vins)
    shops = [
        _workshop(session, rng, group, code, store, last_day, actor)
        for code, store in stores.items()
        if code in DAILY_JOBS
    ]
    for shop in shops:
        shop.ledger.review(first_day - timedelta(days=10))
        shop.ledger.receive_due(first_day - timedelta(days=1))
    history = ServiceHistory(rng, rows, pool, first_day, last_day, until)
    history.run(shops)
    admin = session.scalar(select(User.id).where(User.username == "admin"))
    counts = report.rows
    counts["customers"] = write_customers(session, pool, audit, today, admin)
    _closed_days(session, stores, first_day, last_day)
    tables = rows.tables
    if tables.get("alerts"):
        insert_rows(session, "alerts", tables["alerts"])
    counts["appointments"] = insert_rows(session, Appointment, tables.get("appointments", []))
    insert_rows(session, Interaction, history.interactions)
    counts["purchase_orders"] = 0
    for seq, shop in enumerate(shops):
        counts["purchase_orders"] += shop.ledger.write(session, audit, group.id, seq * 50_000)
    counts["work_orders"] = insert_rows(session, WorkOrder, tables.get("work_orders", []))
    counts["proposals"] = insert_rows(session, Proposal, tables.get("proposals", []))
    insert_rows(session, LabourLine, tables.get("labour", []))
    counts["clocks"] = insert_rows(session, LabourClock, tables.get("clocks", []))
    insert_rows(session, Reservation, tables.get("reservations", []))
    counts["part_lines"] = insert_rows(session, PartLine, tables.get("part_lines", []))
    counts["stock_moves"] = sum(shop.ledger.write_moves(session) for shop in shops)
    counts["invoices"] = insert_rows(session, Invoice, tables.get("invoices", []))
    insert_rows(session, InvoiceLine, tables.get("invoice_lines", []))
    counts["surveys"] = insert_rows(session, Survey, tables.get("surveys", []))
    counts["complaints"] = insert_rows(session, Complaint, tables.get("complaints", []))
    sales_rng = random.Random(SALES_SEED)  # the same sales whatever the workshop's history drew
    counts.update(seed_sales_history(session, sales_rng, group, stores, first_day, last_day, audit))
    counts["audit"] = audit.write(session)
    report.days = days
    report.seconds = time.perf_counter() - started
    return report


def _workshop(session, rng, group, code, store, last_day, actor) -> Workshop:
    desk = desk_of(session, group, code, store)
    parts = session.scalars(
        select(Part).where(Part.dealer_group_id == group.id).order_by(Part.id)
    ).all()
    spec = {row.part_number: row.weekly for row in catalogue()}
    weekly = {p.id: spec.get(p.part_number, 0.05) for p in parts}
    lead = dict(
        session.execute(
            select(Supplier.id, Supplier.lead_time_days).where(Supplier.dealer_group_id == group.id)
        ).all()
    )
    ledger = Ledger(
        session, rng, desk.warehouse, {p.id: p for p in parts}, dict(weekly), lead, last_day, actor
    )
    return Workshop(
        store_id=store.id,
        code=code,
        advisor_id=desk.advisor_id,
        technicians=desk.technicians,
        bays=desk.bays,
        operations=desk.operations,
        rate=pricing_of(session, store.id).labour_rate,
        ledger=ledger,
        picker=PartPicker(list(parts), weekly),
        daily=DAILY_JOBS[code],
        direct_booking=code in DIRECT_BOOKING,
    )


def _closed_days(session: Session, stores: dict[str, Store], first_day, last_day) -> None:
    """The Spring Festival days the workshop was closed, unless already listed."""
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    rows = [
        {"store_id": store.id, "day": day, "reason": "春节"}
        for store in stores.values()
        for day in days
        if workshop_closed(day)
    ]
    if rows:
        session.execute(pg_insert(ClosedDay).on_conflict_do_nothing(), rows)
