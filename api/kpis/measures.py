"""The additive daily measures that every KPI is a ratio of, as data.

A measure is a sum over the rows of a ledger, per store and local day, and per member of each
dimension it can be cut by. The rollup (api/kpis/rollup.py) writes these sums to kpi_facts;
KPIs (api/kpis/definitions.py) only ever read kpi_facts.

`rows` is a SELECT giving store_id, at (a timestamp; a local date for a measure built per day),
value and one column per dimension, for the rows with at in [:start, :end). `changed` selects
the (store_id, at) of rows changed since :since, so that only their days are refreshed; a
snapshot's change refreshes every later day as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.work_orders.constants import LABOUR_COST_RATE


@dataclass(frozen=True)
class Measure:
    """One additive quantity per store and day."""

    code: str
    unit: str
    summary: str
    record: str  # what each row is: its record_id column names one of these
    rows: str
    dimensions: tuple[str, ...] = ()
    changed: str | None = None
    per_day: bool = False  # rows are built per local day (`at` is a date)
    snapshot: bool = False  # a level on each day (stock), not a flow


INVOICED = """
    FROM service_invoices i
    JOIN work_orders w ON w.id = i.work_order_id
    WHERE i.issued_at >= :start AND i.issued_at < :end
"""
INVOICE_CHANGES = (
    "SELECT i.store_id, i.issued_at AS at FROM service_invoices i WHERE i.updated_at > :since"
)
DELIVERED_CARS = """
    FROM sales_orders o
    JOIN sales_stock v ON v.id = o.stock_vehicle_id
    JOIN sales_leads l ON l.id = o.lead_id
    WHERE o.delivered_at >= :start AND o.delivered_at < :end
"""
DELIVERY_CHANGES = (
    "SELECT o.store_id, o.delivered_at AS at FROM sales_orders o"
    " WHERE o.updated_at > :since AND o.delivered_at IS NOT NULL"
)
CHECKED_IN = "FROM work_orders w WHERE w.checked_in_at >= :start AND w.checked_in_at < :end"
CHECK_IN_CHANGES = (
    "SELECT w.store_id, w.checked_in_at AS at FROM work_orders w"
    " WHERE w.updated_at > :since AND w.checked_in_at IS NOT NULL"
)
VISITS_DUE = """
    FROM service_appointments a
    WHERE a.starts_at >= :start AND a.starts_at < :end AND a.status IN ('arrived', 'no_show')
"""
VISIT_CHANGES = (
    "SELECT a.store_id, a.starts_at AS at FROM service_appointments a WHERE a.updated_at > :since"
)
ALERT_BOOKINGS = """
    FROM proactive_proposals p
    JOIN service_appointments a ON a.id = p.appointment_id
    JOIN alerts al ON al.id = p.alert_id
    WHERE p.kind = 'alert' AND a.created_at >= :start AND a.created_at < :end
"""
ALERT_BOOKING_CHANGES = (
    "SELECT p.store_id, a.created_at AS at FROM proactive_proposals p"
    " JOIN service_appointments a ON a.id = p.appointment_id WHERE p.updated_at > :since"
)
CUSTOMER_BOOKINGS = """
    FROM service_appointments a
    JOIN LATERAL (
        SELECT min(t.at) AS at FROM state_transitions t
        WHERE t.entity_type = 'appointment' AND t.entity_id = a.id AND t.to_state = 'confirmed'
    ) c ON c.at IS NOT NULL
    WHERE a.source = 'customer' AND a.created_at >= :start AND a.created_at < :end
"""
CUSTOMER_BOOKING_CHANGES = (
    "SELECT a.store_id, a.created_at AS at FROM service_appointments a"
    " WHERE a.source = 'customer' AND a.updated_at > :since"
)
ANSWERED = (
    "FROM service_surveys s WHERE s.answered_at >= :start AND s.answered_at < :end"
    " AND s.status = 'answered'"
)
ANSWER_CHANGES = (
    "SELECT s.store_id, s.answered_at AS at FROM service_surveys s"
    " WHERE s.updated_at > :since AND s.answered_at IS NOT NULL"
)
PREDICTED_REPAIRS = """
    FROM proactive_proposals p
    WHERE p.kind = 'alert' AND p.status = 'completed'
      AND p.delivered_at >= :start AND p.delivered_at < :end
