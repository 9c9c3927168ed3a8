"""Refresh the KPI rollups incrementally: only the store days whose ledger rows changed.

The first refresh builds `days` of history. Later ones read, per measure, the rows changed
since the last refresh (from the start of the oldest transaction then open), and rebuild just
those store days; per-day measures also rebuild the last two days, and a snapshot (stock)
rebuilds every day after its earliest change. The same job keeps kpi_customer_months.
On TimescaleDB these are plain tables too: the KPIs read business ledgers, not telemetry.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.kpis.measures import MEASURES, Measure
from api.kpis.models import RollupState

HISTORY_DAYS = 3 * 366  # what a first refresh builds
# Rows carry their transaction's start time (updated_at = now()): a transaction still open at
# a refresh commits rows stamped before it, so the next refresh reads from the oldest start.
_OLDEST_OPEN = text(
    "SELECT least(now(), min(xact_start)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND xact_start IS NOT NULL"
)
CUSTOMER_MONTHS = "customer_months"
_LOCK = 7_340_001  # one refresh at a time (pg_advisory_xact_lock)


@dataclass
class RefreshReport:
    """What one refresh rebuilt."""

    store_days: dict[str, int] = field(default_factory=dict)
    facts: int = 0
    seconds: float = 0.0


def refresh(
    session: Session, *, full: bool = False, days: int = HISTORY_DAYS, now: datetime | None = None
) -> RefreshReport:
    """Bring every rollup up to date (the caller commits)."""
    started = time.perf_counter()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    clock = now or session.scalar(_OLDEST_OPEN)
    last_day = session.scalar(
        text("SELECT max((CAST(:now AS timestamptz) AT TIME ZONE timezone)::date) FROM stores"),
        {"now": clock},
    )
    report = RefreshReport()
    if last_day is None:
        return report
    first = last_day - timedelta(days=days)
    states = {s.rollup: s for s in session.query(RollupState)}
    stores = list(session.scalars(text("SELECT id FROM stores")))
    changes: dict[tuple[str, datetime], set[tuple[int, date]]] = {}  # measures share probes
    for measure in MEASURES:
        state = None if full else states.get(measure.code)
        if state is None:
            report.store_days[measure.code] = len(stores) * (days + 1)
            report.facts += _rebuild_all(session, measure, stores, first, last_day)
        else:
            dirty = _dirty(session, measure, state, stores, last_day, changes)
            report.store_days[measure.code] = len(dirty)
            report.facts += _rebuild(session, measure, dirty)
        _mark(session, states, measure.code, clock, first, rebuilt=state is None)
    state = None if full else states.get(CUSTOMER_MONTHS)
    report.store_days[CUSTOMER_MONTHS] = _customer_months(session, state, last_day, days)
    _mark(session, states, CUSTOMER_MONTHS, clock, first, rebuilt=state is None)
    session.flush()
    report.seconds = time.perf_counter() - started
    return report


def _dirty(
    session: Session,
    measure: Measure,
    state: RollupState,
    stores: list[int],
    last_day: date,
    changes: dict[tuple[str, datetime], set[tuple[int, date]]],
) -> set[tuple[int, date]]:
    found: set[tuple[int, date]] = set()
    if measure.changed is not None:
        key = (measure.changed, state.refreshed_at)
        if key not in changes:
            rows = session.execute(
                text(
                    "SELECT DISTINCT c.store_id, (c.at AT TIME ZONE s.timezone)::date"
                    f" FROM ({measure.changed}) c JOIN stores s ON s.id = c.store_id"
                    " WHERE c.at IS NOT NULL"
                ),
                {"since": state.refreshed_at},
            )
            changes[key] = {(store, day) for store, day in rows}
        found = {(store, day) for store, day in changes[key] if day >= state.built_from}
    if measure.snapshot:
        earliest: dict[int, date] = {}
        for store, day in found:
            earliest[store] = min(day, earliest.get(store, day))
        found = {
            (store, day + timedelta(n))
            for store, day in earliest.items()
            for n in range((last_day - day).days + 1)
        }
    if measure.per_day:
        found |= {(s, last_day - timedelta(n)) for s in stores for n in (0, 1)}
    return found


def _rebuild(session: Session, measure: Measure, dirty: set[tuple[int, date]]) -> int:
    if not dirty:
        return 0
    pairs = sorted(dirty)
    params = {
        "measure": measure.code,
        "stores": [s for s, _ in pairs],
        "days": [d for _, d in pairs],
    }
    session.execute(
        text(
            "DELETE FROM kpi_facts f USING unnest(CAST(:stores AS bigint[]),"
            " CAST(:days AS date[])) AS d(store_id, day)"
            " WHERE f.measure = :measure AND f.store_id = d.store_id AND f.day = d.day"
        ),
        params,
    )
    first, last = pairs[0][1], max(d for _, d in pairs)
    params |= _window(measure, first, last)
    inserted = session.execute(text(insert_sql(measure)), params)
    return inserted.rowcount


def _rebuild_all(
    session: Session, measure: Measure, stores: list[int], first: date, last: date
) -> int:
    """Every day of [first, last] for the stores: a range, not a list of store days."""
    params = {"measure": measure.code, "stores": stores, "first": first, "last": last}
    session.execute(
        text(
            "DELETE FROM kpi_facts WHERE measure = :measure AND store_id = ANY(:stores)"
            " AND day BETWEEN :first AND :last"
        ),
        params,
    )
    params |= _window(measure, first, last)
    return session.execute(text(insert_sql(measure, whole=True)), params).rowcount


def _window(measure: Measure, first: date, last: date) -> dict[str, date | datetime]:
    """The measure's own :start and :end around the local days [first, last]."""
    if measure.per_day:
        return {"start": first, "end": last + timedelta(days=1)}
    return {  # local days lie within a day either side of UTC's
        "start": datetime.combine(first - timedelta(days=1), datetime.min.time()),
        "end": datetime.combine(last + timedelta(days=2), datetime.min.time()),
    }


