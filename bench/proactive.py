"""`pitstop bench proactive`: time from alert to booked appointment, with cars alerting at once.

On a scratch database: a dealer group of stores that fix batteries (technicians, quick bays,
batteries in stock for most cars; the rest are ordered). Two phases with the same threads:
1. ceiling: a bare booking per car (the service's book_best_slot and a commit: no triage, no
   work order, no parts, no messages) on a twin set of stores; its latency is service time;
2. loop: diagnostics opens a battery alert for every car, spread over `--seconds`, and
   `--processes` worker processes, each with the reactor threads of `pitstop worker`
   (LISTEN-woken), handle them. A car's time is the end of its reaction, just before the
   commit, minus its alert event's creation, both by the database clock.
"""

from __future__ import annotations

import multiprocessing
import random
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.auth.actor import SystemActor
from api.db import make_engine, make_session_factory
from api.errors import Conflict
from api.models_base import load_all_models
from api.proactive.flows import SEARCH_ROUNDS
from api.proactive.worker import RETRIES as DEADLOCK_RETRIES
from api.proactive.worker import Worker, WorkerConfig
from api.workshop.booking import book_best_slot
from bench.proactive_world import OPERATION_CODES, WITHIN_DAYS, BenchStore, build_group
from bench.stats import median_p99
from core.db import connect
from core.db.scratch import scratch_database
from core.settings import Settings
from core.wire import now_ms
from diagnostics import alerts
from diagnostics.scoring import Raise

console = Console()
REASONS = {"rule:battery_crank_dip": {"kind": "rule", "rule": "battery_crank_dip", "value": 9.1}}


def _ceiling(factory, stores: list[BenchStore], threads: int) -> list[float]:
    """Latency of a bare book_best_slot + commit per car, with `threads` at once."""
    jobs = [(s.store_id, c, v) for s in stores for c, v, _ in s.cars]
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
                book_best_slot(
                    session, actor=SystemActor(store_id), store_id=store_id,
                    customer_id=customer_id, vehicle_id=vehicle_id, operations=OPERATION_CODES,
                    earliest=now, latest=now + timedelta(days=WITHIN_DAYS), source="alert",
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


def _worker_process(url: str, secret: str, threads: int, ready, stop) -> None:
    """One `pitstop worker` process of the loop phase, until `stop` is set."""
    settings = Settings(database_url=url, environment="development", jwt_secret=secret)
    worker = Worker(
        settings, WorkerConfig(threads=threads, dispatch_s=1e9, reminders_s=1e9, forecasts_s=None)
    )

    def stop_when_told() -> None:
        stop.wait()
        worker.stop.set()

    threading.Thread(target=stop_when_told, daemon=True).start()
    ready.release()  # imported and connected: the alerts may come
    worker.run()


def _handled(url: str) -> int:
    with connect(url) as conn:
        done = "SELECT count(*) FROM proactive_handled_events WHERE outcome <> 'handling'"
        return int(conn.execute(done).fetchone()[0])


def run(*, cars: int, seconds: float, threads: int, processes: int) -> None:
    """Measure alert-to-booked-appointment time at the median and p99, against a bare booking."""
    with scratch_database() as url:
        secret = secrets.token_urlsafe(48)  # signs the customers' links in this run only
        engine = make_engine(url)
        factory = make_session_factory(engine)
        building = console.status(f"building two like sets of stores for {cars} cars each")
        with building, factory() as session:
            load_all_models()
            twins, loop_stores = build_group(session, cars)
            session.commit()
        with console.status(f"ceiling: {cars} bare bookings on {threads} threads"):
            ceiling = _ceiling(factory, twins, threads)
        spawn = multiprocessing.get_context("spawn")
        ready, stop = spawn.Semaphore(0), spawn.Event()
        workers = [
            spawn.Process(target=_worker_process, args=(url, secret, threads, ready, stop))
            for _ in range(processes)
        ]
        for process in workers:
            process.start()
        for _ in workers:
            if not ready.acquire(timeout=120):
                stop.set()
                raise RuntimeError("a worker process did not start within 120 s")
        vins = [vin for s in loop_stores for _, _, vin in s.cars]
        random.Random(0).shuffle(vins)  # alerts come from every store, not one store at a time
        began = time.monotonic()
        with console.status(f"loop: {cars} alerts within {seconds:.0f} s"):
            _emit(url, vins, seconds)
            while _handled(url) < cars and time.monotonic() - began < seconds + 600:
                time.sleep(0.5)
        stop.set()
        for process in workers:
            process.join(timeout=60)
        with connect(url) as conn:
            latencies = [
                float(seconds_taken)
                for (seconds_taken,) in conn.execute(
                    "SELECT extract(epoch FROM h.handled_at - e.created_at) "
                    "FROM proactive_handled_events h JOIN alert_events e "
                    "ON e.id = h.alert_event_id WHERE h.outcome <> 'handling'"
                )
            ]
            outcomes = dict(
                conn.execute(
                    "SELECT outcome, count(*) FROM proactive_handled_events GROUP BY outcome"
                ).fetchall()
            )
            shorts = conn.execute(
                "SELECT count(*) FROM work_order_parts WHERE status = 'short'"
            ).fetchone()[0]
        engine.dispose()
    if not latencies:
        console.print("no alert was handled; see the worker's log")
        raise typer.Exit(1)
    p50, p99 = median_p99(latencies)
    c50, c99 = median_p99(ceiling)
    console.print(f"outcomes: {outcomes}; parts lines short (ordered): {shorts}")
    console.print(
        f"ceiling (bare book_best_slot + commit, {threads} threads): p50 {c50 * 1000:.0f} ms, "
        f"p99 {c99 * 1000:.0f} ms"
    )
    console.print(
        f"loop ({len(latencies)} alerts in {seconds:.0f} s, {processes} worker processes of "
        f"{threads} threads): alert to booked p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
        f"ratio to ceiling p50 {p50 / c50:.1f}x, p99 {p99 / c99:.1f}x"
    )
    print(
        f"cars={cars} seconds={seconds:.0f} processes={processes} threads={threads} "
        f"booked={outcomes.get('booked', 0)} p50_ms={p50 * 1000:.0f} p99_ms={p99 * 1000:.0f} "
        f"ceiling_p50_ms={c50 * 1000:.0f} ceiling_p99_ms={c99 * 1000:.0f} "
        f"ratio_p50={p50 / c50:.1f} ratio_p99={p99 / c99:.1f}"
    )