"""
PREDICTED_REPAIR_CHANGES = (
    "SELECT p.store_id, p.delivered_at AS at FROM proactive_proposals p"
    " WHERE p.updated_at > :since AND p.delivered_at IS NOT NULL"
)
ISSUED_PARTS_COST = """
    FROM stock_moves m
    JOIN work_order_parts pl ON m.reference_type = 'work_order_part' AND pl.id = m.reference_id
    JOIN service_invoices i ON i.work_order_id = pl.work_order_id
    WHERE m.kind IN ('issue', 'return') AND i.issued_at >= :start AND i.issued_at < :end
"""
MOVES_ADDED = (
    "SELECT wh.store_id, m.occurred_at AS at FROM stock_moves m"
    " JOIN warehouses wh ON wh.id = m.warehouse_id"
    " WHERE m.recorded_at > :since AND wh.store_id IS NOT NULL"
)
# Each day and each warehouse of a store: the ledger up to the day's end, in value.
STOCK_DAYS = """
    WITH days AS (
        SELECT generate_series(CAST(:start AS date), CAST(:end AS date) - 1, interval '1 day')::date
            AS day
    ), places AS (
        SELECT wh.id, wh.store_id, st.timezone
        FROM warehouses wh JOIN stores st ON st.id = wh.store_id
    ), opening AS (
        SELECT m.warehouse_id, m.part_id, sum(m.quantity * m.unit_cost) AS value
        FROM stock_moves m JOIN places p ON p.id = m.warehouse_id
        WHERE m.occurred_at < (CAST(:start AS date)::timestamp AT TIME ZONE p.timezone)
        GROUP BY 1, 2
    ), moved AS (
        SELECT m.warehouse_id, m.part_id, (m.occurred_at AT TIME ZONE p.timezone)::date AS day,
               sum(m.quantity * m.unit_cost) AS value
        FROM stock_moves m JOIN places p ON p.id = m.warehouse_id
        WHERE m.occurred_at >= (CAST(:start AS date)::timestamp AT TIME ZONE p.timezone)
          AND m.occurred_at < (CAST(:end AS date)::timestamp AT TIME ZONE p.timezone)
        GROUP BY 1, 2, 3
    ), pairs AS (
        SELECT warehouse_id, part_id FROM opening UNION SELECT warehouse_id, part_id FROM moved
    )
    SELECT p.store_id, d.day AS at, pr.part_id AS record_id, pr.warehouse_id, pr.part_id,
           coalesce(o.value, 0) + sum(coalesce(mv.value, 0))
               OVER (PARTITION BY pr.warehouse_id, pr.part_id ORDER BY d.day) AS value
    FROM pairs pr
    JOIN places p ON p.id = pr.warehouse_id
    CROSS JOIN days d
    LEFT JOIN opening o ON o.warehouse_id = pr.warehouse_id AND o.part_id = pr.part_id
    LEFT JOIN moved mv ON mv.warehouse_id = pr.warehouse_id AND mv.part_id = pr.part_id
                      AND mv.day = d.day
"""
# Each working day: the hours each active technician could work, from the opening hours.
TECHNICIAN_DAYS = """
    SELECT t.store_id, d.day AS at, t.id AS record_id, t.id AS technician_id,
           extract(epoch FROM h.closes - h.opens) / 3600.0 AS value
    FROM generate_series(CAST(:start AS date), CAST(:end AS date) - 1, interval '1 day') AS d(day)
    JOIN service_technicians t ON t.active
    JOIN service_opening_hours h ON h.store_id = t.store_id
                                 AND h.weekday = extract(isodow FROM d.day) - 1
    WHERE NOT EXISTS (
        SELECT 1 FROM service_closed_days c WHERE c.store_id = t.store_id AND c.day = d.day::date
    )
