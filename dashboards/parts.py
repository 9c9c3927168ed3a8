"""Parts (零配件): the parts KPIs (turnover days, days of supply, fill rate) from the KPI
definitions, and per warehouse the low stock, expiring lots, open orders and consumption.

Forecast against actual waits for a forecast table: until one exists, the consumption panel
shows the actual weekly consumption only (no forecast query is faked here).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from api.parts.constants import EXPIRY_WARNING_DAYS
from api.purchasing.constants import OPEN_ORDER_STATES
from core.clock import DEFAULT_ZONE
from dashboards.kpi import breakdown_panel, trend_panel
from dashboards.panels import (
    RANGE_DAYS,
    daily_bars,
    department,
    grid,
    query_variable,
    sql_list,
    store_variable,
)

UID = "pitstop-parts"
IN_WAREHOUSES = "warehouse_id IN ($warehouse)"
# A warehouse's local day: its store's zone; group warehouses have no store.
ZONE = f"coalesce(st.timezone, '{DEFAULT_ZONE}')"
WAREHOUSES = """
    SELECT w.code || ' ' || w.name_zh AS __text, w.id AS __value
    FROM warehouses w ORDER BY w.level, w.code"""

# Operational, per part: on hand now over the range's issues per day (not the KPI, which is
# stock value over consumption value per warehouse or ABC class).
LOW_STOCK = f"""
    WITH on_hand AS (
        SELECT warehouse_id, part_id, sum(quantity) AS quantity
        FROM stock_moves WHERE {IN_WAREHOUSES} GROUP BY 1, 2
    ), used AS (
        SELECT warehouse_id, part_id, -sum(quantity) / {RANGE_DAYS} AS per_day
        FROM stock_moves
        WHERE kind = 'issue' AND $__timeFilter(occurred_at) AND {IN_WAREHOUSES}
        GROUP BY 1, 2
    )
    SELECT w.code AS warehouse, p.part_number, p.name_zh AS part, o.quantity AS on_hand,
           round(u.per_day, 2) AS issued_per_day,
           round(greatest(o.quantity, 0) / u.per_day, 1) AS days_left
    FROM used u
    JOIN on_hand o USING (warehouse_id, part_id)
    JOIN parts p ON p.id = u.part_id
    JOIN warehouses w ON w.id = u.warehouse_id
    WHERE u.per_day > 0
    ORDER BY days_left, p.part_number LIMIT 50"""
EXPIRING = f"""
    SELECT w.code AS warehouse, p.part_number, p.name_zh AS part, lot.lot_number,
           lot.expires_on, lot.expires_on - (now() AT TIME ZONE {ZONE})::date AS days_left,
           sum(m.quantity) AS on_hand
    FROM stock_moves m
    JOIN stock_lots lot ON lot.id = m.lot_id
    JOIN parts p ON p.id = m.part_id
    JOIN warehouses w ON w.id = m.warehouse_id
    LEFT JOIN stores st ON st.id = w.store_id
    WHERE m.{IN_WAREHOUSES} AND lot.expires_on IS NOT NULL
    GROUP BY w.code, p.part_number, p.name_zh, lot.lot_number, lot.expires_on, st.timezone
    HAVING sum(m.quantity) > 0
       AND lot.expires_on <= (now() AT TIME ZONE {ZONE})::date + {EXPIRY_WARNING_DAYS}
    ORDER BY lot.expires_on, w.code, p.part_number"""
OPEN_ORDERS = f"""
    SELECT po.number, s.name AS supplier, w.code AS warehouse, po.status,
           po.created_at AS ordered_at, po.expected_on,
           greatest((now() AT TIME ZONE {ZONE})::date - po.expected_on, 0) AS days_late,
           count(pl.id) AS lines, round(coalesce(sum(pl.quantity * pl.unit_price), 0), 2) AS value
    FROM purchase_orders po
    JOIN suppliers s ON s.id = po.supplier_id
    JOIN warehouses w ON w.id = po.warehouse_id
    LEFT JOIN stores st ON st.id = w.store_id
    LEFT JOIN purchase_order_lines pl ON pl.purchase_order_id = po.id
    WHERE po.status IN ({sql_list(OPEN_ORDER_STATES)}) AND po.{IN_WAREHOUSES}
    GROUP BY po.id, s.name, w.code, st.timezone
    ORDER BY po.expected_on NULLS LAST, po.number"""
CONSUMPTION = f"""
    SELECT date_trunc('week', m.occurred_at, {ZONE}) AS time, w.code AS metric,
           -sum(m.quantity * m.unit_cost) AS issued_at_cost
    FROM stock_moves m
    JOIN warehouses w ON w.id = m.warehouse_id
    LEFT JOIN stores st ON st.id = w.store_id
    WHERE m.kind = 'issue' AND $__timeFilter(m.occurred_at) AND m.{IN_WAREHOUSES}
    GROUP BY 1, 2 ORDER BY 1"""


def parts() -> dashboard.Dashboard:
    """The parts department's dashboard."""
    return (
        department(
            UID,
            "Pitstop · parts / 零配件",
            "Parts KPIs per store (Store): turnover days and days of supply by warehouse and "
            "ABC class, fill rate per week. Stock per warehouse (Warehouse): low stock, "
            "expiring lots, open purchase orders and weekly consumption.",
            "parts",
            "90d",
        )
        .with_variable(store_variable())
        .with_variable(query_variable("warehouse", "Warehouse / 仓库", WAREHOUSES))
        .with_panel(breakdown_panel("parts_turnover_days", "warehouse_id"))
        .with_panel(breakdown_panel("parts_turnover_days", "abc_class"))
        .with_panel(breakdown_panel("days_of_supply", "warehouse_id"))
        .with_panel(breakdown_panel("days_of_supply", "abc_class"))
        .with_panel(trend_panel("fill_rate").min(0).max(100))
        .with_panel(
            grid(
                "Low stock: days left per part / 低库存配件可用天数",
                LOW_STOCK,
                "Per part and warehouse: on hand now ÷ average issues per day over the range, "
                "lowest first (parts issued in the range only). Operational; the days of "
                "supply KPI is above.",
            )
        )
        .with_panel(
            grid(
                "Expiring lots / 效期预警",
                EXPIRING,
                f"Lots in stock that expire within {EXPIRY_WARNING_DAYS} days (or already "
                "have), first to expire first.",
            )
        )
        .with_panel(
            grid(
                "Open purchase orders / 在途采购订单",
                OPEN_ORDERS,
                "Purchase orders not yet fully received, with how many days they are late.",
                width=24,
            )
        )
        .with_panel(
            daily_bars(
                "Consumption per week, actual / 每周实际消耗",
                CONSUMPTION,
                "Parts issued per week at cost (CNY). Forecast against actual waits for the "
                "forecast table; only the actual is shown.",
                width=24,
            ).unit("currencyCNY")
        )
    )
