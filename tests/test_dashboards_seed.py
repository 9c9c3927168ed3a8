"""The data the dashboard tests share: the demo dealer group, telemetry, jobs in the workshop,
a booked alert, what the KPIs need that the demo lacks, and the KPI rollups refreshed.

Only data and the seed live here (no tests): test_dashboards.py and its sibling modules each
seed a database of their own with it.
"""

from __future__ import annotations

import json

import psycopg

from api.db import make_engine, make_session_factory
from api.kpis import rollup
from core.db import connect
from demo.world import seed_demo_database

VINS = ("LSVAX60E1N2000001", "LFV2A21K6R3000042")
# The car the vehicle-detail dashboard shows first ($vin in VIN order): alerts and jobs on it.
FIRST_CAR = min(VINS)


def seed(url: str) -> None:
    """A little of everything the dashboards read, at times inside the queried range: the
    demo dealer group (stores, customers, sales, parts, delivered jobs), then telemetry and
    what the demo does not make (jobs in the workshop, clocks, alerts, bookings, visits a year
    and more ago), then the KPI rollups refreshed as the worker would."""
    seed_demo_database(url, list(VINS))
    with connect(url) as conn:
        seed_telemetry(conn)
        for statement in WORKSHOP + PIPELINE + KPI_ROWS:
            conn.execute(statement)
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            rollup.refresh(session)
    finally:
        engine.dispose()


def seed_telemetry(conn: psycopg.Connection) -> None:
    """Samples, latest state, trouble codes, status events and a dead letter for VINS."""
    for vin in VINS:
        for minutes in (50, 30, 10):
            conn.execute(
                "INSERT INTO telemetry (vin, ts, seq, received_at, rpm, speed, engine_load, "
                "coolant_temp, control_module_voltage, long_fuel_trim_1) VALUES (%s, "
                "now() - make_interval(mins => %s), %s, now() - make_interval(mins => %s) "
                "+ interval '2 seconds', 850, 40, 30, 90, 14.1, 2.5)",
                (vin, minutes, 100 - minutes, minutes),
            )
        conn.execute(
            'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, seq, "values", online, '
            "buffer, agent, stored_dtcs) VALUES (%s, now(), now(), 90, %s, true, %s, %s, %s)",
            (
                vin,
                json.dumps({"RPM": 850, "COOLANT_TEMP": 90, "CONTROL_MODULE_VOLTAGE": 14.1}),
                json.dumps({"depth": 0, "dropped_telemetry": 350, "dropped_events": 0}),
                json.dumps({"version": "0.1.0", "vin_source": "ecu"}),
                ["P0301"],
            ),
        )
        conn.execute(
            "INSERT INTO dtc_events (vin, ts, code, kind, mil) "
            "VALUES (%s, now() - interval '20 minutes', 'P0301', 'stored', true)",
            (vin,),
        )
        for minutes, dropped in ((40, 100), (5, 350)):
            conn.execute(
                "INSERT INTO vehicle_status_events (vin, ts, state, buffer) "
                "VALUES (%s, now() - make_interval(mins => %s), 'online', %s)",
                (vin, minutes, json.dumps({"depth": 12, "dropped_telemetry": dropped})),
            )
    conn.execute(
        "INSERT INTO dead_letters (topic, payload, payload_size, reason) "
        "VALUES ('pitstop/v1/LSVAX60E1N2000001/telemetry', 'nope', 4, 'malformed')"
    )