"""


def _sum(at: str, value: str, source: str, dims: str = "") -> str:
    """The rows of a ledger: `at` names store_id, at and record_id; dims start with a comma."""
    return f"SELECT {at}, {value} AS value{dims} {source}"


CAR = "o.store_id, o.delivered_at AS at, o.id AS record_id"
CAR_DIMS = ", o.model_id, l.consultant_id"
INVOICE = "i.store_id, i.issued_at AS at, i.id AS record_id"
VISIT = "a.store_id, a.starts_at AS at, a.id AS record_id"
BOOKING = "a.store_id, a.created_at AS at, a.id AS record_id"
ANSWER = "s.store_id, s.answered_at AS at, s.id AS record_id"
REPAIR = "p.store_id, p.delivered_at AS at, p.id AS record_id"
CHECK_IN = "w.store_id, w.checked_in_at AS at, w.id AS record_id"
PART_LINE = "w.store_id, pl.created_at AS at, pl.id AS record_id"
PART_LINES = """
    FROM work_order_parts pl JOIN work_orders w ON w.id = pl.work_order_id
    WHERE pl.created_at >= :start AND pl.created_at < :end
"""
PART_LINE_CHANGES = (
    "SELECT w.store_id, pl.created_at AS at FROM work_order_parts pl"
    " JOIN work_orders w ON w.id = pl.work_order_id WHERE pl.updated_at > :since"
)
INVOICE_LINES = (
    "(SELECT coalesce(sum(x.net), 0) FROM service_invoice_lines x"
    " WHERE x.invoice_id = i.id AND x.kind = '{kind}')"
)
CLOCKED = "extract(epoch FROM c.ended_at - c.started_at) / 3600.0"
CLOCKS_INVOICED = """
    FROM work_order_clocks c
    JOIN work_order_labour ll ON ll.id = c.labour_line_id
    JOIN service_invoices i ON i.work_order_id = ll.work_order_id
    LEFT JOIN store_pricing sp ON sp.store_id = i.store_id
    WHERE c.ended_at IS NOT NULL AND i.issued_at >= :start AND i.issued_at < :end
"""
CLOCKS = """
    FROM work_order_clocks c
    JOIN work_order_labour ll ON ll.id = c.labour_line_id
    JOIN work_orders w ON w.id = ll.work_order_id
    WHERE c.ended_at IS NOT NULL AND c.started_at >= :start AND c.started_at < :end
"""
CLOCK_CHANGES = (
    "SELECT w.store_id, c.started_at AS at FROM work_order_clocks c"
    " JOIN work_order_labour ll ON ll.id = c.labour_line_id"
    " JOIN work_orders w ON w.id = ll.work_order_id WHERE c.updated_at > :since"
)
SOLD_HOURS = """
    FROM work_order_labour ll
    JOIN service_invoices i ON i.work_order_id = ll.work_order_id
    JOIN work_orders w ON w.id = i.work_order_id
    WHERE i.issued_at >= :start AND i.issued_at < :end
"""
LEADS = "FROM sales_leads l WHERE l.created_at >= :start AND l.created_at < :end"
COMPLAINTS = "FROM service_complaints c WHERE c.created_at >= :start AND c.created_at < :end"
PARTS_USED = """
    FROM stock_moves m JOIN warehouses wh ON wh.id = m.warehouse_id
    WHERE m.kind IN ('issue', 'return') AND wh.store_id IS NOT NULL
      AND m.occurred_at >= :start AND m.occurred_at < :end
