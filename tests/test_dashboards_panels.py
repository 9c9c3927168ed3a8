"""What the department dashboards show on a seeded database, panel by panel, and the
`pitstop dashboards` command (build, check, push; a clear error without the Grafana extra).

The data is the same as in test_dashboards.py (the demo dealer group plus telemetry, jobs in
the workshop, an alert booked by the proactive loop); Grafana is the same fake.
"""

from __future__ import annotations

import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from api.purchasing.constants import OPEN_ORDER_STATES
from cli.main import app
from core.db import connect
from dashboards import build, service
from tests import test_dashboards as shared
from tests.test_dashboards import ROOT, FakeGrafana, queries, run
from tests.test_dashboards_seed import FIRST_CAR, VINS, WIP

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The same fixtures, so that this module seeds a database of its own the same way.
seeded_db, variables, fake_grafana = shared.seeded_db, shared.variables, shared.fake_grafana


@pytest.fixture(scope="module")
def panel(seeded_db, variables):
    """panel(dashboard, title prefix) -> its rows as dicts (the first target's)."""

    def rows(dashboard: str, title: str) -> list[dict]:
        [query] = [q for q in queries() if q.dashboard == dashboard and q.title.startswith(title)][
            :1
        ]
        columns, found = run(seeded_db, query, variables)
        return [dict(zip(columns, row, strict=True)) for row in found]

    return rows


def test_wip_lists_the_open_states_in_flow_order(panel):
    rows = panel("service", "WIP by state")
    states = [r["state"] for r in rows]
    assert set(states) <= set(service.WIP_STATES)
    assert states == sorted(states, key=service.WIP_STATES.index)
    seeded = {}
    for state, _, _ in WIP:
        seeded[state] = seeded.get(state, 0) + 1
    seeded["in_repair"] += 1  # the comeback job
    shown = {r["state"]: r["work_orders"] for r in rows}
    assert all(shown.get(state, 0) >= n for state, n in seeded.items()), shown
    [count] = panel("service", "In the workshop now")
    assert count["in_workshop"] == sum(shown.values())


def test_waits_show_each_reason_and_how_long(panel):
    rows = panel("service", "Waits by reason")
    seeded = {(state, reason) for state, reason, _ in WIP if reason}
    assert seeded <= {(r["wait"], r["reason"]) for r in rows}
    assert all(r["wait"].startswith("waiting_") and r["avg_hours"] >= 0 for r in rows)
    assert all(1.9 <= r["avg_hours"] <= 2.1 for r in rows if (r["wait"], r["reason"]) in seeded)


def test_throughput_counts_store_local_days(panel):
    rows = panel("service", "Throughput")
    assert rows and all(r["delivered"] > 0 for r in rows)
    for row in rows:
        local = row["time"].astimezone(SHANGHAI)
        assert (local.hour, local.minute) == (0, 0), "a day starts at the store's midnight"


def test_technicians_labour_kpis_name_each_technician(panel, seeded_db):
    with connect(seeded_db) as conn:
        clocked = conn.execute(
            "SELECT u.full_name FROM work_order_clocks c JOIN service_technicians t "
            "ON t.id = c.technician_id JOIN users u ON u.id = t.user_id "
            "WHERE c.ended_at IS NOT NULL AND c.started_at > now() - interval '29 days'"
        ).fetchall()
    utilisation = {r["label"]: r["value"] for r in panel("service", "Labour utilisation by")}
    assert utilisation and all(0 <= v <= 100 for v in utilisation.values())
    assert all(utilisation[name] > 0 for (name,) in clocked), "the seeded clock counts"
    efficiency = panel("service", "Labour efficiency by")
    assert {name for (name,) in clocked} <= {r["label"] for r in efficiency}


def test_the_comeback_is_found_and_rated(panel):
    rows = panel("service", "Comebacks")
    assert (FIRST_CAR, "battery_aging", "T-CB-2") in [
        (r["vin"], r["cause"], r["work_order"]) for r in rows
    ]
    [rate] = panel("service", "Comeback rate")
    assert 0 < rate["comeback_rate"] <= 1


def test_fill_rate_counts_the_short_line(panel):
    rates = [float(r["value"]) for r in panel("parts", "Fill rate per week")]
    assert rates and all(0 <= rate <= 100 for rate in rates)
    assert min(rates) < 100, "a short line was seeded"


def test_parts_stock_panels(panel):
    for kpi in ("Parts turnover", "Days of supply"):
        by_warehouse = panel("parts", f"{kpi} by warehouse")
        assert len(by_warehouse) == 2, "the demo's two store warehouses"
        assert all(" / " in r["label"] and r["value"] > 0 for r in by_warehouse)
        classes = [r["label"] for r in panel("parts", f"{kpi} by abc class")]
        assert set(classes) <= {"Class A / A类", "Class B / B类", "Class C / C类"}
        assert "Class A / A类" in classes
    low = [r["days_left"] for r in panel("parts", "Low stock")]
    assert low == sorted(low) and low[0] >= 0
    expiring = panel("parts", "Expiring lots")
    assert all(r["days_left"] <= 60 and r["on_hand"] > 0 for r in expiring)
    orders = panel("parts", "Open purchase orders")
    assert {r["status"] for r in orders} <= set(OPEN_ORDER_STATES)
    assert all(r["days_late"] >= 0 for r in orders)
    assert all(r["issued_at_cost"] > 0 for r in panel("parts", "Consumption per week"))


