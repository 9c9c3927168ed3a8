"""`pitstop bench proactive`: time from alert to booked appointment, with cars alerting at once.

On a scratch database: a dealer group of stores that fix batteries (technicians, quick bays,
batteries in stock for most cars; the rest are ordered). Two phases with the same threads:
1. ceiling: a bare booking per car (the service's book_best_slot and a commit: no triage, no
   work order, no parts, no messages) on a twin set of stores; its latency is service time;
2. loop: diagnostics opens a battery alert for every car, spread over `--seconds`, and the
   worker's reactor threads (LISTEN-woken, as in `pitstop worker`) handle them. A car's time is
   the commit of its booking minus its alert event's creation (the database clock).
"""

from __future__ import annotations

import itertools
import random
import secrets
import statistics
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.crm.models import Vehicle
from api.errors import Conflict
from api.parts.testing import make_part, make_supplier, make_warehouse, stock_in
from api.proactive.flows import SEARCH_ROUNDS
from api.proactive.models import TriagePolicy
from api.proactive.worker import RETRIES as DEADLOCK_RETRIES
from api.proactive.worker import Worker, WorkerConfig
from api.service import service as service_api
from api.service.testing import make_bay, make_operation, make_technician, open_every_day
from api.testing import make_customer, make_group, make_store, make_user
from core.db import connect, with_database
from core.db.migrate import upgrade
from core.settings import Settings
from core.vin import with_check_digit
from core.wire import now_ms
from diagnostics import alerts
from diagnostics.scoring import Raise

console = Console()
CARS_PER_STORE = 100
TECHNICIANS = 8  # per store, each with a quick bay: 8 jobs at once
IN_STOCK_SHARE = 0.8  # batteries on the shelf for this share of a store's cars
WITHIN_DAYS = 21  # the benchmark policy's deadline for a battery visit
OPERATIONS = ("BAT-TEST", "BAT-REPL")
SERIALS = itertools.count(1)  # unique VIN serials (random ones collide among thousands)
REASONS = {"rule:battery_crank_dip": {"kind": "rule", "rule": "battery_crank_dip", "value": 9.1}}


def _stores(session: Session, group, part, count: int, cars: int) -> list[tuple[int, list]]:
    """Stores with workshop, stock and policy; (store_id, [(customer_id, vehicle_id, vin)])."""
    out = []
    for s in range(count):
        store = make_store(session, group, name=f"门店{s}")
        open_every_day(session, store)
        for _ in range(TECHNICIANS):
            make_technician(session, group, store, skills=("electrical",))
            make_bay(session, store, kind="quick")
        warehouse = make_warehouse(session, group, store=store)
        in_stock = int(IN_STOCK_SHARE * min(cars, CARS_PER_STORE))
        stock_in(session, warehouse, part, in_stock, expires_on=date.today() + timedelta(days=400))
        rule = {"failure_mode": "battery", "action": "schedule", "within_days": WITHIN_DAYS}
        session.add(TriagePolicy(store_id=store.id, mode="auto", rules=[rule]))
        fleet = []
        for _ in range(min(cars - s * CARS_PER_STORE, CARS_PER_STORE)):
            customer = make_customer(session, store)
            customer.consents = {"in_app": True}
            vehicle = Vehicle(
                store_id=store.id, vin=with_check_digit(f"LBNCH0180NT{next(SERIALS):06d}"),
                make="Volkswagen", model="Passat", year=2021, owner_id=customer.id,
            )  # fmt: skip
            session.add(vehicle)
            session.flush()
            fleet.append((customer.id, vehicle.id, vehicle.vin))
        out.append((store.id, fleet))
        make_user(session, group, Role.service_advisor, stores=[store])
    return out


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _ceiling(factory, stores, threads: int) -> list[float]:
    """Latency of a bare book_best_slot + commit per car, with `threads` at once."""
    jobs = [(store_id, c, v) for store_id, fleet in stores for c, v, _ in fleet]
    lock, latencies = threading.Lock(), []

    def run() -> None:
        while True:
            with lock:
                if not jobs:
                    return
                store_id, customer_id, vehicle_id = jobs.pop()
            began = time.perf_counter()
            for attempt in range(1, DEADLOCK_RETRIES + 1):
                with factory() as session:
                    try:
                        _bare_booking(session, store_id, customer_id, vehicle_id)
                        session.commit()
                        break
                    except OperationalError:  # racing inserts on the exclusion constraints
                        session.rollback()
                        if attempt == DEADLOCK_RETRIES:
                            raise
            with lock:
                latencies.append(time.perf_counter() - began)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies


def _bare_booking(session: Session, store_id: int, customer_id: int, vehicle_id: int) -> None:
    """book_best_slot, searching again when racing bookings took its slots (as the loop does)."""
    for round_ in range(1, SEARCH_ROUNDS + 1):
        now = datetime.now(UTC)
        try:
            with session.begin_nested():
                service_api.book_best_slot(
                    session, actor=store_id, store_id=store_id, customer_id=customer_id,
                    vehicle_id=vehicle_id, operations=OPERATIONS, earliest=now,
                    latest=now + timedelta(days=WITHIN_DAYS), source="alert",
                )  # fmt: skip
            return
        except Conflict:
            if round_ == SEARCH_ROUNDS:
                raise


