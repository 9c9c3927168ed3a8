"""The whole demo: a believable dealer group with two Shanghai stores, staff in every role,
about 200 customers with vehicles (the simulated fleet's VINs first) and interactions, then
each domain's data in turn (sales, parts, workshop, work orders, notifications, proactive
policies).

Idempotent: records are found by natural keys (group and store codes, usernames, customer
phone numbers, VINs) and only missing ones are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.roles import Role
from demo.crm import seed_crm
from demo.group import DEMO_STAFF, seed_customer_login, seed_group
from demo.live_day import board_begins, seed_live_day
from demo.long_history import HistoryReport, seed_history
from demo.notifications import seed_notifications
from demo.parts import seed_parts
from demo.people import DEMO_CUSTOMER_USER, DEMO_PASSWORD
from demo.proactive import seed_proactive
from demo.sales import seed_sales
from demo.store_settings import seed_kpi_targets, seed_pricing
from demo.work_orders import seed_work_orders
from demo.workshop import seed_workshop

if TYPE_CHECKING:
    from api.kpis.rollup import RefreshReport

DEMO_CUSTOMERS = 200
DEMO_HISTORY_DAYS = 730  # what `pitstop demo` seeds: two years of business history


@dataclass
class SeedReport:
    """What a seed run added (zero everywhere on a second run)."""

    stores: int = 0
    users: int = 0
    customers: int = 0
    vehicles: int = 0
    interactions: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    history: HistoryReport = field(default_factory=HistoryReport)
    live: dict[str, int] = field(default_factory=dict)


def seed_demo(
    session: Session,
    vins: list[str],
    *,
    customers: int = DEMO_CUSTOMERS,
    consenting: frozenset[str] = frozenset(),
    history_days: int = 0,
    live_day: bool | None = None,
    now: datetime | None = None,
) -> SeedReport:
    """Add the demo dealer group to the database (idempotent); the caller commits.

    The VINs go to the first customers in order; new owners of `consenting` VINs agree to
    the channels the demo delivers on, so that its messages about those cars reach them.
    With history_days, that many days of business history end yesterday (demo.long_history);
    live_day (by default: when there is history) fills today's workshop (demo.live_day), and
    the history's last visits end before its board begins. `now` is the moment of the seeding.
    """
    now = now or datetime.now(UTC)
    seeded = seed_group(session)
    group, stores = seeded.group, seeded.stores
    crm = seed_crm(session, stores, seeded.admin, vins, customers=customers, consenting=consenting)
    users = seeded.users_added
    if crm.first_customer is not None:
        users += seed_customer_login(session, group, crm.first_customer)
    seed_sales(session, group, stores)
    seed_parts(session, group, stores, store_stock=history_days <= 0)
    seed_workshop(session, group, stores)
    seed_pricing(session, stores)
    seed_work_orders(session, stores)
    seed_notifications(session, group, stores)
    seed_proactive(session, group, stores)
    session.flush()
    with_live_day = live_day if live_day is not None else history_days > 0
    history = seed_history(
        session,
        group,
        stores,
        days=history_days,
        fleet_vins=list(vins),
        now=now,
        until=board_begins(session, stores, now) if with_live_day else None,
    )
    if history_days > 0:  # the figures to steer by, once there is a history behind them
        seed_kpi_targets(session, stores)
    live = {}
    if with_live_day:
        live = seed_live_day(session, group, stores, fleet_vins=list(vins), now=now)
    session.flush()
    logins = [(u, DEMO_PASSWORD, r.value) for u, _, r, _ in DEMO_STAFF]
    logins.append((DEMO_CUSTOMER_USER, DEMO_PASSWORD, Role.customer.value))
    return SeedReport(
        stores=seeded.stores_added,
        users=users,
        customers=crm.customers,
        vehicles=crm.vehicles,
        interactions=crm.interactions,
        logins=logins,
        history=history,
        live=live,
    )


def refresh_kpis(session: Session) -> RefreshReport:
    """The KPI rollups brought up to date after a seed (the caller commits), so that the
    console's first figures are there; returns the rollup's RefreshReport.

    The tables are analysed first: right after a bulk seed the planner has no statistics, and
    the first refresh of two years' history takes minutes instead of seconds without them."""
    import time

    from api.kpis.rollup import refresh

    started = time.perf_counter()
    session.execute(text("ANALYZE"))
    report = refresh(session)
    report.seconds = time.perf_counter() - started  # with the analysis
    return report


def fleet_vins(session: Session) -> list[str]:
    """Valid VINs of the cars that have reported telemetry, in VIN order."""
    from api.telemetry.models import vehicle_latest
    from core.vin import is_valid_vin

    vins = session.scalars(select(vehicle_latest.c.vin).order_by(vehicle_latest.c.vin))
    return [vin for vin in vins if is_valid_vin(vin)]


def seed_demo_database(
    database_url: str,
    vins: list[str],
    *,
    consenting: frozenset[str] = frozenset(),
    history_days: int = 0,
    now: datetime | None = None,
) -> SeedReport:
    """seed_demo in a transaction of its own on the database."""
    from api.db import transaction

    with transaction(database_url) as session:
        return seed_demo(session, vins, consenting=consenting, history_days=history_days, now=now)


def refresh_kpis_database(database_url: str) -> RefreshReport:
    """refresh_kpis in a transaction of its own on the database."""
    from api.db import transaction

    with transaction(database_url) as session:
        return refresh_kpis(session)
