"""Sales vocabularies and checklists: tables that models, schemas, services and the seed read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Date, literal

from api.types import values_of

LeadSource = Literal[
    "walk_in", "phone", "web", "autohome", "dongchedi", "referral", "event", "service_lane"
]
LEAD_SOURCES = values_of(LeadSource)

LeadStatus = Literal[
    "lead", "opportunity", "quote", "order", "allocated", "pdi", "delivered", "lost", "cancelled"
]
LEAD_STATES = values_of(LeadStatus)
# A lead counts as converted once the customer signed an order (and did not cancel it).
CONVERTED_STATES: tuple[str, ...] = ("order", "allocated", "pdi", "delivered")

StockStatus = Literal["in_transit", "in_warehouse", "in_showroom", "reserved", "sold"]
STOCK_STATES = values_of(StockStatus)
# A car can be sold to an order while still on the way from the factory.
ALLOCATABLE_STATES: tuple[str, ...] = ("in_transit", "in_warehouse", "in_showroom")

Powertrain = Literal["ice", "hev", "phev", "bev"]
POWERTRAINS = values_of(Powertrain)

ChecklistKind = Literal["pdi", "delivery"]
CHECKLIST_KINDS = values_of(ChecklistKind)
ChecklistResult = Literal["pending", "ok", "failed"]
CHECKLIST_RESULTS = values_of(ChecklistResult)

# code, zh-CN, en. A PDI passes when every item is ok; delivery needs every item ok too.
PDI_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("exterior_paint", "外观漆面及车身间隙", "Paint and body panel gaps"),
    ("tyres", "轮胎及胎压", "Tyres and pressures"),
    ("fluids", "机油、冷却液、制动液液位", "Oil, coolant and brake fluid levels"),
    ("battery", "蓄电池电压", "12 V battery voltage"),
    ("lights", "灯光", "Lights"),
    ("electrics", "车窗、中控、空调等电器功能", "Windows, infotainment, air conditioning"),
    ("dtc_scan", "OBD 故障码扫描无故障", "OBD scan shows no trouble codes"),
    ("road_test", "路试", "Road test"),
    ("interior", "内饰清洁", "Interior clean"),
    ("tools", "随车工具及附件", "Tools and accessories present"),
)
DELIVERY_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("payment_settled", "尾款结清", "Balance paid"),
    (
        "documents",
        "合格证、发票、保修手册交付",
        "Certificate, invoice and warranty booklet handed over",
    ),
    ("insurance", "保险生效确认", "Insurance in force"),
    ("keys", "两把钥匙交接", "Both keys handed over"),
    ("walkthrough", "车辆功能讲解", "Feature walkthrough"),
    ("app_binding", "车联网 App 绑定", "Connected-car app paired"),
    ("follow_up_intro", "告知回访及首保安排", "Follow-up call and first service explained"),
    ("photo", "交车合影", "Handover photo"),
)
CHECKLISTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "pdi": PDI_ITEMS,
    "delivery": DELIVERY_ITEMS,
}

Period = Literal["day", "week", "month"]

MAX_MONEY = Decimal("99999999.99")  # NUMERIC(10, 2); no car or deposit costs more
NEW_CAR_WARRANTY_YEARS = 3  # the makers' usual new-car warranty in China (3 years / 100,000 km)
MAX_FINANCE_TERM_MONTHS = 60
MAX_BOARD_DAYS = 731  # two years of buckets per request keeps the board query small


def day_after(day: date) -> Any:
    """The day after, as SQL: PostgreSQL dates reach far past Python's date.max."""
    return literal(day, Date) + 1
