"""Service (售后服务): throughput, work in progress, waits, comebacks, and the technicians'
labour utilisation and efficiency from the KPI definitions."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from api.proactive.constants import COMEBACK_DAYS
from api.work_orders.constants import WAITS, WORK_ORDER_STATES
from dashboards.kpi import breakdown_panel
from dashboards.panels import (
    IN_STORES,
    bars,
    daily_bars,
    department,
    grid,
    number,
    sql_list,
    store_variable,
)

UID = "pitstop-service"
# In the workshop: checked in and not yet handed back (booked jobs have not arrived yet).
NOT_WIP = ("booked", "delivered", "follow_up", "cancelled")
WIP_STATES = tuple(s for s in WORK_ORDER_STATES if s not in NOT_WIP)

THROUGHPUT = f"""
    SELECT date_trunc('day', wo.delivered_at, st.timezone) AS time, st.code AS metric,
           count(*) AS delivered
    FROM work_orders wo JOIN stores st ON st.id = wo.store_id
    WHERE $__timeFilter(wo.delivered_at) AND wo.{IN_STORES}
    GROUP BY 1, 2 ORDER BY 1"""
WIP = f"""
    SELECT status AS state, count(*) AS work_orders
    FROM work_orders
    WHERE status IN ({sql_list(WIP_STATES)}) AND {IN_STORES}
    GROUP BY status ORDER BY array_position(ARRAY[{sql_list(WIP_STATES)}], status::text)"""
WIP_COUNT = f"""
    SELECT count(*) AS in_workshop FROM work_orders
    WHERE status IN ({sql_list(WIP_STATES)}) AND {IN_STORES}"""
# Since when each waiting job waits: its latest audited transition into the wait.
WAITS_BY_REASON = f"""
    SELECT wo.status AS wait, wo.wait_reason AS reason, count(*) AS work_orders,
           round(avg(extract(epoch FROM now() - since.at) / 3600)::numeric, 1) AS avg_hours
    FROM work_orders wo
    LEFT JOIN LATERAL (
        SELECT max(t.at) AS at FROM state_transitions t
        WHERE t.entity_type = 'work_order' AND t.entity_id = wo.id AND t.to_state = wo.status
    ) since ON true
    WHERE wo.status IN ({sql_list(tuple(WAITS))}) AND wo.{IN_STORES}
    GROUP BY 1, 2 ORDER BY work_orders DESC, reason"""
# A comeback: the car checked in again within the store's comeback window after a delivered
# job, and the new job found the same confirmed cause.
COMEBACKS = f"""
    SELECT back.checked_in_at AS time, st.code AS store, v.vin, back.number AS work_order,
           earlier.number AS earlier_work_order, earlier.delivered_at AS earlier_delivered,
           back.outcome_code AS cause
    FROM work_orders back
    JOIN work_orders earlier
      ON earlier.vehicle_id = back.vehicle_id AND earlier.id <> back.id
     AND earlier.outcome = 'confirmed_cause' AND earlier.outcome_code = back.outcome_code
     AND earlier.delivered_at < back.checked_in_at
    JOIN stores st ON st.id = back.store_id
    JOIN vehicles v ON v.id = back.vehicle_id
    LEFT JOIN proactive_policies pp ON pp.store_id = back.store_id
    WHERE $__timeFilter(back.checked_in_at) AND back.{IN_STORES}
      AND back.checked_in_at <= earlier.delivered_at
          + make_interval(days => coalesce(pp.comeback_days, {COMEBACK_DAYS}))
    ORDER BY back.checked_in_at DESC"""
COMEBACK_RATE = f"""
    SELECT (SELECT count(DISTINCT work_order) FROM ({COMEBACKS}) c)::float
           / nullif(count(*), 0) AS comeback_rate
    FROM work_orders
    WHERE $__timeFilter(delivered_at) AND {IN_STORES}"""


def service() -> dashboard.Dashboard:
    """The service department's dashboard."""
    return (
        department(
            UID,
            "Pitstop · service / 售后服务",
            "Workshop flow per store: jobs delivered, in progress and waiting, comebacks, and "
            "each technician's labour utilisation and efficiency (KPIs).",
            "service",
            "30d",
        )
        .with_variable(store_variable())
        .with_panel(
            number(
                "In the workshop now / 在修台次",
                WIP_COUNT,
                "blue",
                "Work orders checked in and not yet delivered (waits included).",
            )
        )
        .with_panel(
            number(
                "Comeback rate / 返修率",
                COMEBACK_RATE,
                "orange",
                "Comebacks checked in during the range ÷ jobs delivered in the range.",
                "percentunit",
            )
        )
        .with_panel(
            daily_bars(
                "Throughput: delivered per day / 日交车台次",
                THROUGHPUT,
                "Work orders delivered to the customer (交车) per store-local day.",
            )
        )
        .with_panel(
            bars(
                "WIP by state / 在修",
                WIP,
                "Open work orders by state of the 4S flow, from check-in (接车) to settlement "
                "(结算), waits included.",
            )
        )
        .with_panel(
            grid(
                "Waits by reason / 等待原因",
                WAITS_BY_REASON,
                "Jobs waiting for parts (待料), customer approval (待确认) or a sublet (外协), "
                "by reason, and how long they have waited on average.",
            )
        )
        .with_panel(breakdown_panel("labour_utilisation", "technician_id"))
        .with_panel(breakdown_panel("labour_efficiency", "technician_id"))
        .with_panel(
            grid(
                "Comebacks / 返修",
                COMEBACKS,
                f"Cars back within the store's comeback window (default {COMEBACK_DAYS} days) "
                "after a delivered repair, with the same confirmed cause.",
                width=24,
            )
        )
    )
