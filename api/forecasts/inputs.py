"""What the forecasts learn from, as tables: monthly deliveries per model (from the KPI
rollup), weekly parts issues per part, the parts the fleet's open predictions will need, and
customers' service history as of a day (for churn)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.forecasts.constants import CHURN_HORIZON_DAYS, PARTS_HISTORY_WEEKS, SURVEY_SCALE

WARRANTY_YEARS = 3


def sales_history(session: Session, store_id: int, today: date) -> pd.DataFrame:
    """unique_id (model id), ds (month start), y: cars delivered in each whole month."""
    rows = session.execute(
        text(
            "SELECT member, CAST(date_trunc('month', day) AS date), sum(value) FROM kpi_facts"
            " WHERE store_id = :s AND measure = 'cars_delivered' AND dimension = 'model_id'"
            " AND member <> '-' AND day < :month GROUP BY 1, 2"
        ),
        {"s": store_id, "month": today.replace(day=1)},
    ).all()
    return _filled(rows, "MS", last=pd.Timestamp(today.replace(day=1)) - pd.DateOffset(months=1))


def parts_history(session: Session, warehouse_id: int, today: date) -> pd.DataFrame:
    """unique_id (part id), ds (Monday), y: quantity issued (less returns) each whole week."""
    monday = today - timedelta(days=today.weekday())
    rows = session.execute(
        text(
            "SELECT CAST(m.part_id AS text), CAST(date_trunc('week', m.occurred_at AT TIME ZONE"
            " s.timezone) AS date), -sum(m.quantity) FROM stock_moves m"
            " JOIN warehouses w ON w.id = m.warehouse_id JOIN stores s ON s.id = w.store_id"
            " WHERE m.warehouse_id = :w AND m.kind IN ('issue', 'return')"
            " AND m.occurred_at >= :start AND m.occurred_at < :end GROUP BY 1, 2"
        ),
        {"w": warehouse_id, "start": monday - timedelta(weeks=PARTS_HISTORY_WEEKS),
         "end": monday},
    ).all()  # fmt: skip
    first = pd.Timestamp(monday - timedelta(weeks=PARTS_HISTORY_WEEKS))
    return _filled(rows, "W-MON", first=first, last=pd.Timestamp(monday - timedelta(weeks=1)))


def _filled(
    rows: list, freq: str, *, last: pd.Timestamp, first: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Every series on every period from its first (or `first`) to `last`, zeros filled in."""
    if not rows:
        return pd.DataFrame(columns=["unique_id", "ds", "y"])
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    frame["ds"], frame["y"] = pd.to_datetime(frame["ds"]), frame["y"].astype(float)
    start = first if first is not None else frame["ds"].min()
    periods = pd.date_range(start, last, freq=freq)
    full = pd.MultiIndex.from_product([sorted(frame["unique_id"].unique()), periods])
    table = frame.groupby(["unique_id", "ds"])["y"].sum().reindex(full, fill_value=0.0)
    return table.rename_axis(["unique_id", "ds"]).reset_index()


def alert_parts(session: Session, warehouse_id: int) -> list[tuple[str, float, float, date]]:
    """(part id, quantity, probability, due day) of the store's proposed, not yet booked,
    predictive visits: booked ones have reserved their parts already."""
    rows = session.execute(
        text(
            "SELECT CAST(x.part AS text), x.quantity, coalesce(a.probability, 0.5),"
            " CAST(p.due_by AS date) FROM proactive_proposals p"
            " JOIN warehouses w ON w.store_id = p.store_id"
            " LEFT JOIN alerts a ON a.id = p.alert_id"
            " CROSS JOIN LATERAL (SELECT CAST(e ->> 0 AS bigint) AS part,"
            "   CAST(e ->> 1 AS float) AS quantity FROM jsonb_array_elements(p.parts) e) x"
            " WHERE w.id = :w AND p.kind = 'alert' AND p.status = 'proposed'"
        ),
        {"w": warehouse_id},
    ).all()
    return [(part, float(q), float(p), due) for part, q, p, due in rows]


