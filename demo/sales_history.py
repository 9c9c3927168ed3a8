"""The long sales history: every day, cars delivered (as many as the season brings: the rush
before the Spring Festival, the quarter-end push) with the lead, quote, order and stock car
behind each, and the leads that were lost or cancelled; the last weeks' open pipeline.

Written in bulk into final states; each lead's and stock car's path is walked.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.crm.models import Customer, Vehicle
from api.crm.states import CUSTOMER_LIFECYCLE
from api.sales.constants import CHECKLISTS, NEW_CAR_WARRANTY_YEARS
from api.sales.models import ChecklistItem, Lead, Quote, SalesModel, SalesOrder, StockVehicle
from api.sales.states import LEAD_FLOW, STOCK_FLOW
from api.sales.stock import years_later
from core.vin import with_check_digit
from demo.bulk import Audit, insert_rows, take_ids
from demo.draws import poisson
from demo.history_customers import local_moment
from demo.people import GIVEN, SURNAMES
from demo.sales_data import CANCEL_REASONS, LOST_REASONS, OPTIONS, PAINT_COLOURS, PATH, SOURCES
from demo.seasons import sales_factor

DAILY_DELIVERIES = {"SH-PD": 1.3, "SH-MH": 1.0}  # an ordinary weekday at the trend origin
LEADS_PER_DELIVERY = 2.2  # leads that do not buy, for each car delivered
PIPELINE_DAYS = 30  # leads of the last weeks are still open
SERIAL_BASE = 700_000
OPEN_STAGES = (
    ("lead", 25),
    ("opportunity", 20),
    ("quote", 20),
    ("order", 15),
    ("allocated", 10),
    ("pdi", 5),
)


def seed_sales_history(
    session: Session,
    rng: random.Random,
    group: DealerGroup,
    stores: dict[str, Store],
    first_day: date,
    last_day: date,
    audit: Audit,
) -> dict[str, int]:
    """Insert the sales history of the stores; returns rows added by table."""
    models = session.scalars(
        select(SalesModel).where(SalesModel.dealer_group_id == group.id).order_by(SalesModel.id)
    ).all()
    rows: dict[str, list[dict[str, Any]]] = {}
    plans = []
    for code, store in stores.items():
        sellers = list(
            session.scalars(
                select(User.id)
                .join(User.stores)
                .where(Store.id == store.id, User.role == Role.sales_consultant.value)
                .order_by(User.id)
            )
        )
        if not sellers or code not in DAILY_DELIVERIES:
            continue
        day = first_day
        while day <= last_day:
            mean = DAILY_DELIVERIES[code] * sales_factor(day) * math.exp(rng.gauss(0, 0.15))
            for _ in range(poisson(rng, mean)):
                plans.append((store, sellers, day, "delivered"))
            for _ in range(poisson(rng, mean * LEADS_PER_DELIVERY)):
                recent = (last_day - day).days < PIPELINE_DAYS
                plans.append((store, sellers, day, _open_stage(rng) if recent else _lost(rng)))
            day += timedelta(days=1)
    ids = {
        t: iter(take_ids(session, t, len(plans)))
        for t in (
            "customers",
            "sales_leads",
            "sales_quotes",
            "sales_orders",
            "sales_stock",
            "vehicles",
        )
    }
    for serial, (store, sellers, day, outcome) in enumerate(plans, start=SERIAL_BASE):
        _lead(
            rng,
            rows,
            audit,
            ids,
            store,
            rng.choice(sellers),
            rng.choice(models),
            serial,
            day,
            outcome,
            first_day,
            last_day,
        )
    added = {}
    for name, model in (
        ("customers", Customer),
        ("sales_stock", StockVehicle),
        ("vehicles", Vehicle),
        ("leads", Lead),
        ("quotes", Quote),
        ("sales_orders", SalesOrder),
        ("checklists", ChecklistItem),
    ):
        added[name if name != "customers" else "sales_customers"] = insert_rows(
            session, model, rows.get(name, [])
        )
    return added


def _lead(
    rng, rows, audit, ids, store, seller, model, serial, day, outcome, first_day, last_day
) -> None:
    add = rows.setdefault
    delivered = outcome == "delivered"
    # A delivered car was a lead some weeks before; an open or lost lead starts on the day.
    lag = rng.randint(6, 40) if delivered else 0
    start = max(first_day, day - timedelta(days=lag))
    reach = PATH.index(outcome) if outcome in PATH else rng.randint(0, 2)
    if outcome == "cancelled":
        reach = 3
    span = max(1, (day - start).days) if delivered else rng.randint(2, 12)
    times = [local_moment(start, rng.uniform(9.5, 17))]
    for step in range(1, reach + 1):
        offset = span * step / reach if delivered else min(step * span / 4, (last_day - start).days)
        times.append(local_moment(start + timedelta(days=offset), rng.uniform(9.5, 18)))
    times = sorted(times)
    lead_id, customer_id = next(ids["sales_leads"]), next(ids["customers"])
    steps = list(zip(PATH[: reach + 1], times, strict=True))
    reasons = {}
    if outcome == "lost":
        steps.append(("lost", times[-1] + timedelta(days=rng.randint(3, 20))))
        reasons["lost"] = rng.choice(LOST_REASONS)
    elif outcome == "cancelled":
        steps.append(("cancelled", times[-1] + timedelta(days=rng.randint(2, 10))))
        reasons["cancelled"] = rng.choice(CANCEL_REASONS)
    created = times[0]
    add("customers", []).append(
        {
            "id": customer_id,
            "store_id": store.id,
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": f"157{serial:08d}",
            "source": "walk_in",
            "consents": {"sms": True},
            "status": "active" if delivered else "prospect",
            "preferred_store_id": store.id,
            "created_at": created,
        }
    )
    add("leads", []).append(
        {
            "id": lead_id,
            "store_id": store.id,
            "customer_id": customer_id,
            "consultant_id": seller,
            "source": rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0],
            "interested_model_id": model.id,
            "status": steps[-1][0],
            "created_at": created,
        }
    )
    audit.path(LEAD_FLOW, lead_id, store.id, steps, actor_id=seller, reasons=reasons)
    if reach < 2:
        audit.path(CUSTOMER_LIFECYCLE, customer_id, store.id, [("prospect", created)])
        return
    options = rng.sample(OPTIONS, k=rng.randint(0, 2))
    options_price = Decimal(sum(p for _, _, p in options))
    discount = (model.msrp * Decimal(str(round(rng.uniform(0.02, 0.09), 3)))).quantize(Decimal(100))
    quote_id = next(ids["sales_quotes"])
    colour = rng.choice(PAINT_COLOURS)
    add("quotes", []).append(
        {
            "id": quote_id,
            "store_id": store.id,
            "lead_id": lead_id,
            "model_id": model.id,
            "colour": colour,
            "vehicle_price": model.msrp,
            "options": [{"code": c, "name": n, "price": f"{p}.00"} for c, n, p in options],
            "options_price": options_price,
            "discount": discount,
            "trade_in_value": Decimal(0),
            "total": model.msrp + options_price - discount,
            "valid_until": times[2].date() + timedelta(days=14),
            "created_by_id": seller,
            "created_at": times[2],
        }
    )
    if reach < 3:
        audit.path(CUSTOMER_LIFECYCLE, customer_id, store.id, [("prospect", created)])
        return
    stock_id = next(ids["sales_stock"]) if reach >= 4 else None
    order_id = next(ids["sales_orders"])
    add("sales_orders", []).append(
        {
            "id": order_id,
            "store_id": store.id,
            "lead_id": lead_id,
            "quote_id": quote_id,
            "customer_id": customer_id,
            "model_id": model.id,
            "colour": colour,
            "price": model.msrp + options_price,
            "discount": discount,
            "trade_in_value": Decimal(0),
            "deposit": Decimal(rng.choice((2000, 5000, 10000))),
            "stock_vehicle_id": stock_id,
            "ordered_at": times[3],
            "delivered_at": times[6] if delivered else None,
            "created_at": times[3],
        }
    )
    if stock_id is None:
        audit.path(CUSTOMER_LIFECYCLE, customer_id, store.id, [("prospect", created)])
        return
    vin = with_check_digit(f"LSVCD2C83TA{serial:06d}")
    arrived = times[4] - timedelta(days=rng.randint(1, 30))
    cost = (model.msrp * Decimal(str(round(rng.uniform(0.84, 0.91), 3)))).quantize(Decimal(100))
    stock_steps = [
        ("in_transit", arrived - timedelta(days=10)),
        ("in_warehouse", arrived),
        ("reserved", times[4]),
    ]
    if delivered:
        stock_steps.append(("sold", times[6]))
    add("sales_stock", []).append(
        {
            "id": stock_id,
            "store_id": store.id,
            "vin": vin,
            "model_id": model.id,
            "colour": colour,
            "status": stock_steps[-1][0],
            "location": "已交付" if delivered else "一号库 待交车区",
            "cost": cost,
            "arrived_at": arrived,
            "created_at": stock_steps[0][1],
        }
    )
    audit.path(STOCK_FLOW, stock_id, store.id, stock_steps, actor_id=seller)
    if not delivered:
        audit.path(CUSTOMER_LIFECYCLE, customer_id, store.id, [("prospect", created)])
        return
    for kind, items in CHECKLISTS.items():
        at = times[5] if kind == "pdi" else times[6]
        for code, _, _ in items:
            add("checklists", []).append(
                {
                    "store_id": store.id,
                    "order_id": order_id,
                    "kind": kind,
                    "code": code,
                    "result": "ok",
                    "checked_by_id": seller,
                    "checked_at": at,
                }
            )
    add("vehicles", []).append(
        {
            "id": next(ids["vehicles"]),
            "store_id": store.id,
            "vin": vin,
            "make": "Volkswagen",
            "model": model.model,
            "year": times[6].year,
            "colour": colour,
            "owner_id": customer_id,
            "owner_since": times[6],
            "odometer_km": 10.0,
            "odometer_read_at": times[6],
            "warranty_end": years_later(times[6].date(), NEW_CAR_WARRANTY_YEARS),
        }
    )
    audit.path(
        CUSTOMER_LIFECYCLE, customer_id, store.id, [("prospect", created), ("active", times[6])]
    )


def _open_stage(rng: random.Random) -> str:
    return rng.choices([s for s, _ in OPEN_STAGES], [w for _, w in OPEN_STAGES])[0]


def _lost(rng: random.Random) -> str:
    return rng.choices(("lost", "cancelled", "opportunity", "quote"), (86, 6, 4, 4))[0]