def insert_sql(measure: Measure, *, whole: bool = False) -> str:
    """The INSERT of one measure's sums: for the store days in :stores/:days, or (whole) for
    every day of [:first, :last] of the stores in :stores."""
    day = "r.at" if measure.per_day else "(r.at AT TIME ZONE s.timezone)::date"
    dims = measure.dimensions
    sets = ", ".join(["(d.store_id, d.day)"] + [f"(d.store_id, d.day, {d})" for d in dims])
    which = " ".join(f"WHEN GROUPING({d}) = 0 THEN '{d}'" for d in dims)
    member = " ".join(f"WHEN GROUPING({d}) = 0 THEN coalesce(CAST({d} AS text), '-')" for d in dims)
    dimension = f"CASE {which} ELSE '' END" if dims else "''"
    member_of = f"CASE {member} ELSE '' END" if dims else "''"
    if whole:
        chosen = "FROM d WHERE d.store_id = ANY(:stores) AND d.day BETWEEN :first AND :last"
    else:
        chosen = (
            "FROM d JOIN unnest(CAST(:stores AS bigint[]), CAST(:days AS date[]))"
            " AS w(store_id, day) ON w.store_id = d.store_id AND w.day = d.day"
        )
    return f"""
        WITH r AS ({measure.rows}),
        d AS MATERIALIZED (SELECT r.*, {day} AS day FROM r JOIN stores s ON s.id = r.store_id)
        INSERT INTO kpi_facts (store_id, measure, dimension, day, member, value)
        SELECT d.store_id, :measure, {dimension}, d.day, {member_of}, sum(d.value)
        {chosen}
        GROUP BY GROUPING SETS ({sets})
        HAVING sum(d.value) <> 0
    """


def _customer_months(session: Session, state: RollupState | None, last_day: date, days: int) -> int:
    """Rebuild the visit months of customers whose work orders changed; returns the months."""
    if state is None:
        session.execute(text("DELETE FROM kpi_customer_months"))
        since, first = datetime(1970, 1, 1), last_day - timedelta(days=days)
    else:
        since, first = state.refreshed_at, state.built_from
    touched = session.execute(
        text(
            "SELECT DISTINCT w.store_id,"
            " date_trunc('month', w.checked_in_at AT TIME ZONE s.timezone)::date"
            " FROM work_orders w JOIN stores s ON s.id = w.store_id"
            " WHERE w.updated_at > :since AND w.checked_in_at IS NOT NULL"
        ),
        {"since": since},
    ).all()
    months = defaultdict(list)
    for store, month in touched:
        if month >= first.replace(day=1):
            months[store].append(month)
    for store, wanted in months.items():
        params = {  # the months' span, a day wider each side for the store's time zone
            "store": store,
            "months": wanted,
            "start": min(wanted) - timedelta(days=1),
            "end": max(wanted) + timedelta(days=32),
        }
        session.execute(
            text(
                "DELETE FROM kpi_customer_months WHERE store_id = :store"
                " AND month = ANY(CAST(:months AS date[]))"
            ),
            params,
        )
        session.execute(
            text(
                "INSERT INTO kpi_customer_months (store_id, month, customer_id, visits)"
                " SELECT w.store_id, m.month, w.customer_id, count(*)"
                " FROM work_orders w JOIN stores s ON s.id = w.store_id,"
                " LATERAL (SELECT CAST(date_trunc('month', w.checked_in_at AT TIME ZONE s.timezone)"
                " AS date) AS month) m"
                " WHERE w.store_id = :store AND w.status <> 'cancelled'"
                " AND w.checked_in_at >= :start AND w.checked_in_at < :end"
                " AND m.month = ANY(CAST(:months AS date[]))"
                " GROUP BY w.store_id, m.month, w.customer_id"
            ),
            params,
        )
    return sum(len(v) for v in months.values())


def _mark(
    session: Session,
    states: dict[str, RollupState],
    rollup: str,
    clock: datetime,
    first: date,
    *,
    rebuilt: bool,
) -> None:
    state = states.get(rollup)
    if state is None:
        state = states[rollup] = RollupState(rollup=rollup, built_from=first)
        session.add(state)
    if rebuilt:
        state.built_from = first
    state.refreshed_at = clock