def test_parts_forecast_is_not_faked():
    # Forecast against actual waits for a forecast table; no panel may pretend to have one.
    for query in queries():
        if query.dashboard == "parts":
            assert "forecast" not in query.sql.lower(), query.title


def test_the_sales_funnel_narrows_and_conversion_agrees(panel):
    funnel = panel("sales", "Sales funnel")
    counts = [r["leads"] for r in funnel]
    assert [r["stage"].split(" /")[0] for r in funnel] == ["Leads", "Quotes", "Orders", "Delivered"]
    assert counts[0] > 0 and counts == sorted(counts, reverse=True)
    [conversion] = panel("sales", "Lead → order conversion")
    assert float(conversion["lead_to_order"]) == pytest.approx(counts[2] / counts[0])
    by_source = panel("sales", "Conversion by lead source")
    assert sum(r["leads"] for r in by_source) == counts[0]
    for row in by_source:
        assert 0 <= row["delivered"] <= row["ordered"] <= row["quoted"] <= 1


def test_stock_age_bands_hold_every_car_in_stock(panel, seeded_db):
    bands = panel("sales", "Stock age")
    assert [b["age"] for b in bands] == ["0-30 d", "31-60 d", "61-90 d", "> 90 d"]
    with connect(seeded_db) as conn:
        in_stock = conn.execute(
            "SELECT count(*) FROM sales_stock WHERE arrived_at IS NOT NULL "
            "AND status NOT IN ('in_transit', 'sold')"
        ).fetchone()[0]
    assert sum(b["cars"] for b in bands) == in_stock > 0
    oldest = [r["days_in_stock"] for r in panel("sales", "Oldest stock")]
    assert oldest == sorted(oldest, reverse=True)


def test_vehicle_detail_shows_the_chosen_car_only(panel, variables):
    assert variables["vehicle-detail"]["vin"].values == [FIRST_CAR]
    for title in ("Engine speed", "Coolant temperature", "Control module voltage"):
        assert {r["metric"] for r in panel("vehicle-detail", title)} == {FIRST_CAR}
    [now] = panel("vehicle-detail", "Car now")
    assert now["vin"] == FIRST_CAR and now["stored_dtcs"] == "P0301"
    assert [a["failure_mode"] for a in panel("vehicle-detail", "Alerts")] == ["battery_aging"]
    assert {v["number"] for v in panel("vehicle-detail", "Workshop visits")} >= {"T-CB-1", "T-CB-2"}


def test_pipeline_health_figures(panel):
    assert sum(r["samples_per_s"] for r in panel("pipeline-health", "Ingest rate")) > 0
    lags = panel("pipeline-health", "Ingest lag")
    assert all(r["p50_lag"] == pytest.approx(2.0) for r in lags)
    assert {r["metric"] for r in panel("pipeline-health", "Dead letters by reason")} == {
        "malformed"
    }
    drops = panel("pipeline-health", "Agent buffer drops")
    assert {(r["vin"], r["dropped_in_range"]) for r in drops} == {(v, 250) for v in VINS}
    [total] = panel("pipeline-health", "Samples dropped by agents")
    assert total["dropped_samples"] == 350 * len(VINS)
    booking = panel("pipeline-health", "Alert → booking time")
    assert [r["p50_alert_to_booking"] for r in booking] == [pytest.approx(90.0)]
    [behind] = panel("pipeline-health", "Diagnostics behind")
    assert behind["scoring_lag"] >= 30


runner = CliRunner()


def test_build_check_passes_on_the_committed_files():
    result = runner.invoke(app, ["dashboards", "build", "--check"])
    assert result.exit_code == 0, result.output


def test_build_check_fails_on_a_stale_file(tmp_path):
    assert runner.invoke(app, ["dashboards", "build", "--root", str(tmp_path)]).exit_code == 0
    stale = tmp_path / build.OUTPUT / "sales.json"
    stale.write_text(stale.read_text().replace("Sales funnel", "Funnel"))
    result = runner.invoke(app, ["dashboards", "build", "--check", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "stale" in result.output and "sales.json" in result.output


def test_push_sends_every_dashboard(fake_grafana):
    pytest.importorskip("grafana_client")
    result = runner.invoke(
        app, ["dashboards", "push", "--url", fake_grafana, "--token", "glsa_test_token"]
    )
    assert result.exit_code == 0, result.output
    posted = [body["dashboard"]["uid"] for _, path, _, body in FakeGrafana.requests
              if path == "/api/dashboards/db"]  # fmt: skip
    assert posted == [build.render(name)["uid"] for name in build.DASHBOARDS]
    assert result.output.count("pushed /d/") == len(build.DASHBOARDS)


@pytest.mark.parametrize("command", [["build"], ["push", "--url", "http://127.0.0.1:9"]])
def test_without_the_grafana_extra_the_command_says_what_to_install(monkeypatch, command):
    monkeypatch.setitem(sys.modules, "grafana_foundation_sdk", None)  # import now fails
    result = runner.invoke(app, ["dashboards", *command])
    assert result.exit_code == 2
    assert "pip install 'pitstop[grafana]'" in result.output


def test_pitstop_help_does_not_import_the_grafana_sdk():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cli.main import app\n"
        "result = CliRunner().invoke(app, ['--help'])\n"
        "assert result.exit_code == 0 and 'dashboards' in result.output, result.output\n"
        "print(sorted(m for m in sys.modules if m.startswith('grafana')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
