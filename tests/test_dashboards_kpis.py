"""The KPI panels read the KPI definitions, over the rollups: on the seeded database every KPI's
Grafana query gives what api.kpis.service gives for the same stores and local days, and so do
its weekly trend and its breakdowns; the management overview lists every KPI once, with the
targets set in kpi_targets.

The data is the same as in test_dashboards.py; the demo's stores are all in Asia/Shanghai.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from api.db import make_engine, make_session_factory
from api.kpis import service
from api.kpis.definitions import BY_KPI, DEPARTMENTS, KPIS
from core.db import connect
from dashboards import build, kpi, management
from tests import test_dashboards as shared
from tests.test_dashboards import Query, Selection, plain_sql, queries

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUARTER = timedelta(days=90)
SPANS = (timedelta(days=7), QUARTER, timedelta(days=450))
CODES = [k.code for k in KPIS]
# What a KPI panel may read: the rollups, and the names of a breakdown's members.
ROLLUPS = {"kpi_facts", "kpi_customer_months", "kpi_targets", "stores"}
NAMES = {"users", "service_technicians", "warehouses", "sales_models"}
seeded_db = shared.seeded_db


@pytest.fixture(scope="module")
def session(seeded_db) -> Iterator[Session]:
    engine = make_engine(seeded_db)
    with make_session_factory(engine)() as found:
        yield found
    engine.dispose()


@pytest.fixture(scope="module")
def stores(seeded_db) -> list[int]:
    with connect(seeded_db) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM stores ORDER BY id")]


@pytest.fixture(scope="module")
def targets(seeded_db, stores) -> dict[int, dict[str, Decimal]]:
    """Per store, a target for every KPI (the demo's own replaced): 10 per store in order plus
    the KPI's position."""
    set_ = {
        store: {k.code: Decimal(10 * n + position) for position, k in enumerate(KPIS)}
        for n, store in enumerate(stores, start=1)
    }
    with connect(seeded_db) as conn:
        for store, goals in set_.items():
            for code, target in goals.items():
                conn.execute(
                    "INSERT INTO kpi_targets (store_id, kpi, target) VALUES (%s, %s, %s) "
                    "ON CONFLICT (store_id, kpi) DO UPDATE SET target = excluded.target",
                    (store, code, target),
                )
    return set_


def grafana(url: str, sql: str, stores: list[int], since: timedelta, now: datetime) -> list[dict]:
    """The query's rows as Grafana would get them for the stores over now - since .. now."""
    query = Query("kpis", "test", "table", sql, since)
    chosen = {"store": Selection([str(s) for s in stores], multi=True)}
    with connect(url) as conn:
        cursor = conn.execute(plain_sql(query, chosen, now))
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def local_days(since: timedelta, now: datetime) -> tuple[date, date]:
    return (now - since).astimezone(SHANGHAI).date(), now.astimezone(SHANGHAI).date()


def same(found: Decimal | None, expected: float | None) -> bool:
    """Equal but for rounding to two decimals (both None when the KPI has no value)."""
    if found is None or expected is None:
        return found is None and expected is None
    return abs(float(found) - expected) <= 0.011


@pytest.mark.parametrize("code", CODES)
def test_the_grafana_value_is_the_apis(seeded_db, session, stores, code):
    found, now = BY_KPI[code], datetime.now(UTC)
    for chosen in (stores, stores[:1]):
        for since in SPANS:
            start, end = local_days(since, now)
            [row] = grafana(seeded_db, kpi.value(found), chosen, since, now)
            expected = service.values(session, (found,), chosen, start, end)[code]
            assert same(row["value"], expected), (chosen, since, row["value"], expected)
            if chosen == stores and since == QUARTER:
                assert expected is not None, "the seeded data gives every KPI a value"


@pytest.mark.parametrize("code", CODES)
def test_the_weekly_trend_and_the_breakdowns_are_the_apis(seeded_db, session, stores, code):
    found, now = BY_KPI[code], datetime.now(UTC)
    start, end = local_days(QUARTER, now)
    rows = grafana(seeded_db, kpi.series(found, "week"), stores, QUARTER, now)
    weeks = {r["time"].astimezone(SHANGHAI).date(): r["value"] for r in rows}
    assert all(week.weekday() == 0 for week in weeks), "a week starts on a local Monday"
    expected = {}
    for first, last in service.buckets(start, end, "week"):
        value = service.values(session, (found,), stores, first, last)[code]
        if value is not None:
            expected[first - timedelta(days=first.weekday())] = value
    assert expected, "the seeded data has some week with a value"
    assert {w: float(v) for w, v in weeks.items() if v is not None} == pytest.approx(
        expected, abs=0.011
    )
    for dimension in found.dimensions:
        rows = grafana(seeded_db, kpi.breakdown(found, dimension), stores, QUARTER, now)
        api = service.breakdown(session, found, stores, start, end, dimension, "en")
        assert [r["label"].split(" / ")[0] for r in rows] == [a["label"] for a in api], dimension
        for row, member in zip(rows, api, strict=True):
            assert same(row["value"], member["value"]), (dimension, member)


def test_the_overview_lists_every_kpi_once_with_its_targets(seeded_db, session, stores, targets):
    now = datetime.now(UTC)
    start, end = local_days(QUARTER, now)
    values = service.values(session, KPIS, stores, start, end)
    rows = grafana(seeded_db, kpi.overview(), stores, QUARTER, now)
    assert [(r["kpi"], r["kpi_zh"]) for r in rows] == [(k.name_en, k.name_zh) for k in KPIS]
    for row, found in zip(rows, KPIS, strict=True):
        goals = [targets[store][found.code] for store in stores]
        assert row["target"] == sum(goals) / len(goals)
        assert same(row["value"], values[found.code]), found.code
        assert row["gap"] == round(row["value"] - row["target"], 2)
        assert row["on_target"] is (
            row["gap"] >= 0 if found.better == "higher" else row["gap"] <= 0
        )
        assert (row["unit"], row["better"]) == (found.unit, found.better)
        assert row["department"] == " / ".join(DEPARTMENTS[found.department])
    one = grafana(seeded_db, kpi.overview(), stores[-1:], QUARTER, now)
    assert [r["target"] for r in one] == list(targets[stores[-1]].values())


def flat(sql: str) -> str:
    return " ".join(sql.split())


def test_the_management_overview_shows_every_kpi_by_department():
    panels = build.render("management-overview")["panels"]
    assert panels[0]["targets"][0]["rawSql"] == flat(kpi.overview())
    shown, department = [], None
    for panel in panels[1:]:
        if panel["type"] == "row":
            department = panel["title"]
        elif panel["type"] == "stat":
            [target] = panel["targets"]
            [found] = [k for k in KPIS if flat(kpi.value(k)) == target["rawSql"]]
            assert department == " / ".join(DEPARTMENTS[found.department])
            assert panel["title"] == f"{found.name_en} / {found.name_zh}"
            shown.append(found.code)
    assert sorted(shown) == sorted(CODES)
    trends = [p["targets"][0]["rawSql"] for p in panels if p["type"] == "timeseries"]
    assert trends == [flat(kpi.series(BY_KPI[code])) for code in management.HEADLINES]


def test_kpi_panels_read_the_rollups_and_never_a_ledger():
    names = {f"{k.name_en} / " for k in KPIS} | {f"{k.name_en} by " for k in KPIS}
    names |= {f"{k.name_en} per " for k in KPIS} | {"All KPIs"}
    checked = 0
    for query in queries():
        if any(query.title.startswith(name) for name in names):
            tables = set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)\b(?!\s*\()", query.sql))
            tables -= set(re.findall(r"\b([a-z_]+) AS \(", query.sql))  # its own CTEs
            assert tables <= ROLLUPS | NAMES, (str(query), tables - ROLLUPS - NAMES)
            checked += 1
    assert checked >= len(KPIS) + len(management.HEADLINES) + 6  # + parts and service panels
