"""KPI queries for Grafana, generated from api/kpis/definitions.py: never a formula of their own.

They read the rollups only (kpi_facts, kpi_customer_months, kpi_targets), for the stores in
$store. Days are each store's own local days (stores.timezone), as the rollup writes them: the
range is the local day of $__timeFrom() to that of $__timeTo(), both included, which for stores
in one zone (the demo's are all in Asia/Shanghai) is what api.kpis.service.values reads for
those dates. A week or month is clipped to the range, as in the API's trend; its time is the
local midnight it starts at. The panel helpers at the end title and describe KPIs the same way
on every dashboard.
"""

from __future__ import annotations

from typing import Literal

from grafana_foundation_sdk.builders import barchart, stat, timeseries

from api.kpis.definitions import BY_KPI, DEPARTMENTS, DERIVED, DIMENSIONS, KPIS, Kpi
from api.kpis.labels import FIXED_NAMES, NAME_QUERIES, UNKNOWN_NAME
from api.kpis.models import UNKNOWN
from api.kpis.service import ABC_YEAR
from api.parts.constants import ABC_A_SHARE, ABC_B_SHARE
from dashboards import panels
from dashboards.panels import FROM, TO

Grain = Literal["week", "month"]
RANGE = f"""
    SELECT s.id AS store_id, s.timezone AS zone,
           ({FROM} AT TIME ZONE s.timezone)::date AS first_day,
           ({TO} AT TIME ZONE s.timezone)::date AS last_day
    FROM stores s WHERE s.id IN ($store)"""
# A store's month of the period's end, and the customers it served 12-24 months before it.
MONTH = "date_trunc('month', p.last_day::timestamp)::date"
CAME_BACK = """EXISTS (
    SELECT 1 FROM kpi_customer_months a
    WHERE a.store_id = p.store_id AND a.customer_id = p.customer_id
      AND a.month >= p.month - interval '11 months' AND a.month <= p.month)"""
# Each part's ABC class for the selected stores, as api.kpis.service.abc_classes splits them:
# by consumption value over the year to the range's end, the share consumed before it.
ABC = f"""
    SELECT member, CASE WHEN before < {ABC_A_SHARE} THEN 'A'
                        WHEN before < {ABC_B_SHARE} THEN 'B' ELSE 'C' END AS class
    FROM (
        SELECT member, coalesce((sum(greatest(used, 0)) OVER running - greatest(used, 0))
                                / nullif(sum(greatest(used, 0)) OVER (), 0), 1) AS before
        FROM (SELECT f.member, sum(f.value) AS used
              FROM kpi_facts f JOIN ({RANGE}) r ON r.store_id = f.store_id
              WHERE f.measure = 'parts_used' AND f.dimension = '{DERIVED["abc_class"]}'
                AND f.day > r.last_day - {ABC_YEAR} AND f.day <= r.last_day
              GROUP BY f.member) used
        WINDOW running AS (ORDER BY used DESC, member ROWS UNBOUNDED PRECEDING)
    ) shares"""
TARGETS = """
    SELECT kpi, avg(target) AS target FROM kpi_targets WHERE store_id IN ($store) GROUP BY kpi"""


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _spans(grain: Grain | None) -> str:
    """Per store, the range (key NULL) or each week or month in it (key: its first day)."""
    if grain is None:
        return f"SELECT r.*, NULL::date AS key FROM ({RANGE}) r"
    step = f"interval '1 {grain}'"
    return f"""
        SELECT r.store_id, r.zone, b.key, greatest(b.key, r.first_day) AS first_day,
               least((b.key + {step})::date - 1, r.last_day) AS last_day
        FROM ({RANGE}) r CROSS JOIN LATERAL (
            SELECT g::date AS key FROM generate_series(
                date_trunc('{grain}', r.first_day::timestamp), r.last_day::timestamp, {step}) g
        ) b"""


def _side(codes: tuple[str, ...], last_day: bool = False) -> str:
    terms = []
    for code in codes:
        when = f"f.measure = {text(code.lstrip('-'))}"
        if last_day:
            when += " AND f.day = p.last_day"
        sign = "-" if code.startswith("-") else "+"
        terms.append(f"{sign} coalesce(sum(f.value) FILTER (WHERE {when}), 0)")
    return "(" + " ".join(terms).removeprefix("+ ") + ")"


def _figure(kpi: Kpi) -> str:
    """The KPI over a group of facts (f) of spans (p)."""
    if kpi.kind == "retention":
        return f"round(CAST(count(*) FILTER (WHERE {CAME_BACK}) AS numeric)" \
            f" / nullif(count(*), 0) * {kpi.scale}, 2)"  # fmt: skip
    top, bottom = _side(kpi.numerator, kpi.kind == "cover"), _side(kpi.denominator)
    if kpi.kind == "cover":  # per day of the span
        bottom += " / max(p.last_day - p.first_day + 1)"
    return f"round({top} / nullif({bottom}, 0) * {kpi.scale}, 2)"


def _source(kpi: Kpi, spans: str, dimension: str = "") -> str:
    """FROM the facts or customers the KPI reads, per span p."""
    if kpi.kind == "retention":
        return f"""
            FROM (SELECT DISTINCT p.key, p.zone, c.store_id, c.customer_id, {MONTH} AS month
                  FROM ({spans}) p JOIN kpi_customer_months c ON c.store_id = p.store_id
                   AND c.month >= {MONTH} - interval '23 months'
                   AND c.month < {MONTH} - interval '11 months') p"""
    measures = ", ".join(text(m) for m in dict.fromkeys(kpi.measures))
    return f"""
        FROM kpi_facts f
        JOIN ({spans}) p ON p.store_id = f.store_id AND f.day BETWEEN p.first_day AND p.last_day
        WHERE f.dimension = {text(dimension)} AND f.measure IN ({measures})"""


