"""Panel and variable builders that every dashboard shares: one place for the boilerplate."""

from __future__ import annotations

from typing import TypeVar

from grafana_foundation_sdk.builders import barchart, dashboard, stat, table, timeseries
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from dashboards.sql import DATASOURCE, Format, Sql

# Grafana's $__interval_ms as a PostgreSQL interval: date_bin works on plain PostgreSQL and on
# TimescaleDB alike, where time_bucket would need the extension.
BUCKET = "date_bin(($__interval_ms || ' milliseconds')::interval, {column}, '2000-01-01')"
# Grafana's range as timestamptz (the macros expand to quoted text), and in days (at least
# one) for rates per day over the selected range.
FROM = "$__timeFrom()::timestamptz"
TO = "$__timeTo()::timestamptz"
RANGE_DAYS = f"greatest(extract(epoch FROM {TO} - {FROM}) / 86400, 1)"
# The stores the $store variable selects; every per-store table has a store_id column.
IN_STORES = "store_id IN ($store)"

P = TypeVar("P", timeseries.Panel, stat.Panel, table.Panel, barchart.Panel)


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    """Absolute thresholds: (from value, colour), the first step from None."""
    return (
        dashboard.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=color) for value, color in steps])
    )


def _common(panel: P, title: str, description: str, sql: str | list[str], format_: Format) -> P:
    queries = [sql] if isinstance(sql, str) else sql
    panel = panel.title(title).description(description).datasource(DATASOURCE)
    for number, query in enumerate(queries):
        panel = panel.with_target(Sql(query, format_, ref_id=chr(ord("A") + number)))
    return panel


def series(
    title: str, sql: str | list[str], unit: str = "short", description: str = "", width: int = 12
) -> timeseries.Panel:
    """A time series: each query returns time first, then metric (optional) and values."""
    panel = _common(timeseries.Panel(), title, description, sql, "time_series")
    return panel.unit(unit).span(width).height(8)


def daily_bars(title: str, sql: str, description: str = "", width: int = 12) -> timeseries.Panel:
    """A time series drawn as bars: one bar per store-local day or week."""
    return (
        series(title, sql, description=description, width=width)
        .draw_style(common.GraphDrawStyle.BARS)
        .fill_opacity(80)
    )


def number(
    title: str, sql: str, color: str = "blue", description: str = "", unit: str = "short"
) -> stat.Panel:
    """A single figure (stat) from a one-row table query."""
    panel = _common(stat.Panel(), title, description, sql, "table")
    return panel.thresholds(thresholds((None, color))).unit(unit).span(6).height(4)


def dead_letters_in_range(description: str = "") -> stat.Panel:
    """How many messages ingest rejected (死信) in the range."""
    sql = "SELECT count(*) AS dead_letters FROM dead_letters WHERE $__timeFilter(received_at)"
    return number("Dead letters in range / 死信", sql, "red", description)


def grid(
    title: str, sql: str, description: str = "", width: int = 12, height: int = 9
) -> table.Panel:
    """A table of rows."""
    return _common(table.Panel(), title, description, sql, "table").span(width).height(height)


def bars(
    title: str, sql: str, description: str = "", width: int = 12, unit: str = "short"
) -> barchart.Panel:
    """A bar chart of a table query: a label column first, then one or more value columns."""
    panel = _common(barchart.Panel(), title, description, sql, "table")
    return panel.unit(unit).span(width).height(8)


def percent_column(panel: table.Panel, column: str) -> table.Panel:
    """Show one column of a table (a 0..1 ratio) as a percentage."""
    return panel.override_by_name(
        column, [model.DynamicConfigValue(id_val="unit", value="percentunit")]
    )


def per_car(
    title: str,
    column: str,
    unit: str,
    selected: str,
    aggregate: str = "avg",
    description: str | None = None,
) -> timeseries.Panel:
    """One line per selected car: a telemetry column aggregated per time bucket."""
    sql = f"""
        SELECT {BUCKET.format(column="ts")} AS time, vin AS metric, {aggregate}({column}) AS value
        FROM telemetry
        WHERE $__timeFilter(ts) AND {selected} AND {column} IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1"""
    panel = (
        timeseries.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(Sql(sql))
        .unit(unit)
        .span(8)
        .height(8)
    )
    return panel if description is None else panel.description(description)


def query_variable(name: str, label: str, sql: str, multi: bool = True) -> dashboard.QueryVariable:
    """A variable filled by SQL (__text and __value columns, or one column); All by default."""
    variable = (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(sql)
        .refresh(model.VariableRefresh.ON_DASHBOARD_LOAD)
    )
    if not multi:
        return variable
    return (
        variable.multi(True)
        .include_all(True)
        .current(model.VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


def store_variable() -> dashboard.QueryVariable:
    """$store: the stores (门店) to show, all by default."""
    return query_variable(
        "store",
        "Store / 门店",
        "SELECT code || ' ' || name_zh AS __text, id AS __value FROM stores ORDER BY code",
    )


def department(uid: str, title: str, description: str, tag: str, since: str) -> dashboard.Dashboard:
    """A read-only Pitstop dashboard over the range now-<since> .. now."""
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .tags(["pitstop", tag])
        .description(description)
        .time(f"now-{since}", "now")
        .refresh("5m")
        .timezone("browser")
        .readonly()
    )


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    """Constants as a SQL list of string literals: 'a', 'b'."""
    return ", ".join(f"'{value}'" for value in values)
