"""A soak through the whole loop: simulated cars (edge agents) → broker → ingest → PostgreSQL
→ diagnostics → the proactive worker. Every sample is stored once, and the memory of every
process stays flat: a line fitted to its resident memory after a warm-up has a slope under a
bound (MB per minute), reported in pytest's summary.

CI runs a short version. The full one (5,000 cars for 10 minutes) runs with `-m soak`, or with
PITSTOP_SOAK_SECONDS (and PITSTOP_SOAK_CARS, PITSTOP_SOAK_DAYS: the car time it covers) set.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
import pytest

from tests.faults.processes import (
    assert_exactly_once,
    pitstop,
    product_env,
    rss_mb,
    scalar,
    start_ingest,
    stop_gently,
    wait_for,
)


@dataclass(frozen=True)
class Soak:
    cars: int
    seconds: float
    fleets: int  # simulator processes the cars are split over
    max_slope_mb_min: float  # short runs are noisier, so their bound is looser
    days: float = 3.0  # car time a run covers, whatever its length: faults develop, alerts open


# The short soak packs 3 days of car time into 75 s; the scorer still grows a little in it
# (4.6 MB/min measured), and only the full soak can tell that from a leak.
SHORT = Soak(cars=60, seconds=75, fleets=2, max_slope_mb_min=15.0)
FULL = Soak(cars=5000, seconds=600, fleets=20, max_slope_mb_min=2.0)
CARS_PER_FLEET = 250  # one simulator process ticks its cars in turn, on one core
FAULT_SHARE = "0.2"  # cars with a developing fault, so that alerts flow to the worker
SAMPLE_EVERY_S = 2.0
WARM_UP_SHARE = 0.4  # memory before this share of the run is start-up, not a trend
READY = {"diagnostics.log": "model detector", "worker.log": "proactive worker running"}
FLEET_STOP_S = 60  # a fleet flushes its cars' outboxes before it exits


def _plan(request) -> Soak:
    seconds = os.environ.get("PITSTOP_SOAK_SECONDS")
    if seconds or (request.config.getoption("-m") or "").strip() == "soak":
        cars = int(os.environ.get("PITSTOP_SOAK_CARS", FULL.cars))
        days = float(os.environ.get("PITSTOP_SOAK_DAYS", FULL.days))
        return Soak(cars, float(seconds or FULL.seconds), max(1, cars // CARS_PER_FLEET),
                    FULL.max_slope_mb_min, days)  # fmt: skip
    return SHORT


@dataclass
class Sampler:
    """Resident memory of named processes, sampled in a thread."""

    pids: dict[str, int]
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        began = time.monotonic()
        while not self.stop.wait(SAMPLE_EVERY_S):
            for name, pid in self.pids.items():
                try:
                    point = (time.monotonic() - began, rss_mb(pid))
                except psutil.NoSuchProcess:
                    continue
                self.samples.setdefault(name, []).append(point)

    def slopes(self, after_s: float) -> dict[str, tuple[float, float]]:
        """Per process: MB per minute fitted after after_s, and the last RSS in MB."""
        out = {}
        for name, points in self.samples.items():
            kept = np.array([p for p in points if p[0] >= after_s])
            if len(kept) >= 3:
                slope = np.polyfit(kept[:, 0] / 60, kept[:, 1], 1)[0]
                out[name] = (round(float(slope), 2), round(float(kept[-1, 1]), 1))
        return out


def _fleet(index: int, cars: int, plan: Soak, mqtt_url: str, db_url: str, tmp_path: Path):
    home = tmp_path / f"fleet-{index}"
    env = product_env(db_url, mqtt_url, home=str(home))
    speed = plan.days * 86_400 / plan.seconds
    args = ["simulate", "--cars", str(cars), "--speed", f"{speed:.1f}", "--seconds",
            str(plan.seconds), "--start-days-ago", str(plan.days), "--faults", FAULT_SHARE,
            "--seed", str(1000 + index)]  # fmt: skip
    return pitstop(args, env, home / "out.log"), home / "out.log"


def _produced(log: Path) -> dict[str, int]:
    """Samples per VIN, from the lines `pitstop simulate` prints at the end."""
    counts = {}
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) > 3 and len(parts[0]) == 17 and parts[3].startswith("samples="):
            unsent = next(p for p in parts if p.startswith("unsent="))
            assert unsent == "unsent=0", f"a car left samples unsent: {line}"
            counts[parts[0]] = int(parts[3].removeprefix("samples="))
    return counts


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_soak_keeps_every_sample_once_and_memory_flat(
    request, fresh_db_url, own_broker, tmp_path, record
):
    plan, db_url = _plan(request), fresh_db_url
    ingest = start_ingest(db_url, own_broker.url, uuid.uuid4().hex[:8], tmp_path / "ingest.log")
    env = product_env(db_url, jwt_secret="x" * 40)
    diagnostics = pitstop(["diagnostics", "--workers", "1"], env, tmp_path / "diagnostics.log")
    worker = pitstop(["worker", "--threads", "2"], env, tmp_path / "worker.log")
    fleets: list = []
    sampler = Sampler({})
    try:
        # Memory is measured from when the services are up: their start-up is no trend.
        for name, ready in READY.items():
            log = tmp_path / name
            wait_for(lambda log=log, r=ready: r in log.read_text(), 120, f"{ready!r} in {name}")
        per_fleet = [plan.cars // plan.fleets + (i < plan.cars % plan.fleets)
                     for i in range(plan.fleets)]  # fmt: skip
        fleets = [_fleet(i, n, plan, own_broker.url, db_url, tmp_path)
                  for i, n in enumerate(per_fleet)]  # fmt: skip
        assert own_broker.process is not None
        sampler.pids = {"broker": own_broker.process.pid, "ingest": ingest.pid,
                        "diagnostics": diagnostics.pid, "worker": worker.pid}  # fmt: skip
        sampler.pids |= {f"fleet-{i}": p.pid for i, (p, _) in enumerate(fleets)}
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        for process, log in fleets:
            process.wait(plan.seconds + FLEET_STOP_S + 120)
            assert process.returncode == 0, f"a fleet failed: {log.read_text()[-2000:]}"
        sampler.stop.set()
        thread.join()
        produced: dict[str, int] = {}
        for _, log in fleets:
            produced |= _produced(log)
        assert len(produced) == plan.cars, f"{len(produced)} cars reported, {plan.cars} ran"
        assert_exactly_once(db_url, produced, timeout=120)
        reacted = "SELECT count(*) FROM alert_events WHERE kind IN ('created', 'cleared')"
        handled = "SELECT count(*) FROM proactive_handled_events WHERE outcome <> 'handling'"
        wait_for(lambda: scalar(db_url, reacted), 60, "an alert from diagnostics")
        wait_for(lambda: (scalar(db_url, handled) or 0) >= (scalar(db_url, reacted) or 1), 60,
                   "the worker to react to every alert event")  # fmt: skip
    finally:
        sampler.stop.set()
        for fleet, _ in fleets:
            if fleet.poll() is None:
                fleet.kill()
        servers = {"ingest": ingest, "diagnostics": diagnostics, "worker": worker}
        codes = {name: stop_gently(process) for name, process in servers.items()}
    assert codes == dict.fromkeys(codes, 0), f"a process did not stop cleanly: {codes}"
    slopes = sampler.slopes(WARM_UP_SHARE * plan.seconds)
    samples = sum(produced.values())
    record("soak", cars=plan.cars, seconds=plan.seconds, samples=samples,
           slopes_mb_per_min=json.dumps({k: s for k, (s, _) in slopes.items()}),
           rss_mb=json.dumps({k: r for k, (_, r) in slopes.items()}))  # fmt: skip
    assert set(slopes) == set(sampler.pids), f"too few memory samples: {sorted(slopes)}"
    growing = {k: s for k, (s, _) in slopes.items() if s > plan.max_slope_mb_min}
    assert not growing, f"memory grows faster than {plan.max_slope_mb_min} MB/min: {growing}"


def test_the_soak_plan_reads_its_settings(monkeypatch, request):
    monkeypatch.setenv("PITSTOP_SOAK_SECONDS", "30")
    monkeypatch.setenv("PITSTOP_SOAK_CARS", "1200")
    assert _plan(request) == Soak(1200, 30.0, 4, FULL.max_slope_mb_min)
    monkeypatch.setenv("PITSTOP_SOAK_DAYS", "0.5")
    assert _plan(request).days == 0.5
    monkeypatch.delenv("PITSTOP_SOAK_SECONDS")
    assert _plan(request) == SHORT