def alert_share(session: Session, warehouse_id: int, today: date) -> dict[str, float]:
    """Per part: the share of its issues in the history window that went to visits booked for
    a predicted fault (the history-only forecast already holds that much of the alerts' demand)."""
    rows = session.execute(
        text(
            "SELECT CAST(m.part_id AS text), sum(-m.quantity) FILTER (WHERE w.source = 'alert'),"
            " sum(-m.quantity) FROM stock_moves m"
            " LEFT JOIN work_order_parts pl ON m.reference_type = 'work_order_part'"
            "   AND pl.id = m.reference_id"
            " LEFT JOIN work_orders w ON w.id = pl.work_order_id"
            " WHERE m.warehouse_id = :w AND m.kind IN ('issue', 'return')"
            " AND m.occurred_at >= :start GROUP BY 1"
        ),
        {"w": warehouse_id, "start": today - timedelta(weeks=PARTS_HISTORY_WEEKS)},
    ).all()
    return {part: float(alert or 0) / float(total) for part, alert, total in rows if total}


CUSTOMERS_AS_OF = f"""
WITH visits AS (
    SELECT customer_id, max(checked_in_at) AS last, count(*) AS n FROM work_orders
    WHERE store_id = :s AND status <> 'cancelled'
      AND checked_in_at < :d AND checked_in_at >= CAST(:d AS timestamptz) - interval '730 days'
    GROUP BY 1
), spend AS (
    SELECT customer_id, sum(grand_total) AS value FROM service_invoices
    WHERE store_id = :s AND issued_at < :d
      AND issued_at >= CAST(:d AS timestamptz) - interval '730 days'
    GROUP BY 1
), survey AS (
    SELECT DISTINCT ON (customer_id) customer_id, csi, nps FROM service_surveys
    WHERE store_id = :s AND status = 'answered' AND answered_at < :d
    ORDER BY customer_id, answered_at DESC
), complaints AS (
    SELECT customer_id, count(*) AS n FROM service_complaints
    WHERE store_id = :s AND created_at < :d
      AND created_at >= CAST(:d AS timestamptz) - interval '365 days'
    GROUP BY 1
), cars AS (
    SELECT v.owner_id AS customer_id, max(v.year) AS year,
           bool_or(l.vin IS NOT NULL) AS connected, count(a.id) AS open_alerts
    FROM vehicles v
    LEFT JOIN vehicle_latest l ON l.vin = v.vin
    LEFT JOIN alerts a ON a.vin = v.vin AND a.created_at < :d
                      AND (a.cleared_at IS NULL OR a.cleared_at > :d)
    GROUP BY 1
), back AS (
    SELECT DISTINCT customer_id FROM work_orders
    WHERE store_id = :s AND status <> 'cancelled' AND checked_in_at >= :d
      AND checked_in_at < CAST(:d AS timestamptz) + interval '{CHURN_HORIZON_DAYS} days'
)
SELECT v.customer_id,
       extract(epoch FROM CAST(:d AS timestamptz) - v.last) / 86400 AS recency_days,
       v.n AS visits_24m, coalesce(sp.value, 0) AS spend_24m,
       greatest(extract(year FROM CAST(:d AS date)) - coalesce(c.year, extract(year FROM
           CAST(:d AS date))), 0) AS vehicle_age_years,
       su.csi * {SURVEY_SCALE} AS csi_last, su.nps AS nps_last,
       coalesce(co.n, 0) AS open_complaints, coalesce(c.connected, false) AS connected,
       coalesce(c.open_alerts, 0) AS open_alerts, b.customer_id IS NULL AS churned
FROM visits v
LEFT JOIN spend sp USING (customer_id)
LEFT JOIN survey su USING (customer_id)
LEFT JOIN complaints co USING (customer_id)
LEFT JOIN cars c USING (customer_id)
LEFT JOIN back b USING (customer_id)
ORDER BY v.customer_id
"""


def customers_as_of(session: Session, store_id: int, day: date) -> pd.DataFrame:
    """The store's service customers of the 24 months before `day`, with the churn model's
    columns as they stood that day, and whether they came back within a year after it (the
    label is only known for a day a year or more ago)."""
    rows = session.execute(text(CUSTOMERS_AS_OF), {"s": store_id, "d": day}).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows])
    if frame.empty:
        return frame
    for column in ("recency_days", "spend_24m", "vehicle_age_years", "csi_last", "nps_last"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["in_warranty"] = frame["vehicle_age_years"] < WARRANTY_YEARS
    return frame.set_index("customer_id")
