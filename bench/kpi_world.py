"""The KPI benchmark's scratch dealer group: stores, cars, two years of ledgers, telemetry.

Built in SQL (INSERT … SELECT over generate_series), seeded with setseed so that every run
has the same rows. Each technician's jobs are spaced so that their appointments never
overlap. Its users never sign in except the one manager the benchmark acts as.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from api.auth.security import hash_password
from bench.kpi_ledgers import fill_ledgers, fill_telemetry
from bench.sql import run_script
from core.signals import COLUMNS

STORES = 20
TECHNICIANS = 8  # per store
ADVISORS = 2  # per store
PARTS = 200
MODELS = 10
DAYS = 730
BENCH_PASSWORD = "bench-manager-1"

_SETUP = """
SELECT setseed(0.42);
INSERT INTO dealer_groups (code, name) VALUES ('KPIBENCH', '基准集团');
INSERT INTO stores (dealer_group_id, code, name_zh, name_en, city, timezone)
SELECT g.id, 'KB' || lpad(s::text, 3, '0'), '门店' || s, 'Store ' || s, '上海', 'Asia/Shanghai'
FROM dealer_groups g, generate_series(1, %(stores)s) s WHERE g.code = 'KPIBENCH';
INSERT INTO users (dealer_group_id, username, full_name, role, hashed_password, is_active,
                   token_version)
SELECT s.dealer_group_id, 'kb.' || r.role || '.' || s.id || '.' || n, r.role || ' ' || n,
       r.role, '!', true, 0
FROM stores s
CROSS JOIN (VALUES ('technician', %(technicians)s), ('service_advisor', %(advisors)s),
                   ('sales_consultant', 2)) r(role, count)
CROSS JOIN LATERAL generate_series(1, r.count) n;
INSERT INTO user_stores (user_id, store_id)
SELECT u.id, s.id FROM users u JOIN stores s ON u.username LIKE 'kb.%%.' || s.id || '.%%';
INSERT INTO service_technicians (store_id, user_id, level, skills)
SELECT s.id, u.id, 2, ARRAY['maintenance', 'electrical', 'engine']
FROM users u JOIN user_stores us ON us.user_id = u.id JOIN stores s ON s.id = us.store_id
WHERE u.role = 'technician';
INSERT INTO service_bays (store_id, code, name, kind)
SELECT s.id, 'B' || b, 'Bay ' || b, 'lift' FROM stores s, generate_series(1, 4) b;
INSERT INTO service_opening_hours (store_id, weekday, opens, closes)
SELECT s.id, d, '08:30', '18:00' FROM stores s, generate_series(0, 5) d;
INSERT INTO store_pricing (store_id, labour_rate, advisor_discount_max, manager_discount_max)
SELECT id, 320, 10, 30 FROM stores;
INSERT INTO service_operations (dealer_group_id, code, name_zh, name_en, flat_rate_hours,
                                required_skill)
SELECT id, 'KB-SVC', '保养维修', 'Service and repair', 1.5, 'maintenance' FROM dealer_groups
WHERE code = 'KPIBENCH';
INSERT INTO parts (dealer_group_id, part_number, name_zh, name_en, category, kind, unit,
                   list_price, standard_cost)
SELECT g.id, 'KB-' || lpad(p::text, 5, '0'), '配件' || p, 'Part ' || p, 'filter',
       'standard', 'piece', round((40 + 2000 * random() ^ 3)::numeric, 2), 0
FROM dealer_groups g, generate_series(1, %(parts)s) p WHERE g.code = 'KPIBENCH';
UPDATE parts SET standard_cost = round(list_price * 0.68, 2) WHERE part_number LIKE 'KB-%%';
INSERT INTO warehouses (dealer_group_id, store_id, code, name_zh, name_en, level)
SELECT dealer_group_id, id, 'W' || id, '配件库' || id, 'Parts store ' || id, 'store' FROM stores;
INSERT INTO stock_lots (part_id, lot_number, received_at, unit_cost)
SELECT p.id, 'L-' || p.id, now() - %(days)s * interval '1 day', p.standard_cost
FROM parts p WHERE p.part_number LIKE 'KB-%%';
INSERT INTO sales_models (dealer_group_id, code, make, model, trim, model_year, powertrain, msrp)
SELECT g.id, 'KBM' || m, 'Pitstop', 'Model ' || m, 'Standard', 2026, 'ice',
       150000 + 20000 * m
FROM dealer_groups g, generate_series(1, %(models)s) m WHERE g.code = 'KPIBENCH';
"""
_CARS = """
SELECT setseed(0.43);
INSERT INTO customers (store_id, name, phone, source, status)
SELECT s.id, '客户' || c, '139' || lpad(c::text, 8, '0'), 'walk_in', 'active'
FROM generate_series(1, %(cars)s) c
JOIN stores s ON s.code = 'KB' || lpad((1 + c %% %(stores)s)::text, 3, '0');
INSERT INTO vehicles (store_id, owner_id, vin, make, model, year)
SELECT c.store_id, c.id, 'KB' || lpad(c.id::text, 15, '0'), 'Pitstop', 'Model 1', 2022
FROM customers c WHERE c.phone LIKE '139%%';
"""


@dataclass
class KpiWorld:
    """What the benchmark needs to act: the manager's login and some cars' VINs."""

    manager: str
    store_ids: list[int]
    vins: list[str]


def build(
    conn: psycopg.Connection, *, cars: int, work_orders: int, telemetry_cars: int
) -> KpiWorld:
    """The scratch group, its ledgers and telemetry (the caller commits)."""
    params = {"stores": STORES, "technicians": TECHNICIANS, "advisors": ADVISORS,
              "parts": PARTS, "models": MODELS, "days": DAYS, "cars": cars}  # fmt: skip
    run_script(conn, _SETUP, params)
    run_script(conn, _CARS, params)
    fill_ledgers(conn, work_orders=work_orders, days=DAYS)
    vins = fill_telemetry(conn, cars=telemetry_cars, columns=COLUMNS)
    manager = "kb.manager"
    conn.execute(
        "INSERT INTO users (dealer_group_id, username, full_name, role, hashed_password,"
        " is_active, token_version) SELECT id, %s, '基准经理', 'manager', %s, true, 0"
        " FROM dealer_groups WHERE code = 'KPIBENCH'",
        (manager, hash_password(BENCH_PASSWORD)),
    )
    conn.execute(
        "INSERT INTO user_stores (user_id, store_id) SELECT u.id, s.id FROM users u, stores s"
        " WHERE u.username = %s",
        (manager,),
    )
    store_ids = [r[0] for r in conn.execute("SELECT id FROM stores ORDER BY id")]
    return KpiWorld(manager=manager, store_ids=store_ids, vins=vins)