# Jobs in the workshop in each state of WIP, two of them waiting (with the audited moment the
# wait began), clocked time today, one part line filled from stock and one short, and a
# comeback: a battery job delivered ten days ago whose car is back with the same cause.
WIP = (
    ("checked_in", None, None),
    ("in_repair", None, None),
    ("in_repair", None, None),
    ("waiting_parts", "part_backordered", "in_repair"),
    ("waiting_approval", "customer_unreachable", "estimate_sent"),
)
WORKSHOP = (
    "INSERT INTO work_orders (store_id, number, customer_id, vehicle_id, status, source, "
    "wait_reason, wait_return_to, checked_in_at) "
    "SELECT wo.store_id, 'T-WIP-' || s.n, wo.customer_id, wo.vehicle_id, s.status, 'walk_in', "
    "s.reason, s.back, now() - interval '5 hours' "
    "FROM (SELECT * FROM work_orders ORDER BY id LIMIT 1) wo, (VALUES "
    + ", ".join(
        "(" + ", ".join([str(n), *(f"'{v}'" if v else "NULL" for v in row)]) + ")"
        for n, row in enumerate(WIP)
    )
    + ") AS s(n, status, reason, back)",
    "INSERT INTO state_transitions (entity_type, entity_id, store_id, from_state, to_state, at) "
    "SELECT 'work_order', id, store_id, wait_return_to, status, now() - interval '2 hours' "
    "FROM work_orders WHERE status LIKE 'waiting%'",
    "INSERT INTO work_order_clocks (labour_line_id, technician_id, started_at, ended_at) "
    "SELECT l.id, t.id, now() - interval '4 hours', now() - interval '1 hour' "
    "FROM (SELECT id FROM work_order_labour ORDER BY id LIMIT 1) l, "
    "(SELECT id FROM service_technicians ORDER BY id LIMIT 1) t",
    "INSERT INTO part_reservations (warehouse_id, store_id, part_id, quantity, status, "
    "reference_type, reference_id) SELECT w.id, w.store_id, m.part_id, 1, 'active', "
    "'work_order_part', 0 FROM warehouses w "
    "JOIN LATERAL (SELECT part_id FROM stock_moves WHERE warehouse_id = w.id LIMIT 1) m ON true "
    "WHERE w.store_id IS NOT NULL",
    "INSERT INTO work_order_parts (work_order_id, part_id, quantity, unit_price, status, "
    "reservation_id, short_at_request) SELECT wo.id, r.part_id, 1, 100, s.status, "
    "CASE WHEN s.status = 'reserved' THEN r.id END, s.status = 'short' "
    "FROM work_orders wo JOIN part_reservations r ON r.store_id = wo.store_id "
    "CROSS JOIN (VALUES ('reserved'), ('short')) AS s(status) WHERE wo.number = 'T-WIP-1'",
    "INSERT INTO work_orders (store_id, number, customer_id, vehicle_id, status, source, "
    "checked_in_at, delivered_at, outcome, outcome_code) "
    "SELECT v.store_id, 'T-CB-' || s.n, v.owner_id, v.id, s.status, 'alert', s.checked_in, "
    "s.delivered, 'confirmed_cause', 'battery_aging' "
    "FROM vehicles v, (VALUES (1, 'delivered', now() - interval '11 days', "
    "now() - interval '10 days'), (2, 'in_repair', now() - interval '2 days', NULL)) "
    f"AS s(n, status, checked_in, delivered) WHERE v.vin = '{FIRST_CAR}'",
)
# An alert on the first car that the proactive loop booked 90 seconds later, and the
# diagnostics cursor 30 seconds behind.
PIPELINE = (
    "INSERT INTO alerts (vin, failure_mode, severity, source, probability, first_seen, "
    "last_seen, received_at, created_at) "
    f"VALUES ('{FIRST_CAR}', 'battery_aging', 'major', 'rules', 0.91, "
    "now() - interval '3 hours', now() - interval '30 minutes', now() - interval '3 hours', "
    "now() - interval '3 hours')",
    "INSERT INTO service_appointments (store_id, customer_id, vehicle_id, technician_id, "
    "bay_id, starts_at, ends_at, status, source, source_ref, created_at) "
    "SELECT v.store_id, v.owner_id, v.id, t.id, b.id, now() + interval '1 day', "
    "now() + interval '1 day 2 hours', 'booked', 'alert', 'alert:' || a.id, "
    "a.created_at + interval '90 seconds' "
    "FROM alerts a JOIN vehicles v ON v.vin = a.vin "
    "JOIN LATERAL (SELECT id FROM service_technicians WHERE store_id = v.store_id "
    "ORDER BY id LIMIT 1) t ON true "
    "JOIN LATERAL (SELECT id FROM service_bays WHERE store_id = v.store_id "
    "ORDER BY id LIMIT 1) b ON true",
    "INSERT INTO proactive_proposals (store_id, kind, source_ref, status, vin, failure_mode, "
    "alert_id, severity, action, customer_id, vehicle_id, due_by, appointment_id) "
    "SELECT ap.store_id, 'alert', ap.source_ref, 'booked', a.vin, a.failure_mode, a.id, "
    "a.severity, 'schedule', ap.customer_id, ap.vehicle_id, now() + interval '7 days', ap.id "
    "FROM service_appointments ap JOIN alerts a ON ap.source_ref = 'alert:' || a.id",
    "INSERT INTO diagnostics_cursors (shards, shard, telemetry_at, latest_at) "
    "VALUES (1, 0, now() - interval '30 seconds', now() - interval '30 seconds')",
)

