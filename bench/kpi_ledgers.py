"""Two years of ledgers for the KPI benchmark's group, and telemetry for some of its cars.

Job i goes to store i mod S, then to technician (i / S) mod T, whose jobs are spaced evenly
over the days: appointments never overlap a technician's or a bay's. Parts are drawn with a
skew (a few parts make most of the value), and each month's issues are received at the start
of that month, so stock turns over as a store's would.
"""

from __future__ import annotations

import psycopg

from bench.kpi_sales import fill_sales
from bench.sql import run_script

_NUMBERED = """
CREATE TEMP TABLE kb_store ON COMMIT DROP AS
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM stores WHERE code LIKE 'KB%';
CREATE TEMP TABLE kb_tech ON COMMIT DROP AS
    SELECT t.id, t.store_id, row_number() OVER (PARTITION BY t.store_id ORDER BY t.id) - 1 AS n
    FROM service_technicians t JOIN kb_store s ON s.id = t.store_id;
CREATE TEMP TABLE kb_bay ON COMMIT DROP AS
    SELECT b.id, b.store_id, row_number() OVER (PARTITION BY b.store_id ORDER BY b.id) - 1 AS n
    FROM service_bays b JOIN kb_store s ON s.id = b.store_id;
CREATE TEMP TABLE kb_advisor ON COMMIT DROP AS
    SELECT u.id, us.store_id,
           row_number() OVER (PARTITION BY us.store_id ORDER BY u.id) - 1 AS n
    FROM users u JOIN user_stores us ON us.user_id = u.id JOIN kb_store s ON s.id = us.store_id
    WHERE u.role = 'service_advisor';
CREATE TEMP TABLE kb_car ON COMMIT DROP AS
    SELECT v.id AS vehicle_id, v.owner_id AS customer_id, v.store_id,
           row_number() OVER (PARTITION BY v.store_id ORDER BY v.id) - 1 AS n,
           count(*) OVER (PARTITION BY v.store_id) AS cars
    FROM vehicles v JOIN kb_store s ON s.id = v.store_id;
CREATE TEMP TABLE kb_part ON COMMIT DROP AS
    SELECT p.id, p.list_price, p.standard_cost, l.id AS lot_id,
           row_number() OVER (ORDER BY p.id) - 1 AS n
    FROM parts p JOIN stock_lots l ON l.part_id = p.id WHERE p.part_number LIKE 'KB-%';
"""
_JOBS = """
SELECT setseed(0.44);
CREATE TEMP TABLE kb_job ON COMMIT DROP AS
WITH shape AS (
    SELECT (SELECT count(*) FROM kb_store) AS stores, (SELECT max(n) + 1 FROM kb_tech) AS techs,
           (SELECT max(n) + 1 FROM kb_bay) AS bays, (SELECT max(n) + 1 FROM kb_advisor) AS advisors,
           (SELECT count(*) FROM kb_part) AS parts
), jobs AS (
    SELECT i, i %% sh.stores AS store_n, (i / sh.stores) %% sh.techs AS tech_n,
           i / sh.stores / sh.techs AS slot, floor(sh.parts * random() ^ 2) AS part_n,
           ceil(%(jobs)s::numeric / sh.stores / sh.techs) AS slots, sh.*
    FROM generate_series(0, %(jobs)s - 1) i, shape sh
)
SELECT j.i, s.id AS store_id, t.id AS technician_id, b.id AS bay_id, a.id AS advisor_id,
       c.customer_id, c.vehicle_id,
       date_trunc('day', now() - %(days)s * interval '1 day')
           + (j.slot * %(days)s / j.slots) * interval '1 day'
           + (8.5 + j.tech_n) * interval '1 hour' AS checked_in_at,
       (0.5 + round((random() * 5)::numeric) / 2) AS hours,
       (0.8 + random() * 0.5) AS pace,
       p.id AS part_id, p.lot_id, p.list_price, p.standard_cost,
       (1 + floor(random() * 2))::numeric AS quantity,
       (ARRAY['walk_in', 'appointment', 'appointment', 'reminder', 'alert'])
           [1 + floor(random() * 5)] AS source,
       random() AS roll
FROM jobs j
JOIN kb_store s ON s.n = j.store_n
JOIN kb_tech t ON t.store_id = s.id AND t.n = j.tech_n
JOIN kb_bay b ON b.store_id = s.id AND b.n = j.tech_n %% j.bays
JOIN kb_advisor a ON a.store_id = s.id AND a.n = j.i %% j.advisors
JOIN kb_car c ON c.store_id = s.id AND c.n = (j.i / j.stores * 7919) %% c.cars
JOIN kb_part p ON p.n = j.part_n;
CREATE INDEX ON kb_job (i);
"""
_LEDGERS = """
INSERT INTO service_appointments (store_id, customer_id, vehicle_id, technician_id, bay_id,
    advisor_id, starts_at, ends_at, status, source, created_at)
SELECT store_id, customer_id, vehicle_id, technician_id, bay_id, advisor_id,
       checked_in_at + shift, checked_in_at + shift + interval '30 minutes',
       CASE WHEN shift > interval '0' THEN 'no_show' ELSE 'arrived' END,
       CASE WHEN source = 'alert' THEN 'alert' WHEN roll < 0.3 THEN 'customer' ELSE 'advisor' END,
       checked_in_at - interval '2 days'
FROM kb_job
CROSS JOIN LATERAL (VALUES (interval '0'), (interval '3 hours')) AS v(shift)
WHERE source <> 'walk_in' AND (shift = interval '0' OR roll < 0.08);
INSERT INTO work_orders (store_id, number, customer_id, vehicle_id, advisor_id, technician_id,
    status, source, outcome, checked_in_at, delivered_at, created_at, updated_at)
SELECT store_id, 'KB' || i, customer_id, vehicle_id, advisor_id, technician_id, 'delivered',
       source, 'maintenance', checked_in_at, checked_in_at + interval '6 hours',
       checked_in_at, checked_in_at
FROM kb_job;
CREATE TEMP TABLE kb_done ON COMMIT DROP AS
    SELECT j.*, w.id AS work_order_id FROM kb_job j
    JOIN work_orders w ON w.store_id = j.store_id AND w.number = 'KB' || j.i;
INSERT INTO work_order_labour (work_order_id, operation_id, description, hours, rate,
    technician_id)
SELECT d.work_order_id, o.id, '保养维修', d.hours, 320, d.technician_id
FROM kb_done d, service_operations o WHERE o.code = 'KB-SVC';
INSERT INTO work_order_clocks (labour_line_id, technician_id, started_at, ended_at)
SELECT l.id, d.technician_id, d.checked_in_at + interval '1 hour',
       d.checked_in_at + interval '1 hour' + d.hours * d.pace * interval '1 hour'
FROM kb_done d JOIN work_order_labour l ON l.work_order_id = d.work_order_id;
INSERT INTO work_order_parts (work_order_id, part_id, quantity, unit_price, status,
    short_at_request, created_at)
SELECT work_order_id, part_id, quantity, list_price, 'issued', roll > 0.94, checked_in_at
FROM kb_done;
INSERT INTO stock_moves (warehouse_id, part_id, lot_id, kind, quantity, unit_cost,
    reference_type, reference_id, occurred_at)
SELECT w.id, d.part_id, d.lot_id, 'issue', -d.quantity, d.standard_cost, 'work_order_part',
       pl.id, d.checked_in_at + interval '2 hours'
FROM kb_done d JOIN work_order_parts pl ON pl.work_order_id = d.work_order_id
JOIN warehouses w ON w.store_id = d.store_id;
INSERT INTO stock_moves (warehouse_id, part_id, lot_id, kind, quantity, unit_cost, occurred_at)
SELECT m.warehouse_id, m.part_id, m.lot_id, 'receipt', -sum(m.quantity) + 2, m.unit_cost,
       date_trunc('month', m.occurred_at) - interval '1 day'
FROM stock_moves m JOIN kb_part p ON p.id = m.part_id
GROUP BY m.warehouse_id, m.part_id, m.lot_id, m.unit_cost, date_trunc('month', m.occurred_at);
INSERT INTO service_invoices (store_id, work_order_id, customer_id, number, labour_total,
    parts_total, discount_total, net_total, tax_rate, tax_total, grand_total, issued_at)
SELECT store_id, work_order_id, customer_id, 'KBI' || i, hours * 320, quantity * list_price, 0,
       hours * 320 + quantity * list_price, 0.13,
       round((hours * 320 + quantity * list_price) * 0.13, 2),
       round((hours * 320 + quantity * list_price) * 1.13, 2),
       checked_in_at + interval '6 hours'
FROM kb_done;
INSERT INTO service_invoice_lines (invoice_id, kind, description, quantity, unit_price, gross,
    discount, net)
SELECT v.id, 'labour', '保养维修', d.hours, 320, d.hours * 320, 0, d.hours * 320
FROM kb_done d JOIN service_invoices v ON v.work_order_id = d.work_order_id
UNION ALL
SELECT v.id, 'part', '配件', d.quantity, d.list_price, d.quantity * d.list_price, 0,
       d.quantity * d.list_price
FROM kb_done d JOIN service_invoices v ON v.work_order_id = d.work_order_id;
INSERT INTO service_surveys (store_id, work_order_id, customer_id, advisor_id, token, status,
    csi, nps, expires_at, answered_at)
SELECT store_id, work_order_id, customer_id, advisor_id, 'kb-' || i,
       CASE WHEN roll < 0.65 THEN 'answered' ELSE 'expired' END,
       CASE WHEN roll < 0.65 THEN 6 + floor(random() * 5) END,
       CASE WHEN roll < 0.65 THEN floor(random() * 11) END,
       checked_in_at + interval '14 days',
       CASE WHEN roll < 0.65 THEN checked_in_at + interval '2 days' END
FROM kb_done;
INSERT INTO service_complaints (store_id, work_order_id, customer_id, advisor_id, status, summary,
    created_at)
SELECT store_id, work_order_id, customer_id, advisor_id, 'resolved', '等待时间长',
       checked_in_at + interval '3 days'
FROM kb_done WHERE roll > 0.985;
"""


