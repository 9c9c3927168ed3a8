"""Two years of vehicle sales for the KPI benchmark: leads, and for 30 % of them a quote, an
order and a delivered car from stock (the last 40 days' leads are still open)."""

from __future__ import annotations

import psycopg

from bench.sql import run_script

LEADS_PER_STORE_DAY = 1.5

_SALES = """
SELECT setseed(0.45);
CREATE TEMP TABLE kb_lead ON COMMIT DROP AS
SELECT s.id AS store_id, c.customer_id,
       (SELECT min(id) FROM users u JOIN user_stores us ON us.user_id = u.id
        WHERE us.store_id = s.id AND u.role = 'sales_consultant') AS consultant_id,
       (SELECT array_agg(id ORDER BY id) FROM sales_models WHERE code LIKE 'KBM%%')
           [1 + floor(random() * 10)] AS model_id,
       now() - random() * %(days)s * interval '1 day' AS created_at, random() AS roll,
       row_number() OVER () AS n
FROM kb_store s
CROSS JOIN generate_series(1, (%(days)s * %(per_day)s)::int) k
JOIN kb_car c ON c.store_id = s.id AND c.n = (k * 7907) %% c.cars;
INSERT INTO sales_leads (store_id, customer_id, consultant_id, source, interested_model_id,
    status, created_at)
SELECT store_id, customer_id, consultant_id, 'web', model_id,
       CASE WHEN created_at >= now() - interval '40 days' THEN 'lead'
            WHEN roll < 0.3 THEN 'delivered' ELSE 'lost' END, created_at
FROM kb_lead ORDER BY n;
CREATE TEMP TABLE kb_sale ON COMMIT DROP AS
SELECT l.id AS lead_id, k.store_id, k.customer_id, k.model_id, m.msrp, k.n,
       k.created_at + (7 + random() * 30) * interval '1 day' AS delivered_at
FROM kb_lead k
JOIN sales_leads l ON l.store_id = k.store_id AND l.customer_id = k.customer_id
                   AND l.created_at = k.created_at
JOIN sales_models m ON m.id = k.model_id
WHERE k.roll < 0.3 AND k.created_at < now() - interval '40 days';
INSERT INTO sales_quotes (store_id, lead_id, model_id, vehicle_price, options_price, discount,
    trade_in_value, total, valid_until)
SELECT store_id, lead_id, model_id, msrp, 0, msrp * 0.05, 0, msrp * 0.95,
       (delivered_at - interval '5 days')::date
FROM kb_sale;
INSERT INTO sales_stock (store_id, vin, model_id, colour, status, location, cost, arrived_at)
SELECT store_id, 'KBS' || lpad(n::text, 14, '0'), model_id, '白', 'sold', '展厅', msrp * 0.88,
       delivered_at - interval '20 days'
FROM kb_sale;
INSERT INTO sales_orders (store_id, lead_id, quote_id, customer_id, model_id, price, discount,
    trade_in_value, deposit, stock_vehicle_id, ordered_at, delivered_at)
SELECT k.store_id, k.lead_id, q.id, k.customer_id, k.model_id, k.msrp, k.msrp * 0.05, 0, 5000,
       v.id, k.delivered_at - interval '7 days', k.delivered_at
FROM kb_sale k
JOIN sales_quotes q ON q.lead_id = k.lead_id
JOIN sales_stock v ON v.vin = 'KBS' || lpad(k.n::text, 14, '0');
"""


def fill_sales(conn: psycopg.Connection, *, days: int) -> None:
    """Leads over the days, three in ten delivered."""
    run_script(conn, _SALES, {"days": days, "per_day": LEADS_PER_STORE_DAY})
