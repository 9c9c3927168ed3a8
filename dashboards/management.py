"""Management overview (经营总览): every KPI with its target, by department, and the headline
trends; all from the KPI definitions (api/kpis/definitions.py) over the rollups."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, table
from grafana_foundation_sdk.models import dashboard as model

from api.kpis.definitions import DEPARTMENTS, KPIS
from dashboards import kpi
from dashboards.panels import department, grid, store_variable
from dashboards.sql import DATASOURCE

UID = "pitstop-management"
HEADLINES = (
    "gross_margin",
    "labour_utilisation",
    "parts_turnover_days",
    "csi",
    "customer_response_minutes",
    "predicted_share",
)
ON_TARGET = {
    "type": "value",
    "options": {
        "true": {"text": "✔ on target / 达标", "color": "green", "index": 0},
        "false": {"text": "✘ off target / 未达标", "color": "red", "index": 1},
    },
}


def overview_table() -> table.Panel:
    """Every KPI in one table, colour-coded by whether it meets the stores' target."""
    panel = grid(
        "All KPIs against target / 全部指标与目标",
        kpi.overview(),
        "Every KPI over the range for the selected stores, with the mean of their targets "
        "(kpi_targets) and the gap; on target reads the KPI's direction (higher or lower is "
        "better).",
        width=24,
        height=20,
    )
    return panel.override_by_name(
        "on_target",
        [
            model.DynamicConfigValue(id_val="mappings", value=[ON_TARGET]),
            model.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
        ],
    )


def row(title: str) -> dashboard.Row:
    """A row of panels (its panels follow it)."""
    return dashboard.Row(title).datasource(DATASOURCE)


def management() -> dashboard.Dashboard:
    """The store manager's (总经理) overview."""
    board = (
        department(
            UID,
            "Pitstop · management overview / 经营总览",
            "Every KPI of the store against its target, by department, with the headline "
            "trends. Figures come from the KPI rollups, defined once in api/kpis.",
            "management",
            "90d",
        )
        .with_variable(store_variable())
        .with_panel(overview_table())
    )
    for code, (en, zh) in DEPARTMENTS.items():
        board = board.with_row(row(f"{en} / {zh}"))
        for found in KPIS:
            if found.department == code:
                board = board.with_panel(kpi.figure_panel(found.code))
    board = board.with_row(row("Trends / 趋势"))
    for code in HEADLINES:
        board = board.with_panel(kpi.trend_panel(code))
    return board