def _emit(url: str, vins: list[str], seconds: float) -> None:
    """Open a battery alert per car, in one-second batches spread over `seconds`."""
    rounds = max(1, int(seconds))
    per_round = -(-len(vins) // rounds)
    with connect(url) as conn:
        for k in range(rounds):
            tick = time.monotonic()
            batch = vins[k * per_round : (k + 1) * per_round]
            if batch:
                ts = now_ms()
                alerts.apply(
                    conn, [Raise(v, "battery", "major", 0.9, "rule", REASONS, ts) for v in batch]
                )
                conn.commit()
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))


def bench_proactive(
    cars: int = typer.Option(1000, min=1, help="Cars alerting"),
    seconds: float = typer.Option(60.0, min=1, help="The alerts arrive within this long"),
    threads: int = typer.Option(4, min=1, max=64, help="Reactor threads (as pitstop worker)"),
) -> None:
    """Measure alert-to-booked-appointment time at the median and p99, against a bare booking."""
    from cli.services import resolve_database_url

    server_url = resolve_database_url()
    name = f"pitstop_bench_{uuid.uuid4().hex[:8]}"
    with connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    try:
        upgrade(url)
        secret = secrets.token_urlsafe(48)  # signs the customers' links in this run only
        settings = Settings(database_url=url, environment="development", jwt_secret=secret)
        worker = Worker(settings, WorkerConfig(threads=threads, dispatch_s=1e9, reminders_s=1e9))
        factory = worker.session_factory
        count = -(-cars // CARS_PER_STORE)
        with console.status(f"building {2 * count} stores and {2 * cars} cars"), factory() as s:
            group = make_group(s)
            for code, hours, bay in (("BAT-TEST", "0.3", None), ("BAT-REPL", "0.5", "quick")):
                make_operation(s, group, code=code, hours=hours, skill="electrical", bay_kind=bay)
            part = make_part(s, group, kind="battery", cost="520", supplier=make_supplier(s, group))
            part.part_number = "VARTA-C22-60AH"
            twins = _stores(s, group, part, count, cars)
            loop_stores = _stores(s, group, part, count, cars)
            s.commit()
        with console.status(f"ceiling: {cars} bare bookings on {threads} threads"):
            ceiling = _ceiling(factory, twins, threads)
        done: dict[int, float] = {}
        worker.on_handled = lambda event_id: done.__setitem__(event_id, time.time())
        runner = threading.Thread(target=worker.run)
        runner.start()
        vins = [vin for _, fleet in loop_stores for _, _, vin in fleet]
        random.Random(0).shuffle(vins)  # alerts come from every store, not one store at a time
        began = time.monotonic()
        with console.status(f"loop: {cars} alerts within {seconds:.0f} s"):
            _emit(url, vins, seconds)
            while len(done) < cars and time.monotonic() - began < seconds + 600:
                time.sleep(0.2)
        worker.stop.set()
        runner.join()
        with connect(url) as conn:
            created = dict(
                conn.execute(
                    "SELECT id, extract(epoch FROM created_at) FROM alert_events"
                ).fetchall()
            )
            outcomes = dict(
                conn.execute(
                    "SELECT outcome, count(*) FROM proactive_handled_events GROUP BY outcome"
                ).fetchall()
            )
            shorts = conn.execute(
                "SELECT count(*) FROM work_order_parts WHERE status = 'short'"
            ).fetchone()[0]
    finally:
        with connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    latencies = [done[i] - float(created[i]) for i in done if i in created]
    if not latencies:
        console.print("no alert was handled; see the worker's log")
        raise typer.Exit(1)
    p50, p99 = _percentiles(latencies)
    c50, c99 = _percentiles(ceiling)
    console.print(f"outcomes: {outcomes}; parts lines short (ordered): {shorts}")
    console.print(
        f"ceiling (bare book_best_slot + commit, {threads} threads): p50 {c50 * 1000:.0f} ms, "
        f"p99 {c99 * 1000:.0f} ms"
    )
    console.print(
        f"loop ({len(latencies)} alerts in {seconds:.0f} s, {threads} threads): alert to booked "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; ratio to ceiling p50 "
        f"{p50 / c50:.1f}x, p99 {p99 / c99:.1f}x"
    )
    print(
        f"cars={cars} seconds={seconds:.0f} threads={threads} booked={outcomes.get('booked', 0)} "
        f"p50_ms={p50 * 1000:.0f} p99_ms={p99 * 1000:.0f} ceiling_p50_ms={c50 * 1000:.0f} "
        f"ceiling_p99_ms={c99 * 1000:.0f} ratio_p50={p50 / c50:.1f} ratio_p99={p99 / c99:.1f}"
    )