# What the demo's few months lack for every KPI to have a value: visits 15 months ago of three
# customers who came back since and of three who did not, one of whom came 12 months ago, a
# month too early to count as back (retention), a customer's online
# booking confirmed 45 minutes later who came (booking response, show rate), a no-show, and
# a predicted-fault repair delivered that held (first-time fix).
KPI_ROWS = (
    "INSERT INTO work_orders (store_id, number, customer_id, vehicle_id, status, source, "
    "checked_in_at, delivered_at) "
    "SELECT store_id, 'T-RET-' || customer_id, customer_id, vehicle_id, 'delivered', 'walk_in', "
    "now() - interval '15 months', now() - interval '15 months' + interval '3 hours' "
    "FROM ((SELECT DISTINCT ON (customer_id) store_id, customer_id, vehicle_id "
    "       FROM work_orders ORDER BY customer_id LIMIT 3) "
    "      UNION ALL (SELECT v.store_id, v.owner_id, v.id FROM vehicles v "
    "       WHERE v.owner_id IS NOT NULL AND NOT EXISTS "
    "       (SELECT 1 FROM work_orders w WHERE w.customer_id = v.owner_id) "
    "       ORDER BY v.id LIMIT 3)) back",
    "INSERT INTO work_orders (store_id, number, customer_id, vehicle_id, status, source, "
    "checked_in_at, delivered_at) "
    "SELECT store_id, 'T-RET-12-' || customer_id, customer_id, vehicle_id, 'delivered', "
    "'walk_in', now() - interval '12 months', now() - interval '12 months' + interval '3 hours' "
    "FROM work_orders w WHERE number LIKE 'T-RET-%' AND NOT EXISTS (SELECT 1 FROM work_orders o "
    "WHERE o.customer_id = w.customer_id AND o.number NOT LIKE 'T-RET-%') "
    "ORDER BY customer_id LIMIT 1",
    "INSERT INTO service_appointments (store_id, customer_id, vehicle_id, technician_id, "
    "bay_id, starts_at, ends_at, status, source, created_at) "
    "SELECT v.store_id, v.owner_id, v.id, t.id, b.id, s.starts, s.starts + interval '1 hour', "
    "s.status, s.source, s.starts - interval '3 days' "
    "FROM vehicles v "
    "JOIN LATERAL (SELECT id FROM service_technicians WHERE store_id = v.store_id "
    "ORDER BY id LIMIT 1) t ON true "
    "JOIN LATERAL (SELECT id FROM service_bays WHERE store_id = v.store_id "
    "ORDER BY id LIMIT 1) b ON true, "
    "(VALUES ('arrived', 'customer', date_trunc('day', now()) - interval '2 days 3 hours'), "
    "('no_show', 'advisor', now() - interval '1 day')) AS s(status, source, starts) "
    f"WHERE v.vin = '{FIRST_CAR}'",
    "INSERT INTO state_transitions (entity_type, entity_id, store_id, from_state, to_state, at) "
    "SELECT 'appointment', id, store_id, 'booked', 'confirmed', created_at + interval '45 minutes' "
    "FROM service_appointments WHERE source = 'customer'",
    "INSERT INTO proactive_proposals (store_id, kind, source_ref, status, vin, failure_mode, "
    "severity, action, customer_id, vehicle_id, due_by, delivered_at) "
    "SELECT store_id, 'alert', 'test:held', 'completed', vin, failure_mode, severity, action, "
    "customer_id, vehicle_id, due_by, now() - interval '3 days' "
    "FROM proactive_proposals ORDER BY id LIMIT 1",
)