"""
KEPT = "CASE WHEN a.status = 'arrived' THEN 1 ELSE 0 END"
NET_PROMOTER = "CASE WHEN s.nps >= 9 THEN 1 WHEN s.nps <= 6 THEN -1 ELSE 0 END"
CAR_BY = ("model_id", "consultant_id")
ADVISOR = ("advisor_id",)
STOCK_BY = ("warehouse_id", "part_id")

MEASURES: tuple[Measure, ...] = (
    # Vehicle sales (整车销售)
    Measure("sales_revenue", "CNY", "Delivered cars: price less discount, before tax",
            "sales_order", _sum(CAR, "o.price - o.discount", DELIVERED_CARS, CAR_DIMS),
            CAR_BY, DELIVERY_CHANGES),
    Measure("sales_cost", "CNY", "Delivered cars: what the store paid the maker",
            "sales_order", _sum(CAR, "v.cost", DELIVERED_CARS, CAR_DIMS),
            CAR_BY, DELIVERY_CHANGES),
    Measure("cars_delivered", "cars", "Cars delivered to their buyers (交车)",
            "sales_order", _sum(CAR, "1", DELIVERED_CARS, CAR_DIMS),
            CAR_BY, DELIVERY_CHANGES),
    Measure("lead_days", "days", "Delivered cars: days from the lead to the delivery",
            "sales_order",
            _sum(CAR, "extract(epoch FROM o.delivered_at - l.created_at) / 86400.0",
                 DELIVERED_CARS, CAR_DIMS),
            CAR_BY, DELIVERY_CHANGES),
    Measure("leads_created", "leads", "New sales leads (线索)", "sales_lead",
            _sum("l.store_id, l.created_at AS at, l.id AS record_id", "1", LEADS,
                 ", l.interested_model_id AS model_id, l.consultant_id"),
            CAR_BY,
            "SELECT l.store_id, l.created_at AS at FROM sales_leads l"
            " WHERE l.updated_at > :since"),
    # Service (售后服务): what was invoiced, and the hours behind it
    Measure("labour_revenue", "CNY", "Invoiced labour, net of discount, before tax", "invoice",
            _sum(INVOICE, INVOICE_LINES.format(kind="labour"), INVOICED, ", w.advisor_id"),
            ADVISOR, INVOICE_CHANGES),
    Measure("parts_revenue", "CNY", "Invoiced parts, net of discount, before tax", "invoice",
            _sum(INVOICE, INVOICE_LINES.format(kind="part"), INVOICED, ", w.advisor_id"),
            ADVISOR, INVOICE_CHANGES),
    Measure("parts_cost", "CNY",
            "Invoiced parts: their cost from the stock ledger (issues less returns)",
            "stock_move",
            _sum("i.store_id, i.issued_at AS at, m.id AS record_id",
                 "-m.quantity * m.unit_cost", ISSUED_PARTS_COST, ", m.warehouse_id, m.part_id"),
            STOCK_BY, INVOICE_CHANGES),
    Measure("labour_cost", "CNY", "Clocked hours of invoiced jobs at the store's labour cost rate",
            "clock",
            _sum("i.store_id, i.issued_at AS at, c.id AS record_id",
                 f"{CLOCKED} * coalesce(sp.labour_cost_rate, {LABOUR_COST_RATE})",
                 CLOCKS_INVOICED, ", c.technician_id"),
            ("technician_id",), INVOICE_CHANGES),
    Measure("sold_hours", "h", "Flat-rate hours invoiced (sold hours)", "labour_line",
            _sum("i.store_id, i.issued_at AS at, ll.id AS record_id", "ll.hours", SOLD_HOURS,
                 ", w.advisor_id, ll.technician_id"),
            ("advisor_id", "technician_id"), INVOICE_CHANGES),
    Measure("repair_orders", "orders", "Repair orders invoiced (结算)", "invoice",
            _sum(INVOICE, "1", INVOICED, ", w.advisor_id"), ADVISOR, INVOICE_CHANGES),
    Measure("clocked_hours", "h", "Hours technicians clocked on jobs", "clock",
            _sum("w.store_id, c.started_at AS at, c.id AS record_id", CLOCKED, CLOCKS,
                 ", c.technician_id"),
            ("technician_id",), CLOCK_CHANGES),
    Measure("available_hours", "h", "Hours active technicians could work, from the opening hours",
            "technician", TECHNICIAN_DAYS, ("technician_id",), per_day=True),
    Measure("service_visits", "visits", "Cars checked in to the workshop (接车)", "work_order",
            _sum(CHECK_IN, "1", CHECKED_IN, ", w.source, w.advisor_id"),
            ("source", "advisor_id"), CHECK_IN_CHANGES),
    Measure("predicted_visits", "visits", "Cars checked in for a fault the fleet's data predicted",
            "work_order",
            _sum(CHECK_IN, "CASE WHEN w.source = 'alert' THEN 1 ELSE 0 END", CHECKED_IN,
                 ", w.advisor_id"),
            ADVISOR, CHECK_IN_CHANGES),
    Measure("part_lines", "lines", "Parts asked for on jobs", "part_line",
            _sum(PART_LINE, "1", PART_LINES), (), PART_LINE_CHANGES),
    Measure("part_lines_filled", "lines", "Parts asked for on jobs that stock had at once",
            "part_line",
            _sum(PART_LINE, "CASE WHEN pl.short_at_request THEN 0 ELSE 1 END", PART_LINES),
            (), PART_LINE_CHANGES),
    # Appointments (预约)
    Measure("appointments_due", "visits", "Appointments whose time came (arrived or no-show)",
            "appointment", _sum(VISIT, "1", VISITS_DUE, ", a.advisor_id"),
            ADVISOR, VISIT_CHANGES),
    Measure("appointments_kept", "visits", "Appointments the customer came to", "appointment",
            _sum(VISIT, KEPT, VISITS_DUE, ", a.advisor_id"), ADVISOR, VISIT_CHANGES),
    Measure("alert_bookings", "bookings", "Visits booked for a predicted fault", "appointment",
            _sum(BOOKING, "1", ALERT_BOOKINGS), (), ALERT_BOOKING_CHANGES),
    Measure("alert_booking_minutes", "min", "Minutes from the alert to the booked visit",
            "appointment",
            _sum(BOOKING, "extract(epoch FROM a.created_at - al.created_at) / 60.0",
                 ALERT_BOOKINGS),
            (), ALERT_BOOKING_CHANGES),
    Measure("customer_bookings", "bookings",
            "Visits customers asked for online, confirmed by the store", "appointment",
            _sum(BOOKING, "1", CUSTOMER_BOOKINGS, ", a.advisor_id"),
            ADVISOR, CUSTOMER_BOOKING_CHANGES),
    Measure("customer_booking_minutes", "min",
            "Minutes from a customer's request to its confirmation", "appointment",
            _sum(BOOKING, "extract(epoch FROM c.at - a.created_at) / 60.0", CUSTOMER_BOOKINGS,
                 ", a.advisor_id"),
            ADVISOR, CUSTOMER_BOOKING_CHANGES),
    # Satisfaction (客户反馈)
    Measure("surveys_answered", "surveys", "Service surveys answered", "survey",
            _sum(ANSWER, "1", ANSWERED, ", s.advisor_id"), ADVISOR, ANSWER_CHANGES),
    Measure("csi_points", "points", "Satisfaction answers on a 0-100 scale (CSI 1-10 × 10)",
            "survey", _sum(ANSWER, "coalesce(s.csi, 0) * 10", ANSWERED, ", s.advisor_id"),
            ADVISOR, ANSWER_CHANGES),
    Measure("nps_net", "answers", "Promoters (9-10) less detractors (0-6) among the answers",
            "survey", _sum(ANSWER, NET_PROMOTER, ANSWERED, ", s.advisor_id"),
            ADVISOR, ANSWER_CHANGES),
    Measure("complaints", "complaints", "Complaints recorded (投诉)", "complaint",
            _sum("c.store_id, c.created_at AS at, c.id AS record_id", "1", COMPLAINTS,
                 ", c.advisor_id"),
            ADVISOR,
            "SELECT c.store_id, c.created_at AS at FROM service_complaints c"
            " WHERE c.updated_at > :since"),
    Measure("predicted_repairs", "jobs", "Jobs for a predicted fault, delivered", "proposal",
            _sum(REPAIR, "1", PREDICTED_REPAIRS), (), PREDICTED_REPAIR_CHANGES),
    Measure("predicted_repairs_held", "jobs", "Of those, the ones whose fault did not come back",
            "proposal", _sum(REPAIR, "CASE WHEN p.comeback THEN 0 ELSE 1 END", PREDICTED_REPAIRS),
            (), PREDICTED_REPAIR_CHANGES),
    # Parts (配件): stock levels each day and what was consumed
    Measure("stock_value", "CNY·days",
            "Stock on hand at each day's end, at cost (summed over days)", "part",
            STOCK_DAYS, STOCK_BY, MOVES_ADDED, per_day=True, snapshot=True),
    Measure("parts_used", "CNY", "Parts consumed at cost: issues to jobs and counters less returns",
            "stock_move",
            _sum("wh.store_id, m.occurred_at AS at, m.id AS record_id",
                 "-m.quantity * m.unit_cost", PARTS_USED, ", m.warehouse_id, m.part_id"),
            STOCK_BY, MOVES_ADDED),
)  # fmt: skip

BY_CODE: dict[str, Measure] = {m.code: m for m in MEASURES}
