"""The web console under test: the real app served by uvicorn on a free port, a database seeded
with the demo dealer group plus telemetry, alerts, appointments and work orders (and its KPI
rollups refreshed), and Debian's Chromium driven by Playwright.

Seeding the demo group takes most of a minute, so one seeded database serves every console
test module of the session; each test makes the records it changes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select, text

from api.crm.models import Vehicle
from api.forecasts import service as forecasts
from api.kpis import rollup
from api.main import create_app
from core.db import connect
from core.wire import now_ms
from demo.people import DEMO_PASSWORD
from demo.world import seed_demo
from diagnostics import alerts
from diagnostics.scoring import Raise
from tests.conftest import create_database, drop_database
from tests.factories import make_vin, settings_for_tests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SEED_CUSTOMERS = 12  # the demo seeds 200; a dozen exercises the same pages
STARTUP_SECONDS = 10
WAIT_MS = 10_000  # how long a page may take to show what a test waits for
TELEMETRY_MINUTES = 120
# Messages Chromium logs for every 4xx/5xx answer; the console shows those itself.
EXPECTED_CONSOLE = ("Failed to load resource",)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run the app with uvicorn in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def api_login(base_url: str, username: str) -> httpx.Client:
    """An HTTP client signed in as the demo user."""
    client = httpx.Client(base_url=base_url, timeout=10)
    answer = client.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def _telemetry(engine: Any, vins: list[str]) -> None:
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    rows = []
    for n, vin in enumerate(vins):
        for i in range(TELEMETRY_MINUTES):
            rows.append(
                {
                    "vin": vin,
                    "ts": end - timedelta(minutes=TELEMETRY_MINUTES - i),
                    "seq": i,
                    "coolant": 70 + 20 * min(i / 30, 1) + (i % 7) * 0.4 + n,
                    "volts": 14.1 - (0.004 * i if n == 0 else 0),
                    "speed": (i * 7) % 80,
                }
            )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO telemetry (vin, ts, seq, coolant_temp, control_module_voltage, speed) "
                "VALUES (:vin, :ts, :seq, :coolant, :volts, :speed)"
            ),
            rows,
        )
        for n, vin in enumerate(vins):
            last = [r for r in rows if r["vin"] == vin][-1]
            values = {
                "COOLANT_TEMP": last["coolant"],
                "CONTROL_MODULE_VOLTAGE": round(last["volts"], 2),
                "SPEED": last["speed"],
                "FUEL_LEVEL": 62.0,
                "ODOMETER": 48210.0 + 1000 * n,
            }
            conn.execute(
                text(
                    'INSERT INTO vehicle_latest (vin, last_seen, sample_ts, "values", online, '
                    "stored_dtcs) VALUES (:vin, :ts, :ts, CAST(:v AS jsonb), :online, :dtcs)"
                ),
                {
                    "vin": vin,
                    "ts": last["ts"],
                    "v": json.dumps(values),
                    "online": n == 0,
                    "dtcs": ["P0301"] if n == 1 else [],
                },
            )


def _alerts(db_url: str, mine: str, misfiring: str, elsewhere: str) -> None:
    dip = {"kind": "rule", "rule": "battery_crank_dip", "value": 9.2, "unit": "V"}
    code = {"kind": "dtc", "code": "P0301", "dtc_kind": "stored", "freeze_frame": {"RPM": 780}}
    with connect(db_url) as conn:
        alerts.apply(conn, [
            Raise(mine, "battery", "major", None, "rule", {"rule:battery_crank_dip": dip},
                  now_ms()),
            Raise(misfiring, "misfire", "major", None, "dtc", {"dtc:P0301": code}, now_ms()),
            Raise(elsewhere, "battery", "minor", None, "rule", {"rule:x": dip}, now_ms()),
        ])  # fmt: skip


def _service(base_url: str, vehicles: dict[str, Vehicle]) -> dict[str, Any]:
    """Appointments on the first day with free slots, and work orders at several steps.

    The advisor books and runs the desk's steps; the workshop's (diagnosis, repair) are the
    manager's here, as the policy gives them to technicians and managers only."""
    advisor, manager = api_login(base_url, "advisor"), api_login(base_url, "manager")
    mine, misfiring = vehicles["mine"], vehicles["misfiring"]
    found = advisor.post(
        "/service/slots/search",
        json={
            "store_id": mine.store_id,
            "operations": ["BAT-TEST"],
            "earliest": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            "latest": (datetime.now(UTC) + timedelta(days=8)).isoformat(),
            "limit": 20,
        },
    )
    found.raise_for_status()
    slots = found.json()["slots"]
    booked = []
    for car, slot in ((mine, slots[0]), (misfiring, slots[-1])):
        answer = advisor.post(
            "/service/appointments",
            json={
                "store_id": car.store_id,
                "customer_id": car.owner_id,
                "vehicle_id": car.id,
                "operations": ["BAT-TEST"],
                "starts_at": slot["starts_at"],
            },
        )
        answer.raise_for_status()
        booked.append(answer.json())
    orders = {}
    for name, steps in (("booked", []), ("diagnosis", ["diagnosis"]), ("repair", None)):
        body = {
            "store_id": misfiring.store_id,
            "customer_id": misfiring.owner_id,
            "vehicle_id": misfiring.id,
            "operations": ["PLUG-R"] if steps is None else [],
            "complaint": "发动机抖动,故障灯亮",
        }
        wo = advisor.post("/service/work-orders", json=body)
        wo.raise_for_status()
        wo_id = wo.json()["id"]
        if steps is None:
            steps = ["diagnosis", "estimate_sent", "customer_approved", "in_repair"]
        if steps:
            checked = advisor.post(
                f"/service/work-orders/{wo_id}/check-in",
                json={"odometer_km": 48210, "inspection": {}},
            )
            checked.raise_for_status()
        for step in steps:
            by = manager if step in ("diagnosis", "in_repair") else advisor
            by.post(f"/service/work-orders/{wo_id}/status", json={"to": step}).raise_for_status()
        orders[name] = advisor.get(f"/service/work-orders/{wo_id}").json()
    advisor.close()
    manager.close()
    return {"appointments": booked, "work_orders": orders}


