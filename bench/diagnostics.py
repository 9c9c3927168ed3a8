"""`pitstop bench diagnostics`: cars scored per second, and arrival-to-alert delay.

Two phases on a scratch database:
1. catch-up: every car has SAMPLES rows; the shards score them all in one round each. The
   ceiling is a plain SELECT of the same rows on one connection (reading, no scoring).
2. live: a writer commits one sample per car each second through ingest's Store, and some
   cars start to overheat; the shards run as the service does. The delay is alert.created_at
   minus the received_at of the sample that raised it. The ceiling is the poll interval plus
   one read of a second's rows.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import statistics
import time

import typer
from rich.console import Console

from bench.stats import median_p99
from core.db import connect
from core.db.scratch import scratch_database
from core.signals import SIGNAL_NAMES
from core.vin import with_check_digit
from core.wire import now_ms
from diagnostics.service import _TELEMETRY, Scorer, ServiceConfig, shard_sql
from ingest.batch import Batch
from ingest.store import Store

console = Console()
SAMPLES = 120  # rows per car in the catch-up phase (two minutes at 1 Hz)
LIVE_POLL_S = 0.2  # the shards' poll interval in the live phase
OVERHEAT_SHARE = 0.2  # cars that start overheating during the live phase


def _vin(i: int) -> str:
    return with_check_digit(f"LBENCH00{i:09d}"[:8] + "0" + f"N{i:07d}")


def _values(rng: random.Random, hot: bool) -> dict[str, float]:
    return {
        "RPM": rng.gauss(2000, 50), "SPEED": 60.0, "ENGINE_LOAD": 35.0,
        "COOLANT_TEMP": 120.0 if hot else rng.gauss(90, 1), "LONG_FUEL_TRIM_1": rng.gauss(1, 1),
        "O2_B1S1": rng.uniform(0.1, 0.8), "O2_B1S2": rng.gauss(0.68, 0.01),
        "CONTROL_MODULE_VOLTAGE": rng.gauss(14.1, 0.05), "RUN_TIME": 900.0,
    }  # fmt: skip


def _batch(vins: list[str], ts_ms: int, seq: int, rng, hot: set[str]) -> Batch:
    batch = Batch()
    for vin in vins:
        values = _values(rng, vin in hot)
        batch.rows.append((vin, ts_ms, seq, *[values.get(n) for n in SIGNAL_NAMES]))
    return batch


def _score_once(url: str, shard: int, shards: int, out) -> None:
    scorer = Scorer(ServiceConfig(database_url=url, persist_s=1e9, sweep_s=1e9), shard, shards)
    began = time.perf_counter()
    stats = scorer.step()
    out.put((stats.cars_scored, stats.rows, time.perf_counter() - began))
    scorer.conn.close()


def _serve(url: str, shard: int, shards: int, stop) -> None:
    config = ServiceConfig(database_url=url, poll_s=LIVE_POLL_S, persist_s=1e9, sweep_s=1e9)
    Scorer(config, shard, shards).run(stop)


def run(*, cars: int, workers: int, live_seconds: float) -> None:
    """Measure cars scored per second and the delay from a sample's arrival to its alert."""
    ctx = mp.get_context("spawn")
    with scratch_database() as url:
        rng = random.Random(0)
        vins = [_vin(i) for i in range(cars)]
        store = Store(url)
        start = now_ms() - 3_600_000
        with console.status(f"writing {cars * SAMPLES:,} samples"):
            for k in range(SAMPLES):
                store.write(_batch(vins, start + k * 1000, k, rng, set()))
        # ceiling: read the same rows, no scoring
        began = time.perf_counter()
        with connect(url) as conn, conn.cursor(name="ceiling") as cur:
            cur.itersize = 20_000
            cur.execute(_TELEMETRY.format(shard=shard_sql(0, 1)), ("epoch",))
            read = sum(1 for _ in cur)
        read_s = time.perf_counter() - began
        out = ctx.Queue()
        began = time.perf_counter()
        procs = [
            ctx.Process(target=_score_once, args=(url, k, workers, out)) for k in range(workers)
        ]
        for p in procs:
            p.start()
        results = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
        wall = time.perf_counter() - began
        scored = sum(r[0] for r in results)
        rows = sum(r[1] for r in results)
        busy = max(r[2] for r in results)
        cars_per_s, rows_per_s, read_rate = scored / busy, rows / busy, read / read_s
        console.print(
            f"catch-up: {scored} cars, {rows:,} samples in {busy:.2f} s of scoring "
            f"({wall:.2f} s with process start): {cars_per_s:,.0f} cars/s, {rows_per_s:,.0f} "
            f"samples/s; ceiling (plain read) {read_rate:,.0f} rows/s; "
            f"ratio {rows_per_s / read_rate:.2f}"
        )
        stop = ctx.Event()
        procs = [ctx.Process(target=_serve, args=(url, k, workers, stop)) for k in range(workers)]
        for p in procs:
            p.start()
        time.sleep(3)  # let the shards load their state
        hot: set[str] = set()
        seq, ends = SAMPLES, time.monotonic() + live_seconds
        read_once = []
        while time.monotonic() < ends:
            tick = time.monotonic()
            if rng.random() < 0.5:
                hot.add(rng.choice(vins))
            store.write(_batch(vins, now_ms() - 500, seq, rng, hot))
            t0 = time.perf_counter()
            with connect(url) as conn:
                conn.execute(
                    "SELECT * FROM telemetry WHERE received_at > now() - interval '1 second'"
                ).fetchall()
            read_once.append(time.perf_counter() - t0)
            seq += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        time.sleep(2 * LIVE_POLL_S + 1)
        stop.set()
        for p in procs:
            p.join(timeout=30)
        with connect(url) as conn:
            delays = [
                float(r[0])
                for r in conn.execute(
                    "SELECT extract(epoch FROM created_at - received_at) FROM alerts "
                    "WHERE failure_mode = 'cooling' AND received_at IS NOT NULL"
                ).fetchall()
            ]
        store.close()
    ceiling = LIVE_POLL_S / 2 + statistics.median(read_once)
    if not delays:
        console.print("live: no alert was raised; check the shards' logs")
        raise typer.Exit(1)
    p50, p99 = median_p99(delays)
    console.print(
        f"live: {len(delays)} alerts from {cars} cars at 1 Hz; delay p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms; ceiling (half a poll + one read) {ceiling * 1000:.0f} ms; "
        f"ratio p50/ceiling {p50 / ceiling:.1f}"
    )
    print(
        f"cars={cars} cars_per_s={cars_per_s:.0f} samples_per_s={rows_per_s:.0f} "
        f"read_ratio={rows_per_s / read_rate:.2f} alert_p50_ms={p50 * 1000:.0f} "
        f"alert_p99_ms={p99 * 1000:.0f} ceiling_ms={ceiling * 1000:.0f}"
    )
