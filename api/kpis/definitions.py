"""Every KPI, defined once: its formula over the measures, unit, direction and department.

A KPI is numerator ÷ denominator × scale, each side a sum of measures (api/kpis/measures.py)
over the period; a measure written "-x" is subtracted. Two kinds read differently:
- "cover": the numerator on the period's last day ÷ the denominator per day (days of supply);
- "retention": from the customers' visit months, not from measures.
The API, the console, Grafana and docs/kpis.md (`python -m api.kpis.docs`) all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Literal

from api.kpis.measures import BY_CODE

Kind = Literal["ratio", "cover", "retention"]
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "store": ("Whole store", "全店"),
    "sales": ("Vehicle sales", "整车销售"),
    "service": ("Service", "售后服务"),
    "parts": ("Parts", "配件"),
    "customer": ("Customer care", "客户关怀"),
}
# Dimensions a KPI can be cut by besides store and period, with their labels.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "model_id": ("Model", "车型"),
    "consultant_id": ("Sales consultant", "销售顾问"),
    "advisor_id": ("Service advisor", "服务顾问"),
    "technician_id": ("Technician", "技师"),
    "source": ("Visit source", "来源"),
    "warehouse_id": ("Warehouse", "仓库"),
    "abc_class": ("ABC class", "ABC分类"),
}
DERIVED = {"abc_class": "part_id"}  # a dimension read through another one


@dataclass(frozen=True)
class Kpi:
    """One figure a manager steers by."""

    code: str
    name_en: str
    name_zh: str
    department: str
    unit: str
    better: Literal["higher", "lower"]
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    scale: int = 1
    kind: Kind = "ratio"
    summary: str = ""

    @property
    def measures(self) -> tuple[str, ...]:
        """The measures it reads, without signs."""
        return tuple(m.lstrip("-") for m in self.numerator + self.denominator)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions every one of its measures can be cut by."""
        if not self.measures:
            return ()
        shared = reduce(lambda a, b: a & b, (set(BY_CODE[m].dimensions) for m in self.measures))
        derived = [d for d, via in DERIVED.items() if via in shared]
        return tuple(d for d in DIMENSIONS if d in shared or d in derived)

    @property
    def formula(self) -> str:
        """The formula in words, for docs and tooltips."""

        def side(codes: tuple[str, ...]) -> str:
            text = " ".join(("− " + c[1:]) if c.startswith("-") else ("+ " + c) for c in codes)
            return text.removeprefix("+ ")

        top, bottom = side(self.numerator), side(self.denominator)
        if self.kind == "cover":
            return f"{top} on the last day ÷ ({bottom} ÷ days in the period)"
        if self.kind == "retention":
            return (
                "customers who visited 12–24 months before the period's end and again in the"
                " last 12 months ÷ customers who visited 12–24 months before"
            ) + (" × 100" if self.scale == 100 else "")
        scaled = f" × {self.scale}" if self.scale != 1 else ""
        return f"({top}) ÷ ({bottom}){scaled}"


KPIS: tuple[Kpi, ...] = (
    Kpi("gross_margin", "Gross margin", "综合毛利率", "store", "%", "higher",
        ("sales_revenue", "labour_revenue", "parts_revenue",
         "-sales_cost", "-labour_cost", "-parts_cost"),
        ("sales_revenue", "labour_revenue", "parts_revenue"), 100,
        summary="All three departments together"),
    Kpi("gross_margin_sales", "Vehicle sales gross margin", "整车毛利率", "sales", "%", "higher",
        ("sales_revenue", "-sales_cost"), ("sales_revenue",), 100),
    Kpi("gross_margin_labour", "Service labour gross margin", "工时毛利率", "service", "%",
        "higher", ("labour_revenue", "-labour_cost"), ("labour_revenue",), 100,
        summary="Clocked hours are costed at the store's labour cost rate"),
    Kpi("gross_margin_parts", "Parts gross margin", "配件毛利率", "parts", "%", "higher",
        ("parts_revenue", "-parts_cost"), ("parts_revenue",), 100),
    Kpi("lead_conversion", "Lead to delivery conversion", "线索成交率", "sales", "%", "higher",
        ("cars_delivered",), ("leads_created",), 100,
        summary="Deliveries in the period over leads created in it"),
    Kpi("lead_to_delivery_days", "Lead to delivery", "线索到交车天数", "sales", "days", "lower",
        ("lead_days",), ("cars_delivered",)),
    Kpi("retention", "Customer retention", "客户保持率", "customer", "%", "higher", (), (), 100,
        kind="retention"),
    Kpi("labour_utilisation", "Labour utilisation", "工时利用率", "service", "%", "higher",
        ("clocked_hours",), ("available_hours",), 100),
    Kpi("labour_efficiency", "Labour efficiency", "工时效率", "service", "%", "higher",
        ("sold_hours",), ("clocked_hours",), 100),
    Kpi("effective_labour_rate", "Effective labour rate", "有效工时单价", "service", "CNY/h",
        "higher", ("labour_revenue",), ("sold_hours",)),
    Kpi("hours_per_repair_order", "Hours per repair order", "单车工时", "service", "h", "higher",
        ("sold_hours",), ("repair_orders",)),
    Kpi("predicted_share", "Predicted visits", "预测性维修占比", "service", "%", "higher",
        ("predicted_visits",), ("service_visits",), 100,
        summary="Visits for a fault the connected car's data predicted, of all visits"),
    Kpi("first_time_fix", "First-time fix", "一次修复率", "service", "%", "higher",
        ("predicted_repairs_held",), ("predicted_repairs",), 100,
        summary="Predicted-fault repairs whose fault the car's telematics did not report again"),
    Kpi("alert_response_minutes", "Alert to booking", "预警到预约响应", "service", "min",
        "lower", ("alert_booking_minutes",), ("alert_bookings",)),
    Kpi("customer_response_minutes", "Booking response", "预约响应时间", "service", "min",
        "lower", ("customer_booking_minutes",), ("customer_bookings",),
        summary="From a customer's online request to the store's confirmation"),
    Kpi("show_rate", "Show rate", "预约到店率", "service", "%", "higher",
        ("appointments_kept",), ("appointments_due",), 100),
    Kpi("parts_turnover_days", "Parts turnover", "配件周转天数", "parts", "days", "lower",
        ("stock_value",), ("parts_used",),
        summary="Average stock at cost over the cost of parts used per day"),
    Kpi("days_of_supply", "Days of supply", "库存可用天数", "parts", "days", "lower",
        ("stock_value",), ("parts_used",), kind="cover",
        summary="Stock at cost on the last day over the cost of parts used per day"),
    Kpi("fill_rate", "Fill rate", "一次满足率", "parts", "%", "higher",
        ("part_lines_filled",), ("part_lines",), 100,
        summary="Part lines that stock filled at the first request"),
    Kpi("csi", "Customer satisfaction (CSI)", "客户满意度", "customer", "points", "higher",
        ("csi_points",), ("surveys_answered",)),
    Kpi("nps", "Net promoter score", "净推荐值", "customer", "points", "higher",
        ("nps_net",), ("surveys_answered",), 100),
    Kpi("complaint_rate", "Complaints per 100 visits", "百次进厂投诉", "customer", "per 100",
        "lower", ("complaints",), ("service_visits",), 100),
)  # fmt: skip

BY_KPI: dict[str, Kpi] = {k.code: k for k in KPIS}