def _hold_a_part(app: Any, store_id: int, work_order_id: int) -> None:
    """An active reservation for the repair job: the parts desk's reservations page lists it
    whatever the job's own parts were (the seed's history issued all of its reservations)."""
    from api.auth.actor import SystemActor
    from api.parts.service import reserve

    with app.state.session_factory.begin() as session:
        part_id = session.scalar(
            text(
                "SELECT m.part_id FROM stock_moves m JOIN warehouses w ON w.id = m.warehouse_id"
                " WHERE w.store_id = :s GROUP BY m.part_id HAVING sum(m.quantity) >= 2"
                " ORDER BY m.part_id LIMIT 1"
            ),
            {"s": store_id},
        )
        reserve(session, actor=SystemActor(store_id), part_id=part_id, quantity=1,
                reference_type="work_order", reference_id=work_order_id)  # fmt: skip


@pytest.fixture(scope="session")
def console_world(server_url) -> Iterator[dict[str, Any]]:
    """The demo group on a database of its own, with telemetry, alerts and service work."""
    url = create_database(server_url, "console")
    app = create_app(settings_for_tests(url))
    fleet = [make_vin() for _ in range(3)]
    with app.state.session_factory.begin() as session:
        seed_demo(session, fleet, customers=SEED_CUSTOMERS)
    with app.state.session_factory.begin() as session:
        rollup.refresh(session)
    # The forecasting job, as the worker runs it. The console world seeds no business history
    # (seed_demo's history_days=0: the two years a sales forecast learns from would cost about
    # 35 s of seeding, and fitting the models more), so the job skips every store and the pages
    # must say why; the tests that need a forecast store one of their own (make_forecast).
    with app.state.session_factory.begin() as session:
        skipped = forecasts.run_all(session).skipped
    with app.state.session_factory() as session:
        cars = {v.vin: v for v in session.scalars(select(Vehicle).where(Vehicle.vin.in_(fleet)))}
        # The seed gives fleet cars to customers in store order: PD, MH, PD.
        vehicles = {
            "mine": cars[fleet[0]],
            "elsewhere": cars[fleet[1]],
            "misfiring": cars[fleet[2]],
        }
        session.expunge_all()
    _telemetry(app.state.engine, [fleet[0], fleet[2]])
    _alerts(url, fleet[0], fleet[2], fleet[1])
    with serve(app) as base_url:
        world = {"url": base_url, "db_url": url, "app": app, "vehicles": vehicles}
        world["forecasts_skipped"] = skipped
        world |= _service(base_url, vehicles)
        _hold_a_part(app, vehicles["misfiring"].store_id, world["work_orders"]["repair"]["id"])
        yield world
    app.state.engine.dispose()
    drop_database(server_url, url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; run scripts/test, which installs the Debian package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A fresh browser tab (own storage) that fails the test on any script error."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.text.startswith(EXPECTED_CONSOLE)
            and problems.append(f"console: {m.text}")
        ),
    )
    yield tab
    context.close()
    assert not problems, problems


