"""Sales (整车销售): the funnel from lead to delivery, conversion by source, stock age."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from api.sales.constants import STOCK_STATES
from dashboards.panels import (
    IN_STORES,
    bars,
    department,
    grid,
    number,
    percent_column,
    sql_list,
    store_variable,
)

UID = "pitstop-sales"
# At the store and not sold; a car in transit has not arrived yet.
IN_STOCK = sql_list(tuple(s for s in STOCK_STATES if s not in ("in_transit", "sold")))
# (step, label, column of COHORT): each step's leads are a subset of the step before, since an
# order needs a quote and a delivery needs an order.
STAGES = (
    (1, "Leads / 线索", "leads"),
    (2, "Quotes / 报价", "quoted"),
    (3, "Orders / 订单", "ordered"),
    (4, "Delivered / 交车", "delivered"),
)
# The leads created in the range, and how far each one got.
COHORT = f"""
    SELECT l.id, l.store_id, l.source,
           EXISTS (SELECT 1 FROM sales_quotes q WHERE q.lead_id = l.id) AS quoted,
           EXISTS (SELECT 1 FROM sales_orders o WHERE o.lead_id = l.id) AS ordered,
           EXISTS (SELECT 1 FROM sales_orders o
                   WHERE o.lead_id = l.id AND o.delivered_at IS NOT NULL) AS delivered
    FROM sales_leads l
    WHERE $__timeFilter(l.created_at) AND l.{IN_STORES}"""
STEPS = ", ".join(f"({step}, '{label}', c.{column})" for step, label, column in STAGES)
FUNNEL = f"""
    SELECT s.stage, s.leads
    FROM (SELECT count(*) AS leads, count(*) FILTER (WHERE quoted) AS quoted,
                 count(*) FILTER (WHERE ordered) AS ordered,
                 count(*) FILTER (WHERE delivered) AS delivered
          FROM ({COHORT}) cohort) c
    CROSS JOIN LATERAL (VALUES {STEPS}) AS s(step, stage, leads)
    ORDER BY s.step"""
CONVERSION_BY_SOURCE = f"""
    SELECT source, count(*) AS leads,
           avg(quoted::int) AS quoted, avg(ordered::int) AS ordered,
           avg(delivered::int) AS delivered
    FROM ({COHORT}) cohort
    GROUP BY source ORDER BY leads DESC, source"""
CONVERSION = f"""
    SELECT avg(ordered::int) AS lead_to_order FROM ({COHORT}) cohort"""
# A car's age counts from its arrival at the store; cars still in transit have none yet.
AGE = "(now() - s.arrived_at)"
STOCK_AGE = f"""
    SELECT band.label AS age, count(s.id) AS cars
    FROM (VALUES (1, '0-30 d', 0, 30), (2, '31-60 d', 31, 60), (3, '61-90 d', 61, 90),
                 (4, '> 90 d', 91, 100000)) AS band(step, label, low, high)
    LEFT JOIN sales_stock s
      ON s.status IN ({IN_STOCK}) AND s.arrived_at IS NOT NULL
     AND s.{IN_STORES} AND extract(day FROM {AGE}) BETWEEN band.low AND band.high
    GROUP BY band.step, band.label ORDER BY band.step"""
OLDEST_STOCK = f"""
    SELECT s.vin, st.code AS store, m.model || ' ' || m.trim AS model, s.colour, s.status,
           s.location, s.arrived_at, extract(day FROM {AGE})::int AS days_in_stock, s.cost
    FROM sales_stock s
    JOIN sales_models m ON m.id = s.model_id
    JOIN stores st ON st.id = s.store_id
    WHERE s.status IN ({IN_STOCK}) AND s.arrived_at IS NOT NULL
      AND s.{IN_STORES}
    ORDER BY s.arrived_at LIMIT 50"""


def sales() -> dashboard.Dashboard:
    """The sales department's dashboard."""
    conversion = grid(
        "Conversion by lead source / 渠道转化率",
        CONVERSION_BY_SOURCE,
        "Of the leads created in the range, per source (渠道): the share quoted, ordered "
        "and delivered so far.",
    )
    for column in ("quoted", "ordered", "delivered"):
        conversion = percent_column(conversion, column)
    return (
        department(
            UID,
            "Pitstop · sales / 整车销售",
            "New-car sales per store: the funnel from lead to delivery, conversion and the "
            "age of the cars in stock.",
            "sales",
            "90d",
        )
        .with_variable(store_variable())
        .with_panel(
            number(
                "Lead → order conversion / 成交率",
                CONVERSION,
                "green",
                "Share of the leads created in the range that became an order.",
                "percentunit",
            )
        )
        .with_panel(
            bars(
                "Sales funnel / 销售漏斗",
                FUNNEL,
                "Leads created in the range (线索), how many got a quote (报价), an order "
                "(订单) and were delivered (交车).",
                width=18,
            )
        )
        .with_panel(conversion)
        .with_panel(
            bars(
                "Stock age / 库龄",
                STOCK_AGE,
                "Cars in stock (not sold, arrived at the store) by days since arrival.",
            )
        )
        .with_panel(
            grid(
                "Oldest stock / 长库龄车辆",
                OLDEST_STOCK,
                "The cars longest in stock, oldest first.",
                width=24,
            )
        )
    )
