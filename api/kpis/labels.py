"""Names for the members of a KPI dimension (ids in the rollups), in the caller's language."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.kpis.models import UNKNOWN

# Per dimension: SQL giving (member, English name, Chinese name) for the members in :ids.
NAME_QUERIES: dict[str, str] = {
    "model_id": "SELECT CAST(id AS text), model || ' ' || trim, model || ' ' || trim"
    " FROM sales_models WHERE CAST(id AS text) = ANY(:ids)",
    "consultant_id": "SELECT CAST(id AS text), full_name, full_name FROM users"
    " WHERE CAST(id AS text) = ANY(:ids)",
    "advisor_id": "SELECT CAST(id AS text), full_name, full_name FROM users"
    " WHERE CAST(id AS text) = ANY(:ids)",
    "technician_id": "SELECT CAST(t.id AS text), u.full_name, u.full_name"
    " FROM service_technicians t JOIN users u ON u.id = t.user_id"
    " WHERE CAST(t.id AS text) = ANY(:ids)",
    "warehouse_id": "SELECT CAST(id AS text), name_en, name_zh FROM warehouses"
    " WHERE CAST(id AS text) = ANY(:ids)",
}
FIXED_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "source": {
        "walk_in": ("Walk-in", "自然进店"),
        "appointment": ("Appointment", "预约"),
        "alert": ("Predicted fault", "预测性维修"),
        "reminder": ("Service reminder", "保养提醒"),
    },
    "abc_class": {c: (f"Class {c}", f"{c}类") for c in "ABC"},
}
UNKNOWN_NAME = ("Not recorded", "未记录")


def names(session: Session, dimension: str, members: list[str], language: str) -> dict[str, str]:
    """member -> its name; members without one keep their id."""
    chinese = language.startswith("zh")
    found: dict[str, str] = {}
    if dimension in NAME_QUERIES and members:
        rows = session.execute(text(NAME_QUERIES[dimension]), {"ids": members})
        found = {member: zh if chinese else en for member, en, zh in rows}
    for member, (en, zh) in FIXED_NAMES.get(dimension, {}).items():
        found[member] = zh if chinese else en
    found[UNKNOWN] = UNKNOWN_NAME[1] if chinese else UNKNOWN_NAME[0]
    return found