@pytest.fixture
def api_as(console_world) -> Iterator[Any]:
    """HTTP clients signed in as demo users: api_as("manager").get(...); closed after the test."""
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        clients.append(api_login(console_world["url"], username))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sign_in(page, console_world) -> Any:
    """Open the console in the test's tab and log in as a demo user: sign_in("advisor")."""

    def login(username: str) -> Any:
        page.goto(f"{console_world['url']}/console/")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_selector("#current-user")
        return page

    return login


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the tests save screenshots (set PITSTOP_CONSOLE_SCREENSHOTS to keep them)."""
    kept = os.environ.get("PITSTOP_CONSOLE_SCREENSHOTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    return tmp_path_factory.mktemp("console-screens")


def _store_forecast(
    world: dict[str, Any],
    *,
    store_id: int,
    kind: str,
    method: str,
    backtest: dict[str, Any],
    points: dict[str, list[dict[str, float]]],
    starts: date,
    warehouse_id: int | None = None,
) -> int:
    from api.forecasts.models import ForecastPoint, ForecastRun

    with world["app"].state.session_factory.begin() as session:
        run = ForecastRun(store_id=store_id, kind=kind, method=method, backtest=backtest,
                          warehouse_id=warehouse_id)  # fmt: skip
        session.add(run)
        session.flush()
        for member, values in points.items():
            for i, value in enumerate(values):
                if kind == "sales":
                    month = starts.year * 12 + starts.month - 1 + i
                    period = date(month // 12, month % 12 + 1, 1)
                else:
                    period = starts + timedelta(weeks=i)
                session.add(ForecastPoint(run_id=run.id, member=member, period=period, **value))
        return run.id


@pytest.fixture
def make_forecast(console_world) -> Iterator[Any]:
    """Store a forecast run as the job would: make_forecast(store_id=, kind=, method=,
    backtest=, points={member: [{mean, lo_80, hi_80, lo_95, hi_95, from_alerts}, ...]},
    starts=first period, warehouse_id=) -> run id; periods are months (sales) or weeks (parts).
    The runs (their points and churn scores) are removed after the test, so that other tests
    see the world without them."""
    made: list[int] = []

    def make(**kwargs: Any) -> int:
        made.append(_store_forecast(console_world, **kwargs))
        return made[-1]

    yield make
    with console_world["app"].state.session_factory.begin() as session:
        session.execute(text("DELETE FROM forecast_runs WHERE id = ANY(:ids)"), {"ids": made})


@pytest.fixture
def make_alarm(console_world) -> Any:
    """Raise an open business alarm as the detection job does (audited, with its feed card and
    a notice to each of the store's managers): make_alarm(store_id=, metric=, started_on=)."""
    from api.alarms.detection import _announce
    from api.alarms.models import BusinessAlarm
    from api.alarms.states import ALARM

    def make(*, store_id: int, metric: str, started_on: date) -> int:
        with console_world["app"].state.session_factory.begin() as session:
            alarm = BusinessAlarm(
                store_id=store_id,
                metric=metric,
                direction="rise" if metric in ("complaints", "response_time") else "drop",
                started_on=started_on,
                detected_on=started_on + timedelta(days=9),
                expected=24.0,
                observed=15.5,
                size=round(15.5 / 24 - 1, 4),
                reason_en="Service visits fell from about 24 a day to 15.5 since the change point",
                reason_zh="进厂台次自变化点起由每天约 24 台次降至 15.5 台次",
            )
            ALARM.start(session, entity=alarm, actor_id=None)
            _announce(session, alarm)
            return alarm.id

    return make