def value(kpi: Kpi) -> str:
    """The KPI over the range for the selected stores together: one row, `value`."""
    return f"SELECT {_figure(kpi)} AS value {_source(kpi, _spans(None))}"


def series(kpi: Kpi, grain: Grain = "week") -> str:
    """The KPI per week or month of the range: time, value."""
    return f"""
        SELECT p.key::timestamp AT TIME ZONE min(p.zone) AS time, {_figure(kpi)} AS value
        {_source(kpi, _spans(grain))}
        GROUP BY p.key ORDER BY p.key"""


def _label(dimension: str, member: str) -> str:
    fixed = {**FIXED_NAMES.get(dimension, {}), UNKNOWN: UNKNOWN_NAME}
    whens = " ".join(f"WHEN {text(m)} THEN {text(f'{en} / {zh}')}" for m, (en, zh) in fixed.items())
    named = "NULL"
    if dimension in NAME_QUERIES:
        names = NAME_QUERIES[dimension].replace(":ids", f"ARRAY[{member}]")
        named = f"""(SELECT CASE WHEN n.en = n.zh THEN n.en ELSE n.en || ' / ' || n.zh END
                     FROM ({names}) AS n(member, en, zh))"""
    return f"coalesce(CASE {member} {whens} END, {named}, {member})"


def breakdown(kpi: Kpi, dimension: str) -> str:
    """The KPI per member of one of its dimensions over the range: label, value; the largest
    denominator first, as in the API."""
    if dimension not in kpi.dimensions:
        raise ValueError(f"{kpi.code} cannot be cut by {dimension}")
    member = "f.member"
    if dimension in DERIVED:
        # the classes as one lookup, computed once whatever the planner thinks of the facts
        classes = f"(SELECT jsonb_object_agg(member, class) FROM ({ABC}) abc)"
        member = f"coalesce({classes} ->> f.member, 'C')"
    weight = _side(tuple(m.lstrip("-") for m in kpi.denominator))
    source = _source(kpi, _spans(None), DERIVED.get(dimension, dimension))
    order = f'{weight} DESC, {member} COLLATE "C"'  # as the API sorts: by code point
    return f"""
        SELECT {_label(dimension, member)} AS label, {_figure(kpi)} AS value {source}
        GROUP BY {member} ORDER BY {order}"""


def overview() -> str:
    """Every KPI in one table: department, names, value, the mean of the selected stores'
    targets, the gap to it, unit and direction."""
    rows = []
    for position, kpi in enumerate(KPIS):
        en, zh = DEPARTMENTS[kpi.department]
        meets = ">=" if kpi.better == "higher" else "<="
        rows.append(f"""
            SELECT {position} AS position, {text(f"{en} / {zh}")} AS department,
                   {text(kpi.name_en)} AS kpi, {text(kpi.name_zh)} AS kpi_zh, v.value,
                   round(t.target, 2) AS target, round(v.value - t.target, 2) AS gap,
                   v.value {meets} t.target AS on_target, {text(kpi.unit)} AS unit,
                   {text(kpi.better)} AS better
            FROM ({value(kpi)}) v LEFT JOIN targets t ON t.kpi = {text(kpi.code)}""")
    union = " UNION ALL ".join(rows)
    return f"""
        WITH targets AS ({TARGETS})
        SELECT department, kpi, kpi_zh, value, target, gap, on_target, unit, better
        FROM ({union}) kpis ORDER BY position"""


def unit(kpi: Kpi) -> str:
    """The KPI's unit as Grafana's."""
    return "percent" if kpi.unit == "%" else f"suffix:{kpi.unit}"


def describe(kpi: Kpi) -> str:
    """A panel description: the formula, the summary and which way is better."""
    summary = f" {kpi.summary}." if kpi.summary else ""
    return f"{kpi.formula}.{summary} {kpi.better.capitalize()} is better. From the KPI rollups."


def figure_panel(code: str) -> stat.Panel:
    """A KPI over the range (stat); green when higher is better, blue when lower is."""
    kpi = BY_KPI[code]
    colour = "green" if kpi.better == "higher" else "blue"
    title = f"{kpi.name_en} / {kpi.name_zh}"
    return panels.number(title, value(kpi), colour, describe(kpi), unit(kpi)).span(4).decimals(2)


def trend_panel(code: str, grain: Grain = "week", width: int = 12) -> timeseries.Panel:
    """A KPI per week or month of the range."""
    kpi = BY_KPI[code]
    title = f"{kpi.name_en} per {grain} / {kpi.name_zh}（{'周' if grain == 'week' else '月'}）"
    return panels.series(title, series(kpi, grain), unit(kpi), describe(kpi), width)


def breakdown_panel(code: str, dimension: str, width: int = 12) -> barchart.Panel:
    """A KPI per member of one of its dimensions."""
    kpi, (en, zh) = BY_KPI[code], DIMENSIONS[dimension]
    title = f"{kpi.name_en} by {en.lower()} / {kpi.name_zh}（按{zh}）"
    return panels.bars(title, breakdown(kpi, dimension), describe(kpi), width, unit(kpi))