def fill_ledgers(conn: psycopg.Connection, *, work_orders: int, days: int) -> None:
    """Jobs with appointments, labour, clocks, parts, invoices, surveys and stock moves."""
    run_script(conn, _NUMBERED)
    run_script(conn, _JOBS, {"jobs": work_orders, "days": days})
    run_script(conn, _LEDGERS)
    fill_sales(conn, days=days)


def fill_telemetry(conn: psycopg.Connection, *, cars: int, columns: tuple[str, ...]) -> list[str]:
    """90 days of one sample a minute for `cars` cars, their latest values, and its rollups."""
    vins = [
        r[0]
        for r in conn.execute(
            "SELECT vin FROM vehicles WHERE vin LIKE 'KB%%' ORDER BY id LIMIT %s", (cars,)
        )
    ]
    conn.execute(
        "SELECT pitstop_ensure_partitions((now() AT TIME ZONE 'UTC')::date - 91,"
        " (now() AT TIME ZONE 'UTC')::date + 1)"
    )
    values = ", ".join(f"50 + 40 * sin(m / 90.0 + {n})" for n, _ in enumerate(columns))
    conn.execute(
        f"INSERT INTO telemetry (vin, ts, seq, {', '.join(columns)})"
        f" SELECT v, date_trunc('minute', now()) - m * interval '1 minute', m, {values}"
        " FROM unnest(%s::text[]) v, generate_series(0, 90 * 1440 - 1) m",
        (vins,),
    )
    conn.execute(
        "INSERT INTO vehicle_latest (vin, last_seen, sample_ts, seq, online)"
        " SELECT vin, now(), now(), 0, false FROM vehicles WHERE vin LIKE 'KB%'"
        " ON CONFLICT (vin) DO NOTHING"
    )
    conn.execute(
        "UPDATE vehicle_latest SET online = true, values = jsonb_build_object('SPEED', 42)"
        " WHERE vin = ANY(%s)",
        (vins,),
    )
    return vins
