"""`pitstop bench kpi`: the KPI page's and a vehicle page's API calls, against bare SELECTs.

On a scratch database: a dealer group of 20 stores with `--cars` cars, `--work-orders` jobs
over two years (appointments, labour, clocks, parts, invoices, surveys, stock moves), two years
of vehicle sales, and 90 days of telemetry at one sample a minute for `--telemetry-cars` cars.
Then, in one run:
1. the rollup: a full build, and an incremental refresh after a day's new jobs;
2. each page's API calls, `--repeats` times over HTTP to the app served by uvicorn (as the
   console makes them), and
   the same rows read by a bare SELECT (the ceiling); p50 and p95 of each.
The goals: the KPI page under 1 s and the vehicle page under 300 ms at p95.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from rich.console import Console
from rich.table import Table

from bench.kpi_world import BENCH_PASSWORD, KpiWorld, build
from core.clock import local_today
from core.db import connect
from core.db.scratch import scratch_database

console = Console()
GOALS_S = {"KPI page": 1.0, "vehicle page": 0.3}


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _timed(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # warm: the first call compiles plans and fills caches
    found = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        found.append(time.perf_counter() - started)
    return found


def run(*, cars: int, work_orders: int, telemetry_cars: int, repeats: int) -> None:
    """Build the world, time the rollup and the pages, and print the figures."""
    for name in ("httpx", "httpx2", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with scratch_database("kpi") as url:
        started = time.perf_counter()
        with connect(url) as conn:
            world = build(conn, cars=cars, work_orders=work_orders, telemetry_cars=telemetry_cars)
            conn.commit()
        with connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            counts = _counts(conn)
        console.print(f"world built in {time.perf_counter() - started:.0f} s: {counts}")
        _rollup(url)
        pages = _pages(url, world, repeats)
        _report(pages)


def _counts(conn) -> dict[str, int]:
    tables = ("work_orders", "service_invoices", "stock_moves", "service_surveys",
              "service_appointments", "sales_orders", "telemetry")  # fmt: skip
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def _rollup(url: str) -> None:
    from api.db import make_engine, make_session_factory
    from api.kpis.rollup import refresh
    from api.models_base import load_all_models

    load_all_models()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        full = refresh(session, days=2 * 366)
    with connect(url) as conn:  # a day's new jobs: one more each for a tenth of the cars
        conn.execute(
            "UPDATE work_orders SET updated_at = now() WHERE id IN (SELECT id FROM work_orders"
            " ORDER BY checked_in_at DESC LIMIT 300)"
        )
        conn.execute(
            "UPDATE service_invoices SET updated_at = now() WHERE id IN (SELECT id FROM"
            " service_invoices ORDER BY issued_at DESC LIMIT 300)"
        )
        conn.commit()
    with factory.begin() as session:
        step = refresh(session)
    engine.dispose()
    rebuilt = sum(step.store_days.values())
    busiest = sorted(step.store_days.items(), key=lambda kv: -kv[1])[:3]
    console.print(
        f"rollup: full build {full.seconds:.1f} s ({full.facts:,} sums);"
        f" incremental after 300 changed jobs {step.seconds:.2f} s ({rebuilt} store days),"
        f" {step.seconds / full.seconds:.3f}× the full build; most: {busiest}"
    )


def _pages(url: str, world: KpiWorld, repeats: int) -> dict[str, dict[str, list[float]]]:
    from api.main import create_app
    from core.settings import Settings

    app = create_app(Settings(database_url=url))
    end = local_today()
    month = {"date_from": str(end - timedelta(days=29)), "date_to": str(end)}
    year = {"date_from": str(end - timedelta(days=364)), "date_to": str(end)}
    store = world.store_ids[0]
    vin = world.vins[0]
    now = datetime.now(UTC)
    day = {"start": (now - timedelta(hours=24)).isoformat(), "end": now.isoformat()}
    with _served(app) as port, connect(url) as conn:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        form = urlencode({"username": world.manager, "password": BENCH_PASSWORD})
        client.request("POST", "/auth/token", form,
                       {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        token = json.loads(client.getresponse().read())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def api(path: str, **params) -> Callable[[], object]:
            def call() -> object:
                client.request("GET", f"{path}?{urlencode(params)}", headers=headers)
                response = client.getresponse()
                body = response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
                return json.loads(body)

            return call

        def sql(query: str, *args) -> Callable[[], object]:
            return lambda: conn.execute(query, args).fetchall()

        facts = (
            "SELECT measure, day, value FROM kpi_facts WHERE store_id = ANY(%s)"
            " AND dimension = '' AND day BETWEEN %s AND %s"
        )
        calls = {
            "KPI page": {
                "tiles, one store, 30 days": (
                    api("/kpis/summary", store_id=store, **month),
                    sql(facts, [store], end - timedelta(days=59), end),
                ),
                "tiles, 20 stores, 12 months": (
                    api("/kpis/summary", **year),
                    sql(facts, world.store_ids, end - timedelta(days=729), end),
                ),
                "one KPI by month, by technician": (
                    api(
                        "/kpis/labour_utilisation", dimension="technician_id", grain="month", **year
                    ),  # fmt: skip
                    sql(
                        facts.replace("dimension = ''", "dimension IN ('', 'technician_id')"),
                        world.store_ids,
                        end - timedelta(days=364),
                        end,
                    ),  # fmt: skip
                ),
                "its records, first page": (
                    api("/kpis/csi/records", store_id=store, limit=25, **month),
                    sql(
                        "SELECT id, answered_at, csi FROM service_surveys WHERE store_id = %s"
                        " AND answered_at >= %s ORDER BY answered_at DESC LIMIT 25",
                        store,
                        end - timedelta(days=29),
                    ),  # fmt: skip
                ),
            },
            "vehicle page": {
                "latest": (
                    api(f"/telemetry/vehicles/{vin}/latest"),
                    sql("SELECT * FROM vehicle_latest WHERE vin = %s", vin),
                ),
                "series, 24 h": (
                    api(
                        f"/telemetry/vehicles/{vin}/series",
                        signal="COOLANT_TEMP",
                        bucket_seconds=600,
                        **day,
                    ),  # fmt: skip
                    sql(
                        "SELECT ts, coolant_temp FROM telemetry WHERE vin = %s AND ts >= %s",
                        vin,
                        now - timedelta(hours=24),
                    ),  # fmt: skip
                ),
                "trouble codes": (
                    api(f"/telemetry/vehicles/{vin}/dtcs", limit=20),
                    sql("SELECT * FROM dtc_events WHERE vin = %s ORDER BY ts DESC LIMIT 20", vin),
                ),
                "alerts": (
                    api("/alerts", vin=vin, limit=20),
                    sql("SELECT * FROM alerts WHERE vin = %s ORDER BY id DESC LIMIT 20", vin),
                ),
                "the car": (
                    api("/crm/vehicles", q=vin, limit=1),
                    sql("SELECT * FROM vehicles WHERE vin = %s", vin),
                ),
            },
        }
        return {
            page: {name: (_timed(a, repeats), _timed(b, repeats)) for name, (a, b) in parts.items()}
            for page, parts in calls.items()
        }


@contextmanager
def _served(app: object) -> Iterator[int]:
    """The app on a free local port, served by uvicorn in a thread: real HTTP, as the console."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=600
    )  # one keep-alive connection for the whole run, as a browser page keeps
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _report(pages: dict) -> None:
    table = Table(title="API calls against a bare SELECT of the same rows (ms)")
    for column in ("page", "call", "p50", "p95", "bare p95", "ratio"):
        table.add_column(column, justify="right" if column in ("p50", "p95") else "left")
    for page, parts in pages.items():
        totals = [sum(runs) for runs in zip(*(api for api, _ in parts.values()), strict=True)]
        bare = [sum(runs) for runs in zip(*(b for _, b in parts.values()), strict=True)]
        for name, (api, ceiling) in parts.items():
            table.add_row(page, name, f"{statistics.median(api) * 1000:.1f}",
                          f"{_p(api, 0.95) * 1000:.1f}", f"{_p(ceiling, 0.95) * 1000:.2f}",
                          f"{_p(api, 0.95) / _p(ceiling, 0.95):.1f}×")  # fmt: skip
        p95, goal = _p(totals, 0.95), GOALS_S[page]
        verdict = f"{'within' if p95 <= goal else 'OVER'} {goal * 1000:.0f} ms"
        table.add_row(page, "[b]whole page[/b]", f"{statistics.median(totals) * 1000:.1f}",
                      f"{p95 * 1000:.1f}", f"{_p(bare, 0.95) * 1000:.2f}",
                      f"{p95 / _p(bare, 0.95):.1f}× ({verdict})")  # fmt: skip
    console.print(table)
